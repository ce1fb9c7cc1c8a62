#!/bin/sh
# tests/fuzz/seeds.sh BUILDDIR CAPTURES_DIR — regenerate the seed corpus:
# synthetic cores, and the headers and notes (everything before the first
# segment's data) of real scenario cores, plain and zstd-compressed.
set -eu
builddir=$1
caps=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$top/tests/fuzz/corpus
mkdir -p "$dir"
cc -std=gnu11 -I"$builddir" -I"$top/tests/unit" -o "${TMPDIR:-/tmp}/cs-mkseeds.$$" "$top/tests/fuzz/mkseeds.c"
"${TMPDIR:-/tmp}/cs-mkseeds.$$" "$dir"; rm -f "${TMPDIR:-/tmp}/cs-mkseeds.$$"
for core in "$caps"/go1.26.8/default/subslice/kernel.core.zst \
	    "$caps"/go1.19.8/default/cgo-thread/gcore.core.zst; do
	[ -f "$core" ] || continue
	name=$(echo "$core" | sed "s|$caps/||; s|/|-|g; s|.core.zst||")
	zstd -q -d -c "$core" >"$builddir/seed.core"
	# the first PT_LOAD's file offset: where headers and notes end
	cut=$(eu-readelf -l "$builddir/seed.core" | awk '$1=="LOAD"{print $2; exit}')
	head -c $((cut)) "$builddir/seed.core" >"$dir/$name-head"
	head -c $((cut + 8192)) "$builddir/seed.core" | zstd -q -c >"$dir/$name-head.zst"
	rm -f "$builddir/seed.core"
done
ls -la "$dir"

#!/bin/sh
# tests/fuzz/build.sh BUILDDIR [OUT] — build the libFuzzer target with
# clang, AddressSanitizer and UBSan (docs/fuzzing.md).  BUILDDIR is a
# configured corescope build tree (for config.h).
set -eu
builddir=${1:?usage: build.sh BUILDDIR [OUT]}
out=${2:-$builddir/fuzz_core}
top=$(cd "$(dirname "$0")/../.." && pwd)
CC=${CC:-clang}
command -v "$CC" >/dev/null || { echo "build.sh: $CC not found (apt-get install clang)" >&2; exit 1; }
# shellcheck disable=SC2046
"$CC" -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$builddir" -I"$top/common" -I"$top/corewalk" \
	$(pkg-config --cflags libelf libzstd libunwind-generic) \
	"$top"/common/*.c "$top"/corewalk/*.c "$top/tests/fuzz/fuzz_core.c" \
	$(pkg-config --libs libelf libzstd libunwind-generic) -o "$out"
echo "$out"

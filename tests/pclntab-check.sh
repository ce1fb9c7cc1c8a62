#!/bin/sh
# tests/pclntab-check.sh BUILDDIR — check heapscan/pclntab.c against the
# Go runtime and debug/gosym, for every Go release at hand.
#
# For each release it builds the oracle program tests/oracle/pclntab
# (call chains with and without inlining, methods, closures, generics,
# measured frame sizes, stack objects), runs it to get the runtime's own
# answers (runtime.CallersFrames) and debug/gosym's, asks
# BUILDDIR/tests/unit/pclntab_dump the same questions about the same
# binary, and compares.  It also runs pclntab_dump --selftest (synthetic
# and hostile tables) and --check (invariants over every function).
#
# Releases: the host `go`, Debian's /usr/lib/go-1.19/bin/go, and each
# release named in $CORESCOPE_GO_TOOLCHAINS (e.g. "go1.22.12 go1.27.4",
# run through GOTOOLCHAIN=).  The host release is also built with
# -ldflags=-w (no DWARF) and -ldflags='-s -w' (no symbol table either).
#
# Prints one line per check: PASS: pclntab/<goversion>/<check>,
# FAIL: ...: <reason> or SKIP: ...: <reason>.  Always exits 0; the caller
# tallies the lines.
set -u

builddir=${1:-}
if [ -z "$builddir" ]; then
	echo "usage: sh tests/pclntab-check.sh BUILDDIR" >&2
	exit 0
fi
builddir=$(cd "$builddir" && pwd)
srcdir=$(cd "$(dirname "$0")/.." && pwd)
dump=$builddir/tests/unit/pclntab_dump

if [ ! -x "$dump" ]; then
	make -C "$builddir" tests/unit/pclntab_dump >/dev/null 2>&1
fi
if [ ! -x "$dump" ]; then
	echo "FAIL: pclntab/build: $dump does not exist and make could not build it"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pclntab-check.XXXXXX") || {
	echo "FAIL: pclntab/setup: cannot make a temporary directory"
	exit 0
}
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# Run a command whose stdout is result lines; a crash (ASan, UBSan, a
# signal) or a nonzero exit becomes a FAIL line of its own.
run_checked() {
	name=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	grep -E '^(PASS|FAIL|SKIP): ' "$tmp/out"
	if [ $rc -ne 0 ]; then
		echo "FAIL: $name: exited with status $rc: $(tail -n 3 "$tmp/err" | tr '\n' ' ')"
	elif grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$tmp/err"; then
		echo "FAIL: $name: sanitizer report: $(grep -m1 -E 'runtime error|Sanitizer' "$tmp/err")"
	fi
}

run_checked pclntab/selftest "$dump" --selftest

# check_release VARIANT GO GOTOOLCHAIN LDFLAGS
#   VARIANT names the build ("" for the plain build, "-w", "-s-w").
#   Builds without DWARF borrow the runtime layout of the plain build
#   (--layout-from) while heapscan has no built-in table for the release:
#   the pclntab itself needs no DWARF, only the moduledata offsets.
check_release() {
	variant=$1 gobin=$2 toolchain=$3 ldflags=$4
	twin=
	ver=$(cd "$srcdir/tests" && GOTOOLCHAIN=$toolchain "$gobin" env GOVERSION 2>/dev/null)
	if [ -z "$ver" ]; then
		# Go 1.19 has no GOVERSION variable.
		ver=$(cd "$srcdir/tests" && GOTOOLCHAIN=$toolchain "$gobin" version 2>/dev/null |
			awk '{print $3}')
	fi
	if [ -z "$ver" ]; then
		echo "SKIP: pclntab/${toolchain:-$gobin}$variant: this Go does not run here"
		return
	fi
	label=$ver$variant
	p=pclntab/$label
	bin=$tmp/oracle-$label
	if [ -n "$variant" ]; then
		twin="--layout-from $tmp/oracle-$ver"
	fi
	if ! (cd "$srcdir/tests" && GOTOOLCHAIN=$toolchain CGO_ENABLED=0 GOFLAGS= \
		"$gobin" build -buildmode=exe -ldflags="$ldflags" -o "$bin" ./oracle/pclntab) \
		>"$tmp/build.log" 2>&1; then
		echo "FAIL: $p/build: $(tail -n 3 "$tmp/build.log" | tr '\n' ' ')"
		return
	fi
	if ! "$bin" >"$tmp/truth" 2>"$tmp/truth.err"; then
		echo "FAIL: $p/oracle-run: $(tail -n 3 "$tmp/truth.err" | tr '\n' ' ')"
		return
	fi
	# The questions: every frame PC, measured-frame PC and gosym sample,
	# and the functions whose stack objects are known.
	awk -F '\t' '
		$1 == "CF" { print $4 }
		$1 == "SP" { print $3 }
		$1 == "G" { print $2 }
		$1 == "SOX" { print "so " $2 }' "$tmp/truth" | sort -u >"$tmp/queries"
	# $twin is empty or two words.
	# shellcheck disable=SC2086
	"$dump" $twin "$bin" >"$tmp/dump" 2>"$tmp/dump.err"
	rc1=$?
	# shellcheck disable=SC2086
	"$dump" $twin "$bin" - <"$tmp/queries" >>"$tmp/dump" 2>>"$tmp/dump.err"
	rc2=$?
	if [ "$variant" = -s-w ] && grep -q 'cannot find runtime.firstmoduledata' "$tmp/dump.err"; then
		# heapscan/module.c finds the moduledata of a binary without
		# symbols by scanning data the core saved; an executable image
		# (no process) has none, so this variant needs a real core.
		echo "SKIP: $p: heapscan cannot locate runtime.firstmoduledata without symbols in an executable image (only in a core)"
		return
	fi
	if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ] ||
		grep -qE 'runtime error|Sanitizer' "$tmp/dump.err"; then
		echo "FAIL: $p/dump: pclntab_dump failed: $(head -n 3 "$tmp/dump.err" | tr '\n' ' ')"
		return
	fi
	run_checked "$p/compare" "$bin" compare "$tmp/truth" "$tmp/dump" "$p"
	# shellcheck disable=SC2086
	run_checked "$p/check" "$dump" --prefix "$p" $twin --check "$bin"
}

# The host Go, plain and without DWARF / symbols.
if command -v go >/dev/null 2>&1; then
	check_release "" go local ""
	check_release -w go local "-w"
	check_release -s-w go local "-s -w"
else
	echo "SKIP: pclntab/host: no go in PATH"
fi

# Debian's Go 1.19 (it predates GOTOOLCHAIN and ignores it).
if [ -x /usr/lib/go-1.19/bin/go ]; then
	check_release "" /usr/lib/go-1.19/bin/go local ""
	check_release -w /usr/lib/go-1.19/bin/go local "-w"
else
	echo "SKIP: pclntab/go1.19: /usr/lib/go-1.19/bin/go is not installed"
fi

# Further releases through GOTOOLCHAIN.
for tc in ${CORESCOPE_GO_TOOLCHAINS:-}; do
	if command -v go >/dev/null 2>&1; then
		check_release "" go "$tc" ""
	else
		echo "SKIP: pclntab/$tc: no go in PATH to select it with"
	fi
done
exit 0

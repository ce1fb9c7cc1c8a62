# tests/e2e.sh — sourced by tests/run-tests.  Build the Go harness, capture
# every scenario once for this run (gcore and kernel core, default and
# -w / -s -w / PIE builds, with the installed Go and with Debian's Go 1.19),
# then check corescope's answers against the truth the scenarios wrote;
# then check the committed corpus of every release and experiment.
#
# Uses: srcdir, builddir, emit, run_lines (from tests/run-tests).
# Environment:
#   CORESCOPE_WORK            captures go here (default builddir/tests/work)
#   CORESCOPE_REUSE_CAPTURES=1  check the captures a run of the same tree
#                             left in CORESCOPE_WORK instead of capturing anew
#   CORESCOPE_GO_TOOLCHAINS   more releases to capture, e.g. "go1.22.12 go1.27.4"
#   CORESCOPE_E2E_VARIANTS    build variants (default: default,nodwarf,stripped,pie)
#   CORESCOPE_CORPUS=0        do not check the committed corpus (tests/corpus)
#   CORESCOPE_E2E_ONLY=REGEX  run only the checks whose full name matches

e2e_work=${CORESCOPE_WORK:-$builddir/tests/work}
e2e_bin=$builddir/tests/bin
e2e_variants=${CORESCOPE_E2E_VARIANTS:-default,nodwarf,stripped,pie}

# The committed corpus (tests/corpus, docs/development.md): every Go
# release and layout-changing experiment of the matrix, captured once and
# checked on every run with the same checks as the fresh captures.  Its
# executables and gcore cores are unpacked into the build directory; the
# run's compatibility matrix is written to builddir/docs/compatibility.md.
# CORESCOPE_CORPUS=0 skips it (reported as SKIP).
e2e_corpus() {
	corpus=$srcdir/tests/corpus
	if [ "${CORESCOPE_CORPUS:-1}" = 0 ]; then
		emit "SKIP: corpus: CORESCOPE_CORPUS=0 was set"
		return
	fi
	if [ ! -f "$corpus/manifest.json" ]; then
		emit "FAIL: corpus: $corpus/manifest.json is missing (tests/corpus/regen makes it)"
		return
	fi
	echo "e2e: checking the corpus ($corpus)" >&2
	run_lines corpus-verify "$e2e_bin/harness" corpus-verify -corpus "$corpus"
	mkdir -p "$builddir/docs"
	run_lines corpus "$e2e_bin/e2e" -captures "$corpus/manifest.json" \
		-corescope "$builddir/tools/corescope" \
		-unpack "$builddir/tests/corpus-unpacked" \
		-matrix "$builddir/docs/compatibility.md"
}

if ! command -v go >/dev/null 2>&1; then
	emit "SKIP: e2e: no go on PATH; the scenarios are Go programs"
else
	mkdir -p "$e2e_bin"
	if ! (cd "$srcdir/tests" && go build -o "$e2e_bin/harness" ./harness &&
		go build -o "$e2e_bin/e2e" ./e2e) >"$builddir/tests/go-build.log" 2>&1; then
		emit "FAIL: e2e/build: $(tail -n 3 "$builddir/tests/go-build.log" | tr '\n' ' ')"
	else
		# The Go side's own unit tests (truth parsing, the JSON schema
		# reader, manifest handling): one result line per package.
		e2e_gotest() {
			(cd "$srcdir/tests" && go test ./... 2>&1) | awk '
				/^ok[ \t]/ { print "PASS: go-test/" $2; why = ""; next }
				/^FAIL[ \t]+corescope/ { print "FAIL: go-test/" $2 ":" why; why = ""; next }
				/^(---|[ \t]+[^ \t]+\.go:[0-9]+)/ { gsub(/[ \t]+/, " "); why = why " " $0 }'
		}
		run_lines go-test e2e_gotest
		e2e_capture() {
			label=$1; shift
			if ! "$e2e_bin/harness" capture -out "$e2e_work" "$@" \
				>>"$e2e_work/capture.log" 2>&1; then
				emit "FAIL: e2e/capture/$label: harness failed: $(tail -n 2 "$e2e_work/capture.log" | tr '\n' ' ')"
			fi
		}
		if [ "${CORESCOPE_REUSE_CAPTURES:-0}" = 1 ] && [ -f "$e2e_work/captures.json" ]; then
			# A second run of the same tree (CI's sanitizer runs): the
			# cores do not depend on how corescope was built.
			echo "e2e: checking the captures already in $e2e_work (CORESCOPE_REUSE_CAPTURES=1)" >&2
		else
			[ "${CORESCOPE_REUSE_CAPTURES:-0}" = 1 ] &&
				echo "e2e: CORESCOPE_REUSE_CAPTURES=1, but $e2e_work has no captures.json: capturing" >&2
			rm -rf "$e2e_work"
			mkdir -p "$e2e_work"
			echo "e2e: capturing scenario cores into $e2e_work (a few minutes)" >&2
			e2e_capture host -variants "$e2e_variants"
			if [ -x /usr/lib/go-1.19/bin/go ]; then
				e2e_capture go1.19 -go /usr/lib/go-1.19/bin/go -variants "$e2e_variants"
			else
				emit "SKIP: e2e/capture/go1.19: /usr/lib/go-1.19/bin/go not installed (Debian package golang-1.19-go)"
			fi
			for tc in ${CORESCOPE_GO_TOOLCHAINS:-}; do
				e2e_capture "$tc" -go "$tc" -variants default
			done
		fi
		if [ -f "$e2e_work/captures.json" ]; then
			run_lines e2e "$e2e_bin/e2e" -captures "$e2e_work/captures.json" \
				-corescope "$builddir/tools/corescope" ${CORESCOPE_E2E_ONLY:+-only "$CORESCOPE_E2E_ONLY"}
		fi
		e2e_corpus
	fi
	run_lines pclntab sh "$srcdir/tests/pclntab-check.sh" "$builddir"
fi

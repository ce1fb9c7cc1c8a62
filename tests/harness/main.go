// Command harness builds the scenario programs, runs them, captures cores of
// them with gcore and with the kernel, and records oracle outputs
// (eu-readelf) next to each core. See docs/scenarios.md.
//
//	harness capture [-scenarios a,b] [-go CMD] [-experiment X] [-variants default,pie]
//	                [-methods gcore,kernel] [-scale F] [-zstd ARGS] [-out DIR]
//	                [-keep-plain] [-timeout D]
//	harness corpus-add -from WORK/captures.json -corpus tests/corpus
//	harness corpus-verify -corpus tests/corpus
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"corescope/tests/harness/manifest"
)

// variantFlags are the `go build` flags of each build variant.
var variantFlags = map[string][]string{
	"default":  nil,
	"nodwarf":  {"-ldflags=-w"},
	"stripped": {"-ldflags=-s -w"},
	"pie":      {"-buildmode=pie"},
	// The committed corpus: a default build whose DWARF is left
	// uncompressed, so that zstd compresses the executable well (zlib'd
	// sections do not compress again). Same code, same DWARF.
	"corpus": {"-ldflags=-compressdwarf=false"},
}

var allMethods = []string{"gcore", "kernel"}

func usage() {
	fmt.Fprintf(os.Stderr, `usage: harness capture [flags]
       harness corpus-add -from WORK/captures.json -corpus DIR [-budget BYTES]
       harness corpus-verify -corpus DIR

capture builds every scenario (tests/scenarios/*), runs it until it prints
"ready", captures its core with gcore and/or the kernel, saves eu-readelf
-l/-n outputs next to each core, compresses the cores with zstd and writes
DIR/captures.json.

corpus-add copies the ok captures of a capture run into a committed corpus
(tests/corpus, docs/development.md), compresses their executables and
records sizes and checksums in DIR/manifest.json; corpus-verify checks the
corpus's files against that manifest.

`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "capture":
	case "corpus-add":
		corpusAdd(os.Args[2:])
		return
	case "corpus-verify":
		corpusVerify(os.Args[2:])
		return
	default:
		usage()
	}
	fs := flag.NewFlagSet("capture", flag.ExitOnError)
	scen := fs.String("scenarios", "", "comma-separated scenario names (default: all)")
	goCmd := fs.String("go", "go", "go command: a path to a go binary, or goX.Y.Z (host go with GOTOOLCHAIN=goX.Y.Z)")
	experiment := fs.String("experiment", "", "GOEXPERIMENT for the builds (e.g. noswissmap); recorded in the manifest")
	vars := fs.String("variants", "default", "comma-separated build variants: default,nodwarf,stripped,pie,corpus")
	scale := fs.String("scale", "", "CORESCOPE_SCENARIO_SCALE for the scenario runs (a factor for their counts; default 1)")
	zstdArgs := fs.String("zstd", "-3", "zstd compression options for the cores (the corpus uses \"-19 --long=27\")")
	meths := fs.String("methods", "gcore,kernel", "comma-separated capture methods: gcore,kernel")
	out := fs.String("out", filepath.Join(os.TempDir(), "corescope-captures"), "output directory (cores are large: keep it out of the source tree)")
	keepPlain := fs.Bool("keep-plain", false, "keep cores uncompressed")
	timeout := fs.Duration("timeout", 5*time.Minute, "timeout of each step (build, ready, gcore, exit)")
	testsDir := fs.String("tests", "", "the tests module directory (default: found from the working directory)")
	patternFile := fs.String("core-pattern-file", "/proc/sys/kernel/core_pattern", "where to read the kernel's core_pattern (another file tests the SKIP paths)")
	fs.Usage = func() { fs.PrintDefaults(); usage() }
	fs.Parse(os.Args[2:])

	h := &harness{keepPlain: *keepPlain, timeout: *timeout, corePatternFile: *patternFile,
		experiment: *experiment, zstdArgs: strings.Fields(*zstdArgs)}
	if *scale != "" {
		f, err := strconv.ParseFloat(*scale, 64)
		if err != nil || !(f > 0 && f <= 1000) {
			fatalf("-scale %q: want a number in (0, 1000]", *scale)
		}
		h.scale = f
	}
	var err error
	if h.outDir, err = filepath.Abs(*out); err != nil {
		fatalf("%v", err)
	}
	if h.testsDir, err = findTestsDir(*testsDir); err != nil {
		fatalf("%v", err)
	}
	all, err := listScenarios(h.testsDir)
	if err != nil {
		fatalf("%v", err)
	}
	scenarios := all
	if *scen != "" {
		scenarios = splitList(*scen)
		for _, s := range scenarios {
			if !contains(all, s) {
				fatalf("unknown scenario %q (have %s)", s, strings.Join(all, ", "))
			}
		}
	}
	variants := splitList(*vars)
	for _, v := range variants {
		if _, ok := variantFlags[v]; !ok {
			fatalf("unknown variant %q (have default, nodwarf, stripped, pie, corpus)", v)
		}
	}
	h.methods = splitList(*meths)
	for _, m := range h.methods {
		if !contains(allMethods, m) {
			fatalf("unknown method %q (have gcore, kernel)", m)
		}
	}
	if err := os.MkdirAll(h.outDir, 0o755); err != nil {
		fatalf("%v", err)
	}
	if h.tc, err = resolveToolchain(*goCmd, h.experiment); err != nil {
		fatalf("%v", err)
	}
	installSignalHandler()

	mpath := filepath.Join(h.outDir, "captures.json")
	m := &manifest.Manifest{Schema: manifest.SchemaVersion}
	if old, err := manifest.Load(mpath); err == nil {
		m = old // merge: captures of other Go versions/variants/scenarios stay
	} else if !os.IsNotExist(err) {
		fatalf("existing manifest: %v", err)
	}
	m.Host = hostInfo(h.corePatternFile)

	start := time.Now()
	total := len(variants) * len(scenarios) * len(h.methods)
	h.progressTotal = total
	for _, v := range variants {
		for _, s := range scenarios {
			caps := h.captureScenario(s, v)
			waitIfInterrupted()
			m.Captures = mergeCaptures(m.Captures, caps)
			m.Updated = time.Now().UTC().Format(time.RFC3339)
			if err := m.Save(mpath); err != nil {
				fatalf("%v", err)
			}
		}
	}
	waitIfInterrupted()
	counts := map[string]int{}
	for _, c := range m.Captures {
		counts[c.Status]++
	}
	fmt.Fprintf(os.Stderr, "harness: %d captures in %.1fs; manifest %s (ok %d, skip %d, fail %d in total)\n",
		total, time.Since(start).Seconds(), mpath, counts["ok"], counts["skip"], counts["fail"])
}

// mergeCaptures replaces the captures with the same key and keeps the rest,
// sorted by key.
func mergeCaptures(old, add []manifest.Capture) []manifest.Capture {
	keys := map[string]bool{}
	for i := range add {
		keys[add[i].Key()] = true
	}
	var out []manifest.Capture
	for i := range old {
		if !keys[old[i].Key()] {
			out = append(out, old[i])
		}
	}
	out = append(out, add...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

func hostInfo(corePatternFile string) manifest.Host {
	h := manifest.Host{NumCPU: runtime.NumCPU()}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		h.Kernel = utsString(u.Release[:])
	}
	h.CorePattern = readTrim(corePatternFile)
	h.CoreUsesPID = readTrim("/proc/sys/kernel/core_uses_pid")
	if out, err := runCapture(10*time.Second, "", nil, "gdb", "--version"); err == nil {
		h.GDB = strings.SplitN(out, "\n", 2)[0]
	}
	return h
}

func utsString(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fatalf(format string, args ...interface{}) {
	runCleanups()
	fmt.Fprintf(os.Stderr, "harness: "+format+"\n", args...)
	os.Exit(1)
}

// ---------------------------------------------------------------------------
// Cleanup on interrupt: every started process group and every plain core
// file registers a cleanup, removed again once handled normally.

var (
	cleanupMu   sync.Mutex
	cleanupSeq  int
	cleanupFns  = map[int]func(){}
	interrupted bool // set under cleanupMu by the signal handler
)

// errInterrupted is returned by anything that would start a process after
// an interrupt.
var errInterrupted = errors.New("interrupted")

// isInterrupted reports whether the harness is being interrupted. Callers
// about to start a process return errInterrupted.
func isInterrupted() bool {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	return interrupted
}

// waitIfInterrupted blocks forever once interrupted: the signal handler is
// cleaning up and will exit with status 130; the main flow must neither
// write the manifest nor exit 0 meanwhile.
func waitIfInterrupted() {
	if isInterrupted() {
		select {}
	}
}

func addCleanup(f func()) (remove func()) {
	cleanupMu.Lock()
	if interrupted {
		// Too late to register: clean up right away.
		cleanupMu.Unlock()
		f()
		return func() {}
	}
	defer cleanupMu.Unlock()
	cleanupSeq++
	id := cleanupSeq
	cleanupFns[id] = f
	return func() {
		cleanupMu.Lock()
		delete(cleanupFns, id)
		cleanupMu.Unlock()
	}
}

func runCleanups() {
	cleanupMu.Lock()
	interrupted = true
	fns := cleanupFns
	cleanupFns = map[int]func(){}
	cleanupMu.Unlock()
	for _, f := range fns {
		f()
	}
}

func installSignalHandler() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-ch
		fmt.Fprintf(os.Stderr, "harness: %v: killing children and removing plain cores\n", s)
		runCleanups()
		os.Exit(130)
	}()
}

// Command driver runs the corescope benchmark on the cores bench/capture
// made: for each size, the sequential-read reference, corescope's full
// analysis, and the peers (viewcore, goref), all in one run on the same
// cores. It writes bench/results/<date>-<host>-<commit>.json and .md
// (-dirty when the C sources differ from the commit; -2, -3 ... rather
// than overwrite an earlier run).
//
// See docs/performance.md for what each number means.
package main

import (
	"debug/elf"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const arenaBytes = 64 << 20 // heapArenaBytes on linux/amd64

type Truth struct {
	GoVersion   string `json:"go_version"` // the generator's, e.g. go1.26.8 or go1.26.8-X:nogreenteagc
	PID         int    `json:"pid"`
	TargetBytes uint64 `json:"target_bytes"`
	Mem         struct {
		HeapAlloc, HeapObjects, HeapInuse uint64
	} `json:"memstats"`
	HeapLo string `json:"heap_lo"`
	HeapHi string `json:"heap_hi"`
	Leak   struct {
		Root   string `json:"root"`
		Bytes  uint64 `json:"bytes"`
		Header string `json:"header"`
		Sample string `json:"sample"`
	} `json:"leak"`
}

type fileRange struct{ Off, Len int64 }

// Reference is the physical limit: the core's bytes read sequentially
// from the page cache.
type Reference struct {
	What         string    `json:"what"`
	HeapBytes    int64     `json:"heap_bytes"`  // PT_LOAD file bytes inside the heap arenas
	HeapRead     float64   `json:"heap_read_s"` // median
	HeapReadRuns []float64 `json:"heap_read_runs_s"`
	HeapGBps     float64   `json:"heap_gb_per_s"`
	CoreBytes    int64     `json:"core_bytes"`
	CoreRead     float64   `json:"core_read_s"` // median, whole file
	CoreReadRuns []float64 `json:"core_read_runs_s"`
	ArenaLo      string    `json:"arena_lo"`
	ArenaHi      string    `json:"arena_hi"`
}

// Counts are what corescope's overview --json says about the heap.
type Counts struct {
	Objects     uint64 `json:"objects"`
	ObjectBytes uint64 `json:"object_bytes"`
	LiveObjects uint64 `json:"live_objects"`
	LiveBytes   uint64 `json:"live_bytes"`
	Edges       uint64 `json:"edges"`
	Arenas      uint64 `json:"arenas"`
	ArenaBytes  uint64 `json:"arena_bytes"`
}

type Measurement struct {
	Tool    string  `json:"tool"`    // corescope, viewcore, goref
	Command string  `json:"command"` // e.g. "leaks (plain core)"
	Input   string  `json:"input"`   // plain or zst
	Stats   Stats   `json:"stats"`
	Runs    []Run   `json:"runs"`
	Note    string  `json:"note,omitempty"` // what the output says (checks against the truth)
	ObjPerS float64 `json:"objects_per_s,omitempty"`
	BPerS   float64 `json:"heap_bytes_per_s,omitempty"`
	XRef    float64 `json:"x_reference,omitempty"` // wall / heap sequential read
	// A peer's histogram: the share of corescope's live objects it
	// counted.  Far below 1, its time is for less work than corescope's.
	Seen float64 `json:"objects_seen,omitempty"`
}

type SizeResult struct {
	Size         string        `json:"size"`
	Dir          string        `json:"dir"`
	Truth        Truth         `json:"truth"`
	Counts       Counts        `json:"corescope_counts"`
	CountCheck   string        `json:"count_check"`
	CoreZstBytes int64         `json:"core_zst_bytes"`
	Reference    Reference     `json:"reference"`
	Measurements []Measurement `json:"measurements"`
	BudgetKB     int64         `json:"rss_budget_kb"` // 32 B/object + 8 B/edge
}

type Results struct {
	Date      string            `json:"date"`
	Host      string            `json:"host"`
	Machine   string            `json:"machine"`
	Corescope string            `json:"corescope"`
	Version   string            `json:"corescope_version"`
	Commit    string            `json:"corescope_commit"`
	Peers     map[string]string `json:"peers"`
	Sizes     []*SizeResult     `json:"sizes"`
	Targets   []Target          `json:"targets"`
}

var (
	benchDir  = flag.String("dir", envOr("CORESCOPE_BENCH_DIR", "/var/tmp/corescope-bench"), "where bench/capture keeps the cores")
	corescope = flag.String("corescope", "tools/corescope", "the corescope binary")
	sizes     = flag.String("sizes", "256MiB,1GiB,4GiB", "sizes to run, in order (those without a core are skipped)")
	reps      = flag.Int("reps", 3, "runs of each corescope command and of the reference")
	peerReps  = flag.Int("peer-reps", 3, "runs of each peer command")
	peers     = flag.String("peers", "viewcore,goref", "peers to run (empty: none)")
	peerBin   = flag.String("peer-bin", envOr("CORESCOPE_PEER_BIN", ""), "directory with viewcore and grf (default DIR/bin)")
	zstRuns   = flag.Bool("zst", true, "also time corescope on the .zst core")
	keepPlain = flag.Bool("keep-plain", false, "keep the decompressed plain cores")
	outDir    = flag.String("out", "bench/results", "where to write results")
	timeout   = flag.Duration("timeout", 20*time.Minute, "kill a command after this long")
	maxRSSGiB = flag.Float64("max-rss", 16, "kill a command whose RSS exceeds this many GiB")
	extra     = flag.String("corescope-args", "", "extra arguments for every corescope run (e.g. -j1)")
	render    = flag.String("render", "", "only re-evaluate the targets of this results .json and rewrite it and its .md")
)

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s driver: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

func die(format string, a ...any) {
	logf(format, a...)
	os.Exit(1)
}

func main() {
	flag.Parse()
	if *render != "" {
		var res Results
		if err := readJSON(*render, &res); err != nil {
			die("%v", err)
		}
		for _, sr := range res.Sizes {
			for i := range sr.Measurements {
				m := &sr.Measurements[i]
				finish(sr, m)
				// results written before objects_seen: it is in the note
				if g := seenNote.FindStringSubmatch(m.Note); m.Seen == 0 && g != nil {
					m.Seen, _ = strconv.ParseFloat(g[1], 64)
					m.Seen /= 100
				}
			}
		}
		res.Targets = evaluate(res.Sizes)
		writeTo(&res, strings.TrimSuffix(*render, ".json"))
		return
	}
	if *peerBin == "" {
		*peerBin = filepath.Join(*benchDir, "bin")
	}
	cs, err := filepath.Abs(*corescope)
	if err != nil {
		die("%v", err)
	}
	host, _ := os.Hostname()
	res := &Results{
		Date: time.Now().UTC().Format(time.RFC3339), Host: host, Machine: machine(),
		Corescope: cs, Peers: map[string]string{},
	}
	if out, err := exec.Command(cs, "--version").Output(); err == nil {
		res.Version = strings.TrimSpace(string(out))
	}
	// The commit of the checkout the driver runs in (bench/run runs it at
	// the top of the tree), "+dirty" when the C sources differ from it.
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		res.Commit = strings.TrimSpace(string(out))
		if out, err := exec.Command("git", "status", "--porcelain", "-uno", "--", "common", "corewalk", "heapscan", "refgraph", "tools").Output(); err == nil && len(out) > 0 {
			res.Commit += "+dirty"
		}
	}
	if b, err := os.ReadFile(filepath.Join(*peerBin, "peers.txt")); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if k, v, ok := strings.Cut(l, ": "); ok {
				res.Peers[k] = v
			}
		}
	}
	for _, size := range strings.Split(*sizes, ",") {
		dir := filepath.Join(*benchDir, size)
		if _, err := os.Stat(filepath.Join(dir, "core.zst")); err != nil {
			logf("%s: no core (run bench/capture %s): skipped", size, size)
			continue
		}
		sr := runSize(size, dir, cs)
		res.Sizes = append(res.Sizes, sr)
		res.Targets = evaluate(res.Sizes)
		write(res) // after every size, so a later failure keeps what was measured
	}
	if len(res.Sizes) == 0 {
		die("no cores in %s: run bench/capture first", *benchDir)
	}
}

func machine() string {
	var parts []string
	if out, err := exec.Command("sh", "-c", "lscpu | sed -n 's/^Model name: *//p' | head -1").Output(); err == nil {
		parts = append(parts, strings.TrimSpace(string(out)))
	}
	parts = append(parts, fmt.Sprintf("%d CPUs", runtime.NumCPU()))
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		parts = append(parts, fmt.Sprintf("%.1f GiB RAM", float64(kb)/(1<<20)))
	}
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		parts = append(parts, strings.TrimSpace(string(out)))
	}
	return strings.Join(parts, ", ")
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func runSize(size, dir, cs string) *SizeResult {
	sr := &SizeResult{Size: size, Dir: dir}
	if err := readJSON(filepath.Join(dir, "truth.json"), &sr.Truth); err != nil {
		die("%s: %v", size, err)
	}
	exe := filepath.Join(dir, "exe")
	zst := filepath.Join(dir, "core.zst")
	plain := filepath.Join(dir, "core")
	if st, err := os.Stat(zst); err == nil {
		sr.CoreZstBytes = st.Size()
	}
	if _, err := os.Stat(plain); err != nil {
		logf("%s: decompressing %s", size, zst)
		// --no-sparse: the plain core has every byte on disk and in the
		// page cache, as gcore wrote it; holes would make the reference
		// read of free pages unrealistically cheap.
		if out, err := exec.Command("zstd", "-q", "-d", "--no-sparse", "-f", zst, "-o", plain).CombinedOutput(); err != nil {
			die("%s: zstd: %v: %s", size, err, out)
		}
		// The kernel writes the new file's gigabytes back to disk for
		// seconds after zstd exits: wait for that here, so that it does
		// not share the machine with the first measurements.
		t0 := time.Now()
		syscall.Sync()
		logf("%s: sync took %.1fs", size, time.Since(t0).Seconds())
	}
	if !*keepPlain {
		defer os.Remove(plain)
	}
	lim := Limits{Timeout: *timeout, MaxRSS: int64(*maxRSSGiB * (1 << 20))}
	work := filepath.Join(dir, "out")
	os.MkdirAll(work, 0o755)

	sr.Reference = reference(size, plain, sr.Truth)
	csArgs := func(args ...string) []string {
		argv := []string{cs}
		argv = append(argv, strings.Fields(*extra)...)
		return append(append(argv, args...), "--exe", exe, "-q", "--no-progress")
	}

	// Counts first: they give objects/s and bytes/s for every measurement.
	ov := measure(csArgs("overview", "--json", plain), dir, filepath.Join(work, "overview.json"), lim)
	var ovDoc struct {
		Result struct {
			Heap Counts `json:"heap"`
		} `json:"result"`
	}
	if ov.Failure != "" || readJSON(ov.Stdout, &ovDoc) != nil {
		die("%s: corescope overview failed: %s %s", size, ov.Failure, ov.StderrTail)
	}
	sr.Counts = ovDoc.Result.Heap
	sr.CountCheck = fmt.Sprintf("corescope %d objects, %d bytes; runtime.ReadMemStats %d objects, %d bytes",
		sr.Counts.Objects, sr.Counts.ObjectBytes, sr.Truth.Mem.HeapObjects, sr.Truth.Mem.HeapAlloc)
	// The generator ran runtime.GC() just before writing its truth, so
	// (nearly) every object in the core is live: a live count well below
	// HeapObjects means corescope missed references, and its timings
	// cover less work than the heap holds.
	if live := float64(sr.Counts.LiveObjects) / float64(sr.Truth.Mem.HeapObjects); live < 0.99 {
		sr.CountCheck += fmt.Sprintf("; WRONG: corescope finds only %.1f%% of the objects live (%d of %d), the generator's heap is all live after runtime.GC()",
			100*live, sr.Counts.LiveObjects, sr.Truth.Mem.HeapObjects)
	} else {
		sr.CountCheck += fmt.Sprintf("; %.2f%% of them live", 100*live)
	}
	sr.BudgetKB = int64(32*sr.Counts.Objects+8*sr.Counts.Edges) / 1024
	logf("%s: %s; %d edges", size, sr.CountCheck, sr.Counts.Edges)

	add := func(m Measurement) {
		finish(sr, &m)
		st := m.Stats
		ok := ""
		if st.Failed < st.N {
			// Medians are over the runs that succeeded; with none they are zeros, not times.
			ok = fmt.Sprintf("wall %.2fs (%.2f..%.2f) cpu %.2fs maxrss %d MiB anon %d MiB, ",
				st.Wall, st.WallMin, st.WallMax, st.CPU, st.MaxRSSKB/1024, st.PeakAnonKB/1024)
		}
		failed := ""
		if st.Failed > 0 {
			failed = fmt.Sprintf(" (last failure after %.2fs: %s)", st.FailedWall, oneLine(st.Failure))
		}
		logf("%s: %s %s: %s%d/%d failed%s %s", size, m.Tool, m.Command, ok, st.Failed, st.N, failed, m.Note)
		sr.Measurements = append(sr.Measurements, m)
	}
	corescopeRuns := func(input, core string) {
		for _, c := range []struct {
			name string
			args []string
		}{
			{"leaks", []string{"leaks", "--json"}},
			{"histogram", []string{"histogram", "--json", "-n", "0"}},
			// the full analysis: overview, leaks and histogram from one graph
			{"report", []string{"report", "--json", "-n", "0"}},
		} {
			m := Measurement{Tool: "corescope", Command: c.name, Input: input}
			for i := 0; i < *reps; i++ {
				out := filepath.Join(work, fmt.Sprintf("corescope-%s-%s.json", c.name, input))
				m.Runs = append(m.Runs, measure(csArgs(append(c.args, core)...), dir, out, lim))
			}
			if c.name == "leaks" || c.name == "report" {
				m.Note = checkLeaks(m.Runs[len(m.Runs)-1].Stdout, sr.Truth, c.name == "report")
			}
			add(m)
		}
	}
	corescopeRuns("plain", plain)
	if *zstRuns {
		corescopeRuns("zst", zst)
	}
	for _, p := range strings.Split(*peers, ",") {
		switch strings.TrimSpace(p) {
		case "viewcore":
			add(viewcoreHistogram(sr, plain, exe, work, lim))
			add(viewcoreReachable(sr, plain, exe, work, lim))
		case "goref":
			add(goref(sr, plain, exe, work, lim))
		}
	}
	return sr
}

// finish computes a measurement's medians and rates from its runs.
func finish(sr *SizeResult, m *Measurement) {
	m.Stats = summarize(m.Runs)
	m.ObjPerS, m.BPerS, m.XRef = 0, 0, 0
	if m.Stats.Wall > 0 { // rates over the runs that finished
		m.ObjPerS = float64(sr.Counts.Objects) / m.Stats.Wall
		m.BPerS = float64(sr.Counts.ObjectBytes) / m.Stats.Wall
		if sr.Reference.HeapRead > 0 {
			m.XRef = m.Stats.Wall / sr.Reference.HeapRead
		}
	}
}

// reference finds the PT_LOAD file ranges inside the heap arenas (the
// 64 MiB-aligned span of every address the generator allocated), warms the
// page cache with one read of the whole core, then times sequential reads
// of those ranges and of the whole file.
func reference(size, plain string, t Truth) Reference {
	lo, err1 := strconv.ParseUint(strings.TrimPrefix(t.HeapLo, "0x"), 16, 64)
	hi, err2 := strconv.ParseUint(strings.TrimPrefix(t.HeapHi, "0x"), 16, 64)
	if err1 != nil || err2 != nil {
		die("%s: truth has no heap_lo/heap_hi", size)
	}
	lo &^= arenaBytes - 1
	hi = (hi + arenaBytes - 1) &^ (arenaBytes - 1)
	f, err := elf.Open(plain)
	if err != nil {
		die("%s: %v", size, err)
	}
	var heap []fileRange
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Filesz == 0 {
			continue
		}
		s, e := max(p.Vaddr, lo), min(p.Vaddr+p.Filesz, hi)
		if s < e {
			heap = append(heap, fileRange{Off: int64(p.Off + (s - p.Vaddr)), Len: int64(e - s)})
		}
	}
	f.Close()
	st, err := os.Stat(plain)
	if err != nil {
		die("%s: %v", size, err)
	}
	whole := []fileRange{{0, st.Size()}}
	ref := Reference{
		What: "read(2) in 1 MiB blocks from the page cache, after one warming read of the whole core: " +
			"heap = the core's PT_LOAD bytes inside the 64 MiB heap arenas spanning every address the generator allocated",
		CoreBytes: st.Size(), ArenaLo: fmt.Sprintf("%#x", lo), ArenaHi: fmt.Sprintf("%#x", hi),
	}
	if _, _, err := readSequential(plain, whole); err != nil {
		die("%s: warming read: %v", size, err)
	}
	for i := 0; i < *reps; i++ {
		s, n, err := readSequential(plain, heap)
		if err != nil {
			die("%s: %v", size, err)
		}
		ref.HeapBytes = n
		ref.HeapReadRuns = append(ref.HeapReadRuns, s)
		s, _, err = readSequential(plain, whole)
		if err != nil {
			die("%s: %v", size, err)
		}
		ref.CoreReadRuns = append(ref.CoreReadRuns, s)
	}
	ref.HeapRead, ref.CoreRead = median(ref.HeapReadRuns), median(ref.CoreReadRuns)
	ref.HeapGBps = float64(ref.HeapBytes) / ref.HeapRead / 1e9
	logf("%s: reference: heap %d MiB in %.3fs (%.2f GB/s); whole core %d MiB in %.3fs",
		size, ref.HeapBytes>>20, ref.HeapRead, ref.HeapGBps, ref.CoreBytes>>20, ref.CoreRead)
	return ref
}

// checkLeaks says whether corescope's first leak suspect is the planted one.
// checkLeaks finds the planted leak among the suspects of `leaks --json`,
// or of `report --json` (its result.leaks) when inReport.
func checkLeaks(path string, t Truth, inReport bool) string {
	type suspects struct {
		Suspects []struct {
			Name     string `json:"name"`
			Retained uint64 `json:"retained"`
		} `json:"suspects"`
	}
	var doc struct {
		Result json.RawMessage `json:"result"`
	}
	var res suspects
	if readJSON(path, &doc) != nil {
		return "no JSON output"
	}
	raw := []byte(doc.Result)
	if inReport {
		var rep struct {
			Leaks json.RawMessage `json:"leaks"`
		}
		if json.Unmarshal(raw, &rep) != nil {
			return "no report in the JSON output"
		}
		raw = rep.Leaks
	}
	if json.Unmarshal(raw, &res) != nil {
		return "no leak suspects in the JSON output"
	}
	for i, s := range res.Suspects {
		if s.Name == t.Leak.Root {
			return fmt.Sprintf("planted leak %s is suspect %d of %d, retains %d B (truth %d B, %+.1f%%)",
				s.Name, i+1, len(res.Suspects), s.Retained, t.Leak.Bytes,
				100*(float64(s.Retained)-float64(t.Leak.Bytes))/float64(t.Leak.Bytes))
		}
	}
	return fmt.Sprintf("planted leak %s NOT among %d suspects", t.Leak.Root, len(res.Suspects))
}

var histLine = regexp.MustCompile(`^\s*(\d+)\s+(\d+)\s+(\d+)\s+\S`)

func viewcoreHistogram(sr *SizeResult, plain, exe, work string, lim Limits) Measurement {
	m := Measurement{Tool: "viewcore", Command: "histogram", Input: "plain"}
	out := filepath.Join(work, "viewcore-histogram.txt")
	for i := 0; i < *peerReps; i++ {
		r := measure([]string{filepath.Join(*peerBin, "viewcore"), plain, "--exe", exe, "histogram"}, work, out, lim)
		m.Runs = append(m.Runs, r)
		if r.Failure != "" {
			break // a failure repeats; do not spend the machine on it
		}
	}
	if b, err := os.ReadFile(out); err == nil {
		var objs, bytes uint64
		for _, l := range strings.Split(string(b), "\n") {
			if g := histLine.FindStringSubmatch(l); g != nil {
				n, _ := strconv.ParseUint(g[1], 10, 64)
				b, _ := strconv.ParseUint(g[3], 10, 64)
				objs += n
				bytes += b
			}
		}
		m.Seen = pct(objs, sr.Counts.LiveObjects) / 100
		m.Note = fmt.Sprintf("histogram totals %d objects, %d bytes (%.1f%% / %.1f%% of corescope's live %d objects, %d bytes)",
			objs, bytes, pct(objs, sr.Counts.LiveObjects), pct(bytes, sr.Counts.LiveBytes), sr.Counts.LiveObjects, sr.Counts.LiveBytes)
	}
	return m
}

func viewcoreReachable(sr *SizeResult, plain, exe, work string, lim Limits) Measurement {
	m := Measurement{Tool: "viewcore", Command: "reachable " + sr.Truth.Leak.Sample, Input: "plain"}
	out := filepath.Join(work, "viewcore-reachable.txt")
	for i := 0; i < *peerReps; i++ {
		r := measure([]string{filepath.Join(*peerBin, "viewcore"), plain, "--exe", exe, "reachable", strings.TrimPrefix(sr.Truth.Leak.Sample, "0x")}, work, out, lim)
		m.Runs = append(m.Runs, r)
		if r.Failure != "" {
			break
		}
	}
	b, _ := os.ReadFile(out)
	text := strings.TrimSpace(string(b))
	if strings.Contains(text, "sessionCache") {
		m.Note = "path found from " + sr.Truth.Leak.Root
	} else {
		if len(text) > 300 {
			text = text[:300] + "…"
		}
		m.Note = "no path from the planted root; output: " + strconv.Quote(text)
	}
	return m
}

var pprofTotal = regexp.MustCompile(`of ([\d.]+)([kMGT]?B)? total`)

func goref(sr *SizeResult, plain, exe, work string, lim Limits) Measurement {
	m := Measurement{Tool: "goref", Command: "grf core", Input: "plain"}
	gdir := filepath.Join(work, "goref")
	os.MkdirAll(gdir, 0o755)
	for i := 0; i < *peerReps; i++ {
		os.Remove(filepath.Join(gdir, "grf.out"))
		r := measure([]string{filepath.Join(*peerBin, "grf"), "core", exe, plain}, gdir, filepath.Join(gdir, "stdout.txt"), lim)
		m.Runs = append(m.Runs, r)
		if r.Failure == "" {
			if _, err := os.Stat(filepath.Join(gdir, "grf.out")); err != nil {
				m.Runs[len(m.Runs)-1].Failure = "exit 0 but wrote no grf.out"
			}
		}
		if m.Runs[len(m.Runs)-1].Failure != "" {
			break
		}
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=12", "-sample_index=inuse_space", filepath.Join(gdir, "grf.out")).CombinedOutput()
	if err != nil {
		m.Note = "no profile to read"
		return m
	}
	text := string(out)
	total := ""
	if g := pprofTotal.FindStringSubmatch(text); g != nil {
		total = g[1] + g[2]
	}
	found := "does not name"
	if strings.Contains(text, sr.Truth.Leak.Root) {
		found = "names"
	}
	m.Note = fmt.Sprintf("profile total %s in use; its top 12 by cumulative size %s %s", total, found, sr.Truth.Leak.Root)
	return m
}

var seenNote = regexp.MustCompile(`\(([0-9.]+)% / [0-9.]+% of corescope's live`)

func pct(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

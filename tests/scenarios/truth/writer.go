package truth

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Profiling every allocation makes the heap profile exact for planted
// objects. This initializer runs when package truth is initialized, which is
// before any package-level variable of the importing scenario (package main)
// is initialized, so before anything the scenario allocates. Scenarios call
// ExactHeapProfile from their own first package-level initializer as well,
// so the intent is visible where the reader looks.
var _ = ExactHeapProfile()

// ExactHeapProfile sets runtime.MemProfileRate = 1 and returns true. It is
// meant for package-level initializers: var _ = truth.ExactHeapProfile().
func ExactHeapProfile() bool {
	runtime.MemProfileRate = 1
	return true
}

// Flags are the command-line flags every scenario accepts.
type Flags struct {
	TruthPath string
	PprofPath string
}

// ParseFlags parses -truth PATH [-pprof PATH].
func ParseFlags() Flags {
	var f Flags
	flag.StringVar(&f.TruthPath, "truth", "", "write the truth JSON to `PATH` (required)")
	flag.StringVar(&f.PprofPath, "pprof", "", "write a heap profile to `PATH` (same directory as the truth)")
	flag.Parse()
	if f.TruthPath == "" {
		fmt.Fprintln(os.Stderr, "usage: scenario -truth PATH [-pprof PATH]")
		os.Exit(2)
	}
	return f
}

// New starts a truth for the named scenario. Scenarios append Objects and
// set summary fields, then call Finish.
func New(scenario string) *Truth {
	return &Truth{
		Schema:   SchemaVersion,
		Scenario: scenario,
		Scale:    Scale(),
		Summary:  map[string]interface{}{},
	}
}

// ScaleEnv is the environment variable that scales the scenarios' counts
// (handlers, goroutines, map entries): a factor in (0, 1000], 1 when unset.
// The committed corpus (tests/corpus) is captured at a small scale to stay
// small; the truth records the factor and every count that results.
const ScaleEnv = "CORESCOPE_SCENARIO_SCALE"

// Scale returns the factor from ScaleEnv; an unparsable or out-of-range
// value is a setup error (exit 1), never silently 1.
func Scale() float64 {
	s := os.Getenv(ScaleEnv)
	if s == "" {
		return 1
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f <= 1000) {
		Fatalf("%s=%q: want a number in (0, 1000]", ScaleEnv, s)
	}
	return f
}

// Scaled returns n times the scale, rounded, and at least 1.
func Scaled(n int) int {
	v := int(float64(n)*Scale() + 0.5)
	if v < 1 {
		v = 1
	}
	return v
}

// Add appends a planted object. It takes the address as a number, so the
// truth never keeps a planted object alive by itself.
func (t *Truth) Add(o Object) { t.Objects = append(t.Objects, o) }

// FinishOptions tune Finish.
type FinishOptions struct {
	// AfterSettle runs after the settling GCs and before anything else is
	// collected. It may allocate a little (sync.Pool puts, planted
	// garbage); nothing may run a GC afterwards.
	AfterSettle func(t *Truth)
	// SettleTimeout bounds the wait for planted goroutines to block.
	SettleTimeout time.Duration
}

// Finish settles the heap, collects the truth, writes it, prints "ready"
// and never returns. On any error it prints the error and exits 1, so the
// harness sees a failed scenario instead of a wrong truth.
//
// Order (docs/scenarios.md explains why):
//  1. warm up time.Sleep (allocates the goroutine's timer once);
//  2. wait until every goroutine but this one is blocked;
//  3. runtime.GC() twice: the heap profile publishes an allocation only at
//     the end of the cycle after it ("may be up to two garbage collection
//     cycles old", runtime.MemProfile), and the second cycle also sweeps
//     what the first one freed;
//  4. opts.AfterSettle;
//  5. runtime.Stack(all=true) and runtime.NumGoroutine();
//  6. heap profile (if -pprof): it describes the heap as of step 3;
//  7. runtime.ReadMemStats;
//  8. /proc/self/task, encode, write the truth (temp+rename), re-read
//     /proc/self/task and repeat if a thread appeared;
//  9. ReadMemStats again into the memstats_ready sidecar;
//  10. print "ready", then sleep forever.
//
// Allocations after step 7 come only from encoding and writing the truth
// and the sidecar.
func (t *Truth) Finish(f Flags, opts FinishOptions) {
	if err := t.finish(f, opts); err != nil {
		fmt.Fprintf(os.Stderr, "%s: truth: %v\n", t.Scenario, err)
		os.Exit(1)
	}
	os.Stdout.Write(readyLine)
	for {
		time.Sleep(time.Hour)
	}
}

var readyLine = []byte("ready\n")

func (t *Truth) finish(f Flags, opts FinishOptions) error {
	if opts.SettleTimeout == 0 {
		opts.SettleTimeout = 30 * time.Second
	}
	dir := filepath.Dir(f.TruthPath)
	t.MemProfileRate = runtime.MemProfileRate
	t.PID = os.Getpid()
	t.GoVersion = runtime.Version()
	t.GOARCH = runtime.GOARCH
	t.GOOS = runtime.GOOS
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	t.Executable = exe
	t.Build = readBuild()
	seq := []string{}
	step := stepLogger()

	// 1. The first time.Sleep of a goroutine allocates its timer (all
	//    releases); do it now so the final sleep allocates nothing.
	time.Sleep(time.Millisecond)
	seq = append(seq, "sleep-warmup")
	step("sleep-warmup")

	// 2. Wait for planted goroutines to block.
	if err := waitBlocked(opts.SettleTimeout); err != nil {
		return err
	}
	seq = append(seq, "wait-blocked")
	step("wait-blocked")

	// 3. Settle.
	runtime.GC()
	runtime.GC()
	t.Settle.GCCalls = 2
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Settle.NumGC = ms.NumGC
	seq = append(seq, "gc", "gc")
	step("gc")

	// 4.
	if opts.AfterSettle != nil {
		opts.AfterSettle(t)
		seq = append(seq, "after-settle")
		step("after-settle")
	}

	// 5.
	if err := t.collectGoroutines(); err != nil {
		return err
	}
	seq = append(seq, "goroutines")
	step("goroutines")

	// 6.
	if f.PprofPath != "" {
		if filepath.Dir(f.PprofPath) != dir {
			return fmt.Errorf("-pprof %s must be in the truth's directory %s", f.PprofPath, dir)
		}
		if err := writeFileAtomic(f.PprofPath, func(w *os.File) error { return pprof.WriteHeapProfile(w) }); err != nil {
			return err
		}
		t.HeapProfile = filepath.Base(f.PprofPath)
		seq = append(seq, "heap-profile")
		step("heap-profile")
	}

	// 7.
	runtime.ReadMemStats(&ms)
	t.MemStats = memStatsMap(&ms)
	seq = append(seq, "memstats")
	if ms.NumGC != t.Settle.NumGC {
		// The truth (pool contents, garbage, memstats) assumes no GC after
		// the settling ones.
		return fmt.Errorf("%d GC cycles ran while the truth was collected", ms.NumGC-t.Settle.NumGC)
	}
	sidecar := strings.TrimSuffix(filepath.Base(f.TruthPath), ".json") + ".memstats-ready.json"
	t.MemStatsReady = sidecar
	seq = append(seq, "threads", "write-truth", "memstats-ready", "ready")
	t.Settle.Sequence = seq

	// 8. Write the truth with the thread list read just before; if a thread
	//    appeared meanwhile, write it again.
	for attempt := 0; ; attempt++ {
		before, err := threads()
		if err != nil {
			return err
		}
		t.Threads = before
		b, err := json.MarshalIndent(t, "", "  ")
		if err != nil {
			return err
		}
		b = append(b, '\n')
		if err := writeFileAtomic(f.TruthPath, func(w *os.File) error { _, err := w.Write(b); return err }); err != nil {
			return err
		}
		after, err := threads()
		if err != nil {
			return err
		}
		if equalInts(before, after) {
			break
		}
		if attempt == 4 {
			return fmt.Errorf("thread set keeps changing: %v -> %v", before, after)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// 9.
	runtime.ReadMemStats(&ms)
	side := struct {
		Note     string                 `json:"note"`
		MemStats map[string]json.Number `json:"memstats"`
	}{
		Note:     "runtime.MemStats read after the truth file was written, just before ready",
		MemStats: memStatsMap(&ms),
	}
	b, err := json.MarshalIndent(side, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, sidecar), func(w *os.File) error { _, err := w.Write(append(b, '\n')); return err })
}

// stepLogger returns a function that logs the time and NumGC of each step
// to stderr when CORESCOPE_TRUTH_DEBUG is set (ReadMemStats stops the world;
// it does not allocate).
func stepLogger() func(string) {
	if os.Getenv("CORESCOPE_TRUTH_DEBUG") == "" {
		return func(string) {}
	}
	start := time.Now()
	return func(name string) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "truth: %-14s %8.3fs NumGC=%d HeapAlloc=%d\n", name, time.Since(start).Seconds(), ms.NumGC, ms.HeapAlloc)
	}
}

// waitBlocked polls until no goroutine other than the caller is running or
// runnable.
func waitBlocked(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		gs := stackAll()
		busy := 0
		for i := range gs {
			st, _ := StatusOf(gs[i].RawStatus)
			if st == "running" || st == "runnable" {
				busy++
			}
		}
		if busy <= 1 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d goroutines still running/runnable after %v", busy-1, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func stackAll() []TracebackGoroutine {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return ParseTraceback(string(buf[:n]))
		}
		buf = make([]byte, 2*len(buf))
	}
}

func selfGoid() int64 {
	var b [64]byte
	n := runtime.Stack(b[:], false)
	gs := ParseTraceback(string(b[:n]))
	if len(gs) == 0 {
		// 64 bytes hold at least the header line.
		s := strings.TrimPrefix(string(b[:n]), "goroutine ")
		if i := strings.IndexByte(s, ' '); i > 0 {
			id, _ := strconv.ParseInt(s[:i], 10, 64)
			return id
		}
		return 0
	}
	return gs[0].Goid
}

// GoID returns the calling goroutine's id, parsed from runtime.Stack.
func GoID() int64 { return selfGoid() }

func (t *Truth) collectGoroutines() error {
	self := selfGoid()
	for attempt := 0; ; attempt++ {
		n1 := runtime.NumGoroutine()
		gs := stackAll()
		n2 := runtime.NumGoroutine()
		if n1 == n2 && n1 == len(gs) {
			t.Goroutines = summarize(gs, self)
			return nil
		}
		if attempt == 20 {
			return fmt.Errorf("runtime.Stack lists %d goroutines, NumGoroutine says %d then %d", len(gs), n1, n2)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func summarize(gs []TracebackGoroutine, self int64) Goroutines {
	out := Goroutines{
		Total:        len(gs),
		ByState:      map[string]int{"running": 0, "runnable": 0, "waiting": 0, "syscall": 0},
		ByWaitReason: map[string]int{},
		SelfGoid:     self,
	}
	for i := range gs {
		g := &gs[i]
		st, why := StatusOf(g.RawStatus)
		e := Goroutine{
			Goid: g.Goid, State: st, WaitReason: why, RawStatus: g.RawStatus,
			TopFunction: g.Top(), StartFunction: g.Start(), CreatedBy: g.CreatedBy,
		}
		if g.Goid == self {
			// From "ready" on, this goroutine sleeps in time.Sleep.
			e.Self = true
			e.ObservedState, e.ObservedWaitReason, e.ObservedTopFunction = st, why, e.TopFunction
			e.State, e.WaitReason, e.TopFunction = "waiting", "sleep", "time.Sleep"
			e.RawStatus = "sleep"
		}
		out.ByState[e.State]++
		if e.WaitReason != "" {
			out.ByWaitReason[e.WaitReason]++
		}
		out.List = append(out.List, e)
	}
	sort.Slice(out.List, func(i, j int) bool { return out.List[i].Goid < out.List[j].Goid })
	return out
}

func threads() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	var ids []int
	for _, e := range ents {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ids = append(ids, id)
	}
	sort.Ints(ids)
	if len(ids) == 0 {
		return nil, errors.New("/proc/self/task is empty")
	}
	return ids, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// memStatsMap returns every scalar numeric field of runtime.MemStats.
func memStatsMap(ms *runtime.MemStats) map[string]json.Number {
	out := map[string]json.Number{}
	v := reflect.ValueOf(ms).Elem()
	ty := v.Type()
	for i := 0; i < ty.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Uint64, reflect.Uint32:
			out[ty.Field(i).Name] = json.Number(strconv.FormatUint(f.Uint(), 10))
		case reflect.Float64:
			out[ty.Field(i).Name] = json.Number(strconv.FormatFloat(f.Float(), 'g', -1, 64))
		}
	}
	return out
}

func readBuild() Build {
	b := Build{Settings: map[string]string{}}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.GoVersion = bi.GoVersion
		b.Path = bi.Path
		for _, s := range bi.Settings {
			b.Settings[s.Key] = s.Value
		}
	}
	return b
}

func writeFileAtomic(path string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ---------------------------------------------------------------------------
// Helpers for planting objects.

// FillBytes writes the pattern byte(i*31 + k) into b and returns its Fill.
func FillBytes(b []byte, i int) *Fill {
	for k := range b {
		b[k] = byte(i*31 + k)
	}
	return &Fill{Formula: "byte(i*31 + k)", I: i}
}

// CheckFill verifies the pattern (used by scenarios before they record an
// object, to catch a planted buffer that was overwritten).
func CheckFill(b []byte, f *Fill) error {
	for k := range b {
		if b[k] != f.Byte(uint64(k)) {
			return fmt.Errorf("byte %d is %#x, want %#x", k, b[k], f.Byte(uint64(k)))
		}
	}
	return nil
}

// SliceData returns the address of a slice's backing array (cap > 0).
func SliceData(b []byte) Addr {
	return Addr(uintptr(unsafe.Pointer(&b[:1][0])))
}

// Ptr returns the address held by a pointer.
func Ptr(p unsafe.Pointer) Addr { return Addr(uintptr(p)) }

// U64 returns a pointer to v (for the optional len/cap fields).
func U64(v int) *uint64 { u := uint64(v); return &u }

// ArrayType names the backing array of a slice as reflect prints array
// types: ArrayType(1048576, "uint8") = "[1048576]uint8".
func ArrayType(n int, elem string) string { return fmt.Sprintf("[%d]%s", n, elem) }

// TypeName is reflect's name of v's type.
func TypeName(v interface{}) string { return reflect.TypeOf(v).String() }

// Fatalf reports a scenario setup error and exits 1.
func Fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "scenario: "+format+"\n", args...)
	os.Exit(1)
}

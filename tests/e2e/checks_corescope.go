package main

// Checks that run corescope on a capture and compare its answers with
// what the scenario wrote about itself, with the runtime's own crash
// traceback, and with the runtime's accounting inside the core.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"corescope/tests/harness/manifest"
	"corescope/tests/scenarios/truth"
)

func init() {
	registry = append(registry,
		Check{Group: "corewalk", Name: "info", Run: checkInfo},
		Check{Group: "corewalk", Name: "version-overlay", Methods: []string{"kernel"}, When: notStripped, Run: checkVersionOverlay},
		Check{Group: "corewalk", Name: "zst-identical", When: isDefault, Run: checkZstIdentical},
		Check{Group: "corewalk", Name: "native-backtrace", When: hasCThreads, Run: checkNativeBacktrace},
		Check{Group: "heapscan", Name: "stripped-refused", When: stripped, Run: checkStrippedRefused},
		Check{Group: "heapscan", Name: "accounting", When: notStripped, Run: checkAccounting},
		Check{Group: "heapscan", Name: "planted-objects", When: notStripped, Run: checkPlantedObjects},
		Check{Group: "heapscan", Name: "goroutine-states", When: notStripped, Run: checkGoroutineStates},
		Check{Group: "heapscan", Name: "traceback-frames", When: notStripped, Methods: []string{"kernel"}, Run: checkTracebackFrames},
		Check{Group: "refgraph", Name: "retention-paths", When: notStripped, Run: checkRetentionPaths},
		Check{Group: "refgraph", Name: "dominator-total", When: notStripped, Run: checkDominatorTotal},
		Check{Group: "refgraph", Name: "histogram-arrays", When: plantsStructs, Run: checkHistogramArrays},
		Check{Group: "refgraph", Name: "overflow-bucket", When: chainedMap, Run: checkOverflowBucket},
		Check{Group: "refgraph", Name: "leak-suspect", When: plantsLeak, Run: checkLeakSuspect},
		Check{Group: "refgraph", Name: "jobs-identical", When: plantsLeak, Run: checkJobsIdentical},
		Check{Group: "refgraph", Name: "leak-path-shortest", When: rootSuspects, Run: checkLeakPathShortest},
		Check{Group: "tools", Name: "report-parts", When: notStripped, Methods: []string{"gcore"}, Run: checkReportParts},
	)
}

func needCorescope(c *Capture) *Result {
	if c.env.Corescope == "" {
		r := skipf("no -corescope binary given")
		return &r
	}
	return nil
}

// stripped builds (-s -w) have no symbol table: the heap cannot be found.
// That is a documented limitation, checked by stripped-refused.
func stripped(c *Capture) bool { return c.Variant == "stripped" }

func notStripped(c *Capture) bool { return !stripped(c) }

// Scenarios that plant a leak (truth.expected_leak).
func plantsLeak(c *Capture) bool {
	switch c.Scenario {
	case "servemux-closure", "goroutine-leak", "global-map-cache", "subslice", "large-maps":
		return notStripped(c)
	}
	return false
}

// Scenarios that plant single struct values (truth kind "struct").
func plantsStructs(c *Capture) bool {
	switch c.Scenario {
	case "servemux-closure", "global-map-cache", "large-maps", "roots-zoo":
		return notStripped(c)
	}
	return false
}

// large-maps built with classic bucket maps (Go 1.23 and older, and 1.24
// and 1.25 with GOEXPERIMENT=noswissmap) and DWARF: without it the global
// main.chained has no type, and nothing in its map is typed.
func chainedMap(c *Capture) bool {
	var minor int
	fmt.Sscanf(c.GoVersion, "go1.%d", &minor)
	return c.Scenario == "large-maps" && hasDWARF(c) && (minor <= 23 || hasExperiment(c, "noswissmap"))
}

// Scenarios whose leak suspects include roots, which have paths (the
// goroutine-leak scenario's are blocked goroutines).
func rootSuspects(c *Capture) bool { return notStripped(c) && c.Scenario != "goroutine-leak" }

// One decompression per scenario is enough for the byte-identity check.
func isDefault(c *Capture) bool { return c.Variant == "default" }

// Native frames are named from the symbol table, which -s removes.
func hasCThreads(c *Capture) bool { return c.Scenario == "cgo-thread" && notStripped(c) }

// ---------------------------------------------------------------------------
// corewalk

func checkInfo(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	res, err := c.Corescope("info").result()
	if err != nil {
		return failf("corescope info: %v", err)
	}
	var problems []string
	if pid := ju(res, "process", "pid"); pid != uint64(t.PID) {
		problems = append(problems, fmt.Sprintf("pid %d, truth %d", pid, t.PID))
	}
	var tids []int
	for _, v := range ja(res, "threads", "ids") {
		var n int
		fmt.Sscanf(fmt.Sprint(v), "%d", &n)
		tids = append(tids, n)
	}
	sort.Ints(tids)
	if p := threadMismatch(c, t, tids); p != "" {
		problems = append(problems, "threads: "+p)
	}
	if n, err := c.Notes(); err == nil {
		ref := append([]int(nil), n.PRStatusPIDs...)
		sort.Ints(ref)
		if fmt.Sprint(tids) != fmt.Sprint(ref) {
			problems = append(problems, fmt.Sprintf("threads %v, eu-readelf NT_PRSTATUS %v", tids, ref))
		}
	}
	if id := js(res, "executable", "identity"); id != "match" {
		problems = append(problems, fmt.Sprintf("executable identity %q, want match", id))
	}
	if v := js(res, "go", "version"); v != t.GoVersion {
		problems = append(problems, fmt.Sprintf("go version %q, truth %q", v, t.GoVersion))
	}
	if rv := js(res, "go", "runtime_version", "value"); !stripped(c) && rv != t.GoVersion {
		problems = append(problems, fmt.Sprintf("runtime.buildVersion %q, truth %q", rv, t.GoVersion))
	}
	if len(problems) > 0 {
		return failf("%s", strings.Join(problems, "; "))
	}
	return pass()
}

// On a kernel core the version string's bytes (in .rodata, which the
// kernel does not dump) come from the executable overlay, and the same
// address gives the same bytes as in the gcore core of the same process.
func checkVersionOverlay(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	res, err := c.Corescope("info").result()
	if err != nil {
		return failf("corescope info: %v", err)
	}
	src := js(res, "go", "runtime_version", "source")
	if src != "file" {
		return failf("version bytes came from %q, want the executable overlay (\"file\")", src)
	}
	g := c.sibling("gcore")
	if g == nil {
		return skipf("no gcore capture of the same process to compare with")
	}
	gres, err := g.Corescope("info").result()
	if err != nil {
		return failf("corescope info on the gcore core: %v", err)
	}
	ka, ga := js(res, "go", "runtime_version", "address"), js(gres, "go", "runtime_version", "address")
	kv, gv := js(res, "go", "runtime_version", "value"), js(gres, "go", "runtime_version", "value")
	if ka != ga || kv != gv {
		return failf("kernel core %s=%q, gcore core %s=%q", ka, kv, ga, gv)
	}
	return pass()
}

// sibling finds the capture of the same process made by the other method.
func (c *Capture) sibling(method string) *Capture {
	for i := range c.env.All {
		mc := &c.env.All[i]
		if mc.Dir == c.Dir && mc.Method == method && mc.Status == manifest.StatusOK {
			return &Capture{Capture: mc, env: c.env, loadErrs: map[string]error{}}
		}
	}
	return nil
}

// `info --json -` must print the same bytes whether stdin carries the .zst
// or the decompressed core.
func checkZstIdentical(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	run := func(path string) *csOutcome {
		f, err := os.Open(path)
		if err != nil {
			return &csOutcome{Err: err}
		}
		defer f.Close()
		return runCorescope(c.env.Timeout, []string{c.env.Corescope, "info", "--json", "--no-progress",
			"--exe", c.ExePath(), "-"}, f)
	}
	z := run(c.CorePath())
	if z.Err != nil || z.Doc == nil {
		return failf("info on the .zst: %v %s", z.Err, firstLine(z.Stderr))
	}
	var plain *csOutcome
	err := WithPlainCore(c.CorePath(), c.env.Timeout, func(p string) error {
		plain = run(p)
		return nil
	})
	if err != nil {
		return failf("decompressing: %v", err)
	}
	if plain.Err != nil || plain.Doc == nil {
		return failf("info on the plain core: %v %s", plain.Err, firstLine(plain.Stderr))
	}
	if z.raw != plain.raw {
		return failf("JSON differs:\n zst:   %.300s\n plain: %.300s", z.raw, plain.raw)
	}
	return pass()
}

// The C thread blocked in C is unwound natively (libunwind over the
// core's memory) through the C functions the scenario names.
func checkNativeBacktrace(c *Capture, t *truth.Truth) Result {
	if len(t.CThreads) == 0 {
		return failf("the cgo scenario recorded no thread blocked in C")
	}
	if r := needCorescope(c); r != nil {
		return *r
	}
	res, err := c.Corescope("threads", "--bt").result()
	if err != nil {
		return failf("corescope threads --bt: %v", err)
	}
	var problems []string
	for _, ct := range t.CThreads {
		var frames []string
		found := false
		for _, th := range ja(res, "threads") {
			if fmt.Sprint(jm(th)["tid"]) != fmt.Sprint(ct.TID) {
				continue
			}
			found = true
			for _, f := range ja(th, "frames") {
				frames = append(frames, js(f, "symbol"))
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("thread %d not in the core", ct.TID))
			continue
		}
		joined := " " + strings.Join(frames, " ") + " "
		for _, fn := range ct.Functions {
			if !strings.Contains(joined, " "+fn+" ") {
				problems = append(problems, fmt.Sprintf("thread %d: %s not on its native stack %v", ct.TID, fn, frames))
			}
		}
	}
	if len(problems) > 0 {
		return failf("%s", strings.Join(problems, "; "))
	}
	return pass()
}

// ---------------------------------------------------------------------------
// heapscan

func checkStrippedRefused(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	o := c.Corescope("overview")
	if o.Err != nil {
		return failf("%v", o.Err)
	}
	if o.Status != 2 {
		return failf("exit status %d, want 2 (a clear refusal)", o.Status)
	}
	msg := strings.TrimSpace(o.Stderr)
	if strings.Count(msg, "\n") > 0 || !strings.Contains(msg, "stripped") {
		return failf("want one line naming the stripped binary, got %q", msg)
	}
	return pass()
}

func heapSkip(c *Capture) *Result {
	return needCorescope(c)
}

// The runtime's own accounting in the core: every in-use span's allocCount
// equals the objects we found in it, and mheap_.pagesInUse equals our
// in-use span pages.
func checkAccounting(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	res, err := c.Corescope("overview").result()
	if err != nil {
		return failf("corescope overview: %v", err)
	}
	ra := jm(res, "runtime_accounting")
	var problems []string
	if n := ju(ra, "alloc_count_mismatched_spans"); n != 0 {
		problems = append(problems, fmt.Sprintf("%d spans where objects found != allocCount", n))
	}
	if a, b := ju(ra, "pages_in_use"), ju(ra, "our_inuse_pages"); a != b {
		problems = append(problems, fmt.Sprintf("mheap_.pagesInUse %d, in-use span pages %d", a, b))
	}
	if a, b := ju(ra, "alloc_count_total"), ju(res, "heap", "objects"); a != b {
		problems = append(problems, fmt.Sprintf("sum of allocCount %d, objects %d", a, b))
	}
	if !jb(ra, "page_allocator_read") {
		problems = append(problems, "page allocator bitmaps unreadable")
	}
	// HeapObjects at ReadMemStats time can only be lower than what the
	// core holds unswept; the live count can only be lower still.
	if ho := memstat(t, "HeapObjects"); ho > 0 {
		objs := ju(res, "heap", "objects")
		if objs*10 < ho*9 {
			problems = append(problems, fmt.Sprintf("%d objects in the core, MemStats.HeapObjects %d", objs, ho))
		}
	}
	if len(problems) > 0 {
		return failf("%s", strings.Join(problems, "; "))
	}
	return pass()
}

func memstat(t *truth.Truth, name string) uint64 {
	n, ok := t.MemStats[name]
	if !ok {
		return 0
	}
	u, _ := parseUint(string(n))
	return u
}

// Every planted object is found at its address, with a size that holds
// it, and with its type whenever the core can know it: always when the
// runtime stored the type in a malloc header (Go 1.22+, objects over 512
// bytes); otherwise an inferred type must be right when there is one.
func checkPlantedObjects(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	objs := plantedSample(t, 400)
	if len(objs) == 0 {
		return skipf("no planted objects")
	}
	got, r := showObjects(c, objs)
	if r != nil {
		return *r
	}
	headers := headerTypes(c)
	var problems []string
	typed := 0
	for i, o := range objs {
		g := got[i]
		if js(g, "what") != "heap object" || parseAddr(js(g, "address")) != uint64(o.Addr) {
			problems = append(problems, fmt.Sprintf("%s at %s: found %s at %s", o.ID, o.Addr, js(g, "what"), js(g, "address")))
			continue
		}
		size := ju(g, "size")
		if size < o.Size || size > o.Size+o.Size/4+16 {
			problems = append(problems, fmt.Sprintf("%s: size %d, truth %d", o.ID, size, o.Size))
		}
		typ, elem := js(g, "type"), js(g, "element_type")
		if typ == "" {
			if headers && o.Size > 512 && o.Kind != "closure" && !noscan(o) {
				problems = append(problems, fmt.Sprintf("%s (%s, %d bytes): untyped, but its malloc header names the type", o.ID, o.GoType, o.Size))
			}
			continue
		}
		typed++
		if !typeMatches(o, typ, elem) {
			problems = append(problems, fmt.Sprintf("%s: type %q (element %q), truth %q", o.ID, typ, elem, o.GoType))
		}
		if o.Root.Kind == "none" && jb(g, "live") {
			problems = append(problems, fmt.Sprintf("%s: planted garbage reported live", o.ID))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return failf("%d of %d planted objects wrong: %s", len(problems), len(objs), firstN(problems, 4))
	}
	return pass()
}

var scalarRE = regexp.MustCompile(`^(\[\d+\])*(u?int(8|16|32|64)?|uintptr|byte|rune|float(32|64)|complex(64|128)|bool)$`)

// noscan: objects without pointers have no malloc header (mallocgc
// records types only for objects the GC must scan).
func noscan(o truth.Object) bool {
	return scalarRE.MatchString(o.GoType) || (o.ElemType != "" && scalarRE.MatchString(o.ElemType))
}

// headerTypes: does this build keep a type in the malloc header of
// objects over 512 bytes that contain pointers? Go 1.22 and later, unless
// built with GOEXPERIMENT=noallocheaders (1.22 and 1.23).
func headerTypes(c *Capture) bool {
	var minor int
	fmt.Sscanf(c.GoVersion, "go1.%d", &minor)
	return minor >= 22 && !hasExperiment(c, "noallocheaders")
}

// hasExperiment: was the capture built with this GOEXPERIMENT?
func hasExperiment(c *Capture, name string) bool {
	for _, e := range strings.Split(c.Experiment, ",") {
		if strings.TrimSpace(e) == name {
			return true
		}
	}
	return false
}

var shapeRE = regexp.MustCompile(`\[[^\[\]]*\]`)

// typeMatches compares our type names with reflect's, which the truth
// uses: "[N]T" arrays match by element, closures by their function.
func typeMatches(o truth.Object, typ, elem string) bool {
	if typ == o.GoType || elem == o.GoType {
		return true
	}
	if o.ElemType != "" && elem == o.ElemType {
		return true
	}
	if o.Kind == "closure" && o.Func != "" && strings.Contains(typ, o.Func) {
		return true
	}
	// Map headers are named for the map they serve:
	// "maps.Map(map[string]*main.Entry)", "runtime.hmap(map[…]…)".
	if o.Kind == "map-header" && (strings.HasPrefix(typ, "maps.Map(") || strings.HasPrefix(typ, "runtime.hmap(")) {
		return true
	}
	// reflect prints runtime-internal package paths in full where the
	// runtime's own names use the last element.
	short := func(s string) string {
		if i := strings.LastIndex(s, "/"); i >= 0 {
			return s[i+1:]
		}
		return s
	}
	return short(typ) == short(o.GoType) || short(elem) == short(o.GoType)
}

// plantedSample keeps every planted object up to max, else a deterministic
// sample across them (goroutine-leak plants 2,000 buffers).
// showObjects runs `corescope show` on the objects' addresses and
// returns its answers, one per object in order, or the failing Result.
func showObjects(c *Capture, objs []truth.Object) ([]interface{}, *Result) {
	args := []string{}
	for _, o := range objs {
		args = append(args, o.Addr.String())
	}
	res, err := c.Corescope("show", args...).result()
	if err != nil {
		r := failf("corescope show: %v", err)
		return nil, &r
	}
	got := ja(res, "addresses")
	if len(got) != len(objs) {
		r := failf("show answered %d of %d addresses", len(got), len(objs))
		return nil, &r
	}
	return got, nil
}

func plantedSample(t *truth.Truth, max int) []truth.Object {
	if len(t.Objects) <= max {
		return t.Objects
	}
	var out []truth.Object
	step := float64(len(t.Objects)) / float64(max)
	for i := 0; i < max; i++ {
		out = append(out, t.Objects[int(float64(i)*step)])
	}
	return out
}

// Goroutines by state and wait reason equal the truth for a gcore core
// (taken while the process waited) and equal the runtime's own crash
// traceback for a kernel core.
func checkGoroutineStates(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	res, err := c.Corescope("goroutines", "--system").result()
	if err != nil {
		return failf("corescope goroutines: %v", err)
	}
	type st struct{ state, reason string }
	ours := map[int64]st{}
	for _, g := range ja(res, "goroutines") {
		if jb(g, "system") {
			continue
		}
		ours[int64(ju(g, "goid"))] = st{js(g, "status"), js(g, "wait_reason")}
	}
	want := map[int64]st{}
	if c.Method == "kernel" {
		tb, err := c.traceback()
		if err != nil {
			return failf("%v", err)
		}
		for _, g := range tb {
			if g.Goid == 0 || truth.IsSystemGoroutine(&g) {
				continue
			}
			s, r := truth.StatusOf(g.RawStatus)
			want[g.Goid] = st{s, r}
		}
	} else {
		for _, g := range t.Goroutines.List {
			want[g.Goid] = st{g.State, g.WaitReason}
		}
	}
	var problems []string
	for id, w := range want {
		o, ok := ours[id]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("goroutine %d missing", id))
		case o != w:
			problems = append(problems, fmt.Sprintf("goroutine %d: %s/%q, want %s/%q", id, o.state, o.reason, w.state, w.reason))
		}
	}
	for id := range ours {
		if _, ok := want[id]; !ok {
			problems = append(problems, fmt.Sprintf("goroutine %d not expected", id))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return failf("%d of %d goroutines differ: %s", len(problems), len(want), firstN(problems, 4))
	}
	return pass()
}

func (c *Capture) traceback() ([]truth.TracebackGoroutine, error) {
	if c.Traceback == "" {
		return nil, fmt.Errorf("manifest names no traceback")
	}
	b, err := os.ReadFile(c.Path(c.Traceback))
	if err != nil {
		return nil, err
	}
	return truth.ParseTraceback(string(b)), nil
}

// For every goroutine the runtime printed when it crashed, our frames
// (function and line, inlined frames expanded) are the same.
func checkTracebackFrames(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	tb, err := c.traceback()
	if err != nil {
		return failf("%v", err)
	}
	res, err := c.Corescope("goroutines", "--system").result()
	if err != nil {
		return failf("corescope goroutines: %v", err)
	}
	ours := map[int64][]string{}
	for _, g := range ja(res, "goroutines") {
		var fr []string
		for _, f := range ja(g, "frames") {
			fr = append(fr, frameKey(js(f, "function"), fmt.Sprintf("%s:%d", js(f, "file"), ju(f, "line"))))
		}
		ours[int64(ju(g, "goid"))] = fr
	}
	seen := map[int64]bool{}
	var problems []string
	compared := 0
	for _, g := range tb {
		if g.Goid == 0 || seen[g.Goid] {
			continue
		}
		seen[g.Goid] = true
		var want []string
		for i, f := range g.Frames {
			want = append(want, frameKey(f, g.Positions[i]))
		}
		got, ok := ours[g.Goid]
		if !ok {
			problems = append(problems, fmt.Sprintf("goroutine %d not found", g.Goid))
			continue
		}
		compared++
		// The runtime elides frames beyond 100; compare what it printed.
		if len(got) > len(want) && len(want) >= 100 {
			got = got[:len(want)]
		}
		if strings.Join(got, " | ") != strings.Join(want, " | ") {
			problems = append(problems, fmt.Sprintf("goroutine %d:\n      ours    %v\n      runtime %v", g.Goid, got, want))
		}
	}
	if len(problems) > 0 {
		return failf("%d of %d goroutines differ: %s", len(problems), compared, firstN(problems, 3))
	}
	return pass()
}

// frameKey: "function file:line" with generic shapes normalized (the
// runtime prints "[...]" where the symbol table has shape names).
func frameKey(fn, pos string) string {
	return shapeRE.ReplaceAllString(fn, "[...]") + " " + pos
}

// ---------------------------------------------------------------------------
// refgraph

// Every planted retention relation: `why` finds a path from the planted
// root, of the right class and with the right name.
func checkRetentionPaths(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	var objs []truth.Object
	for _, o := range plantedSample(t, 60) {
		if o.Root.Kind != "none" && o.Root.Kind != "" {
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 {
		return skipf("no planted roots")
	}
	args := []string{"--paths", "5"}
	for _, o := range objs {
		args = append(args, o.Addr.String())
	}
	res, err := c.Corescope("why", args...).result()
	if err != nil {
		return failf("corescope why: %v", err)
	}
	ex := ja(res, "explanations")
	if len(ex) != len(objs) {
		return failf("why explained %d of %d objects", len(ex), len(objs))
	}
	var problems []string
	for i, o := range objs {
		if !jb(ex[i], "object", "live") {
			problems = append(problems, fmt.Sprintf("%s: reported unreachable", o.ID))
			continue
		}
		if !pathFrom(ex[i], o.Root, c) {
			var roots []string
			for _, p := range ja(ex[i], "paths") {
				roots = append(roots, js(p, "class")+":"+js(p, "root", "name"))
			}
			problems = append(problems, fmt.Sprintf("%s: no path from %s %q%s; roots found %v", o.ID,
				o.Root.Kind, o.Root.Name, rootDetail(o.Root), roots))
		}
	}
	if len(problems) > 0 {
		return failf("%d of %d: %s", len(problems), len(objs), firstN(problems, 3))
	}
	return pass()
}

func rootDetail(r truth.Root) string {
	if r.Kind == "stack" {
		return fmt.Sprintf(" (goroutine %d %s)", r.Goid, r.Function)
	}
	return ""
}

func pathFrom(ex interface{}, root truth.Root, c *Capture) bool {
	for _, p := range ja(ex, "paths") {
		class, name := js(p, "class"), js(p, "root", "name")
		switch root.Kind {
		case "global", "pool":
			// Without DWARF the name is the symbol; the alias (the
			// exported pointer to it) is printed first when known.
			if class == "global" && (strings.Contains(name, root.Name) ||
				(root.Symbol != "" && strings.Contains(name, root.Symbol))) {
				return true
			}
		case "stack":
			if class == "goroutine stack" &&
				strings.Contains(name, fmt.Sprintf("goroutine %d ", root.Goid)) &&
				(root.Function == "" || strings.Contains(name, root.Function)) {
				return true
			}
		case "finalizer", "cleanup", "weak":
			if class == "finalizer/special" {
				return true
			}
		default:
			return false
		}
	}
	return false
}

// The dominator tree accounts for the whole live heap: what the virtual
// super-root retains equals the bytes marking found live.
func checkDominatorTotal(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	res, err := c.Corescope("overview").result()
	if err != nil {
		return failf("corescope overview: %v", err)
	}
	if a, b := ju(res, "heap", "retained_by_roots"), ju(res, "heap", "live_bytes"); a != b || a == 0 {
		return failf("retained(super-root) %d, live bytes %d", a, b)
	}
	return pass()
}

// A type the scenario allocates one value at a time (truth kind
// "struct") is not called backing arrays by histogram, even where the
// size class rounds its objects up (leaks' type suspects use the same
// rg_type_total.arrays).  Types also planted as arrays are left out.
func checkHistogramArrays(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	single, arrays := map[string]bool{}, map[string]bool{}
	for _, o := range t.Objects {
		switch {
		case o.Kind == "struct" && !strings.HasPrefix(o.GoType, "["):
			single[o.GoType] = true
		case o.Kind == "backing-array" && o.ElemType != "":
			arrays[o.ElemType] = true
		}
	}
	for ty := range arrays {
		delete(single, ty)
	}
	if len(single) == 0 {
		return failf("the truth plants no single struct values that are not also planted as arrays")
	}
	res, err := c.Corescope("histogram", "-n", "0").result()
	if err != nil {
		return failf("corescope histogram: %v", err)
	}
	var problems []string
	found := 0
	for _, row := range ja(res, "rows") {
		ty := js(row, "type")
		for want := range single {
			if !typeMatches(truth.Object{GoType: want}, ty, "") {
				continue
			}
			found++
			if jb(row, "arrays") {
				problems = append(problems, fmt.Sprintf("%s (%d objects, %d bytes): called backing arrays",
					ty, ju(row, "live_objects")+ju(row, "unreachable_objects"),
					ju(row, "live_bytes")+ju(row, "unreachable_bytes")))
			}
		}
	}
	if found == 0 {
		if !hasDWARF(c) {
			// Without DWARF, globals and stack slots carry no types: what
			// only a root holds stays "(untyped)" (roots-zoo, servemux-closure).
			return skipf("no planted struct type is named in a build without DWARF %v", keys(single))
		}
		return failf("no histogram row for any of the planted struct types %v", keys(single))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return failf("%s", firstN(problems, 4))
	}
	return pass()
}

// The scenario's own walk of a classic map found a bucket that overflowed
// into a bucket allocated on its own.  Only the overflow word of the
// bucket before it, an unsafe.Pointer, leads there, so corescope types it
// by that word's place in a bucket; the Blobs in it are typed only
// through it.  Both must be typed, and as the truth says.
func checkOverflowBucket(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	var objs []truth.Object
	for _, o := range t.Objects {
		if o.Kind == "map-bucket" || (o.Root.Name == "main.chained" && o.Kind == "struct") {
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 && c.Variant == "corpus" {
		return skipf("the truth plants no overflow bucket: written before the scenario planted one")
	}
	if len(objs) == 0 {
		return failf("the truth plants no overflow bucket, though large-maps does on classic maps")
	}
	got, r := showObjects(c, objs)
	if r != nil {
		return *r
	}
	var problems []string
	for i, o := range objs {
		typ, elem := js(got[i], "type"), js(got[i], "element_type")
		if !jb(got[i], "live") {
			problems = append(problems, fmt.Sprintf("%s: reported unreachable", o.ID))
		}
		if typ == "" || !typeMatches(o, typ, elem) {
			problems = append(problems, fmt.Sprintf("%s at %s: type %q, truth %q", o.ID, o.Addr, typ, o.GoType))
		}
	}
	if len(problems) > 0 {
		return failf("%d of %d: %s", len(problems), len(objs), firstN(problems, 4))
	}
	return pass()
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The walks over the dominator tree run in as many threads as --jobs
// asks, each on a share of the tree: the reports that come from them must
// not depend on how many.
func checkJobsIdentical(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	for _, cmd := range [][]string{{"leaks"}, {"histogram"}, {"top", "--by", "type"}} {
		one := c.Corescope(cmd[0], append(cmd[1:], "--jobs", "1")...)
		three := c.Corescope(cmd[0], append(cmd[1:], "--jobs", "3")...)
		if one.Err != nil || three.Err != nil {
			return failf("corescope %s: %v %v %s", cmd[0], one.Err, three.Err, firstLine(one.Stderr+three.Stderr))
		}
		if one.raw != three.raw {
			return failf("corescope %s: --jobs 1 and --jobs 3 differ %s", strings.Join(cmd, " "),
				firstDiff([]byte(one.raw), []byte(three.raw)))
		}
	}
	return pass()
}

// Where two byte strings first differ, with the 60 bytes before and what
// follows in each.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := 0
	if i > 60 {
		from = i - 60
	}
	return fmt.Sprintf("at byte %d:\n 1: …%.200s\n 2: …%.200s", i, a[from:], b[from:])
}

// Each leak suspect's path is a shortest one: as long as the shortest path
// `why` finds to its last object from the same root (any root, for a
// shared object).  leaks finds its paths forward through the dominators,
// why backwards over reverse edges: two searches that share no code.
func checkLeakPathShortest(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	res, err := c.Corescope("leaks").result()
	if err != nil {
		return failf("corescope leaks: %v", err)
	}
	checked := 0
	var problems []string
	for _, s := range ja(res, "suspects") {
		path := ja(s, "path")
		if len(path) == 0 {
			continue
		}
		addr := js(path[len(path)-1], "address")
		why, err := c.Corescope("why", "--paths", "50", addr).result()
		if err != nil {
			return failf("corescope why %s: %v", addr, err)
		}
		best := -1
		for _, e := range ja(why, "explanations") {
			for _, p := range ja(e, "paths") {
				n := len(ja(p, "hops"))
				if js(s, "kind") == "root" && js(p, "root", "name") != js(s, "path_root") {
					continue
				}
				if best < 0 || n < best {
					best = n
				}
			}
		}
		checked++
		if best != len(path) {
			problems = append(problems, fmt.Sprintf("suspect %q: leaks' path to %s from %q has %d objects, why's shortest %d",
				js(s, "name"), addr, js(s, "path_root"), len(path), best))
		}
	}
	if len(problems) > 0 {
		return failf("%s", firstN(problems, 3))
	}
	if checked == 0 {
		return skipf("no leak suspect has a path")
	}
	return pass()
}

// `report` holds what overview, leaks and histogram print when run apart:
// one analysis, the same answers.
func checkReportParts(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	rep, err := c.Corescope("report", "-n", "0").result()
	if err != nil {
		return failf("corescope report: %v", err)
	}
	for _, part := range []struct {
		key  string
		args []string
	}{
		{"overview", []string{"overview"}},
		{"leaks", []string{"leaks"}},
		{"histogram", []string{"histogram", "--sort", "retained", "-n", "0"}},
	} {
		alone, err := c.Corescope(part.args[0], part.args[1:]...).result()
		if err != nil {
			return failf("corescope %s: %v", strings.Join(part.args, " "), err)
		}
		a, _ := json.Marshal(alone)
		b, _ := json.Marshal(rep[part.key])
		if !bytes.Equal(a, b) {
			return failf("report's %s differs from `corescope %s`: %s", part.key,
				strings.Join(part.args, " "), firstDiff(a, b))
		}
	}
	return pass()
}

// The planted leak is the first suspect: its root named, its path down to
// the planted element type, its bytes within 1% (for a goroutine leak:
// the first group of blocked goroutines, their count and bytes).
func checkLeakSuspect(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	exp := t.ExpectedLeak
	if exp == nil {
		return skipf("the scenario plants no leak")
	}
	res, err := c.Corescope("leaks").result()
	if err != nil {
		return failf("corescope leaks: %v", err)
	}
	within := func(got uint64) bool {
		return float64(got) >= 0.99*float64(exp.Bytes) && float64(got) <= 1.01*float64(exp.Bytes)
	}
	if gs := ja(res, "goroutine_suspects"); len(gs) > 0 && js(gs[0], "function") == exp.Root {
		if n := ju(gs[0], "count"); n != uint64(exp.Count) {
			return failf("first goroutine suspect: %d goroutines, planted %d", n, exp.Count)
		}
		if r := ju(gs[0], "retained"); !within(r) {
			return failf("first goroutine suspect keeps %d bytes, planted %d", r, exp.Bytes)
		}
		return pass()
	}
	sus := ja(res, "suspects")
	if len(sus) == 0 {
		return failf("no suspects; planted %d bytes under %s", exp.Bytes, exp.Root)
	}
	s := sus[0]
	if !strings.Contains(js(s, "name"), exp.Root) && !strings.Contains(js(s, "path_root"), exp.Root) {
		return failf("first suspect %q (path from %q), planted root %s", js(s, "name"), js(s, "path_root"), exp.Root)
	}
	r := ju(s, "retained")
	// Elsewhere the root also holds the map's small entries; the servemux
	// root holds little but the planted buffers: 1% there.
	if c.Scenario == "servemux-closure" && !within(r) {
		return failf("first suspect retains %d bytes, planted %d (want within 1%%)", r, exp.Bytes)
	}
	if float64(r) < 0.99*float64(exp.Bytes) {
		return failf("first suspect retains %d bytes, planted %d", r, exp.Bytes)
	}
	if c.Variant == "nodwarf" {
		// Without DWARF, objects without a malloc header reached only
		// through untyped memory (a closure's captures) stay untyped:
		// the root and the bytes are what can be checked.
		return pass()
	}
	var types []string
	for _, h := range ja(s, "path") {
		types = append(types, js(h, "type"))
	}
	joined := strings.Join(types, " → ")
	elem := strings.TrimPrefix(exp.ElemType, "[]")
	if !strings.Contains(joined, elem) {
		return failf("path %s does not reach the planted %s", joined, exp.ElemType)
	}
	if fn, _ := t.Summary["closure_func"].(string); fn != "" && !strings.Contains(joined, "closure "+fn) {
		return failf("path %s does not go through closure %s", joined, fn)
	}
	return pass()
}

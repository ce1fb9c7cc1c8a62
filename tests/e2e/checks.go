package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"corescope/tests/harness/manifest"
	"corescope/tests/scenarios/truth"
)

// Status of one check.
type Status int

// Check outcomes.
const (
	Pass Status = iota
	Fail
	Skip
)

// Result is what a check returns.
type Result struct {
	Status Status
	Reason string
	// Known is set when the check failed as a documented limitation says
	// it does (limitations.go): the line is a PASS, the matrix cell is not.
	Known string
}

func pass() Result { return Result{Status: Pass} }
func failf(format string, args ...interface{}) Result {
	return Result{Status: Fail, Reason: fmt.Sprintf(format, args...)}
}
func skipf(format string, args ...interface{}) Result {
	return Result{Status: Skip, Reason: fmt.Sprintf(format, args...)}
}

// Env is what every check may use besides its capture.
type Env struct {
	All         []manifest.Capture // every capture (to find siblings)
	ManifestDir string
	Corescope   string        // "" when not given: corescope checks SKIP
	Timeout     time.Duration // for external commands
	UnpackDir   string        // compressed executables and cores go here

	unpacker *manifest.Unpacker
	// plainCores are cores unpacked from zstd patches, by manifest path;
	// kept while the checks of one run directory (gcore, then kernel,
	// which compares with its gcore sibling) go on.
	plainCores map[string]string
	plainDir   string
	results    []result  // every reported line, for the matrix
	out        io.Writer // where report writes the result lines
	// The DWARF index of the last executable a check read (one
	// executable per capture directory).
	dwarfExe string
	dwarf    *dwarfIndex
}

// fork returns an Env for one worker: the same inputs and unpacker, with
// its own unpacked cores, results and output.
func (e *Env) fork(out io.Writer) *Env {
	f := *e
	f.plainCores = map[string]string{}
	f.plainDir = ""
	f.results = nil
	f.out = out
	f.dwarfExe, f.dwarf = "", nil
	return &f
}

// dropPlainCores deletes the unpacked cores.
func (e *Env) dropPlainCores() {
	for k, p := range e.plainCores {
		os.Remove(p)
		delete(e.plainCores, k)
	}
}

// Capture is one manifest entry with its files loaded lazily.
type Capture struct {
	*manifest.Capture
	env *Env

	phdrs    []Segment
	notes    *Notes
	loadErrs map[string]error
	cs       map[string]*csOutcome // memoized corescope runs
}

// Path resolves a manifest-relative path.
func (c *Capture) Path(rel string) string { return manifest.Path(c.env.ManifestDir, rel) }

// ExePath is the plain executable (unpacked by prepare when the manifest
// stores it compressed).
func (c *Capture) ExePath() string {
	if p, err := c.env.unpacker.Exe(c.Capture); err == nil {
		return p
	}
	return c.Path(c.Exe)
}

// CorePath is the core to give corescope: the stored file (plain or .zst,
// which corescope reads as is), or the core unpacked from a zstd patch.
func (c *Capture) CorePath() string {
	if p, ok := c.env.plainCores[c.Core]; ok {
		return p
	}
	return c.Path(c.Core)
}

// prepare unpacks what the checks need: a compressed executable, and a
// core stored as a zstd patch of it.
func (c *Capture) prepare() error {
	if _, err := c.env.unpacker.Exe(c.Capture); err != nil {
		return fmt.Errorf("unpacking the executable: %v", err)
	}
	if c.CorePatchFrom == "" {
		return nil
	}
	if _, ok := c.env.plainCores[c.Core]; ok {
		return nil
	}
	p, _, err := c.env.unpacker.Core(c.Capture, c.env.UnpackDir)
	if err != nil {
		return fmt.Errorf("unpacking the core: %v", err)
	}
	c.env.plainCores[c.Core] = p
	return nil
}

// Segments returns the PT_LOAD segments from the saved eu-readelf -l output.
func (c *Capture) Segments() ([]Segment, error) {
	if c.phdrs == nil && c.loadErrs["phdrs"] == nil {
		b, err := os.ReadFile(c.Path(c.Phdrs))
		if err == nil {
			c.phdrs, err = ParsePhdrs(string(b))
		}
		c.loadErrs["phdrs"] = err
	}
	return c.phdrs, c.loadErrs["phdrs"]
}

// Notes returns the notes from the saved eu-readelf -n output.
func (c *Capture) Notes() (*Notes, error) {
	if c.notes == nil && c.loadErrs["notes"] == nil {
		b, err := os.ReadFile(c.Path(c.Capture.Notes))
		if err == nil {
			c.notes, err = ParseNotes(string(b))
		}
		c.loadErrs["notes"] = err
	}
	return c.notes, c.loadErrs["notes"]
}

// Check is a named check of one capture against its truth.
type Check struct {
	Group string // first component of the check name
	Name  string // last component
	// Methods limits the check to some capture methods (nil: all).
	Methods []string
	// When limits the check to captures it is about (nil: all): a check
	// that does not apply prints no line at all, so SKIP keeps meaning
	// "could not run here".
	When func(c *Capture) bool
	Run  func(c *Capture, t *truth.Truth) Result
}

// registry lists every check in output order. Later checks (those that run
// corescope --json and compare with the truth) are added here.
var registry = []Check{
	{Group: "foundation", Name: "capture", Run: func(*Capture, *truth.Truth) Result { return pass() }},
	{Group: "foundation", Name: "planted-in-load", Run: checkPlantedInLoad},
	{Group: "foundation", Name: "planted-bytes", Run: checkPlantedBytes},
	{Group: "foundation", Name: "threads", Run: checkThreads},
	{Group: "foundation", Name: "prpsinfo-pid", Run: checkPID},
	{Group: "foundation", Name: "traceback-goroutines", Methods: []string{"kernel"}, Run: checkTracebackGoroutines},
}

func (k *Check) applies(method string) bool {
	if k.Methods == nil {
		return true
	}
	for _, m := range k.Methods {
		if m == method {
			return true
		}
	}
	return false
}

// runChecks runs every applicable check of the registry on one capture.
// Skipped and failed captures give SKIP and FAIL lines for every check.
func runChecks(env *Env, mc *manifest.Capture, filter *regexp.Regexp) {
	c := &Capture{Capture: mc, env: env, loadErrs: map[string]error{}}
	if env.plainDir != mc.Dir {
		// A new run directory: the unpacked cores of the last one are
		// not needed any more.
		env.dropPlainCores()
		env.plainDir = mc.Dir
	}
	var t *truth.Truth
	var loadErr error
	if mc.Status == manifest.StatusOK {
		t, loadErr = truth.Load(c.Path(mc.Truth))
	}
	prepared := false
	var prepErr error
	for i := range registry {
		k := &registry[i]
		if !k.applies(mc.Method) || (k.When != nil && !k.When(c)) {
			continue
		}
		name := strings.Join([]string{k.Group, mc.Label(), mc.Variant, mc.Scenario, mc.Method, k.Name}, "/")
		if filter != nil && !filter.MatchString(name) {
			continue
		}
		if !prepared && mc.Status == manifest.StatusOK && loadErr == nil {
			prepErr = c.prepare()
			prepared = true
		}
		var r Result
		switch {
		case mc.Status == manifest.StatusSkip:
			r = skipf("capture skipped: %s", mc.Reason)
		case mc.Status != manifest.StatusOK:
			r = failf("capture %s: %s", mc.Status, mc.Reason)
		case loadErr != nil:
			r = failf("truth: %v", loadErr)
		case prepErr != nil:
			r = failf("%v", prepErr)
		default:
			r = safeRun(k, c, t)
		}
		r = applyLimitation(name, r)
		env.results = append(env.results, result{name: name, check: k, capture: mc, r: r})
		report(env.out, name, r)
	}
}

func safeRun(k *Check, c *Capture, t *truth.Truth) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = failf("check panicked: %v", p)
		}
	}()
	return k.Run(c, t)
}

// ---------------------------------------------------------------------------
// Foundation checks: they use only the truth and the saved eu-readelf
// outputs (and, for planted-bytes, the core's bytes), never corescope.

// checkPlantedInLoad: every planted object's [addr, addr+size) is saved in
// the core: covered by the file-backed part [vaddr, vaddr+filesz) of
// PT_LOAD segments. Adjacent segments may share an object (the kernel
// splits mappings into several VMAs), so coverage is by their union.
func checkPlantedInLoad(c *Capture, t *truth.Truth) Result {
	segs, err := c.Segments()
	if err != nil {
		return failf("phdrs: %v", err)
	}
	if len(t.Objects) == 0 {
		return failf("truth lists no planted objects")
	}
	var bad []string
	for _, o := range t.Objects {
		if o.Size == 0 {
			bad = append(bad, o.ID+": size 0 in truth")
			continue
		}
		if gap, ok := coveredBySegments(segs, uint64(o.Addr), uint64(o.Addr)+o.Size); !ok {
			bad = append(bad, fmt.Sprintf("%s [%#x,+%d): %#x not in a saved PT_LOAD", o.ID, uint64(o.Addr), o.Size, gap))
		}
	}
	if len(bad) > 0 {
		return failf("%d of %d objects not saved: %s", len(bad), len(t.Objects), firstN(bad, 5))
	}
	return pass()
}

// checkThreads: the NT_PRSTATUS thread ids are the truth's threads, plus
// only threads /proc listed around the dump.
func checkThreads(c *Capture, t *truth.Truth) Result {
	n, err := c.Notes()
	if err != nil {
		return failf("notes: %v", err)
	}
	seen := map[int]bool{}
	for _, id := range n.PRStatusPIDs {
		if seen[id] {
			return failf("thread %d has two NT_PRSTATUS notes", id)
		}
		seen[id] = true
	}
	if p := threadMismatch(c, t, n.PRStatusPIDs); p != "" {
		return failf("NT_PRSTATUS threads: %s", p)
	}
	return pass()
}

// threadMismatch compares the thread ids a core holds with what the
// process had: every thread of the truth file must be there, and every
// other one must be a thread /proc/PID/task listed around the dump (the
// runtime may start a thread after the truth was written). It returns ""
// when they agree.
func threadMismatch(c *Capture, t *truth.Truth, core []int) string {
	have := map[int]bool{}
	for _, id := range core {
		have[id] = true
	}
	allowed := map[int]bool{}
	for _, id := range c.LiveThreads {
		allowed[id] = true
	}
	var missing, extra []int
	for _, id := range t.Threads {
		allowed[id] = true
		if !have[id] {
			missing = append(missing, id)
		}
	}
	for id := range have {
		if !allowed[id] {
			extra = append(extra, id)
		}
	}
	if len(missing)+len(extra) == 0 {
		return ""
	}
	sort.Ints(missing)
	sort.Ints(extra)
	return fmt.Sprintf("core %v vs truth %v (live around the dump %v): missing %v, extra %v",
		core, t.Threads, c.LiveThreads, missing, extra)
}

// checkPID: NT_PRPSINFO's pid is the truth's pid.
func checkPID(c *Capture, t *truth.Truth) Result {
	n, err := c.Notes()
	if err != nil {
		return failf("notes: %v", err)
	}
	if n.PRPSInfoPID == 0 {
		return failf("no NT_PRPSINFO pid in the notes")
	}
	if n.PRPSInfoPID != t.PID {
		return failf("NT_PRPSINFO pid %d, truth pid %d", n.PRPSInfoPID, t.PID)
	}
	return pass()
}

// checkTracebackGoroutines compares the runtime's GOTRACEBACK=crash output
// with the truth. The crash traceback shows more than runtime.Stack did:
// system goroutines (GC workers, finalizer goroutine...), per-thread
// sections with "goroutine 0" (an M's g0), and possibly a goroutine twice.
// The precise relation asserted:
//   - the goroutines with goid != 0 that are not system goroutines (by the
//     runtime's own rule, see truth.IsSystemGoroutine) are exactly the
//     truth's list, by goid, and there are goroutines.total of them;
//   - each has the truth's state and wait reason.
func checkTracebackGoroutines(c *Capture, t *truth.Truth) Result {
	if c.Traceback == "" {
		return failf("manifest names no traceback file")
	}
	b, err := os.ReadFile(c.Path(c.Traceback))
	if err != nil {
		return failf("%v", err)
	}
	all := truth.ParseTraceback(string(b))
	if len(all) == 0 {
		return failf("no goroutine headers in %s", c.Traceback)
	}
	user := map[int64]*truth.TracebackGoroutine{}
	system := 0
	for i := range all {
		g := &all[i]
		if g.Goid == 0 {
			continue
		}
		if truth.IsSystemGoroutine(g) {
			system++
			continue
		}
		if _, dup := user[g.Goid]; !dup {
			user[g.Goid] = g
		}
	}
	var problems []string
	if len(user) != t.Goroutines.Total {
		problems = append(problems, fmt.Sprintf("%d user goroutines in the traceback, goroutines.total %d", len(user), t.Goroutines.Total))
	}
	want := map[int64]bool{}
	for _, g := range t.Goroutines.List {
		want[g.Goid] = true
		tg, ok := user[g.Goid]
		if !ok {
			problems = append(problems, fmt.Sprintf("goroutine %d (%s) missing from the traceback", g.Goid, g.StartFunction))
			continue
		}
		st, why := truth.StatusOf(tg.RawStatus)
		if st != g.State || why != g.WaitReason {
			problems = append(problems, fmt.Sprintf("goroutine %d: traceback [%s], truth %s/%q", g.Goid, tg.RawStatus, g.State, g.WaitReason))
		}
	}
	for id, g := range user {
		if !want[id] {
			problems = append(problems, fmt.Sprintf("goroutine %d (start %s) in the traceback, not in the truth", id, g.Start()))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return failf("%d problems (%d system goroutines ignored): %s", len(problems), system, firstN(problems, 5))
	}
	return pass()
}

func firstN(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, "; ")
	}
	return strings.Join(list[:n], "; ") + fmt.Sprintf("; ... (%d more)", len(list)-n)
}

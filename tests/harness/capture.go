package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"corescope/tests/harness/manifest"
)

type harness struct {
	testsDir  string
	outDir    string
	tc        *toolchain
	methods   []string
	keepPlain bool
	timeout   time.Duration
	// experiment is the GOEXPERIMENT of the builds; scale the scenarios'
	// CORESCOPE_SCENARIO_SCALE (0: unset); zstdArgs the core compression.
	experiment string
	scale      float64
	zstdArgs   []string
	// corePatternFile is /proc/sys/kernel/core_pattern unless overridden.
	corePatternFile string

	progressTotal int
	progressN     int
}

// captureScenario builds and runs one scenario and captures it with every
// requested method. It always returns one Capture per method.
func (h *harness) captureScenario(scenario, variant string) []manifest.Capture {
	flags := variantFlags[variant]
	base := manifest.Capture{
		Scenario: scenario, GoVersion: h.tc.version, GoCmd: h.tc.spec, Variant: variant,
		BuildFlags: append([]string{}, flags...), Experiment: h.experiment, Scale: h.scale,
	}
	relDir := filepath.Join(base.Label(), variant, scenario)
	base.Dir = relDir
	dir := filepath.Join(h.outDir, relDir)
	if base.BuildFlags == nil {
		base.BuildFlags = []string{}
	}
	rel := func(name string) string { return filepath.Join(relDir, name) }
	all := func(status, reason string) []manifest.Capture {
		var out []manifest.Capture
		for _, m := range h.methods {
			c := base
			c.Method, c.Status, c.Reason = m, status, reason
			out = append(out, c)
			h.progress(&c)
		}
		return out
	}

	// A fresh directory: no stale truth or core may be mistaken for new.
	if err := os.RemoveAll(dir); err != nil {
		return all(manifest.StatusFail, err.Error())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return all(manifest.StatusFail, err.Error())
	}

	if usesCgo(h.testsDir, scenario) && !h.tc.cgo {
		return all(manifest.StatusSkip, "scenario needs cgo: "+h.tc.cgoWhy)
	}

	t0 := time.Now()
	exe := filepath.Join(dir, "exe")
	if err := h.build(scenario, flags, exe, filepath.Join(dir, "build.log")); err != nil {
		return all(manifest.StatusFail, err.Error())
	}
	base.BuildSeconds = secondsSince(t0)
	base.Exe = rel("exe")

	t1 := time.Now()
	args := []string{"-truth", filepath.Join(dir, "truth.json"), "-pprof", filepath.Join(dir, "heap.pprof")}
	var env []string
	if h.scale != 0 {
		env = append(env, scaleEnv+"="+strconv.FormatFloat(h.scale, 'g', -1, 64))
	}
	proc, limitNote, err := startScenario(dir, exe, args, env, filepath.Join(dir, "stderr.txt"), h.timeout)
	if err != nil {
		return all(manifest.StatusFail, "scenario: "+err.Error())
	}
	defer proc.kill() // every path: kill (if still alive) and reap
	base.ReadySeconds = secondsSince(t1)
	base.PID = proc.pid
	base.Truth = rel("truth.json")
	base.HeapProfile = rel("heap.pprof")
	base.Stderr = rel("stderr.txt")

	var out []manifest.Capture
	for _, m := range h.methods {
		c := base
		c.Method = m
		t := time.Now()
		switch m {
		case "gcore":
			h.gcore(&c, dir, proc)
		case "kernel":
			h.kernel(&c, dir, proc, limitNote)
		}
		c.Seconds = secondsSince(t)
		out = append(out, c)
		h.progress(&c)
	}
	return out
}

func (h *harness) progress(c *manifest.Capture) {
	h.progressN++
	msg := c.Status
	if c.Reason != "" {
		msg += ": " + c.Reason
	}
	size := ""
	if c.Status == manifest.StatusOK {
		size = fmt.Sprintf(" core %s (%s on disk) -> %s", iec(c.CorePlainBytes), iec(c.CoreDiskBytes), iec(c.CoreBytes))
	}
	fmt.Fprintf(os.Stderr, "[%d/%d] %s %s %s %s: %s %.1fs (build %.1fs, ready %.1fs)%s\n",
		h.progressN, h.progressTotal, c.Label(), c.Variant, c.Scenario, c.Method, msg,
		c.Seconds, c.BuildSeconds, c.ReadySeconds, size)
}

// ---------------------------------------------------------------------------
// gcore

var ptraceDeniedRE = regexp.MustCompile(`(?i)(ptrace: Operation not permitted|could not attach|Couldn't get registers|not permitted)`)

// gcore dumps the live process with gdb's gcore. The process keeps running.
func (h *harness) gcore(c *manifest.Capture, dir string, p *scenarioProc) {
	if _, err := exec.LookPath("gcore"); err != nil {
		c.Status, c.Reason = manifest.StatusSkip, "gcore not found in PATH (install gdb)"
		return
	}
	if !p.alive() {
		c.Status, c.Reason = manifest.StatusFail, "scenario exited before gcore"
		return
	}
	prefix := filepath.Join(dir, "gcore")
	raw := fmt.Sprintf("%s.%d", prefix, p.pid)
	core := filepath.Join(dir, "gcore.core")
	// On interrupt: no plain core (or half-written .zst) stays behind.
	remove := addCleanup(func() { os.Remove(raw); os.Remove(core); os.Remove(core + ".zst") })
	defer remove()
	c.LiveThreads = p.addTasks(nil)
	out, err := runCapture(h.timeout, dir, nil, "gcore", "-o", prefix, strconv.Itoa(p.pid))
	c.LiveThreads = p.addTasks(c.LiveThreads)
	os.WriteFile(filepath.Join(dir, "gcore.log"), []byte(out), 0o644)
	if _, serr := os.Stat(raw); serr != nil {
		os.Remove(raw)
		if ptraceDeniedRE.MatchString(out) {
			c.Status, c.Reason = manifest.StatusSkip, "gcore cannot attach: "+firstMatchLine(out, ptraceDeniedRE)
			return
		}
		c.Status, c.Reason = manifest.StatusFail, fmt.Sprintf("gcore wrote no %s (%v): %s", filepath.Base(raw), err, tail(out, 600))
		return
	}
	if err != nil {
		os.Remove(raw)
		c.Status, c.Reason = manifest.StatusFail, fmt.Sprintf("gcore: %v: %s", err, tail(out, 600))
		return
	}
	if !p.alive() {
		os.Remove(raw)
		c.Status, c.Reason = manifest.StatusFail, "scenario died during gcore"
		return
	}
	if err := os.Rename(raw, core); err != nil {
		os.Remove(raw)
		c.Status, c.Reason = manifest.StatusFail, err.Error()
		return
	}
	h.finishCore(c, dir, core)
}

func firstMatchLine(out string, re *regexp.Regexp) string {
	for _, l := range strings.Split(out, "\n") {
		if re.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	return tail(out, 200)
}

// ---------------------------------------------------------------------------
// kernel

// kernel sends SIGABRT; with GOTRACEBACK=crash the runtime prints every
// goroutine to stderr and dies by SIGABRT with the default action, so the
// kernel writes a core per core_pattern.
func (h *harness) kernel(c *manifest.Capture, dir string, p *scenarioProc, limitNote string) {
	pattern := readTrim(h.corePatternFile)
	usesPID := readTrim("/proc/sys/kernel/core_uses_pid") == "1"
	if strings.HasPrefix(pattern, "|") {
		c.Status, c.Reason = manifest.StatusSkip, fmt.Sprintf("core_pattern is a pipe (%q): the kernel hands the core to a helper, not to a file we can pick up", pattern)
		return
	}
	if limitNote != "" && strings.Contains(limitNote, "hard limit is 0 ") {
		c.Status, c.Reason = manifest.StatusSkip, limitNote
		return
	}
	if pattern == "" {
		c.Status, c.Reason = manifest.StatusSkip, "core_pattern is empty: the kernel writes no core"
		return
	}
	if !p.alive() {
		c.Status, c.Reason = manifest.StatusFail, "scenario exited before SIGABRT"
		return
	}
	glob := corePatternGlob(pattern, usesPID, p.pid, dir)
	before, _ := filepath.Glob(glob)

	c.LiveThreads = p.addTasks(nil)
	if err := syscall.Kill(p.pid, syscall.SIGABRT); err != nil {
		c.Status, c.Reason = manifest.StatusFail, "kill -ABRT: "+err.Error()
		return
	}
	ws, err := p.waitExit(h.timeout)
	// The traceback is the scenario's stderr from here on.
	tb := filepath.Join(dir, "kernel.traceback.txt")
	if rerr := os.Rename(filepath.Join(dir, "stderr.txt"), tb); rerr == nil {
		c.Traceback = filepath.Join(c.Dir, "kernel.traceback.txt")
		c.Stderr = ""
	}
	if err != nil {
		c.Status, c.Reason = manifest.StatusFail, err.Error()
		return
	}
	if !ws.Signaled() || ws.Signal() != syscall.SIGABRT {
		c.Status, c.Reason = manifest.StatusFail, fmt.Sprintf("scenario did not die by SIGABRT: wait status %#x", uint32(ws))
		return
	}
	if !ws.CoreDump() {
		reason := "killed by SIGABRT but no core was dumped"
		if limitNote != "" {
			reason += " (" + limitNote + ")"
		}
		c.Status, c.Reason = manifest.StatusFail, reason
		return
	}
	found := newFiles(glob, before)
	if len(found) != 1 {
		c.Status, c.Reason = manifest.StatusFail, fmt.Sprintf("core_pattern %q: expected one new file matching %s, found %v", pattern, glob, found)
		return
	}
	core := filepath.Join(dir, "kernel.core")
	remove := addCleanup(func() { os.Remove(found[0]); os.Remove(core); os.Remove(core + ".zst") })
	defer remove()
	if err := moveFile(found[0], core); err != nil {
		c.Status, c.Reason = manifest.StatusFail, err.Error()
		return
	}
	h.finishCore(c, dir, core)
}

// corePatternGlob expands a file core_pattern (see core(5)) into a glob
// for the core of pid. Specifiers whose value the harness cannot know (time,
// the dumping thread id, the pid in the initial namespace) become "*".
func corePatternGlob(pattern string, usesPID bool, pid int, cwd string) string {
	host, _ := os.Hostname()
	var b strings.Builder
	hasPID := false
	for i := 0; i < len(pattern); i++ {
		ch := pattern[i]
		if ch != '%' || i+1 == len(pattern) {
			b.WriteString(globEscape(string(ch)))
			continue
		}
		i++
		switch pattern[i] {
		case '%':
			b.WriteString("%")
		case 'p':
			b.WriteString(strconv.Itoa(pid))
			hasPID = true
		case 'u':
			b.WriteString(strconv.Itoa(os.Getuid()))
		case 'g':
			b.WriteString(strconv.Itoa(os.Getgid()))
		case 's':
			b.WriteString(strconv.Itoa(int(syscall.SIGABRT)))
		case 'e', 'f':
			b.WriteString("exe") // comm / file name of the scenario binary
		case 'h':
			b.WriteString(globEscape(host))
		case 'E':
			b.WriteString("*exe")
		default: // %P %i %I %t %c %d and anything new
			b.WriteString("*")
			if pattern[i] == 'P' {
				hasPID = true
			}
		}
	}
	s := b.String()
	if usesPID && !hasPID {
		s += "." + strconv.Itoa(pid)
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(cwd, s)
	}
	return s
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}

func newFiles(glob string, before []string) []string {
	old := map[string]bool{}
	for _, f := range before {
		old[f] = true
	}
	now, _ := filepath.Glob(glob)
	var out []string
	for _, f := range now {
		if !old[f] {
			out = append(out, f)
		}
	}
	return out
}

func moveFile(from, to string) error {
	if err := os.Rename(from, to); err == nil {
		return nil
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(to)
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Remove(from)
}

// ---------------------------------------------------------------------------
// After a core exists: oracle outputs, sizes, compression, checksum.

func (h *harness) finishCore(c *manifest.Capture, dir, core string) {
	fail := func(format string, args ...interface{}) {
		os.Remove(core)
		c.Status, c.Reason = manifest.StatusFail, fmt.Sprintf(format, args...)
	}
	st, err := os.Stat(core)
	if err != nil {
		fail("%v", err)
		return
	}
	c.CorePlainBytes = st.Size()
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		c.CoreDiskBytes = sys.Blocks * 512
	}
	if _, err := exec.LookPath("eu-readelf"); err != nil {
		os.Remove(core)
		c.Status, c.Reason = manifest.StatusSkip, "eu-readelf not found in PATH (install elfutils): no oracle outputs"
		return
	}
	name := filepath.Base(core)
	for _, o := range []struct {
		flag, suffix string
		field        *string
	}{{"-l", ".phdrs.txt", &c.Phdrs}, {"-n", ".notes.txt", &c.Notes}} {
		out, err := runCapture(h.timeout, dir, nil, "eu-readelf", o.flag, name)
		if err != nil {
			fail("eu-readelf %s %s: %v: %s", o.flag, name, err, tail(out, 400))
			return
		}
		if err := os.WriteFile(core+o.suffix, []byte(out), 0o644); err != nil {
			fail("%v", err)
			return
		}
		*o.field = filepath.Join(c.Dir, name+o.suffix)
	}
	stored := core
	if !h.keepPlain {
		if _, err := exec.LookPath("zstd"); err != nil {
			fail("zstd not found in PATH (install zstd, or use -keep-plain)")
			return
		}
		args := append([]string{"-q", "-T2"}, h.zstdArgs...)
		args = append(args, "--rm", "-f", name, "-o", name+".zst")
		out, err := runCapture(h.timeout, dir, nil, "zstd", args...)
		if err != nil {
			os.Remove(core + ".zst")
			fail("zstd: %v: %s", err, tail(out, 400))
			return
		}
		stored = core + ".zst"
		c.Compressed = true
	}
	st, err = os.Stat(stored)
	if err != nil {
		fail("%v", err)
		return
	}
	c.CoreBytes = st.Size()
	sum, err := sha256File(stored)
	if err != nil {
		fail("%v", err)
		return
	}
	c.CoreSHA256 = sum
	c.Core = filepath.Join(c.Dir, filepath.Base(stored))
	c.Status = manifest.StatusOK
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func secondsSince(t time.Time) float64 {
	return float64(time.Since(t).Milliseconds()) / 1000
}

func iec(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

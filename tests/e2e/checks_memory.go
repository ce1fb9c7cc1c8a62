package main

// Memory running out: corescope must stop with one line and exit status
// 2 before the kernel's OOM killer takes it (SIGKILL, no word of why).
// The zstd core is the quick way to need memory: decompressed, it is held
// by the process.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"corescope/tests/scenarios/truth"
)

func init() {
	registry = append(registry,
		Check{Group: "tools", Name: "memory-limit", Methods: []string{"gcore"}, When: memoryTarget, Run: checkMemoryLimit},
		Check{Group: "tools", Name: "memory-cgroup", Methods: []string{"gcore"}, When: memoryTarget, Run: checkMemoryCgroup},
	)
}

func memoryTarget(c *Capture) bool {
	return c.Scenario == "servemux-closure" && c.Variant == "default"
}

// stoppedForMemory: exit 2, nothing on stdout (no half answer), and a last
// line on stderr that names the core and says what ran out.
func stoppedForMemory(label string, o *csOutcome, core, want string) string {
	if o.Err != nil {
		return fmt.Sprintf("%s: %v", label, o.Err)
	}
	msg := strings.TrimRight(o.Stderr, "\n")
	lines := strings.Split(msg, "\n")
	last := lines[len(lines)-1]
	switch {
	case o.Status < 0:
		return fmt.Sprintf("%s: killed by a signal (the OOM killer?), stderr %q; want exit 2", label, firstLine(msg))
	case o.Status != 2:
		return fmt.Sprintf("%s: exit status %d (stderr %q), want 2", label, o.Status, firstLine(msg))
	case o.raw != "":
		return fmt.Sprintf("%s: stopped but printed %d bytes on stdout", label, len(o.raw))
	case !strings.HasPrefix(last, "corescope: "+core+": stopped while ") || !strings.Contains(last, want):
		return fmt.Sprintf("%s: last line %q, want \"corescope: %s: stopped while …\" with %q", label, last, core, want)
	}
	return ""
}

func checkMemoryLimit(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	cs, core := c.env.Corescope, c.CorePath()
	var problems []string
	bad := runCorescope(c.env.Timeout, []string{cs, "--max-memory", "12x", "info", core}, nil)
	if bad.Err != nil || bad.Status != 1 || !strings.Contains(bad.Stderr, "--max-memory wants") {
		problems = append(problems, fmt.Sprintf("--max-memory 12x: exit %d, stderr %q: want a usage error (exit 1)", bad.Status, firstLine(bad.Stderr)))
	}
	// Decompressing this core alone takes more than 40 MiB.
	small := runCorescope(c.env.Timeout, []string{cs, "--max-memory", "40M", "report", "--json", "--no-progress", "--exe", c.ExePath(), core}, nil)
	if p := stoppedForMemory("--max-memory 40M", small, core, "--max-memory is 40.0 MiB, corescope holds "); p != "" {
		problems = append(problems, p)
	}
	// A limit the analysis fits in changes nothing.
	big := runCorescope(c.env.Timeout, []string{cs, "--max-memory", "4G", "report", "--json", "--no-progress", "--exe", c.ExePath(), core}, nil)
	if big.Err != nil || big.Status != 0 {
		problems = append(problems, fmt.Sprintf("--max-memory 4G: exit %d, %v, stderr %q: want the report", big.Status, big.Err, firstLine(big.Stderr)))
	}
	if len(problems) > 0 {
		return failf("%s", strings.Join(problems, "; "))
	}
	return pass()
}

// A memory cgroup of our own, v1 or v2, below this process's: its
// directory and the file that takes its limit, or why there is none.
func makeMemoryCgroup() (dir, limitFile string, err error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", "", err
	}
	name := fmt.Sprintf("corescope-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
	var tried []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		var parent, limit string
		switch {
		case f[1] == "":
			parent, limit = filepath.Join("/sys/fs/cgroup", f[2]), "memory.max"
			ctl, err := os.ReadFile(filepath.Join(parent, "cgroup.subtree_control"))
			if err != nil || !strings.Contains(string(ctl), "memory") {
				tried = append(tried, "cgroup v2 at "+parent+": memory is not delegated to its children")
				continue
			}
		case strings.Contains(f[1], "memory"):
			parent, limit = filepath.Join("/sys/fs/cgroup/memory", f[2]), "memory.limit_in_bytes"
		default:
			continue
		}
		d := filepath.Join(parent, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			tried = append(tried, err.Error())
			continue
		}
		return d, filepath.Join(d, limit), nil
	}
	if len(tried) == 0 {
		tried = append(tried, "this process is in no memory cgroup")
	}
	return "", "", fmt.Errorf("%s", strings.Join(tried, "; "))
}

// In a cgroup too small for it, corescope stops; in one it fits in, it
// answers.  The 64 MiB case is one the kernel ends with SIGKILL when
// nothing watches.
func checkMemoryCgroup(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	core := c.CorePath()
	var problems []string
	for _, mib := range []int{64, 1024} {
		dir, limitFile, err := makeMemoryCgroup()
		if err != nil {
			return skipf("cannot make a memory cgroup here: %v", err)
		}
		if err := os.WriteFile(limitFile, []byte(fmt.Sprint(mib<<20)), 0o644); err != nil {
			os.Remove(dir)
			return skipf("cannot limit a memory cgroup here: %v", err)
		}
		argv := []string{"sh", "-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, dir,
			c.env.Corescope, "report", "--json", "--no-progress", "--exe", c.ExePath(), core}
		o := runCorescope(c.env.Timeout, argv, nil)
		label := fmt.Sprintf("in a cgroup of %d MiB", mib)
		if mib == 64 {
			if p := stoppedForMemory(label, o, core, "the memory cgroup "+dir+" allows 64.0 MiB"); p != "" {
				problems = append(problems, p)
			}
		} else if o.Err != nil || o.Status != 0 {
			problems = append(problems, fmt.Sprintf("%s: exit %d, %v, stderr %q: want the report", label, o.Status, o.Err, firstLine(o.Stderr)))
		}
		// The group empties when the process is gone; give the kernel a moment.
		for i := 0; i < 50 && os.Remove(dir) != nil; i++ {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(problems) > 0 {
		return failf("%s", strings.Join(problems, "; "))
	}
	return pass()
}

package main

// Hostile input: cores cut short, with corrupt program headers or notes,
// and the wrong executable.  Each must end in a one-line error (exit 2) or
// a labelled partial answer (exit 3): never a crash, a hang or a silent
// success.  The core is streamed through stdin, so no cut copy is written.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"corescope/tests/scenarios/truth"
)

func init() {
	registry = append(registry,
		// Kernel cores: gcore's are ten times larger to stream, and the
		// parser is the same.
		Check{Group: "corewalk", Name: "truncated", Methods: []string{"kernel"}, When: hostileTarget, Run: checkTruncated},
		Check{Group: "corewalk", Name: "corrupt-headers", Methods: []string{"kernel"}, When: hostileTarget, Run: checkCorruptHeaders},
		Check{Group: "corewalk", Name: "wrong-executable", When: hostileTarget, Run: checkWrongExecutable},
	)
}

// One scenario per build is enough: the point is the parser, not the heap.
func hostileTarget(c *Capture) bool {
	return c.Scenario == "servemux-closure" && (c.Variant == "default" || c.Variant == "pie")
}

// plainCore decompresses the capture's core into memory.
func plainCore(c *Capture) ([]byte, error) {
	cmd := exec.Command("zstd", "-q", "-d", "-c", c.CorePath())
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("zstd -d: %v", err)
	}
	return out.Bytes(), nil
}

// feed runs corescope with data on stdin.
func feed(c *Capture, data []byte, args ...string) (status int, stdout, stderr string, err error) {
	argv := append([]string{c.env.Corescope}, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, werr := cmd.StdinPipe()
	if werr != nil {
		return 0, "", "", werr
	}
	if err := cmd.Start(); err != nil {
		return 0, "", "", err
	}
	go func() {
		io.Copy(in, bytes.NewReader(data))
		in.Close()
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(c.env.Timeout):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return 0, "", "", fmt.Errorf("hung: killed after %v", c.env.Timeout)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 0, so.String(), se.String(), fmt.Errorf("crashed with signal %v: %s", ws.Signal(), firstLine(se.String()))
		}
		return ee.ExitCode(), so.String(), se.String(), nil
	}
	return 0, so.String(), se.String(), err
}

// judge: exit 2 with one line, or exit 3 with a JSON answer and warnings.
func judge(label string, status int, stdout, stderr string, err error) string {
	if err != nil {
		return fmt.Sprintf("%s: %v", label, err)
	}
	switch status {
	case 2:
		msg := strings.TrimRight(stderr, "\n")
		lines := strings.Split(msg, "\n")
		last := lines[len(lines)-1]
		if !strings.HasPrefix(last, "corescope: ") || strings.HasPrefix(last, "corescope: warning") {
			return fmt.Sprintf("%s: exit 2 without a one-line error: %q", label, msg)
		}
		return ""
	case 3:
		if !strings.Contains(stdout, `"warnings":["`) {
			return fmt.Sprintf("%s: exit 3 but no warnings in the JSON", label)
		}
		return ""
	}
	return fmt.Sprintf("%s: exit status %d, want 2 (error) or 3 (partial)", label, status)
}

// Cut at 10 points from 5% to 95%: info, and report (the overview, the
// leak suspects with their paths and the histogram, on what is left).
func checkTruncated(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	core, err := plainCore(c)
	if err != nil {
		return failf("%v", err)
	}
	var problems []string
	for i := 0; i < 10; i++ {
		cut := len(core) * (5 + 10*i) / 100
		for _, cmd := range []string{"info", "report"} {
			status, so, se, err := feed(c, core[:cut], cmd, "--json", "--no-progress", "--exe", c.ExePath(), "-")
			if p := judge(fmt.Sprintf("%s cut at %d%%", cmd, 5+10*i), status, so, se, err); p != "" {
				problems = append(problems, p)
			}
			if status == 3 && cmd == "info" && !strings.Contains(so, `"truncated":true`) {
				problems = append(problems, fmt.Sprintf("info cut at %d%%: not reported truncated", 5+10*i))
			}
		}
	}
	if len(problems) > 0 {
		return failf("%s", firstN(problems, 4))
	}
	return pass()
}

// Corrupt program headers and notes at fixed pseudo-random places.
func checkCorruptHeaders(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	core, err := plainCore(c)
	if err != nil {
		return failf("%v", err)
	}
	if len(core) < 64 {
		return failf("core too small")
	}
	phoff := binary.LittleEndian.Uint64(core[32:])
	phnum := int(binary.LittleEndian.Uint16(core[56:]))
	if phoff+uint64(phnum)*56 > uint64(len(core)) {
		return failf("program headers outside the core")
	}
	// The PT_NOTE segment.
	var noteOff, noteSize uint64
	for i := 0; i < phnum; i++ {
		ph := core[phoff+uint64(i)*56:]
		if binary.LittleEndian.Uint32(ph) == 4 {
			noteOff = binary.LittleEndian.Uint64(ph[8:])
			noteSize = binary.LittleEndian.Uint64(ph[32:])
		}
	}
	rng := rand.New(rand.NewSource(int64(len(core))))
	var problems []string
	mutants := 0
	for i := 0; i < 12; i++ {
		m := append([]byte(nil), core[:]...)
		var what string
		if i%2 == 0 || noteSize == 0 {
			// a program header field: offset, vaddr, filesz or memsz
			k := rng.Intn(phnum)
			field := []int{8, 16, 32, 40}[rng.Intn(4)]
			binary.LittleEndian.PutUint64(m[phoff+uint64(k)*56+uint64(field):], rng.Uint64()>>uint(rng.Intn(40)))
			what = fmt.Sprintf("program header %d field @%d", k, field)
		} else {
			// note sizes and types
			at := noteOff + uint64(rng.Int63n(int64(noteSize)))&^3
			binary.LittleEndian.PutUint32(m[at:], rng.Uint32()>>uint(rng.Intn(30)))
			what = fmt.Sprintf("note word at 0x%x", at)
		}
		mutants++
		for _, cmd := range []string{"info", "threads", "overview"} {
			status, so, se, err := feed(c, m, cmd, "--json", "--no-progress", "--exe", c.ExePath(), "-")
			if err != nil || (status != 0 && status != 2 && status != 3) {
				problems = append(problems, judge(cmd+" with corrupt "+what, status, so, se, err))
			} else if status == 2 {
				if p := judge(cmd+" with corrupt "+what, status, so, se, err); p != "" {
					problems = append(problems, p)
				}
			}
		}
	}
	if len(problems) > 0 {
		return failf("%d problems in %d mutants: %s", len(problems), mutants, firstN(problems, 4))
	}
	return pass()
}

// Another scenario's executable: a one-line error naming both build ids.
func checkWrongExecutable(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	other := strings.Replace(c.ExePath(), "/servemux-closure/", "/subslice/", 1)
	if _, err := os.Stat(other); err != nil {
		return skipf("no other executable of this build to try: %v", err)
	}
	o := runCorescope(c.env.Timeout, []string{c.env.Corescope, "info", "--exe", other, c.CorePath()}, nil)
	if o.Err != nil {
		return failf("%v", o.Err)
	}
	msg := strings.TrimSpace(o.Stderr)
	if o.Status != 2 || strings.Contains(msg, "\n") || !strings.Contains(msg, "does not match") {
		return failf("exit %d, stderr %q: want exit 2 and one line saying the build id does not match", o.Status, msg)
	}
	f := runCorescope(c.env.Timeout, []string{c.env.Corescope, "info", "--force", "--exe", other, c.CorePath()}, nil)
	if f.Err != nil || f.Status != 0 || !strings.Contains(f.Stderr, "--force") {
		return failf("with --force: exit %d, stderr %q: want the answer and a warning", f.Status, firstLine(f.Stderr))
	}
	return pass()
}

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// runCapture runs a command in its own process group with a timeout and
// returns its combined output. On timeout the whole group is killed (gcore
// is a shell script around gdb: killing only the shell would leave gdb
// attached to the scenario).
func runCapture(timeout time.Duration, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if isInterrupted() {
		return "", errInterrupted
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	pgid := cmd.Process.Pid
	remove := addCleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	defer remove()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return buf.String(), err
	case <-time.After(timeout):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
		return buf.String(), fmt.Errorf("%s timed out after %v (killed)", name, timeout)
	}
}

// scenarioProc is a running scenario program.
type scenarioProc struct {
	cmd    *exec.Cmd
	pid    int
	stderr *os.File
	done   chan struct{} // closed when Wait returned
	state  *os.ProcessState
	werr   error
	remove func()
}

// startScenario starts exe in dir with GOTRACEBACK=crash and the extra
// environment env, raises its RLIMIT_CORE to the hard limit (unlimited
// where allowed) and waits for the line "ready" on its stdout.
func startScenario(dir, exe string, args []string, env []string, stderrPath string, timeout time.Duration) (*scenarioProc, string, error) {
	errf, err := os.Create(stderrPath)
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Env = append(append(buildEnv(), "GOTRACEBACK=crash"), env...)
	cmd.Stderr = errf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		errf.Close()
		return nil, "", err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if isInterrupted() {
		errf.Close()
		return nil, "", errInterrupted
	}
	if err := cmd.Start(); err != nil {
		errf.Close()
		return nil, "", err
	}
	p := &scenarioProc{cmd: cmd, pid: cmd.Process.Pid, stderr: errf, done: make(chan struct{})}
	pid := p.pid
	p.remove = addCleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	go func() {
		p.werr = cmd.Wait()
		p.state = cmd.ProcessState
		close(p.done)
	}()

	limitNote := raiseCoreLimit(p.pid)

	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				first = false
				if sc.Text() == "ready" {
					ready <- nil
				} else {
					ready <- fmt.Errorf("first stdout line is %q, want \"ready\"", sc.Text())
				}
			}
		}
		if first {
			ready <- errors.New("stdout closed before \"ready\"")
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case err := <-ready:
		if err != nil {
			p.kill()
			return nil, limitNote, fmt.Errorf("%v; stderr: %s", err, tailFile(stderrPath, 600))
		}
	case <-time.After(timeout):
		p.kill()
		return nil, limitNote, fmt.Errorf("no \"ready\" within %v; stderr: %s", timeout, tailFile(stderrPath, 600))
	}
	return p, limitNote, nil
}

// alive reports whether the process has not exited.
func (p *scenarioProc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// addTasks adds the thread ids /proc/PID/task lists now to set (sorted,
// without repeats). A process that is gone adds nothing.
func (p *scenarioProc) addTasks(set []int) []int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", p.pid))
	for _, e := range ents {
		if id, err := strconv.Atoi(e.Name()); err == nil {
			set = append(set, id)
		}
	}
	sort.Ints(set)
	out := set[:0]
	for i, id := range set {
		if i == 0 || id != set[i-1] {
			out = append(out, id)
		}
	}
	return out
}

// kill sends SIGKILL and reaps the process.
func (p *scenarioProc) kill() {
	if p.alive() {
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
	<-p.done
	p.finish()
}

// waitExit waits for the process to exit, killing it after timeout.
func (p *scenarioProc) waitExit(timeout time.Duration) (syscall.WaitStatus, error) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		return 0, fmt.Errorf("did not exit within %v (killed)", timeout)
	}
	p.finish()
	ws, _ := p.state.Sys().(syscall.WaitStatus)
	return ws, nil
}

func (p *scenarioProc) finish() {
	p.stderr.Close()
	if p.remove != nil {
		p.remove()
		p.remove = nil
	}
}

// raiseCoreLimit sets the process's RLIMIT_CORE soft limit to its hard
// limit (normally unlimited) with prlimit(2). It returns a note when the
// limit stays below unlimited.
func raiseCoreLimit(pid int) string {
	const rlimitCore = 4 // RLIMIT_CORE
	var old syscall.Rlimit
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), rlimitCore, 0, uintptr(unsafe.Pointer(&old)), 0, 0); e != 0 {
		return fmt.Sprintf("prlimit(RLIMIT_CORE) read: %v", e)
	}
	want := syscall.Rlimit{Cur: ^uint64(0), Max: ^uint64(0)}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), rlimitCore, uintptr(unsafe.Pointer(&want)), 0, 0, 0); e == 0 {
		return ""
	}
	want = syscall.Rlimit{Cur: old.Max, Max: old.Max}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), rlimitCore, uintptr(unsafe.Pointer(&want)), 0, 0, 0); e != 0 {
		return fmt.Sprintf("prlimit(RLIMIT_CORE): %v", e)
	}
	if old.Max != ^uint64(0) {
		return fmt.Sprintf("RLIMIT_CORE hard limit is %d bytes", old.Max)
	}
	return ""
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return "(empty)"
	}
	return tail(string(b), n)
}

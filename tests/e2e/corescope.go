package main

// Running corescope on a capture: every (command, args) runs once per
// capture and its JSON document is kept for the checks that follow.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// csOutcome is one corescope run.
type csOutcome struct {
	Doc    map[string]interface{} // the JSON document (nil when none)
	Status int                    // exit status
	Stderr string
	Err    error // could not run, timed out, or stdout was not JSON
	raw    string
}

// Corescope runs `corescope CMD --json --exe EXE CORE ARGS...` on the
// capture's compressed core, memoized.  Exit status 0 and 3 (partial) give
// a document; any other status is returned with its stderr.
func (c *Capture) Corescope(cmd string, args ...string) *csOutcome {
	if c.cs == nil {
		c.cs = map[string]*csOutcome{}
	}
	key := cmd + "\x00" + strings.Join(args, "\x00")
	if o, ok := c.cs[key]; ok {
		return o
	}
	argv := append([]string{c.env.Corescope, cmd, "--json", "--no-progress", "--exe", c.ExePath(), c.CorePath()}, args...)
	o := runCorescope(c.env.Timeout, argv, nil)
	c.cs[key] = o
	return o
}

func runCorescope(timeout time.Duration, argv []string, stdin *os.File) *csOutcome {
	return runCorescopeEnv(timeout, argv, stdin, nil)
}

// runCorescopeEnv is runCorescope with extra environment variables.
func runCorescopeEnv(timeout time.Duration, argv []string, stdin *os.File, env []string) *csOutcome {
	cmd := exec.Command(argv[0], argv[1:]...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.Stdin = stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	o := &csOutcome{}
	if err := cmd.Start(); err != nil {
		o.Err = err
		return o
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		o.Err = fmt.Errorf("timed out after %v", timeout)
		return o
	}
	o.Stderr = se.String()
	if ee, ok := err.(*exec.ExitError); ok {
		o.Status = ee.ExitCode()
	} else if err != nil {
		o.Err = err
		return o
	}
	o.raw = so.String()
	wantJSON := false
	for _, a := range argv {
		wantJSON = wantJSON || a == "--json"
	}
	if !wantJSON || (o.Status != 0 && o.Status != 3) {
		return o
	}
	dec := json.NewDecoder(strings.NewReader(so.String()))
	dec.UseNumber()
	if err := dec.Decode(&o.Doc); err != nil {
		o.Err = fmt.Errorf("stdout is not one JSON document: %v", err)
	} else if docSchema != nil {
		// Every document is held to docs/json.md, whichever check asked.
		if errs := docSchema.validate(o.Doc); len(errs) > 0 {
			o.Err = fmt.Errorf("JSON differs from docs/json.md: %s", strings.Join(errs, "; "))
		}
	}
	return o
}

// result returns the "result" member, or an error describing the failure.
func (o *csOutcome) result() (map[string]interface{}, error) {
	if o.Err != nil {
		return nil, o.Err
	}
	if o.Doc == nil {
		return nil, fmt.Errorf("exit status %d: %s", o.Status, firstLine(o.Stderr))
	}
	r, ok := o.Doc["result"].(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("JSON has no result object")
	}
	return r, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Small accessors for decoded JSON.

func jm(v interface{}, keys ...string) map[string]interface{} {
	for _, k := range keys {
		m, _ := v.(map[string]interface{})
		v = m[k]
	}
	m, _ := v.(map[string]interface{})
	return m
}

func ja(v interface{}, keys ...string) []interface{} {
	for _, k := range keys {
		m, _ := v.(map[string]interface{})
		v = m[k]
	}
	a, _ := v.([]interface{})
	return a
}

func js(v interface{}, keys ...string) string {
	for _, k := range keys {
		m, _ := v.(map[string]interface{})
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

func ju(v interface{}, keys ...string) uint64 {
	for _, k := range keys {
		m, _ := v.(map[string]interface{})
		v = m[k]
	}
	n, _ := v.(json.Number)
	u, _ := parseUint(string(n))
	return u
}

func jb(v interface{}, keys ...string) bool {
	for _, k := range keys {
		m, _ := v.(map[string]interface{})
		v = m[k]
	}
	b, _ := v.(bool)
	return b
}

func parseUint(s string) (uint64, error) {
	var u uint64
	_, err := fmt.Sscanf(s, "%d", &u)
	return u, err
}

func parseAddr(s string) uint64 {
	var u uint64
	fmt.Sscanf(s, "0x%x", &u)
	return u
}

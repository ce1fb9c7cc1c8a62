package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// toolchain is how to run `go` for one capture run.
type toolchain struct {
	spec    string   // what -go said
	path    string   // the go binary to exec
	env     []string // environment for go commands
	version string   // go env GOVERSION
	cgo     bool     // CGO_ENABLED=1 and the C compiler exists
	cgoWhy  string   // why cgo is unavailable
}

var toolchainNameRE = regexp.MustCompile(`^go1\.\d+(\.\d+|rc\d+)?$`)

// scaleEnv is truth.ScaleEnv (the harness does not import the scenarios'
// package).
const scaleEnv = "CORESCOPE_SCENARIO_SCALE"

// resolveToolchain understands "go" (the host go), a path to a go binary,
// or goX.Y.Z (the host go with GOTOOLCHAIN=goX.Y.Z, which may download it
// through the module proxy the first time). A non-empty experiment is
// passed to every go command as GOEXPERIMENT.
func resolveToolchain(spec, experiment string) (*toolchain, error) {
	tc := &toolchain{spec: spec}
	env := buildEnv()
	if experiment != "" {
		env = append(env, "GOEXPERIMENT="+experiment)
	}
	switch {
	case toolchainNameRE.MatchString(spec):
		p, err := exec.LookPath("go")
		if err != nil {
			return nil, fmt.Errorf("-go %s needs the host go in PATH: %v", spec, err)
		}
		tc.path = p
		env = append(env, "GOTOOLCHAIN="+spec)
	default:
		p, err := exec.LookPath(spec)
		if err != nil {
			return nil, fmt.Errorf("-go %s: %v", spec, err)
		}
		tc.path = p
		// Exactly this binary: no automatic toolchain switch (1.21+;
		// older releases ignore the variable).
		env = append(env, "GOTOOLCHAIN=local")
	}
	tc.env = env
	out, err := runCapture(5*time.Minute, "", tc.env, tc.path, "env", "GOVERSION", "CGO_ENABLED", "CC")
	if err != nil {
		return nil, fmt.Errorf("%s env: %v\n%s", tc.path, err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "go") {
		return nil, fmt.Errorf("%s env GOVERSION: unexpected output %q", tc.path, out)
	}
	tc.version = strings.TrimSpace(lines[0])
	cc := strings.Fields(strings.TrimSpace(lines[2]))
	switch {
	case strings.TrimSpace(lines[1]) != "1":
		tc.cgoWhy = "CGO_ENABLED=0 for " + tc.version
	case len(cc) == 0:
		tc.cgoWhy = "no C compiler configured (go env CC is empty)"
	default:
		if _, err := exec.LookPath(cc[0]); err != nil {
			tc.cgoWhy = fmt.Sprintf("C compiler %s not found: %v", cc[0], err)
		} else {
			tc.cgo = true
		}
	}
	return tc, nil
}

// buildEnv is the harness's environment minus what would make builds
// differ from a plain `go build`: GOROOT (belongs to one toolchain),
// GOTOOLCHAIN (set per toolchain), GOEXPERIMENT (set by -experiment only)
// and -trimpath in GOFLAGS (the scenarios keep their file paths); and
// minus the scenario scale, which only -scale sets.
func buildEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k := kv
		if i := strings.IndexByte(kv, '='); i >= 0 {
			k = kv[:i]
		}
		switch k {
		case "GOROOT", "GOTOOLCHAIN", "GOEXPERIMENT", scaleEnv:
			continue
		case "GOFLAGS":
			var keep []string
			for _, f := range strings.Fields(kv[len("GOFLAGS="):]) {
				if f != "-trimpath" && f != "-trimpath=true" {
					keep = append(keep, f)
				}
			}
			kv = "GOFLAGS=" + strings.Join(keep, " ")
		}
		env = append(env, kv)
	}
	return env
}

// build compiles one scenario into exe. The log goes to logPath.
func (h *harness) build(scenario string, flags []string, exe, logPath string) error {
	args := append([]string{"build", "-o", exe}, flags...)
	args = append(args, "./scenarios/"+scenario)
	out, err := runCapture(h.timeout, h.testsDir, h.tc.env, h.tc.path, args...)
	log := fmt.Sprintf("$ %s %s\n%s", h.tc.path, strings.Join(args, " "), out)
	os.WriteFile(logPath, []byte(log), 0o644)
	if err != nil {
		return fmt.Errorf("go build: %v: %s", err, tail(out, 800))
	}
	return nil
}

// findTestsDir returns dir, or the nearest directory at or above the
// working directory (or its tests/ subdirectory) whose go.mod declares
// module corescope/tests.
func findTestsDir(dir string) (string, error) {
	if dir != "" {
		if !isTestsModule(dir) {
			return "", fmt.Errorf("-tests %s: no go.mod with module corescope/tests", dir)
		}
		return filepath.Abs(dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		for _, c := range []string{d, filepath.Join(d, "tests")} {
			if isTestsModule(c) {
				return c, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no corescope/tests module at or above %s (use -tests)", wd)
		}
	}
}

func isTestsModule(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "module corescope/tests" {
			return true
		}
	}
	return false
}

// listScenarios returns the directories of tests/scenarios that hold a
// main.go (the shared truth package has none).
func listScenarios(testsDir string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(testsDir, "scenarios"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(testsDir, "scenarios", e.Name(), "main.go")); err == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("no scenarios under %s/scenarios", testsDir)
	}
	return out, nil
}

// usesCgo reports whether a scenario imports "C".
func usesCgo(testsDir, scenario string) bool {
	files, _ := filepath.Glob(filepath.Join(testsDir, "scenarios", scenario, "*.go"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && regexp.MustCompile(`(?m)^import "C"$`).Match(b) {
			return true
		}
	}
	return false
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return strings.Join(strings.Fields(s), " ")
}

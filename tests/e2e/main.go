// Command e2e checks captured cores against the truth their scenarios
// wrote. It prints one line per check on stdout, and nothing else:
//
//	PASS: <check-name>
//	FAIL: <check-name>: <reason>
//	SKIP: <check-name>: <reason>
//
// Check names are <group>/<go>/<variant>/<scenario>/<method>/<check>. The
// exit status is 0 whatever the checks say; it is 2 only when the checker
// itself cannot run (bad flags, unreadable manifest).
//
//	e2e -captures DIR/captures.json [-corescope PATH] [-only REGEX]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"corescope/tests/harness/manifest"
)

func main() {
	capPath := flag.String("captures", "", "captures.json written by `harness capture` (required)")
	corescope := flag.String("corescope", "", "path to the corescope binary (checks that need it SKIP without it)")
	only := flag.String("only", "", "run only checks whose full name matches this regular expression")
	timeout := flag.Duration("timeout", 10*time.Minute, "timeout for each external command a check runs")
	flag.Parse()
	if *capPath == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: e2e -captures DIR/captures.json [-corescope PATH] [-only REGEX]")
		os.Exit(2)
	}
	var filter *regexp.Regexp
	if *only != "" {
		var err error
		if filter, err = regexp.Compile(*only); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: -only: %v\n", err)
			os.Exit(2)
		}
	}
	m, err := manifest.Load(*capPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	env := &Env{
		All:         m.Captures,
		ManifestDir: filepath.Dir(*capPath),
		Corescope:   *corescope,
		Timeout:     *timeout,
	}
	if env.Corescope != "" {
		if env.Corescope, err = filepath.Abs(env.Corescope); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
			os.Exit(2)
		}
	}
	for i := range m.Captures {
		runChecks(env, &m.Captures[i], filter)
	}
}

// report prints one result line. Reasons are kept on one line.
func report(name string, r Result) {
	reason := strings.Join(strings.Fields(r.Reason), " ")
	switch r.Status {
	case Pass:
		fmt.Printf("PASS: %s\n", name)
	case Skip:
		fmt.Printf("SKIP: %s: %s\n", name, reason)
	default:
		fmt.Printf("FAIL: %s: %s\n", name, reason)
	}
}

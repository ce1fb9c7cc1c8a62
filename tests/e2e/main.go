// Command e2e checks captured cores against the truth their scenarios
// wrote. It prints one line per check on stdout, and nothing else:
//
//	PASS: <check-name>
//	FAIL: <check-name>: <reason>
//	SKIP: <check-name>: <reason>
//
// Check names are <group>/<go>/<variant>/<scenario>/<method>/<check>, where
// <go> is the Go version with its GOEXPERIMENT after a "+"
// (go1.25.14+greenteagc). The exit status is 0 whatever the checks say; it
// is 2 only when the checker itself cannot run (bad flags, unreadable
// manifest).
//
//	e2e -captures DIR/captures.json [-corescope PATH] [-only REGEX]
//	    [-unpack DIR] [-matrix FILE]
//
// The corpus manifest (tests/corpus/manifest.json) has the same schema;
// its executables (and gcore cores) are stored compressed, as zstd patches,
// and are unpacked into -unpack DIR first, never next to the manifest.
// -matrix writes the compatibility matrix of the run (docs/compatibility.md).
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
	unpack := flag.String("unpack", "", "where to unpack compressed executables and cores (default: a temporary directory)")
	matrix := flag.String("matrix", "", "write the compatibility matrix (markdown) of this run to FILE")
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
		plainCores:  map[string]string{},
	}
	if *unpack == "" {
		d, err := os.MkdirTemp("", "e2e-unpack-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
			os.Exit(2)
		}
		defer os.RemoveAll(d)
		*unpack = d
	} else if err := os.MkdirAll(*unpack, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: -unpack: %v\n", err)
		os.Exit(2)
	}
	env.UnpackDir = *unpack
	env.unpacker = manifest.NewUnpacker(m, env.ManifestDir, *unpack)
	defer env.dropPlainCores()
	if env.Corescope != "" {
		if env.Corescope, err = filepath.Abs(env.Corescope); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
			os.Exit(2)
		}
	}
	for i := range m.Captures {
		runChecks(env, &m.Captures[i], filter)
	}
	if *matrix != "" {
		matrixCorescope = env.Corescope
		if err := writeMatrix(*matrix, *capPath, m, env.results); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: -matrix: %v\n", err)
			os.Exit(2)
		}
	}
}

// report prints one result line. Reasons are kept on one line.
func report(name string, r Result) {
	reason := strings.Join(strings.Fields(r.Reason), " ")
	switch {
	case r.Status == Pass && r.Known != "":
		fmt.Printf("PASS: %s: known limitation, failing as documented: %s\n", name, reason)
	case r.Status == Pass:
		fmt.Printf("PASS: %s\n", name)
	case r.Status == Skip:
		fmt.Printf("SKIP: %s: %s\n", name, reason)
	default:
		fmt.Printf("FAIL: %s: %s\n", name, reason)
	}
}

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
//	    [-unpack DIR] [-matrix FILE] [-jobs N]
//
// -jobs N checks N run directories at a time (default: the number of
// CPUs, at most 2): a check waits on corescope and other programs much of
// the time.  The lines still come in manifest order, one run directory's
// at a time.
// The corpus manifest (tests/corpus/manifest.json) has the same schema;
// its executables (and gcore cores) are stored compressed, as zstd patches,
// and are unpacked into -unpack DIR first, never next to the manifest.
// -matrix writes the compatibility matrix of the run (docs/compatibility.md).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
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
	defJobs := runtime.NumCPU()
	if defJobs > 2 {
		defJobs = 2
	}
	jobs := flag.Int("jobs", defJobs, "check this many run directories at a time")
	flag.Parse()
	if *capPath == "" || flag.NArg() != 0 || *jobs < 1 {
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
	if env.Corescope != "" {
		if env.Corescope, err = filepath.Abs(env.Corescope); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
			os.Exit(2)
		}
	}
	env.results = checkAll(env, m.Captures, filter, *jobs)
	if *matrix != "" {
		matrixCorescope = env.Corescope
		if err := writeMatrix(*matrix, *capPath, m, env.results); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: -matrix: %v\n", err)
			os.Exit(2)
		}
	}
}

// checkAll runs the checks of every capture, jobs run directories at a
// time, each in an Env of its own, and prints their lines in manifest
// order.  A run directory's captures stay together in one worker: the
// kernel core's checks compare with its gcore sibling's unpacked core.
func checkAll(env *Env, caps []manifest.Capture, filter *regexp.Regexp, jobs int) []result {
	type group struct {
		first, end int
		out        bytes.Buffer
		results    []result
		done       chan struct{}
	}
	var groups []*group
	for i := range caps {
		if len(groups) == 0 || caps[i].Dir != caps[groups[len(groups)-1].first].Dir {
			groups = append(groups, &group{first: i, done: make(chan struct{})})
		}
		groups[len(groups)-1].end = i + 1
	}
	next := make(chan *group)
	go func() {
		for _, g := range groups {
			next <- g
		}
		close(next)
	}()
	for w := 0; w < jobs; w++ {
		go func() {
			for g := range next {
				genv := env.fork(&g.out)
				for i := g.first; i < g.end; i++ {
					runChecks(genv, &caps[i], filter)
				}
				genv.dropPlainCores()
				g.results = genv.results
				close(g.done)
			}
		}()
	}
	var all []result
	for _, g := range groups {
		<-g.done
		os.Stdout.Write(g.out.Bytes())
		all = append(all, g.results...)
	}
	return all
}

// report writes one result line. Reasons are kept on one line.
func report(w io.Writer, name string, r Result) {
	reason := strings.Join(strings.Fields(r.Reason), " ")
	switch {
	case r.Status == Pass && r.Known != "":
		fmt.Fprintf(w, "PASS: %s: known limitation, failing as documented: %s\n", name, reason)
	case r.Status == Pass:
		fmt.Fprintf(w, "PASS: %s\n", name)
	case r.Status == Skip:
		fmt.Fprintf(w, "SKIP: %s: %s\n", name, reason)
	default:
		fmt.Fprintf(w, "FAIL: %s: %s\n", name, reason)
	}
}

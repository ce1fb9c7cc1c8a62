package main

// The compatibility matrix (docs/compatibility.md): release x experiment x
// capture method x feature, written from the results of the run itself.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"corescope/tests/harness/manifest"
)

// result is one reported check.
type result struct {
	name    string
	check   *Check
	capture *manifest.Capture
	r       Result
}

// features are the matrix's columns: what a user relies on, each proven
// by some checks (group/name).
var features = []struct {
	title  string
	checks []string
}{
	{"core contents", []string{"foundation/capture", "foundation/planted-in-load", "foundation/planted-bytes", "foundation/threads", "foundation/prpsinfo-pid"}},
	{"core & executable", []string{"corewalk/info", "corewalk/version-overlay", "corewalk/zst-identical", "corewalk/native-backtrace", "corewalk/truncated", "corewalk/corrupt-headers", "corewalk/wrong-executable"}},
	{"layout table", []string{"layout/table-equals-dwarf", "layout/builtin-same-answers"}},
	{"object accounting", []string{"heapscan/accounting", "refgraph/dominator-total"}},
	{"planted objects", []string{"heapscan/planted-objects"}},
	{"goroutines vs. traceback", []string{"foundation/traceback-goroutines", "heapscan/goroutine-states", "heapscan/traceback-frames"}},
	{"retention paths", []string{"refgraph/retention-paths", "refgraph/graph-paths", "refgraph/graph-dot"}},
	{"leak suspect", []string{"refgraph/leak-suspect", "refgraph/pprof-top", "refgraph/jobs-identical"}},
}

const otherFeature = "other"

func featureOf(k *Check) string {
	key := k.Group + "/" + k.Name
	for _, f := range features {
		for _, c := range f.checks {
			if c == key {
				return f.title
			}
		}
	}
	return otherFeature
}

type cell struct {
	pass, fail, skip, known int
	notes                   []string // footnote numbers
}

func (c *cell) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		mark string
	}{{c.pass, "✓"}, {c.fail, "✗"}, {c.known, "L"}, {c.skip, "–"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p.mark, p.n))
		}
	}
	if len(parts) == 0 {
		return "·"
	}
	refs := append([]string(nil), c.notes...)
	sort.Slice(refs, func(i, j int) bool {
		var a, b int
		fmt.Sscanf(refs[i], "[%d]", &a)
		fmt.Sscanf(refs[j], "[%d]", &b)
		return a < b
	})
	return strings.TrimSpace(strings.Join(parts, " ") + " " + strings.Join(refs, ""))
}

// writeMatrix writes the matrix of the run's results as markdown.
func writeMatrix(path, capPath string, m *manifest.Manifest, results []result) error {
	type rowKey struct{ label, goVersion, experiment, variant, method string }
	rows := map[rowKey]map[string]*cell{}
	var keys []rowKey
	titles := []string{}
	for _, f := range features {
		titles = append(titles, f.title)
	}
	haveOther := false
	// Notes: one per distinct outcome (status and reason), listing its
	// checks; cells point to them.
	type note struct {
		n              int
		status, reason string
		names          []string
	}
	var notes []*note
	noteOf := map[string]*note{}
	for _, res := range results {
		c := res.capture
		k := rowKey{c.Label(), c.GoVersion, c.Experiment, c.Variant, c.Method}
		if rows[k] == nil {
			rows[k] = map[string]*cell{}
			keys = append(keys, k)
		}
		f := featureOf(res.check)
		if f == otherFeature {
			haveOther = true
		}
		ce := rows[k][f]
		if ce == nil {
			ce = &cell{}
			rows[k][f] = ce
		}
		status := ""
		switch {
		case res.r.Status == Pass && res.r.Known != "":
			ce.known++
			status = "known limitation"
		case res.r.Status == Pass:
			ce.pass++
			continue
		case res.r.Status == Skip:
			ce.skip++
			status = "skipped"
		default:
			ce.fail++
			status = "FAIL"
		}
		reason := strings.Join(strings.Fields(res.r.Reason), " ")
		nt := noteOf[status+"\x00"+reason]
		if nt == nil {
			nt = &note{n: len(notes) + 1, status: status, reason: reason}
			noteOf[status+"\x00"+reason] = nt
			notes = append(notes, nt)
		}
		nt.names = append(nt.names, res.name)
		ref := fmt.Sprintf("[%d]", nt.n)
		if !containsString(ce.notes, ref) {
			ce.notes = append(ce.notes, ref)
		}
	}
	if haveOther {
		titles = append(titles, otherFeature)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.goVersion != b.goVersion {
			return versionLess(a.goVersion, b.goVersion)
		}
		if a.experiment != b.experiment {
			return a.experiment < b.experiment
		}
		if a.variant != b.variant {
			return a.variant < b.variant
		}
		return a.method < b.method
	})

	var b strings.Builder
	fmt.Fprintf(&b, "# Compatibility matrix\n\n")
	fmt.Fprintf(&b, "<!-- Generated; do not edit. See \"How this file is made\" below. -->\n\n")
	fmt.Fprintf(&b, "Which Go releases, layout-changing experiments (`GOEXPERIMENT`) and\n")
	fmt.Fprintf(&b, "capture methods corescope reads, feature by feature, as proven by the\n")
	fmt.Fprintf(&b, "end-to-end checks of one test run over real cores.\n\n")
	fmt.Fprintf(&b, "A cell counts the checks of that feature over the scenarios of the row\n")
	fmt.Fprintf(&b, "(%s): `✓` passed, `✗` failed, `L` failed as a\n", scenarioList(results))
	fmt.Fprintf(&b, "documented, tested limitation (tests/e2e/limitations.go), `–` could not\n")
	fmt.Fprintf(&b, "run here; `·` no check of that feature applies. A cell is a passing cell\n")
	fmt.Fprintf(&b, "when it shows only `✓`. Bracketed numbers point to the notes below the\n")
	fmt.Fprintf(&b, "table, which give the reason and list the checks.\n\n")
	fmt.Fprintf(&b, "| release | experiment | build | method | %s |\n", strings.Join(titles, " | "))
	fmt.Fprintf(&b, "|---|---|---|---|%s\n", strings.Repeat("---|", len(titles)))
	for _, k := range keys {
		exp := k.experiment
		if exp == "" {
			exp = "—"
		}
		var cells []string
		for _, t := range titles {
			if ce := rows[k][t]; ce != nil {
				cells = append(cells, ce.String())
			} else {
				cells = append(cells, "·")
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", k.goVersion, exp, k.variant, k.method, strings.Join(cells, " | "))
	}
	fmt.Fprintf(&b, "\n## Notes\n\n")
	if len(notes) == 0 {
		fmt.Fprintf(&b, "None: every check passed.\n")
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "%d. %s: %s\n", n.n, n.status, n.reason)
		for _, name := range n.names {
			fmt.Fprintf(&b, "   - `%s`\n", name)
		}
	}
	fmt.Fprintf(&b, "\n## Features and their checks\n\n")
	fmt.Fprintf(&b, "docs/scenarios.md describes the scenarios, the truth they record and the checks.\n\n")
	for _, f := range features {
		fmt.Fprintf(&b, "- **%s**: `%s`\n", f.title, strings.Join(f.checks, "`, `"))
	}
	fmt.Fprintf(&b, "\n## How this file is made\n\n")
	fmt.Fprintf(&b, "Written by `tests/bin/e2e -matrix` during `make check` (tests/e2e.sh),\n")
	fmt.Fprintf(&b, "into the build directory as `docs/compatibility.md`; the copy in the\n")
	fmt.Fprintf(&b, "source tree is that file, committed after a run. This one:\n\n")
	fmt.Fprintf(&b, "- run: %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- captures: `%s`, %d captures", filepath.Base(filepath.Dir(capPath))+"/"+filepath.Base(capPath), len(m.Captures))
	if m.Corpus != nil {
		fmt.Fprintf(&b, " (the committed corpus, %.1f MB; regenerate with `%s`)", float64(m.Corpus.TotalBytes)/1e6, m.Corpus.Regenerate)
	}
	fmt.Fprintf(&b, "\n")
	if v := corescopeVersion(); v != "" {
		fmt.Fprintf(&b, "- corescope: %s\n", v)
	}
	if m.Host.Kernel != "" {
		fmt.Fprintf(&b, "- captured on: Linux %s, %s\n", m.Host.Kernel, m.Host.GDB)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func scenarioList(results []result) string {
	seen := map[string]bool{}
	var out []string
	for _, r := range results {
		if !seen[r.capture.Scenario] {
			seen[r.capture.Scenario] = true
			out = append(out, r.capture.Scenario)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// versionLess orders go1.9 < go1.19 < go1.21.13.
func versionLess(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return len(pa) < len(pb)
}

func versionParts(v string) []int {
	var out []int
	for _, f := range strings.Split(strings.TrimPrefix(v, "go"), ".") {
		n := 0
		fmt.Sscanf(f, "%d", &n)
		out = append(out, n)
	}
	return out
}

var matrixCorescope string

func corescopeVersion() string {
	if matrixCorescope == "" {
		return ""
	}
	out, err := exec.Command(matrixCorescope, "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

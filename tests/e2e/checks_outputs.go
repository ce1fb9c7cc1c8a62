package main

// Checks of corescope's machine outputs against readers we did not write:
// the pprof profile through `go tool pprof`, the DOT graph through
// Graphviz's `dot`, and every command's JSON against docs/json.md.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"corescope/tests/scenarios/truth"
)

func init() {
	registry = append(registry,
		Check{Group: "refgraph", Name: "pprof-top", When: plantsLeak, Run: checkPprofTop},
		Check{Group: "refgraph", Name: "graph-paths", When: graphTarget, Run: checkGraphPaths},
		Check{Group: "refgraph", Name: "graph-dot", When: graphTarget, Methods: []string{"gcore"}, Run: checkGraphDot},
		Check{Group: "tools", Name: "json-schema", When: schemaSweep, Methods: []string{"gcore"}, Run: checkJSONSchema},
	)
}

// Every command once per scenario is enough to hold each to the schema;
// the other checks validate the documents they ask for on every capture.
func schemaSweep(c *Capture) bool { return isDefault(c) }

// graphTarget: default builds of scenarios that plant objects.
func graphTarget(c *Capture) bool { return isDefault(c) && c.Scenario != "cgo-thread" }

// A planted object held by a named global or a goroutine's stack, for
// the graph and show checks; and the text its root's name must contain.
func rootedObject(t *truth.Truth) (*truth.Object, string) {
	for i := range t.Objects {
		o := &t.Objects[i]
		switch {
		case o.Root.Kind == "global" && o.Root.Name != "":
			return o, o.Root.Name
		case o.Root.Kind == "stack" && o.Root.Function != "":
			return o, o.Root.Function
		}
	}
	return nil, ""
}

// The table `go tool pprof -top` prints: flat value and name per row.
type pprofRow struct {
	flat, cum uint64
	name      string
}

var pprofRowRE = regexp.MustCompile(`^\s*(\d+)B\s+\S+\s+\S+\s+(\d+)B\s+\S+\s+(.*)$`)

func goTool() (string, *Result) {
	g, err := exec.LookPath("go")
	if err != nil {
		r := skipf("no go on PATH for `go tool pprof`")
		return "", &r
	}
	return g, nil
}

// The profile `corescope pprof` writes, read back by `go tool pprof`: the
// root that retains the most (sample_index=retained) is the planted root,
// with the planted bytes; and the heaviest stack (inuse_space) runs from
// that root to the planted element type.
func checkPprofTop(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	goBin, r := goTool()
	if r != nil {
		return *r
	}
	exp := t.ExpectedLeak
	dir, err := os.MkdirTemp("", "cs-pprof")
	if err != nil {
		return failf("%v", err)
	}
	defer os.RemoveAll(dir)
	prof := filepath.Join(dir, "retained.pb.gz")
	o := c.Corescope("pprof", "-o", prof)
	res, err := o.result()
	if err != nil {
		return failf("corescope pprof: %v", err)
	}
	if ju(res, "live_bytes") == 0 || ju(res, "samples") == 0 {
		return failf("empty profile: %v", res)
	}
	top, err := runTool(c, goBin, "tool", "pprof", "-top", "-unit=B", "-nodecount=10",
		"-sample_index=retained", prof)
	if err != nil {
		return failf("go tool pprof -top: %v", err)
	}
	rows := parsePprofTop(top)
	if len(rows) == 0 {
		return failf("go tool pprof -top printed no rows: %s", firstLine(top))
	}
	if !strings.Contains(rows[0].name, exp.Root) {
		return failf("top root by retained is %q (%d B), planted %s", rows[0].name, rows[0].flat, exp.Root)
	}
	got := float64(rows[0].flat)
	if got < 0.99*float64(exp.Bytes) {
		return failf("%s retains %d B in the profile, planted %d", rows[0].name, rows[0].flat, exp.Bytes)
	}
	if c.Scenario == "servemux-closure" && got > 1.01*float64(exp.Bytes) {
		return failf("%s retains %d B in the profile, planted %d (want within 1%%)", rows[0].name, rows[0].flat, exp.Bytes)
	}
	traces, err := runTool(c, goBin, "tool", "pprof", "-traces", "-unit=B",
		"-sample_index=inuse_space", prof)
	if err != nil {
		return failf("go tool pprof -traces: %v", err)
	}
	val, stack := heaviestTrace(traces)
	if len(stack) == 0 {
		return failf("go tool pprof -traces printed no stacks")
	}
	joined := strings.Join(stack, " <- ")
	if !strings.Contains(joined, exp.Root) {
		return failf("heaviest stack (%d B) does not start at %s: %s", val, exp.Root, joined)
	}
	if c.Variant != "nodwarf" && !strings.Contains(joined, strings.TrimPrefix(exp.ElemType, "[]")) {
		return failf("heaviest stack (%d B) does not reach %s: %s", val, exp.ElemType, joined)
	}
	return pass()
}

func runTool(c *Capture, argv ...string) (string, error) {
	o := runCorescope(c.env.Timeout, argv, nil)
	if o.Err != nil {
		return "", o.Err
	}
	if o.Status != 0 {
		return "", fmt.Errorf("exit status %d: %s", o.Status, firstLine(o.Stderr))
	}
	return o.raw, nil
}

func parsePprofTop(out string) []pprofRow {
	var rows []pprofRow
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := pprofRowRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		flat, _ := strconv.ParseUint(m[1], 10, 64)
		cum, _ := strconv.ParseUint(m[2], 10, 64)
		rows = append(rows, pprofRow{flat, cum, strings.TrimSpace(m[3])})
	}
	return rows
}

// heaviestTrace parses `go tool pprof -traces`: blocks separated by
// dashed lines, the first line of a block "VALUE  frame", then one frame
// per line.  Returns the largest block's value and frames (leaf first).
func heaviestTrace(out string) (uint64, []string) {
	var best uint64
	var bestStack, cur []string
	var curVal uint64
	flush := func() {
		if len(cur) > 0 && curVal >= best {
			best, bestStack = curVal, cur
		}
		cur, curVal = nil, 0
	}
	valRE := regexp.MustCompile(`^\s*(\d+)B\s+(.*)$`)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----") {
			flush()
			continue
		}
		if m := valRE.FindStringSubmatch(line); m != nil {
			curVal, _ = strconv.ParseUint(m[1], 10, 64)
			cur = append(cur, strings.TrimSpace(m[2]))
		} else if cur != nil && strings.TrimSpace(line) != "" {
			cur = append(cur, strings.TrimSpace(line))
		}
	}
	flush()
	return best, bestStack
}

// `corescope graph --json` around a planted object: a root node named
// after the planted root, and edges leading from it to the object.
func checkGraphPaths(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	obj, rootName := rootedObject(t)
	if obj == nil {
		return failf("the scenario plants no object held by a global or a stack")
	}
	res, err := c.Corescope("graph", obj.Addr.String(), "--depth", "1").result()
	if err != nil {
		return failf("corescope graph: %v", err)
	}
	target, roots := -1, map[int]string{}
	for _, n := range ja(res, "nodes") {
		id := int(ju(n, "id"))
		if jb(n, "target") {
			target = id
		}
		if js(n, "kind") == "root" {
			roots[id] = js(n, "name")
		}
	}
	if target < 0 {
		return failf("no target node for %s", obj.Addr)
	}
	next := map[int][]int{}
	for _, e := range ja(res, "edges") {
		next[int(ju(e, "from"))] = append(next[int(ju(e, "from"))], int(ju(e, "to")))
	}
	var names []string
	for id, name := range roots {
		names = append(names, name)
		if !strings.Contains(name, rootName) {
			continue
		}
		seen := map[int]bool{id: true}
		queue := []int{id}
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			if v == target {
				return pass()
			}
			for _, w := range next[v] {
				if !seen[w] {
					seen[w] = true
					queue = append(queue, w)
				}
			}
		}
		return failf("root node %q has no path to %s", name, obj.Addr)
	}
	return failf("no root node names %s (roots: %s)", rootName, strings.Join(names, ", "))
}

// The DOT text is valid for Graphviz: `dot -Tsvg` renders it.
func checkGraphDot(c *Capture, t *truth.Truth) Result {
	if r := heapSkip(c); r != nil {
		return *r
	}
	dot, err := exec.LookPath("dot")
	if err != nil {
		return skipf("Graphviz `dot` not installed (Debian package graphviz)")
	}
	obj, _ := rootedObject(t)
	if obj == nil {
		return failf("the scenario plants no object held by a global or a stack")
	}
	dir, err := os.MkdirTemp("", "cs-graph")
	if err != nil {
		return failf("%v", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "g.dot")
	if _, err := runTool(c, c.env.Corescope, "graph", "--no-progress", "--exe", c.ExePath(),
		c.CorePath(), obj.Addr.String(), "--depth", "2", "-o", file); err != nil {
		return failf("corescope graph: %v", err)
	}
	if _, err := runTool(c, dot, "-Tsvg", "-o", filepath.Join(dir, "g.svg"), file); err != nil {
		return failf("dot rejects the graph: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "g.svg"))
	if err != nil || !strings.Contains(string(b), "<svg") {
		return failf("dot wrote no SVG: %v", err)
	}
	return pass()
}

// Every command's --json document matches docs/json.md (the check lives
// in Capture.Corescope; this runs the commands no other check runs).
func checkJSONSchema(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	if docSchemaErr != nil {
		if os.IsNotExist(docSchemaErr) {
			return skipf("docs/json.md not found next to the sources: %v", docSchemaErr)
		}
		return failf("docs/json.md: %v", docSchemaErr)
	}
	dir, err := os.MkdirTemp("", "cs-schema")
	if err != nil {
		return failf("%v", err)
	}
	defer os.RemoveAll(dir)
	runs := [][]string{
		{"info"}, {"mappings"}, {"threads", "--bt"},
	}
	if notStripped(c) && c.Scenario != "cgo-thread" {
		runs = append(runs,
			[]string{"overview"}, []string{"goroutines"}, []string{"goroutines", "--group"},
			[]string{"histogram", "--top", "30"}, []string{"objects", "-n", "50"},
			[]string{"top"}, []string{"top", "--by", "type"}, []string{"top", "--by", "root"},
			[]string{"why", "--largest", "2"}, []string{"leaks"}, []string{"report"},
			[]string{"pprof", "-o", filepath.Join(dir, "p.pb.gz")})
		if o, _ := rootedObject(t); o != nil {
			runs = append(runs,
				[]string{"show", "--hex", o.Addr.String(), "0x1"},
				[]string{"graph", o.Addr.String()})
		}
	}
	for _, args := range runs {
		if _, err := c.Corescope(args[0], args[1:]...).result(); err != nil {
			return failf("corescope %s: %v", strings.Join(args, " "), err)
		}
	}
	return pass()
}

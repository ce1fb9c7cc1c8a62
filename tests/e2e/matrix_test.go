package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"corescope/tests/harness/manifest"
)

func TestApplyLimitation(t *testing.T) {
	saved := limitations
	defer func() { limitations = saved }()
	limitations = []Limitation{{
		Name:    regexp.MustCompile(`^refgraph/go1\.99\.1/.*/leak-suspect$`),
		Symptom: regexp.MustCompile(`does not reach`),
		Reason:  "documented",
	}}
	name := "refgraph/go1.99.1/corpus/large-maps/gcore/leak-suspect"
	if r := applyLimitation(name, failf("path x does not reach y")); r.Status != Pass || r.Known != "documented" {
		t.Errorf("documented failure: %+v", r)
	}
	if r := applyLimitation(name, pass()); r.Status != Fail || !strings.Contains(r.Reason, "no longer holds") {
		t.Errorf("limitation that passes: %+v", r)
	}
	if r := applyLimitation(name, failf("crashed")); r.Status != Fail {
		t.Errorf("other failure: %+v", r)
	}
	if r := applyLimitation("refgraph/go1.98.1/corpus/x/gcore/leak-suspect", failf("does not reach")); r.Status != Fail || r.Known != "" {
		t.Errorf("unlisted check: %+v", r)
	}
}

func TestWriteMatrix(t *testing.T) {
	caps := []manifest.Capture{
		{Scenario: "s1", GoVersion: "go1.9.2", Variant: "corpus", Method: "gcore"},
		{Scenario: "s1", GoVersion: "go1.19.8", Variant: "corpus", Method: "kernel"},
		{Scenario: "s1", GoVersion: "go1.19.8", Experiment: "noswissmap", Variant: "corpus", Method: "kernel"},
	}
	acc := Check{Group: "heapscan", Name: "accounting"}
	leak := Check{Group: "refgraph", Name: "leak-suspect"}
	res := []result{
		{name: "a", check: &acc, capture: &caps[0], r: pass()},
		{name: "b", check: &acc, capture: &caps[1], r: failf("broken | badly")},
		{name: "c", check: &leak, capture: &caps[2], r: Result{Status: Pass, Reason: "why", Known: "why"}},
	}
	out := filepath.Join(t.TempDir(), "m.md")
	if err := writeMatrix(out, "x/manifest.json", &manifest.Manifest{Captures: caps}, res); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	md := string(b)
	for _, want := range []string{
		"| go1.9.2 | — | corpus | gcore | · | · | · | ✓ 1 |",
		"| go1.19.8 | — | corpus | kernel | · | · | · | ✗ 1 [1] |",
		"L 1 [2]",
		"1. FAIL: broken | badly\n   - `b`",
		"2. known limitation: why\n   - `c`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("matrix lacks %q:\n%s", want, md)
		}
	}
	if strings.Index(md, "go1.9.2") > strings.Index(md, "go1.19.8") {
		t.Errorf("rows not in version order")
	}
}

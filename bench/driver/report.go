package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A Target is one of issue 7's targets, evaluated on the largest size run.
type Target struct {
	Name   string `json:"name"`
	Size   string `json:"size"`
	Value  string `json:"value"`
	Limit  string `json:"limit"`
	Result string `json:"result"` // PASS, FAIL or n/a
}

func find(sr *SizeResult, tool, command, input string) *Measurement {
	for i := range sr.Measurements {
		m := &sr.Measurements[i]
		if m.Tool == tool && strings.HasPrefix(m.Command, command) && m.Input == input {
			return m
		}
	}
	return nil
}

func ok(m *Measurement) bool { return m != nil && m.Stats.Failed == 0 && m.Stats.Wall > 0 }

func verdict(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

func evaluate(all []*SizeResult) []Target {
	if len(all) == 0 {
		return nil
	}
	big := all[len(all)-1]
	var ts []Target
	leaks := find(big, "corescope", "leaks", "plain")
	hist := find(big, "corescope", "histogram", "plain")
	for _, c := range []struct {
		name string
		m    *Measurement
	}{{"leaks", leaks}, {"histogram", hist}} {
		t := Target{Name: "corescope " + c.name + " (plain core) within 15x the sequential read of the heap bytes",
			Size: big.Size, Limit: "15x", Result: "n/a"}
		if ok(c.m) {
			t.Value = fmt.Sprintf("%.1fx (%.2fs / %.3fs)", c.m.XRef, c.m.Stats.Wall, big.Reference.HeapRead)
			t.Result = verdict(c.m.XRef <= 15)
		}
		ts = append(ts, t)
	}
	// The full analysis (histogram, dominators, leak suspects) is one
	// `report`; before it existed, leaks and histogram one after the other.
	if rep := find(big, "corescope", "report", "plain"); ok(rep) {
		ts = append(ts, Target{Name: "corescope report (overview + leaks + histogram from one analysis) within 15x the sequential read",
			Size: big.Size, Limit: "15x", Result: verdict(rep.XRef <= 15),
			Value: fmt.Sprintf("%.1fx (%.2fs / %.3fs)", rep.XRef, rep.Stats.Wall, big.Reference.HeapRead)})
	} else if ok(leaks) && ok(hist) {
		x := (leaks.Stats.Wall + hist.Stats.Wall) / big.Reference.HeapRead
		ts = append(ts, Target{Name: "corescope leaks + histogram, run one after the other, within 15x the sequential read",
			Size: big.Size, Limit: "15x", Value: fmt.Sprintf("%.1fx", x), Result: verdict(x <= 15)})
	}
	for _, p := range []struct{ tool, cmd string }{{"viewcore", "histogram"}, {"viewcore", "reachable"}, {"goref", "grf core"}} {
		pm := find(big, p.tool, p.cmd, "plain")
		t := Target{Name: fmt.Sprintf("corescope leaks at least 10x faster than %s %s", p.tool, p.cmd), Size: big.Size, Limit: "10x", Result: "n/a"}
		switch {
		case pm == nil:
			t.Value = "not run"
		case pm.Stats.Wall == 0:
			t.Value = "peer failed: " + pm.Stats.Failure
		case ok(leaks):
			x := pm.Stats.Wall / leaks.Stats.Wall
			t.Value = fmt.Sprintf("%.1fx (%.2fs vs %.2fs)", x, pm.Stats.Wall, leaks.Stats.Wall)
			if pm.Seen > 0 {
				t.Value += fmt.Sprintf("; the peer counted %.0f%% of the live objects", 100*pm.Seen)
			}
			if pm.Stats.Failed > 0 {
				t.Value += fmt.Sprintf("; the peer failed %d of %d runs: %s", pm.Stats.Failed, pm.Stats.N, pm.Stats.Failure)
			}
			t.Result = verdict(x >= 10)
		}
		ts = append(ts, t)
	}
	if ok(leaks) {
		t := Target{Name: "peak RSS beyond the mapped core (peak RssAnon, leaks on the plain core) within 32 B/object + 8 B/edge",
			Size: big.Size, Limit: fmt.Sprintf("%d MiB", big.BudgetKB/1024)}
		t.Value = fmt.Sprintf("%d MiB (%.1f B/object)", leaks.Stats.PeakAnonKB/1024, float64(leaks.Stats.PeakAnonKB*1024)/float64(big.Counts.Objects))
		t.Result = verdict(leaks.Stats.PeakAnonKB <= big.BudgetKB)
		ts = append(ts, t)
	}
	small := all[0]
	sl := find(small, "corescope", "leaks", "plain")
	if small != big && ok(sl) && ok(leaks) {
		x := leaks.Stats.Wall / sl.Stats.Wall
		ts = append(ts, Target{Name: fmt.Sprintf("linear scaling: leaks at %s within 18x leaks at %s", big.Size, small.Size),
			Size: big.Size, Limit: "18x", Value: fmt.Sprintf("%.1fx (%.2fs / %.2fs; objects %.1fx)", x, leaks.Stats.Wall, sl.Stats.Wall,
				float64(big.Counts.Objects)/float64(small.Counts.Objects)), Result: verdict(x <= 18)})
		// The same on CPU time, which a loaded machine disturbs less.
		xc := leaks.Stats.CPU / sl.Stats.CPU
		ts = append(ts, Target{Name: fmt.Sprintf("linear scaling on CPU time (user+sys): leaks at %s within 18x leaks at %s", big.Size, small.Size),
			Size: big.Size, Limit: "18x", Value: fmt.Sprintf("%.1fx (%.2fs / %.2fs)", xc, leaks.Stats.CPU, sl.Stats.CPU), Result: verdict(xc <= 18)})
	}
	return ts
}

func mib(kb int64) string {
	if kb == 0 {
		return "–"
	}
	return fmt.Sprintf("%d", kb/1024)
}

func markdown(r *Results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# corescope benchmark, %s on %s\n\n", r.Date, r.Host)
	fmt.Fprintf(&b, "Machine: %s.  corescope %s (commit %s).\n\n", r.Machine, r.Version, short(r.Commit))
	for k, v := range r.Peers {
		fmt.Fprintf(&b, "- %s: %s\n", k, v)
	}
	b.WriteString("\n")
	for _, s := range r.Sizes {
		fmt.Fprintf(&b, "## %s live heap\n\n", s.Size)
		if s.Truth.GoVersion != "" {
			fmt.Fprintf(&b, "Generator built with %s.  ", s.Truth.GoVersion)
		}
		fmt.Fprintf(&b, "%d objects (%.1f per KiB), %.1f MiB in objects, %d edges; %s.  ",
			s.Counts.Objects, float64(s.Counts.Objects)/(float64(s.Counts.ObjectBytes)/1024), float64(s.Counts.ObjectBytes)/(1<<20), s.Counts.Edges, s.CountCheck)
		fmt.Fprintf(&b, "Core %.1f MiB plain, %.1f MiB zstd.  RSS budget (32 B/object + 8 B/edge): %s MiB.\n\n",
			float64(s.Reference.CoreBytes)/(1<<20), float64(s.CoreZstBytes)/(1<<20), mib(s.BudgetKB))
		b.WriteString("| tool | command | input | wall s (median; min–max) | CPU s | max RSS MiB | peak anon MiB | Mobjects/s | heap MB/s | × reference | result |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
		ref := s.Reference
		fmt.Fprintf(&b, "| reference | read heap arenas (%.1f MiB) | plain, page cache | %.3f | | | | | %.0f | 1.0 | whole core (%.0f MiB): %.3f s |\n",
			float64(ref.HeapBytes)/(1<<20), ref.HeapRead, float64(ref.HeapBytes)/ref.HeapRead/1e6, float64(ref.CoreBytes)/(1<<20), ref.CoreRead)
		for _, m := range s.Measurements {
			st := m.Stats
			res := "ok"
			if st.Failed > 0 {
				if st.Failed < st.N {
					res = fmt.Sprintf("finished %d of %d; ", st.N-st.Failed, st.N)
				} else {
					res = ""
				}
				res += fmt.Sprintf("FAILED %d/%d after %.2f s: %s", st.Failed, st.N, st.FailedWall, oneLine(st.Failure))
				if tail := failureTail(m); tail != "" {
					res += ": " + tail
				}
			}
			if m.Note != "" {
				res += "; " + m.Note
			}
			wall := "–"
			if st.Wall > 0 {
				wall = fmt.Sprintf("%.2f; %.2f–%.2f (n=%d, load %.1f)", st.Wall, st.WallMin, st.WallMax, st.N-st.Failed, st.Load1)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s |\n",
				m.Tool, m.Command, m.Input, wall, st.CPU, mib(st.MaxRSSKB), mib(st.PeakAnonKB),
				rate(m.ObjPerS/1e6), rate(m.BPerS/1e6), rate(m.XRef), strings.ReplaceAll(res, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	if len(r.Targets) > 0 {
		b.WriteString("## Targets\n\n| target | size | value | limit | result |\n|---|---|---|---|---|\n")
		for _, t := range r.Targets {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", t.Name, t.Size, strings.ReplaceAll(t.Value, "|", "\\|"), t.Limit, t.Result)
		}
	}
	return b.String()
}

func failureTail(m Measurement) string {
	for i := len(m.Runs) - 1; i >= 0; i-- {
		if m.Runs[i].Failure != "" && m.Runs[i].StderrTail != "" {
			lines := strings.Split(m.Runs[i].StderrTail, "\n")
			t := strings.Join(lines[max(0, len(lines)-2):], " / ")
			if len(t) > 240 {
				t = t[:240] + "…"
			}
			return t
		}
	}
	return ""
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func rate(v float64) string {
	if v == 0 {
		return "–"
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// outBase is where this run's results go, chosen at the first write
// (results are rewritten after each size): <date>-<host>-<commit>, with
// -2, -3, ... when an earlier run already took the name.
var outBase string

func write(r *Results) {
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		die("%v", err)
	}
	if outBase == "" {
		name := time.Now().Format("2006-01-02") + "-" + r.Host
		if c, dirty := strings.CutSuffix(r.Commit, "+dirty"); c != "" {
			name += "-" + c[:min(7, len(c))]
			if dirty {
				name += "-dirty"
			}
		}
		outBase = filepath.Join(*outDir, name)
		for k := 2; ; k++ {
			if _, err := os.Stat(outBase + ".json"); os.IsNotExist(err) {
				break
			}
			outBase = filepath.Join(*outDir, fmt.Sprintf("%s-%d", name, k))
		}
	}
	writeTo(r, outBase)
}

func writeTo(r *Results, base string) {
	b, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(base+".json", append(b, '\n'), 0o644); err != nil {
		die("%v", err)
	}
	if err := os.WriteFile(base+".md", []byte(markdown(r)), 0o644); err != nil {
		die("%v", err)
	}
	logf("wrote %s.json and %s.md", base, base)
}

package main

// compare: the oracle's truth against pclntab_dump's answers.

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

type dumpFrame struct {
	name, file string
	line       int
	funcid     int
	inlined    bool
}

type dumpPC struct {
	found      bool
	name       string
	entry, end uint64
	funcid     int
	sp         string
	file       string
	line       int
	posok      bool
	frames     []dumpFrame
}

type dumpSO struct {
	size, ptrbytes int
	mask           string
}

type truthFrame struct {
	pc, entry uint64
	inlined   bool
	function  string
	file      string
	line      int
}

type truthChain struct {
	name   string
	npcs   int
	frames []truthFrame
}

type results struct {
	prefix string
	nfail  int
}

func (r *results) check(name string, problems []string, total int) {
	if len(problems) == 0 {
		fmt.Printf("PASS: %s/%s\n", r.prefix, name)
		return
	}
	r.nfail++
	more := ""
	if len(problems) > 1 {
		more = fmt.Sprintf(" (and %d more of %d)", len(problems)-1, total)
	}
	fmt.Printf("FAIL: %s/%s: %s%s\n", r.prefix, name, problems[0], more)
}

func readLines(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		out = append(out, strings.Split(sc.Text(), "\t"))
	}
	return out, sc.Err()
}

func hexval(s string) uint64 {
	v, _ := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	return v
}

func atoi(s string) int {
	v, _ := strconv.Atoi(s)
	return v
}

// normName collapses every outermost [...] group of a function name to
// "[...]": the runtime prints generic shapes that way (funcNameForPrint,
// runtime/traceback.go, Go 1.21+) while the funcnametab holds the shape
// names; the two denote the same function.
func normName(s string) string {
	var b strings.Builder
	depth := 0
	for _, c := range s {
		switch {
		case c == '[':
			if depth == 0 {
				b.WriteString("[...]")
			}
			depth++
		case c == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// wrapperFuncID is abi.FuncIDWrapper of the release that built this
// binary: the FuncID enumeration (internal/abi/symtab.go, runtime/
// symtab.go in 1.19) gained FuncID_corostart in 1.22 and traded
// runfinq for runFinalizers+runCleanups in 1.25.
func wrapperFuncID(version string) int {
	minor := 0
	if strings.HasPrefix(version, "go1.") {
		rest := version[4:]
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		minor = atoi(rest[:i])
	}
	switch {
	case minor <= 21:
		return 21
	case minor <= 24:
		return 22
	default:
		return 23
	}
}

func compareMain(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: pclntab compare TRUTH DUMP PREFIX")
		return 2
	}
	truth, err := readLines(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	dump, err := readLines(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	r := &results{prefix: args[2]}

	// ---- parse the dump ----
	pcs := map[uint64]*dumpPC{}
	sos := map[string][]dumpSO{}
	dumpNfunc, dumpWalked := -1, -1
	for _, f := range dump {
		switch f[0] {
		case "PC":
			if len(f) < 3 {
				continue
			}
			d := &dumpPC{}
			pcs[hexval(f[1])] = d
			if f[2] == "-" || len(f) < 11 {
				continue
			}
			d.found = true
			d.name, d.entry, d.end = f[2], hexval(f[3]), hexval(f[4])
			d.funcid, d.sp, d.file, d.line = atoi(f[5]), f[6], f[7], atoi(f[8])
			d.posok = f[9] == "1"
			n := atoi(f[10])
			for i := 0; i < n && 11+5*i+4 < len(f); i++ {
				g := f[11+5*i:]
				d.frames = append(d.frames, dumpFrame{g[0], g[1], atoi(g[2]), atoi(g[3]), g[4] == "I"})
			}
		case "SO":
			if len(f) >= 7 {
				sos[f[1]] = append(sos[f[1]], dumpSO{atoi(f[3]), atoi(f[4]), f[6]})
			}
		case "MODULE":
			for _, kv := range f {
				if strings.HasPrefix(kv, "nfunc=") {
					dumpNfunc = atoi(kv[6:])
				}
				if strings.HasPrefix(kv, "walked=") {
					dumpWalked = atoi(strings.TrimSuffix(kv[7:], "(incomplete)"))
				}
			}
		}
	}

	// ---- parse the truth ----
	var version string
	var chainList []*truthChain
	chainsByName := map[string]*truthChain{}
	type spTruth struct {
		fn    string
		pc    uint64
		delta int
	}
	var sps []spTruth
	type soTruth struct {
		fn             string
		size, ptrbytes int
		mask           string
	}
	var soxs []soTruth
	var gs [][]string
	nfunc := -1
	gosymErr := ""
	for _, f := range truth {
		switch f[0] {
		case "VERSION":
			version = f[1]
		case "CHAIN":
			c := &truthChain{name: f[1], npcs: atoi(f[2])}
			chainList = append(chainList, c)
			chainsByName[c.name] = c
		case "CF":
			c := chainsByName[f[1]]
			c.frames = append(c.frames, truthFrame{hexval(f[3]), hexval(f[4]), f[5] == "1", f[6], f[7], atoi(f[8])})
		case "SP":
			sps = append(sps, spTruth{f[1], hexval(f[2]), atoi(f[3])})
		case "SOX":
			soxs = append(soxs, soTruth{f[1], atoi(f[2]), atoi(f[3]), f[4]})
		case "G":
			gs = append(gs, f)
		case "NFUNC":
			nfunc = atoi(f[1])
		case "GOSYMERR":
			gosymErr = strings.Join(f[1:], " ")
		}
	}
	wrapper := wrapperFuncID(version)

	// ---- frames: runtime.CallersFrames vs hs_func_frames ----
	//
	// runtime.Callers stores one PC per logical frame: a real return PC
	// for the innermost logical frame of each physical frame and a
	// "virtual" PC (entry + parentPc + 1) for each frame it was inlined
	// into; CallersFrames backs each up by one (Frame.PC).  Expanding
	// Frame.PC of the first of them must therefore yield that frame and
	// all the following ones up to and including the physical function.
	// Inlined or physical wrappers (autogenerated code) are left out of
	// Callers, so they are dropped from the expansion too.
	totalInlined, maxRun := 0, 0
	for _, c := range chainList {
		var problems []string
		if len(c.frames) == 0 {
			problems = append(problems, "the runtime returned no frames")
		}
		if len(c.frames) != c.npcs {
			problems = append(problems, fmt.Sprintf("%d PCs became %d frames: CallersFrames inserted frames", c.npcs, len(c.frames)))
		}
		i := 0
	chainLoop:
		for i < len(c.frames) {
			rf := c.frames[i]
			d := pcs[rf.pc]
			if d == nil || !d.found {
				problems = append(problems, fmt.Sprintf("frame %d (%s at %#x): no function found", i, rf.function, rf.pc))
				break
			}
			var exp []dumpFrame
			for _, ef := range d.frames {
				if ef.funcid != wrapper {
					exp = append(exp, ef)
				}
			}
			if len(exp) == 0 {
				problems = append(problems, fmt.Sprintf("frame %d at %#x: expansion has only wrappers", i, rf.pc))
				break
			}
			run := 0
			for j, ef := range exp {
				if i+j >= len(c.frames) {
					problems = append(problems, fmt.Sprintf("pc %#x expands to %d frames, the runtime has %d left", rf.pc, len(exp), len(c.frames)-i))
					break chainLoop
				}
				t := c.frames[i+j]
				if normName(ef.name) != normName(t.function) || ef.file != t.file || ef.line != t.line ||
					ef.inlined != t.inlined || d.entry != t.entry {
					problems = append(problems, fmt.Sprintf("frame %d (pc %#x, logical %d): runtime %s %s:%d inlined=%v entry %#x; dump %s %s:%d inlined=%v entry %#x",
						i+j, rf.pc, j, t.function, t.file, t.line, t.inlined, t.entry,
						ef.name, ef.file, ef.line, ef.inlined, d.entry))
				}
				if t.inlined {
					totalInlined++
					run++
				}
			}
			if run > maxRun {
				maxRun = run
			}
			i += len(exp)
		}
		r.check("frames/"+c.name, problems, len(c.frames))
	}
	{
		var problems []string
		if totalInlined < 5 || maxRun < 3 {
			problems = append(problems, fmt.Sprintf("only %d inlined frames, at most %d in one physical frame: the test exercises too little inlining", totalInlined, maxRun))
		}
		r.check("inlining-exercised", problems, 1)
	}

	// ---- frame sizes ----
	{
		var problems []string
		for _, s := range sps {
			d := pcs[s.pc]
			if d == nil || !d.found {
				problems = append(problems, fmt.Sprintf("%s at %#x: no function", s.fn, s.pc))
				continue
			}
			if d.sp != strconv.Itoa(s.delta) {
				problems = append(problems, fmt.Sprintf("%s at %#x: measured frame %d, pcsp says %s", s.fn, s.pc, s.delta, d.sp))
			}
		}
		if len(sps) < 5 {
			problems = append(problems, fmt.Sprintf("only %d frame sizes measured", len(sps)))
		}
		r.check("spdelta-measured", problems, len(sps))
	}

	// ---- stack objects ----
	{
		var problems []string
		for _, s := range soxs {
			ok := false
			for _, d := range sos[s.fn] {
				if d.size == s.size && d.ptrbytes == s.ptrbytes && d.mask == s.mask {
					ok = true
				}
			}
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: no record {size %d ptrbytes %d mask %s} among %v",
					s.fn, s.size, s.ptrbytes, s.mask, sos[s.fn]))
			}
		}
		if len(soxs) == 0 {
			problems = append(problems, "no stack objects in the truth")
		}
		r.check("stack-objects", problems, len(soxs))
	}

	// ---- debug/gosym ----
	if gosymErr != "" {
		fmt.Printf("SKIP: %s/gosym: debug/gosym cannot read this binary: %s\n", r.prefix, gosymErr)
		return 0
	}
	{
		var problems []string
		if nfunc < 0 || dumpNfunc != nfunc {
			problems = append(problems, fmt.Sprintf("gosym has %d functions, the module says %d", nfunc, dumpNfunc))
		}
		if dumpWalked != dumpNfunc {
			problems = append(problems, fmt.Sprintf("walking hs_find_func from minpc visited %d of %d functions", dumpWalked, dumpNfunc))
		}
		r.check("gosym-nfunc", problems, 1)
	}
	var nameProblems, posProblems []string
	for _, g := range gs {
		pc := hexval(g[1])
		d := pcs[pc]
		if d == nil {
			nameProblems = append(nameProblems, fmt.Sprintf("%#x: not looked up", pc))
			continue
		}
		if g[2] == "-" || len(g) < 7 {
			if d.found {
				nameProblems = append(nameProblems, fmt.Sprintf("%#x: gosym finds no function, dump says %s", pc, d.name))
			}
			continue
		}
		gname, gentry, gend, gfile, gline := g[4], hexval(g[2]), hexval(g[3]), g[5], atoi(g[6])
		if !d.found || d.name != gname || d.entry != gentry || d.end != gend {
			nameProblems = append(nameProblems, fmt.Sprintf("%#x: gosym %s [%#x,%#x), dump %s [%#x,%#x)", pc, gname, gentry, gend, d.name, d.entry, d.end))
			continue
		}
		// gosym's line is the pcln value (-1 when uncovered); its file
		// is "" when pcfile is uncovered or the cutab slot is ^0.
		// hs_func_fileline fails when either table has no value (or
		// -1), and says "?" for an unresolvable file.
		if d.posok {
			gf := gfile
			if gf == "" {
				gf = "?"
			}
			if gline != d.line || gf != d.file {
				posProblems = append(posProblems, fmt.Sprintf("%#x in %s: gosym %s:%d, dump %s:%d", pc, gname, gfile, gline, d.file, d.line))
			}
		} else if gline != -1 && gfile != "" {
			posProblems = append(posProblems, fmt.Sprintf("%#x in %s: gosym %s:%d, dump has no position", pc, gname, gfile, gline))
		}
		// The innermost logical frame is at the same position.
		if d.posok && len(d.frames) > 0 && (d.frames[0].file != d.file || d.frames[0].line != d.line) {
			posProblems = append(posProblems, fmt.Sprintf("%#x in %s: innermost frame %s:%d differs from the table position %s:%d",
				pc, gname, d.frames[0].file, d.frames[0].line, d.file, d.line))
		}
	}
	if len(gs) < 100 {
		nameProblems = append(nameProblems, fmt.Sprintf("only %d gosym samples", len(gs)))
	}
	r.check("gosym-funcs", nameProblems, len(gs))
	r.check("gosym-lines", posProblems, len(gs))
	return 0
}

package main

// The built-in runtime layout tables (heapscan/layout_tables.c), used for
// executables without DWARF, against the DWARF of the release's own
// binaries, read with the standard library's debug/dwarf (not libdw, which
// heapscan uses): every entry of the table equals what DWARF says, and
// DWARF has nothing the table lacks. Then the same core analysed with the
// table instead of DWARF gives the same answers.

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"corescope/tests/scenarios/truth"
)

func init() {
	registry = append(registry,
		Check{Group: "layout", Name: "table-equals-dwarf", When: hasDWARF, Run: checkTableEqualsDWARF},
		Check{Group: "layout", Name: "builtin-same-answers", When: hasDWARF, Run: checkBuiltinSameAnswers},
	)
}

// hasDWARF: builds that keep their DWARF.
func hasDWARF(c *Capture) bool { return c.Variant != "nodwarf" && c.Variant != "stripped" }

// layoutEnv makes heapscan use its built-in table although the executable
// has DWARF (heapscan/layout.c).
const layoutEnv = "CORESCOPE_LAYOUT=builtin"

// layoutEntry is one entry of `corescope --json dev-layout`.
type layoutEntry struct {
	ID          string      `json:"id"`
	Kind        string      `json:"kind"` // member, size, const
	DwarfStruct string      `json:"dwarf_struct"`
	DwarfMember string      `json:"dwarf_member"`
	OK          bool        `json:"ok"`
	Value       json.Number `json:"value"`
	Size        json.Number `json:"size"`
}

type layoutDoc struct {
	Result struct {
		GoVersion string        `json:"go_version"`
		Source    string        `json:"source"`
		Entries   []layoutEntry `json:"entries"`
	} `json:"result"`
}

func checkTableEqualsDWARF(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	exe := c.ExePath()
	var doc layoutDoc
	if _, err := RunJSON(c.env.Timeout, &doc, nil, c.env.Corescope, "--json", "dev-layout", exe, "--builtin"); err != nil {
		return failf("%v", err)
	}
	if !strings.HasPrefix(doc.Result.Source, "built-in table") {
		return failf("dev-layout --builtin used %q, not a built-in table", doc.Result.Source)
	}
	if len(doc.Result.Entries) == 0 {
		return failf("dev-layout listed no entries")
	}
	d, err := openDWARF(c.env, exe)
	if err != nil {
		return failf("%v", err)
	}
	var problems []string
	for _, e := range doc.Result.Entries {
		v, size, ok, err := d.resolve(e)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", e.ID, err))
			continue
		}
		tv, _ := e.Value.Int64()
		ts, _ := e.Size.Int64()
		switch {
		case ok != e.OK && ok:
			problems = append(problems, fmt.Sprintf("%s: DWARF has it (%d, size %d), the table does not", e.ID, v, size))
		case ok != e.OK:
			problems = append(problems, fmt.Sprintf("%s: the table has %d (size %d), DWARF has no %s %s", e.ID, tv, ts, e.DwarfStruct, e.DwarfMember))
		case ok && (v != tv || (e.Kind == "member" && size != ts)):
			problems = append(problems, fmt.Sprintf("%s: table %d size %d, DWARF %d size %d", e.ID, tv, ts, v, size))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return failf("%s (%s): %d of %d entries differ: %s", doc.Result.Source, doc.Result.GoVersion,
			len(problems), len(doc.Result.Entries), firstN(problems, 6))
	}
	return pass()
}

// The whole analysis of the core with the built-in table instead of DWARF
// gives the same overview and the same goroutines.
func checkBuiltinSameAnswers(c *Capture, t *truth.Truth) Result {
	if r := needCorescope(c); r != nil {
		return *r
	}
	for _, cmd := range [][]string{{"overview"}, {"goroutines", "--system"}} {
		a := c.Corescope(cmd[0], cmd[1:]...)
		argv := append([]string{c.env.Corescope, cmd[0], "--json", "--no-progress", "--exe", c.ExePath(), c.CorePath()}, cmd[1:]...)
		b := runCorescopeEnv(c.env.Timeout, argv, nil, []string{layoutEnv})
		ra, err := a.result()
		if err != nil {
			return failf("%s with DWARF: %v", cmd[0], err)
		}
		rb, err := b.result()
		if err != nil {
			return failf("%s with the built-in table: %v", cmd[0], err)
		}
		if !reflect.DeepEqual(ra, rb) || !reflect.DeepEqual(a.Doc["warnings"], b.Doc["warnings"]) {
			ja, _ := json.Marshal(ra)
			jb, _ := json.Marshal(rb)
			i := 0
			for i < len(ja) && i < len(jb) && ja[i] == jb[i] {
				i++
			}
			lo := i - 80
			if lo < 0 {
				lo = 0
			}
			return failf("%s differs with the built-in table, from byte %d: DWARF …%.200s; table …%.200s",
				cmd[0], i, ja[lo:], jb[lo:])
		}
	}
	return pass()
}

// ---------------------------------------------------------------------------
// Resolving a layout descriptor with debug/dwarf, following the rules of
// heapscan/layout.c: alternatives separated by '|' are tried in order
// (for members: each member alternative within each struct alternative), a
// '.' in a member descends into that member's struct type.

type dwarfIndex struct {
	d       *dwarf.Data
	structs map[string]dwarf.Offset // DW_TAG_structure_type by name
	consts  map[string]int64        // DW_TAG_constant by name
}

// openDWARF indexes exe's DWARF, or returns the index env made last if
// it was of exe.
func openDWARF(env *Env, exe string) (*dwarfIndex, error) {
	if env.dwarf != nil && env.dwarfExe == exe {
		return env.dwarf, nil
	}
	f, err := elf.Open(exe)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("%s: DWARF: %v", exe, err)
	}
	x := &dwarfIndex{d: d, structs: map[string]dwarf.Offset{}, consts: map[string]int64{}}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("%s: DWARF: %v", exe, err)
		}
		if e == nil {
			break
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch e.Tag {
		case dwarf.TagStructType:
			if _, dup := x.structs[name]; !dup && name != "" {
				x.structs[name] = e.Offset
			}
		case dwarf.TagConstant:
			if v, ok := e.Val(dwarf.AttrConstValue).(int64); ok {
				if _, dup := x.consts[name]; !dup {
					x.consts[name] = v
				}
			}
		}
		if e.Tag != dwarf.TagCompileUnit && e.Children {
			r.SkipChildren()
		}
	}
	env.dwarfExe, env.dwarf = exe, x
	return x, nil
}

func (x *dwarfIndex) resolve(e layoutEntry) (v, size int64, ok bool, err error) {
	for _, sname := range strings.Split(e.DwarfStruct, "|") {
		switch e.Kind {
		case "const":
			if c, found := x.consts[sname]; found {
				return c, 0, true, nil
			}
			continue
		}
		off, found := x.structs[sname]
		if !found {
			continue
		}
		ty, err := x.d.Type(off)
		if err != nil {
			return 0, 0, false, fmt.Errorf("%s: %v", sname, err)
		}
		st, isStruct := peel(ty).(*dwarf.StructType)
		if !isStruct {
			continue
		}
		if e.Kind == "size" {
			return st.ByteSize, 0, true, nil
		}
		for _, mpath := range strings.Split(e.DwarfMember, "|") {
			if o, s, found := memberPath(st, mpath); found {
				return o, s, true, nil
			}
		}
	}
	return 0, 0, false, nil
}

// memberPath resolves "a.b.c" in st: the summed offset and the last
// member's size.
func memberPath(st *dwarf.StructType, path string) (off, size int64, ok bool) {
	cur := st
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		var f *dwarf.StructField
		for _, m := range cur.Field {
			if m.Name == seg {
				f = m
				break
			}
		}
		if f == nil {
			return 0, 0, false
		}
		off += f.ByteOffset
		if i == len(segs)-1 {
			return off, f.Type.Size(), true
		}
		next, isStruct := peel(f.Type).(*dwarf.StructType)
		if !isStruct {
			return 0, 0, false
		}
		cur = next
	}
	return 0, 0, false
}

// peel strips typedefs.
func peel(t dwarf.Type) dwarf.Type {
	for i := 0; i < 8; i++ {
		td, ok := t.(*dwarf.TypedefType)
		if !ok {
			return t
		}
		t = td.Type
	}
	return t
}

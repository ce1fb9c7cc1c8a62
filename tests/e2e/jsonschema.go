package main

// The JSON schema is docs/json.md itself: every fenced block line of the
// form "PATH TYPE [meaning]" declares a field.  This file reads those
// tables and holds every document corescope prints to them, in both
// directions (missing fields, wrong types, undocumented fields), so the
// documentation cannot drift from the program.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
)

type schemaNode struct {
	typ      string // int num str addr bool obj list, or a shape name; "" implied
	nullable bool
	optional bool
	children map[string]*schemaNode
	elem     *schemaNode
	line     int
}

type schema struct {
	path     string
	envelope *schemaNode            // the document's top level
	commands map[string]*schemaNode // section -> its "result" node
	shapes   map[string]*schemaNode // named shapes ("goroutine")
}

var (
	pathRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\[\])?(\.[a-z_][a-z0-9_]*(\[\])?)*$`)
	typeRE = regexp.MustCompile(`^([a-z_]+)([?*]*)$`)
	intRE  = regexp.MustCompile(`^-?[0-9]+$`)
	addrRE = regexp.MustCompile(`^0x[0-9a-f]+$`)
)

var builtinTypes = map[string]bool{"int": true, "num": true, "str": true, "addr": true,
	"bool": true, "obj": true, "list": true}

func newNode() *schemaNode { return &schemaNode{children: map[string]*schemaNode{}} }

// loadSchema parses docs/json.md.
func loadSchema(path string) (*schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := &schema{path: path, envelope: newNode(), commands: map[string]*schemaNode{},
		shapes: map[string]*schemaNode{}}
	s.envelope.typ = "obj"
	section := ""
	inBlock := false
	sc := bufio.NewScanner(f)
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			section = strings.TrimSpace(line[3:])
			continue
		}
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			continue
		}
		if !inBlock || line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 2 || !pathRE.MatchString(fs[0]) {
			continue
		}
		m := typeRE.FindStringSubmatch(fs[1])
		if m == nil {
			return nil, fmt.Errorf("%s:%d: %q is not a type", path, ln, fs[1])
		}
		steps := splitPath(fs[0])
		var root *schemaNode
		switch {
		case section == "envelope":
			root = s.envelope
			steps = append([]string{"."}, steps...)
		case steps[0] == "result":
			if section == "" {
				return nil, fmt.Errorf("%s:%d: result field outside a command section", path, ln)
			}
			if s.commands[section] == nil {
				s.commands[section] = newNode()
				s.commands[section].typ = "obj"
			}
			root = s.commands[section]
		default:
			if s.shapes[steps[0]] == nil {
				s.shapes[steps[0]] = newNode()
				s.shapes[steps[0]].typ = "obj"
			}
			root = s.shapes[steps[0]]
		}
		n := root
		for _, st := range steps[1:] {
			if st == "[]" {
				if n.elem == nil {
					n.elem = newNode()
				}
				n = n.elem
				continue
			}
			if n.children[st] == nil {
				n.children[st] = newNode()
			}
			n = n.children[st]
		}
		if n.typ != "" {
			return nil, fmt.Errorf("%s:%d: %s declared twice", path, ln, fs[0])
		}
		n.typ, n.line = m[1], ln
		n.nullable = strings.Contains(m[2], "?")
		n.optional = strings.Contains(m[2], "*")
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(s.commands) == 0 || len(s.envelope.children) == 0 {
		return nil, fmt.Errorf("%s: no field tables found", path)
	}
	// Types must be known; implied parents must be objects or lists.
	var check func(n *schemaNode, where string) error
	check = func(n *schemaNode, where string) error {
		switch {
		case n.typ == "" && n.elem != nil:
			n.typ = "list"
		case n.typ == "":
			n.typ = "obj"
		case !builtinTypes[n.typ] && s.shapes[n.typ] == nil && s.commands[n.typ] == nil:
			return fmt.Errorf("%s:%d: unknown type %q for %s", path, n.line, n.typ, where)
		}
		for k, c := range n.children {
			if err := check(c, where+"."+k); err != nil {
				return err
			}
		}
		if n.elem != nil {
			return check(n.elem, where+"[]")
		}
		return nil
	}
	for name, n := range s.shapes {
		if err := check(n, name); err != nil {
			return nil, err
		}
	}
	for name, n := range s.commands {
		if err := check(n, name+": result"); err != nil {
			return nil, err
		}
	}
	return s, check(s.envelope, "envelope")
}

// "result.rows[].type" -> result rows [] type
func splitPath(p string) []string {
	var out []string
	for _, part := range strings.Split(p, ".") {
		if strings.HasSuffix(part, "[]") {
			out = append(out, strings.TrimSuffix(part, "[]"), "[]")
		} else {
			out = append(out, part)
		}
	}
	return out
}

// validate returns every way doc differs from the tables (at most a few).
func (s *schema) validate(doc map[string]interface{}) []string {
	var errs []string
	cmd, _ := doc["command"].(string)
	res := s.commands[cmd]
	if res == nil {
		return []string{fmt.Sprintf("command %q has no section in %s", cmd, filepath.Base(s.path))}
	}
	top := *s.envelope
	top.children = map[string]*schemaNode{}
	for k, v := range s.envelope.children {
		top.children[k] = v
	}
	top.children["result"] = res
	s.check(doc, &top, "", &errs)
	sort.Strings(errs)
	if len(errs) > 5 {
		errs = append(errs[:5], fmt.Sprintf("and %d more", len(errs)-5))
	}
	return errs
}

func (s *schema) check(v interface{}, n *schemaNode, where string, errs *[]string) {
	if len(*errs) > 50 {
		return
	}
	bad := func(format string, args ...interface{}) {
		*errs = append(*errs, where+": "+fmt.Sprintf(format, args...))
	}
	if v == nil {
		if !n.nullable {
			bad("null, but not nullable")
		}
		return
	}
	typ := n.typ
	if shape := s.shapes[typ]; shape != nil {
		n, typ = shape, "obj"
	} else if res := s.commands[typ]; res != nil && !builtinTypes[typ] {
		n, typ = res, "obj" // another command's result (report's parts)
	}
	switch typ {
	case "int", "num":
		num, ok := v.(json.Number)
		if !ok {
			bad("want %s, got %T", typ, v)
		} else if typ == "int" && !intRE.MatchString(string(num)) {
			bad("want an integer, got %s", num)
		}
	case "str":
		if _, ok := v.(string); !ok {
			bad("want a string, got %T", v)
		}
	case "addr":
		a, ok := v.(string)
		if !ok || !addrRE.MatchString(a) {
			bad("want an address \"0x…\", got %v", v)
		}
	case "bool":
		if _, ok := v.(bool); !ok {
			bad("want a bool, got %T", v)
		}
	case "list":
		l, ok := v.([]interface{})
		if !ok {
			bad("want a list, got %T", v)
			return
		}
		for i, e := range l {
			if n.elem == nil {
				bad("list elements are not documented")
				return
			}
			s.check(e, n.elem, fmt.Sprintf("%s[%d]", where, i), errs)
		}
	case "obj":
		o, ok := v.(map[string]interface{})
		if !ok {
			bad("want an object, got %T", v)
			return
		}
		for k, c := range n.children {
			x, present := o[k]
			if !present {
				if !c.optional {
					*errs = append(*errs, where+"."+k+": missing")
				}
				continue
			}
			s.check(x, c, where+"."+k, errs)
		}
		for k := range o {
			if n.children[k] == nil {
				*errs = append(*errs, where+"."+k+": not documented")
			}
		}
	}
}

// The schema next to the sources this checker was built from, or
// $CORESCOPE_DOCS/json.md.
var docSchema, docSchemaErr = func() (*schema, error) {
	dir := os.Getenv("CORESCOPE_DOCS")
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			return nil, fmt.Errorf("cannot locate the sources (set CORESCOPE_DOCS)")
		}
		dir = filepath.Join(filepath.Dir(file), "..", "..", "docs")
	}
	return loadSchema(filepath.Join(dir, "json.md"))
}()

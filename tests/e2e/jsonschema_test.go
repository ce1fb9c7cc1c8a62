package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The schema reader and validator against docs/json.md itself: a document
// that follows the tables passes, and each kind of drift is caught.
func TestSchemaCatchesDrift(t *testing.T) {
	if docSchemaErr != nil {
		t.Fatalf("docs/json.md: %v", docSchemaErr)
	}
	const good = `{"corescope":"0.1.0","command":"top","core":{"path":"c","pid":null,"executable":null},
		"warnings":[],"result":{"by":"type","live_bytes":10,
		"rows":[{"retained":10,"type":null,"live_objects":1,"live_bytes":10}]}}`
	cases := []struct {
		name, from, to, want string
	}{
		{"good", "", "", ""},
		{"missing field", `"live_bytes":10,`, ``, "result.live_bytes: missing"},
		{"undocumented field", `"by":"type"`, `"by":"type","extra":1`, "result.extra: not documented"},
		{"wrong type", `"live_bytes":10,`, `"live_bytes":"10",`, "result.live_bytes: want int"},
		{"not an integer", `"live_bytes":10,`, `"live_bytes":1.5,`, "want an integer"},
		{"null not nullable", `"by":"type"`, `"by":null`, "result.by: null"},
		{"bad address", `"type":null,`, `"type":null,"address":"12",`, "want an address"},
		{"unknown command", `"command":"top"`, `"command":"nosuch"`, "has no section"},
	}
	for _, c := range cases {
		text := good
		if c.from != "" {
			text = strings.Replace(good, c.from, c.to, 1)
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		var doc map[string]interface{}
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s: bad fixture: %v", c.name, err)
		}
		errs := strings.Join(docSchema.validate(doc), "; ")
		if c.want == "" && errs != "" {
			t.Errorf("%s: unexpected: %s", c.name, errs)
		}
		if c.want != "" && !strings.Contains(errs, c.want) {
			t.Errorf("%s: want %q, got %q", c.name, c.want, errs)
		}
	}
	// named shapes resolve: a goroutine group's example is a goroutine
	if n := docSchema.commands["goroutines"].children["groups"]; n == nil || n.elem == nil ||
		docSchema.shapes[n.elem.children["example"].typ] == nil {
		t.Errorf("groups[].example does not resolve to a shape")
	}
}

package main

import (
	"fmt"
	"regexp"
)

// A Limitation is a documented failure: a cell of the compatibility
// matrix that does not pass, and why. Its check still runs. When it fails
// as documented (its reason matches Symptom) the line is a PASS marked as
// a known limitation and the matrix shows the cell as failing with Reason;
// when it passes, or fails differently, the line is a FAIL. So every
// limitation is tested, and none is a silently skipped cell.
type Limitation struct {
	Name    *regexp.Regexp // the full check names it covers
	Symptom *regexp.Regexp // the FAIL reason it expects
	Reason  string         // why; docs/compatibility.md prints it
}

// limitations lists every known limitation of the matrix.
var limitations = []Limitation{
	// None today.  The last two (the path to a typical element of a
	// Swiss map with many tables, or with two big values in one table,
	// ended at a group array) went when rg_leak_suspects learnt to
	// descend through the largest children to an object that holds its
	// own bytes.
}

func applyLimitation(name string, r Result) Result {
	for _, l := range limitations {
		if !l.Name.MatchString(name) {
			continue
		}
		switch {
		case r.Status == Skip:
			return r
		case r.Status == Pass:
			return failf("known limitation no longer holds (remove it from tests/e2e/limitations.go and regenerate docs/compatibility.md): %s", l.Reason)
		case l.Symptom.MatchString(r.Reason):
			return Result{Status: Pass, Reason: l.Reason, Known: l.Reason}
		default:
			return failf("%s (the documented limitation fails differently: %s)", r.Reason, fmt.Sprint(l.Symptom))
		}
	}
	return r
}

package truth

import (
	"regexp"
	"strconv"
	"strings"
)

// TracebackGoroutine is one goroutine block of a Go traceback: the text
// runtime.Stack writes, or what the runtime prints when it crashes.
type TracebackGoroutine struct {
	Goid      int64
	RawStatus string // text inside the header's brackets
	Frames    []string
	// Positions[i] is the "file:line" printed under Frames[i] ("" if the
	// traceback printed none).
	Positions []string
	CreatedBy string
}

// Top returns the first (innermost) frame, or "".
func (g *TracebackGoroutine) Top() string {
	if len(g.Frames) == 0 {
		return ""
	}
	return g.Frames[0]
}

// Start returns the outermost frame, which is the goroutine's start
// function unless the traceback was cut. Tracebacks at GOTRACEBACK=system
// or crash end in runtime.goexit, the frame the start function returns to;
// it is skipped.
func (g *TracebackGoroutine) Start() string {
	f := g.Frames
	if len(f) > 1 && f[len(f)-1] == "runtime.goexit" {
		f = f[:len(f)-1]
	}
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// Header forms, all releases 1.19..1.27:
//
//	goroutine 1 [running]:
//	goroutine 1 gp=0xc000002380 m=0 mp=0x5a1b20 [sleep, 2 minutes]:   (GOTRACEBACK>=system, 1.23+)
//	goroutine 7 [chan receive, locked to thread]:
var headerRE = regexp.MustCompile(`^goroutine (\d+)(?: [^\[]*)? \[(.*)\]:$`)

// ParseTraceback extracts every goroutine block from traceback text. Lines
// that are not part of a goroutine block (signal banners, register dumps)
// are ignored. A goroutine may appear more than once in a crash traceback
// (once per thread section); callers dedupe by Goid.
func ParseTraceback(text string) []TracebackGoroutine {
	var out []TracebackGoroutine
	var cur *TracebackGoroutine
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if m := headerRE.FindStringSubmatch(line); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			out = append(out, TracebackGoroutine{Goid: id, RawStatus: m[2]})
			cur = &out[len(out)-1]
			continue
		}
		if cur == nil {
			continue
		}
		switch {
		case line == "":
			cur = nil
		case strings.HasPrefix(line, "\t"):
			// "\t/path/file.go:123 +0x45 fp=… sp=… pc=…": the position
			// of the previous frame (or of the created-by line).
			pos := strings.TrimPrefix(line, "\t")
			if i := strings.IndexByte(pos, ' '); i >= 0 {
				pos = pos[:i]
			}
			if cur.CreatedBy == "" && len(cur.Positions) == len(cur.Frames)-1 {
				cur.Positions = append(cur.Positions, pos)
			}
		case strings.HasPrefix(line, " "):
			// register dump
		case strings.HasPrefix(line, "created by "):
			s := strings.TrimPrefix(line, "created by ")
			if i := strings.Index(s, " in goroutine "); i >= 0 {
				s = s[:i]
			}
			cur.CreatedBy = s
		case strings.HasPrefix(line, "..."):
			// "...additional frames elided..."
		default:
			if f := frameFunc(line); f != "" {
				// a frame without a position line keeps the slices aligned
				for len(cur.Positions) < len(cur.Frames) {
					cur.Positions = append(cur.Positions, "")
				}
				cur.Frames = append(cur.Frames, f)
			}
		}
	}
	for i := range out {
		for len(out[i].Positions) < len(out[i].Frames) {
			out[i].Positions = append(out[i].Positions, "")
		}
	}
	return out
}

// frameFunc strips the argument list from a frame line:
// "main.(*T).m(0x1, ...)" -> "main.(*T).m". Lines that do not end in an
// argument list are not frames.
func frameFunc(line string) string {
	if !strings.HasSuffix(line, ")") {
		return ""
	}
	depth := 0
	for i := len(line) - 1; i >= 0; i-- {
		switch line[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				return line[:i]
			}
		}
	}
	return ""
}

var (
	minutesRE = regexp.MustCompile(`, \d+ minutes?`)
	labelsRE  = regexp.MustCompile(` labels:\{.*\}$`)
)

// StatusOf maps the bracket text of a goroutine header to (state,
// wait_reason): "running" -> running, "runnable" -> runnable, "syscall..."
// -> syscall, anything else is a wait reason and the state is "waiting".
// The suffixes ", N minutes", ", locked to thread", ", synctest bubble N"
// and " labels:{...}" are dropped, as are " (scan)" markers.
func StatusOf(raw string) (state, reason string) {
	s := labelsRE.ReplaceAllString(raw, "")
	s = minutesRE.ReplaceAllString(s, "")
	if i := strings.Index(s, ", synctest bubble "); i >= 0 {
		s = s[:i]
	}
	s = strings.Replace(s, ", locked to thread", "", 1)
	s = strings.Replace(s, " (scan)", "", 1)
	s = strings.TrimSpace(s)
	switch {
	case s == "running":
		return "running", ""
	case s == "runnable":
		return "runnable", ""
	case strings.HasPrefix(s, "syscall"):
		return "syscall", ""
	}
	return "waiting", s
}

// IsSystemGoroutine mirrors runtime.isSystemGoroutine for a goroutine
// printed in a GOTRACEBACK=system/crash traceback: its start function is
// in package runtime (but not runtime.main), and a finalizer or cleanup
// goroutine counts as a user goroutine only while it runs user code.
func IsSystemGoroutine(g *TracebackGoroutine) bool {
	start := g.Start()
	if start == "" || start == "runtime.main" || !strings.HasPrefix(start, "runtime.") {
		return false
	}
	if start == "runtime.runfinq" || start == "runtime.runCleanups" {
		for _, f := range g.Frames {
			if !strings.HasPrefix(f, "runtime.") {
				return false
			}
		}
	}
	return true
}

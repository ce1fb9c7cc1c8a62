// Command servemux-closure plants the canonical net/http leak: 50 handlers
// on http.DefaultServeMux, each a closure holding a *bytes.Buffer with 1 MiB
// of content. No server listens; the mux alone retains 50 MiB (at
// CORESCOPE_SCENARIO_SCALE=1; the handler count scales, the buffers do not).
package main

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"runtime"
	"unsafe"

	"corescope/tests/scenarios/truth"
)

var _ = truth.ExactHeapProfile()

const bufBytes = 1 << 20

// numHandlers is 50 at scale 1.
var numHandlers = truth.Scaled(50)

// plant records one handler by address only, so the truth keeps nothing
// alive.
type plant struct {
	closure, buffer, array truth.Addr
	funcName               string
	pattern                string
}

func main() {
	f := truth.ParseFlags()
	t := truth.New("servemux-closure")

	plants := registerHandlers(http.DefaultServeMux, numHandlers)
	impl := muxImpl()

	root := truth.Root{Kind: "global", Name: "net/http.DefaultServeMux", Symbol: "net/http.defaultServeMux"}
	bufType := truth.TypeName(bytes.Buffer{})
	bufSize := uint64(unsafe.Sizeof(bytes.Buffer{}))
	for i, p := range plants {
		hop := "handler closure " + p.funcName
		t.Add(truth.Object{
			ID: fmt.Sprintf("closure/%d", i), Addr: p.closure, Size: 16, Kind: "closure",
			// The compiler's closure struct: the code pointer, then the
			// captured variable (by value: buf is never reassigned).
			GoType: "struct { F uintptr; buf *bytes.Buffer }", Func: p.funcName,
			Key:  p.pattern,
			Root: root, Path: []string{"net/http.DefaultServeMux", hop},
		})
		t.Add(truth.Object{
			ID: fmt.Sprintf("buffer/%d", i), Addr: p.buffer, Size: bufSize, Kind: "struct",
			GoType: bufType, Key: p.pattern,
			Root: root, Path: []string{"net/http.DefaultServeMux", hop, "*bytes.Buffer"},
		})
		t.Add(truth.Object{
			ID: fmt.Sprintf("buf/%d", i), Addr: p.array, Size: bufBytes, Kind: "backing-array",
			GoType: truth.ArrayType(bufBytes, "uint8"), ElemType: "uint8",
			Len: truth.U64(bufBytes), Cap: truth.U64(bufBytes), Key: p.pattern,
			Fill: &truth.Fill{Formula: "byte(i*31 + k)", I: i},
			Root: root, Path: []string{"net/http.DefaultServeMux", hop, "*bytes.Buffer", "[]uint8"},
		})
	}
	t.ExpectedLeak = &truth.Leak{
		Root: "net/http.DefaultServeMux", Bytes: uint64(numHandlers) * bufBytes,
		Count: numHandlers, ElemType: "bytes.Buffer",
	}
	t.Summary["servemux_impl"] = impl
	t.Summary["handlers"] = numHandlers
	t.Summary["closure_func"] = plants[0].funcName
	t.Summary["pattern_format"] = "/receipt/%d"
	t.Finish(f, truth.FinishOptions{})
}

// registerHandlers must not be inlined: the closure is then named
// main.registerHandlers.func1 in every release (closures of inlined
// functions get longer names).
//
//go:noinline
func registerHandlers(mux *http.ServeMux, n int) []plant {
	out := make([]plant, 0, n)
	for i := 0; i < n; i++ {
		// new + Grow + Write: the Buffer escapes (captured by a closure
		// stored in the mux) and Grow on an empty Buffer allocates exactly
		// bufBytes (a page multiple, so no size-class rounding).
		buf := new(bytes.Buffer)
		buf.Grow(bufBytes)
		writePattern(buf, i)
		h := func(w http.ResponseWriter, r *http.Request) {
			w.Write(buf.Bytes())
		}
		pattern := fmt.Sprintf("/receipt/%d", i)
		mux.HandleFunc(pattern, h)

		b := buf.Bytes()
		if len(b) != bufBytes || cap(b) != bufBytes {
			truth.Fatalf("buffer %d: len %d cap %d, want %d", i, len(b), cap(b), bufBytes)
		}
		if err := truth.CheckFill(b, &truth.Fill{I: i}); err != nil {
			truth.Fatalf("buffer %d: %v", i, err)
		}
		fv := *(*unsafe.Pointer)(unsafe.Pointer(&h)) // *funcval
		out = append(out, plant{
			closure:  truth.Ptr(fv),
			buffer:   truth.Ptr(unsafe.Pointer(buf)),
			array:    truth.SliceData(b),
			funcName: runtime.FuncForPC(*(*uintptr)(fv)).Name(),
			pattern:  pattern,
		})
	}
	return out
}

// writePattern writes bufBytes of byte(i*31+k) in 4 KiB chunks.
func writePattern(buf *bytes.Buffer, i int) {
	chunk := make([]byte, 4096)
	for off := 0; off < bufBytes; off += len(chunk) {
		for k := range chunk {
			chunk[k] = byte(i*31 + off + k)
		}
		buf.Write(chunk)
	}
}

// muxImpl reports which ServeMux implementation holds the handlers:
// "map" (Go <= 1.21: ServeMux.m), "tree" (1.22+: ServeMux.tree), or
// "mux121" (1.22+ with GODEBUG httpmuxgo121=1: ServeMux.mux121.m).
func muxImpl() string {
	v := reflect.ValueOf(http.DefaultServeMux).Elem()
	if m := v.FieldByName("mux121"); m.IsValid() {
		if mm := m.FieldByName("m"); mm.IsValid() && mm.Len() > 0 {
			return "mux121"
		}
		return "tree"
	}
	return "map"
}

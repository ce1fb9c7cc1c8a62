// Package truth defines the truth file that every scenario program writes
// about itself, and the code that collects and writes it.
//
// The types in this file are the schema (docs/scenarios.md documents every
// field). They are shared by the writer (the scenario programs) and the
// readers (tests/e2e), so the two cannot drift apart. Field names are a
// contract: fields may be added, never renamed or removed.
package truth

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// SchemaVersion is the value of the "schema" field.
const SchemaVersion = 1

// Truth is the whole truth file.
type Truth struct {
	Schema     int    `json:"schema"`
	Scenario   string `json:"scenario"`
	PID        int    `json:"pid"`
	GoVersion  string `json:"go_version"`
	GOARCH     string `json:"goarch"`
	GOOS       string `json:"goos"`
	Executable string `json:"executable"`
	// Scale is the factor the scenario multiplied its counts by
	// (CORESCOPE_SCENARIO_SCALE; 1 when unset). Checks take every count
	// and size from the objects and summaries below, never from the
	// scenario's source, so a scaled-down capture is checked as strictly
	// as a full one. 0 in truth files written before the field existed
	// means 1.
	Scale float64 `json:"scale"`
	// Threads are the OS thread ids listed in /proc/self/task just before
	// "ready" was printed, sorted.
	Threads    []int      `json:"threads"`
	Goroutines Goroutines `json:"goroutines"`
	Objects    []Object   `json:"objects"`
	// MemStats holds every scalar field of runtime.MemStats by its Go name,
	// read after the heap settled and before the truth was encoded.
	MemStats map[string]json.Number `json:"memstats"`
	// MemStatsReady names a sidecar file (same directory) holding the
	// MemStats read again after this file was written, i.e. closer to the
	// state at "ready". See docs/scenarios.md.
	MemStatsReady  string `json:"memstats_ready,omitempty"`
	HeapProfile    string `json:"heap_profile,omitempty"`
	MemProfileRate int    `json:"mem_profile_rate"`
	Settle         Settle `json:"settle"`
	Build          Build  `json:"build"`
	// ExpectedLeak is the scenario's headline answer, where it has one.
	ExpectedLeak *Leak `json:"expected_leak,omitempty"`
	// CThreads lists threads blocked in C code (cgo-thread only).
	CThreads []CThread `json:"c_threads,omitempty"`
	// Summary holds scenario-specific facts (tree shape, map size, mux
	// implementation...). Keys are documented per scenario.
	Summary map[string]interface{} `json:"summary,omitempty"`
}

// Goroutines describes the goroutines as they are at capture time; see
// Goroutine for how the goroutine that wrote the truth is described.
type Goroutines struct {
	// Total is runtime.NumGoroutine() (user goroutines only).
	Total int `json:"total"`
	// ByState and ByWaitReason count the goroutines of List.
	ByState      map[string]int `json:"by_state"`
	ByWaitReason map[string]int `json:"by_wait_reason"`
	List         []Goroutine    `json:"list"`
	// SelfGoid is the goroutine that collected the truth and then sleeps
	// in time.Sleep forever (the main goroutine).
	SelfGoid int64 `json:"self_goid"`
}

// Goroutine is one goroutine from runtime.Stack(all=true).
//
// State and WaitReason are the values expected at capture time. They equal
// what runtime.Stack reported, except for the goroutine that collected the
// truth (Self): it was running while collecting and is in time.Sleep
// ("waiting"/"sleep") from "ready" on; its Observed* fields keep what was
// seen.
type Goroutine struct {
	Goid          int64  `json:"goid"`
	State         string `json:"state"`
	WaitReason    string `json:"wait_reason"`
	TopFunction   string `json:"top_function"`
	StartFunction string `json:"start_function,omitempty"`
	CreatedBy     string `json:"created_by,omitempty"`
	// RawStatus is the text inside the header's brackets, verbatim.
	RawStatus           string `json:"raw_status"`
	Self                bool   `json:"self,omitempty"`
	ObservedState       string `json:"observed_state,omitempty"`
	ObservedWaitReason  string `json:"observed_wait_reason,omitempty"`
	ObservedTopFunction string `json:"observed_top_function,omitempty"`
}

// Object is one planted heap object.
type Object struct {
	ID   string `json:"id"`
	Addr Addr   `json:"addr"`
	// Size is the requested size: unsafe.Sizeof for structs, cap*elemsize
	// for slice backing arrays (not the size-class slot size).
	Size     uint64 `json:"size"`
	GoType   string `json:"go_type"`
	ElemType string `json:"elem_type,omitempty"`
	// Kind is a coarse class: struct, backing-array, closure, map-header,
	// map-bucket, weak-handle.
	Kind string  `json:"kind,omitempty"`
	Len  *uint64 `json:"len,omitempty"`
	Cap  *uint64 `json:"cap,omitempty"`
	// Func is the closure's function name (closures only).
	Func       string   `json:"func,omitempty"`
	Key        string   `json:"key,omitempty"`
	Root       Root     `json:"root"`
	OtherRoots []Root   `json:"other_roots,omitempty"`
	Path       []string `json:"path,omitempty"`
	// InteriorPtr is the only pointer that keeps the object alive when it
	// points inside the object (subslice).
	InteriorPtr  Addr   `json:"interior_ptr,omitempty"`
	Fill         *Fill  `json:"fill,omitempty"`
	HasFinalizer bool   `json:"has_finalizer,omitempty"`
	HasCleanup   bool   `json:"has_cleanup,omitempty"`
	HasWeak      bool   `json:"has_weak_pointer,omitempty"`
	Note         string `json:"note,omitempty"`
}

// Root says why an object is expected to be alive.
//
// Kinds: global, stack, finalizer, cleanup, weak, pool, none.
type Root struct {
	Kind string `json:"kind"`
	// Name is the Go name of a global (kind global, pool).
	Name string `json:"name,omitempty"`
	// Symbol is the linker symbol holding the pointer when it differs
	// from Name (net/http.DefaultServeMux points at net/http.defaultServeMux).
	Symbol   string `json:"symbol,omitempty"`
	Goid     int64  `json:"goid,omitempty"`
	Function string `json:"function,omitempty"`
	Variable string `json:"variable,omitempty"`
	// Object is the id of the object whose special record (finalizer,
	// cleanup, weak handle) is the root.
	Object string `json:"object,omitempty"`
	// Via qualifies the root: for finalizers "referent" (the finalized
	// object's fields are scanned) or "fn" (the finalizer closure).
	Via string `json:"via,omitempty"`
}

// Fill describes the byte pattern written into a planted buffer:
// byte k of the object is byte(I*31 + k).
type Fill struct {
	Formula string `json:"formula"`
	I       int    `json:"i"`
}

// Byte returns the expected byte at offset k.
func (f *Fill) Byte(k uint64) byte { return byte(uint64(f.I)*31 + k) }

// Leak is the headline answer a leak report should give.
type Leak struct {
	Root     string `json:"root"`
	Bytes    uint64 `json:"bytes"`
	Count    int    `json:"count"`
	ElemType string `json:"elem_type"`
}

// CThread is a thread blocked in C code.
type CThread struct {
	TID  int    `json:"tid"`
	Kind string `json:"kind"` // "pthread" or "cgocall"
	// Functions are our C functions expected on the native stack, innermost
	// first; libc frames (nanosleep, start_thread, clone3) may surround them.
	Functions []string `json:"functions"`
	Goid      int64    `json:"goid,omitempty"`
	Note      string   `json:"note,omitempty"`
}

// Settle records how the heap was settled before the truth was taken.
type Settle struct {
	// NumGC is MemStats.NumGC right after the settling runtime.GC() calls.
	// If memstats.NumGC is larger, a GC ran while the truth was collected.
	NumGC    uint32   `json:"num_gc"`
	GCCalls  int      `json:"gc_calls"`
	Sequence []string `json:"sequence"`
}

// Build is what runtime/debug.ReadBuildInfo says about the binary.
type Build struct {
	GoVersion string            `json:"go_version"`
	Path      string            `json:"path"`
	Settings  map[string]string `json:"settings"`
}

// Addr is an address, written as a "0x..." string.
type Addr uint64

func (a Addr) String() string { return fmt.Sprintf("%#x", uint64(a)) }

// MarshalJSON writes "0x...".
func (a Addr) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(a.String())), nil
}

// UnmarshalJSON reads "0x..." (or a plain number).
func (a *Addr) UnmarshalJSON(b []byte) error {
	s := string(b)
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return fmt.Errorf("bad address %s: %v", b, err)
	}
	*a = Addr(v)
	return nil
}

// Load reads a truth file.
func Load(path string) (*Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Truth
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if t.Schema != SchemaVersion {
		return nil, fmt.Errorf("%s: schema %d, want %d", path, t.Schema, SchemaVersion)
	}
	return &t, nil
}

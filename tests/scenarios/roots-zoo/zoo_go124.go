//go:build go1.24

package main

import (
	"fmt"
	"runtime"
	"unsafe"
	"weak"

	"corescope/tests/scenarios/truth"
)

// Guarded carries a cleanup or is the target of a weak pointer.
type Guarded struct {
	ID   int
	Data []byte
}

var (
	cleanupTargets [2]*Guarded
	weakTargets    [2]*Guarded
	weakPtrs       [2]weak.Pointer[Guarded]
)

func newGuarded(i int) *Guarded {
	d := make([]byte, payloadSize)
	truth.FillBytes(d, i)
	return &Guarded{ID: i, Data: d}
}

// plantCleanupsAndWeak plants runtime.AddCleanup and weak.Make (Go 1.24).
//
// A cleanup's function and argument are roots (the special record holds a
// closure that captures both); the object carrying the cleanup is not kept
// alive by it, so it is held by a global here. A weak pointer's handle cell
// (a heap-allocated uintptr) is kept alive by the special record but holds
// no strong reference; the target is held by a global.
//
//go:noinline
func plantCleanupsAndWeak(t *truth.Truth) (cleanup, weakp bool) {
	gsize := uint64(unsafe.Sizeof(Guarded{}))
	for i := range cleanupTargets {
		g := newGuarded(300 + i)
		arg := newPayload(400 + i)
		runtime.AddCleanup(g, func(p *Payload) { keep(p) }, arg)
		cleanupTargets[i] = g
		id := fmt.Sprintf("cleanup-target/%d", i)
		t.Add(truth.Object{
			ID: id, Addr: addr(unsafe.Pointer(g)), Size: gsize, Kind: "struct",
			GoType: truth.TypeName(Guarded{}), HasCleanup: true,
			Root: truth.Root{Kind: "global", Name: "main.cleanupTargets"},
			Path: []string{"main.cleanupTargets", fmt.Sprintf("[%d] *main.Guarded", i)},
			Note: "carries a cleanup; not kept alive by it",
		})
		addPayload(t, fmt.Sprintf("cleanup-arg/%d", i), arg,
			truth.Root{Kind: "cleanup", Object: id}, nil,
			[]string{"cleanup of " + id, "cleanup closure (captures arg)", "*main.Payload"})
	}
	for i := range weakTargets {
		w := newGuarded(500 + i)
		weakPtrs[i] = weak.Make(w)
		weakTargets[i] = w
		id := fmt.Sprintf("weak-target/%d", i)
		t.Add(truth.Object{
			ID: id, Addr: addr(unsafe.Pointer(w)), Size: gsize, Kind: "struct",
			GoType: truth.TypeName(Guarded{}), HasWeak: true,
			Root: truth.Root{Kind: "global", Name: "main.weakTargets"},
			Path: []string{"main.weakTargets", fmt.Sprintf("[%d] *main.Guarded", i)},
		})
		// weak.Pointer is struct{ _ [0]*T; u unsafe.Pointer }: u is the
		// handle, a heap-allocated atomic uintptr holding the target's
		// address (a 16-byte padded box from Go 1.26 on).
		h := *(*unsafe.Pointer)(unsafe.Pointer(&weakPtrs[i]))
		if *(*uintptr)(h) != uintptr(unsafe.Pointer(w)) {
			truth.Fatalf("weak handle %p holds %#x, want %p", h, *(*uintptr)(h), w)
		}
		t.Add(truth.Object{
			ID: fmt.Sprintf("weak-handle/%d", i), Addr: truth.Ptr(h), Size: 8, Kind: "weak-handle",
			GoType:     "internal/runtime/atomic.Uintptr",
			Root:       truth.Root{Kind: "weak", Object: id},
			Path:       []string{"weak handle special of " + id},
			Note:       "holds the target's address as a uintptr (not a strong reference); also referenced from main.weakPtrs",
			OtherRoots: []truth.Root{{Kind: "global", Name: "main.weakPtrs"}},
		})
	}
	return true, true
}

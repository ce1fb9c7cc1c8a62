// Command goroutine-leak plants 2,000 goroutines (at scale 1) started from
// main.leakyWorker, each blocked receiving from a channel nobody sends on,
// each keeping a 64 KiB heap buffer alive from its own stack (local "buf").
package main

import (
	"fmt"
	"sync"

	"corescope/tests/scenarios/truth"
)

var _ = truth.ExactHeapProfile()

const bufBytes = 64 << 10

// numWorkers is 2,000 at scale 1 (CORESCOPE_SCENARIO_SCALE).
var numWorkers = truth.Scaled(2000)

// bufSize is a variable so make([]byte, bufSize) has a non-constant size:
// such a make always allocates on the heap, whatever escape analysis thinks
// of the slice (a constant size <= 64 KiB could stay on the stack).
var bufSize = bufBytes

// release is never sent on or closed.
var release = make(chan struct{})

// sink makes the use of buf after the receive observable.
var sink int

type record struct {
	goid int64
	addr truth.Addr
}

// leakyWorker allocates buf, reports its goroutine id and the buffer's
// address (as a number), then blocks. buf is used after the receive, so it
// is live across the blocking call and the stack map of the frame holds it.
//
//go:noinline
func leakyWorker(i int, rec *record, wg *sync.WaitGroup) {
	buf := make([]byte, bufSize)
	truth.FillBytes(buf, i)
	rec.goid = truth.GoID()
	rec.addr = truth.SliceData(buf)
	wg.Done()
	<-release
	consume(buf)
}

//go:noinline
func consume(b []byte) { sink += int(b[len(b)-1]) }

func main() {
	f := truth.ParseFlags()
	t := truth.New("goroutine-leak")

	recs := make([]record, numWorkers) // numbers only: not a root
	var wg sync.WaitGroup
	wg.Add(numWorkers)
	for i := 0; i < numWorkers; i++ {
		go leakyWorker(i, &recs[i], &wg)
	}
	wg.Wait()

	for i := range recs {
		r := recs[i]
		t.Add(truth.Object{
			ID: fmt.Sprintf("buf/%d", i), Addr: r.addr, Size: bufBytes, Kind: "backing-array",
			GoType: truth.ArrayType(bufBytes, "uint8"), ElemType: "uint8",
			Len: truth.U64(bufBytes), Cap: truth.U64(bufBytes),
			Fill: &truth.Fill{Formula: "byte(i*31 + k)", I: i},
			Root: truth.Root{Kind: "stack", Goid: r.goid, Function: "main.leakyWorker", Variable: "buf"},
			Path: []string{fmt.Sprintf("goroutine %d main.leakyWorker local buf", r.goid), "[]uint8"},
		})
	}
	t.ExpectedLeak = &truth.Leak{
		Root: "main.leakyWorker", Bytes: uint64(numWorkers) * bufBytes, Count: numWorkers, ElemType: "[]uint8",
	}
	t.Summary["leaked_goroutines"] = map[string]interface{}{
		"function": "main.leakyWorker", "count": numWorkers, "wait_reason": "chan receive",
		"created_by": "main.main",
	}
	t.Finish(f, truth.FinishOptions{})
}

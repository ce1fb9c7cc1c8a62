// Command roots-zoo plants objects behind every kind of root the tools must
// know: globals of several shapes (pointer, interface, buffered channel,
// linked list, a 1M-node binary tree), finalizers, sync.Pool, runtime
// cleanups and weak pointers (Go 1.24+, zoo_go124.go), and one object that
// is allocated but unreachable.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"corescope/tests/scenarios/truth"
)

var _ = truth.ExactHeapProfile()

// Payload is the data every root kind retains.
type Payload struct {
	ID   int
	Data []byte
}

// Finalized carries a finalizer; it is itself held by a global (otherwise
// the settling GCs would queue and run the finalizer).
type Finalized struct {
	ID      int
	Payload *Payload
}

// Item travels through the global channel.
type Item struct {
	ID   int
	Name string
	Data []byte
}

// Thing is stored in an interface-typed global.
type Thing struct {
	Label string
	Data  []byte
}

// ListNode is a singly linked list node.
type ListNode struct {
	Next  *ListNode
	Value int64
}

// TreeNode is a binary tree node.
type TreeNode struct {
	Left, Right *TreeNode
	Value       int64
}

// Pooled lives in a sync.Pool.
type Pooled struct {
	ID   int
	Data []byte
}

const (
	payloadBytes = 4096
	itemBytes    = 2048
	thingBytes   = 8192
	pooledBytes  = 1024
	garbageBytes = 256 << 10
	listLen      = 1000
	treeDepth    = 20 // 2^20-1 = 1,048,575 nodes
)

// Sizes as variables: make with a non-constant size always allocates on the
// heap.
var (
	payloadSize = payloadBytes
	itemSize    = itemBytes
	thingSize   = thingBytes
	pooledSize  = pooledBytes
	garbageSize = garbageBytes
)

var (
	finHolder [3]*Finalized
	queue     = make(chan *Item, 8)
	anyThing  interface{}
	listHead  *ListNode
	treeRoot  *TreeNode
	pool      sync.Pool
	// poolStage holds the pooled objects until they are put into the pool
	// after the settling GCs (a GC moves pool contents to the victim cache
	// and the next one drops them).
	poolStage []*Pooled
	keepSink  int
)

//go:noinline
func keep(p *Payload) { keepSink += p.ID }

func newPayload(i int) *Payload {
	d := make([]byte, payloadSize)
	truth.FillBytes(d, i)
	return &Payload{ID: i, Data: d}
}

func addr(p unsafe.Pointer) truth.Addr { return truth.Ptr(p) }

// addPayload records a Payload struct and its data array.
func addPayload(t *truth.Truth, id string, p *Payload, root truth.Root, other []truth.Root, path []string) {
	t.Add(truth.Object{
		ID: id, Addr: addr(unsafe.Pointer(p)), Size: uint64(unsafe.Sizeof(*p)), Kind: "struct",
		GoType: truth.TypeName(*p), Root: root, OtherRoots: other, Path: path,
	})
	t.Add(truth.Object{
		ID: id + "/data", Addr: truth.SliceData(p.Data), Size: payloadBytes, Kind: "backing-array",
		GoType: truth.ArrayType(payloadBytes, "uint8"), ElemType: "uint8",
		Len: truth.U64(payloadBytes), Cap: truth.U64(payloadBytes),
		Fill: &truth.Fill{Formula: "byte(i*31 + k)", I: p.ID},
		Root: root, OtherRoots: other, Path: append(append([]string(nil), path...), ".Data []uint8"),
	})
}

//go:noinline
func plantFinalizers(t *truth.Truth) {
	for i := range finHolder {
		ref := newPayload(100 + i)
		captured := newPayload(200 + i)
		f := &Finalized{ID: i, Payload: ref}
		fn := func(x *Finalized) { keep(captured) }
		runtime.SetFinalizer(f, fn)
		finHolder[i] = f

		fid := fmt.Sprintf("fin/%d", i)
		global := truth.Root{Kind: "global", Name: "main.finHolder"}
		t.Add(truth.Object{
			ID: fid, Addr: addr(unsafe.Pointer(f)), Size: uint64(unsafe.Sizeof(*f)), Kind: "struct",
			GoType: truth.TypeName(*f), HasFinalizer: true, Root: global,
			Path: []string{"main.finHolder", fmt.Sprintf("[%d] *main.Finalized", i)},
			Note: "has a finalizer; the object itself is not a root, its referents are",
		})
		addPayload(t, fmt.Sprintf("fin-referent/%d", i), ref,
			truth.Root{Kind: "finalizer", Object: fid, Via: "referent"},
			[]truth.Root{global},
			[]string{"finalizer of " + fid, "*main.Finalized .Payload", "*main.Payload"})
		fv := *(*unsafe.Pointer)(unsafe.Pointer(&fn))
		fname := runtime.FuncForPC(*(*uintptr)(fv)).Name()
		froot := truth.Root{Kind: "finalizer", Object: fid, Via: "fn"}
		t.Add(truth.Object{
			ID: fmt.Sprintf("fin-fn/%d", i), Addr: truth.Ptr(fv), Size: 16, Kind: "closure",
			GoType: "struct { F uintptr; captured *main.Payload }", Func: fname,
			Root: froot, Path: []string{"finalizer of " + fid, "closure " + fname},
		})
		addPayload(t, fmt.Sprintf("fin-captured/%d", i), captured, froot, nil,
			[]string{"finalizer of " + fid, "closure " + fname, "*main.Payload"})
	}
}

//go:noinline
func plantChannel(t *truth.Truth) {
	for i := 0; i < 3; i++ {
		d := make([]byte, itemSize)
		truth.FillBytes(d, 600+i)
		it := &Item{ID: i, Name: fmt.Sprintf("item-%d", i), Data: d}
		queue <- it
		root := truth.Root{Kind: "global", Name: "main.queue"}
		path := []string{"main.queue", fmt.Sprintf("chan buffer [%d] *main.Item", i)}
		t.Add(truth.Object{
			ID: fmt.Sprintf("chan-item/%d", i), Addr: addr(unsafe.Pointer(it)), Size: uint64(unsafe.Sizeof(*it)),
			Kind: "struct", GoType: truth.TypeName(*it), Root: root, Path: path,
		})
		t.Add(truth.Object{
			ID: fmt.Sprintf("chan-item/%d/data", i), Addr: truth.SliceData(d), Size: itemBytes, Kind: "backing-array",
			GoType: truth.ArrayType(itemBytes, "uint8"), ElemType: "uint8",
			Len: truth.U64(itemBytes), Cap: truth.U64(itemBytes),
			Fill: &truth.Fill{Formula: "byte(i*31 + k)", I: 600 + i},
			Root: root, Path: append(path, ".Data []uint8"),
		})
	}
	t.Summary["channel"] = map[string]interface{}{
		"global": "main.queue", "hchan_addr": truth.Addr(*(*uintptr)(unsafe.Pointer(&queue))).String(),
		"cap": cap(queue), "len": len(queue), "elem_type": "*main.Item",
	}
}

//go:noinline
func plantInterface(t *truth.Truth) {
	d := make([]byte, thingSize)
	truth.FillBytes(d, 700)
	th := &Thing{Label: "interface-held", Data: d}
	anyThing = th
	root := truth.Root{Kind: "global", Name: "main.anyThing"}
	path := []string{"main.anyThing", "interface{} (*main.Thing)"}
	t.Add(truth.Object{
		ID: "iface-thing", Addr: addr(unsafe.Pointer(th)), Size: uint64(unsafe.Sizeof(*th)), Kind: "struct",
		GoType: truth.TypeName(*th), Root: root, Path: path,
	})
	t.Add(truth.Object{
		ID: "iface-thing/data", Addr: truth.SliceData(d), Size: thingBytes, Kind: "backing-array",
		GoType: truth.ArrayType(thingBytes, "uint8"), ElemType: "uint8",
		Len: truth.U64(thingBytes), Cap: truth.U64(thingBytes),
		Fill: &truth.Fill{Formula: "byte(i*31 + k)", I: 700},
		Root: root, Path: append(path, ".Data []uint8"),
	})
}

//go:noinline
func plantList(t *truth.Truth) {
	var tail *ListNode
	for i := listLen - 1; i >= 0; i-- {
		listHead = &ListNode{Next: listHead, Value: int64(i)}
		if tail == nil {
			tail = listHead
		}
	}
	n := 0
	for p := listHead; p != nil; p = p.Next {
		n++
	}
	root := truth.Root{Kind: "global", Name: "main.listHead"}
	size := uint64(unsafe.Sizeof(ListNode{}))
	t.Add(truth.Object{
		ID: "list/head", Addr: addr(unsafe.Pointer(listHead)), Size: size, Kind: "struct",
		GoType: truth.TypeName(ListNode{}), Root: root, Path: []string{"main.listHead", "*main.ListNode"},
	})
	t.Add(truth.Object{
		ID: "list/tail", Addr: addr(unsafe.Pointer(tail)), Size: size, Kind: "struct",
		GoType: truth.TypeName(ListNode{}), Root: root,
		Path: []string{"main.listHead", fmt.Sprintf("*main.ListNode .Next x%d", listLen-1)},
	})
	t.Summary["list"] = map[string]interface{}{
		"global": "main.listHead", "head_addr": addr(unsafe.Pointer(listHead)).String(),
		"tail_addr": addr(unsafe.Pointer(tail)).String(),
		"length":    n, "node_size": size, "node_type": "main.ListNode",
		"bytes": uint64(n) * size,
	}
}

// buildTree builds a complete binary tree of the given depth in
// breadth-first order. It is deliberately not recursive: with
// MemProfileRate=1 every distinct allocation stack is a heap-profile bucket,
// and a recursive build has a distinct stack for every node (2^20 buckets,
// seconds of profile writing).
func buildTree(depth int) (*TreeNode, int64) {
	total := 1<<uint(depth) - 1
	nodes := make([]*TreeNode, total) // temporary index, garbage after return
	for i := range nodes {
		nodes[i] = &TreeNode{Value: int64(i)}
	}
	for i := range nodes {
		if l := 2*i + 1; l < total {
			nodes[i].Left = nodes[l]
			nodes[i].Right = nodes[l+1]
		}
	}
	return nodes[0], int64(total)
}

//go:noinline
func plantTree(t *truth.Truth) {
	var next int64
	treeRoot, next = buildTree(treeDepth)
	left, right := treeRoot, treeRoot
	for left.Left != nil {
		left = left.Left
	}
	for right.Right != nil {
		right = right.Right
	}
	root := truth.Root{Kind: "global", Name: "main.treeRoot"}
	size := uint64(unsafe.Sizeof(TreeNode{}))
	ty := truth.TypeName(TreeNode{})
	t.Add(truth.Object{ID: "tree/root", Addr: addr(unsafe.Pointer(treeRoot)), Size: size, Kind: "struct",
		GoType: ty, Root: root, Path: []string{"main.treeRoot", "*main.TreeNode"}})
	t.Add(truth.Object{ID: "tree/leftmost-leaf", Addr: addr(unsafe.Pointer(left)), Size: size, Kind: "struct",
		GoType: ty, Root: root, Path: []string{"main.treeRoot", fmt.Sprintf("*main.TreeNode .Left x%d", treeDepth-1)}})
	t.Add(truth.Object{ID: "tree/rightmost-leaf", Addr: addr(unsafe.Pointer(right)), Size: size, Kind: "struct",
		GoType: ty, Root: root, Path: []string{"main.treeRoot", fmt.Sprintf("*main.TreeNode .Right x%d", treeDepth-1)}})
	t.Summary["tree"] = map[string]interface{}{
		"global": "main.treeRoot", "root_addr": addr(unsafe.Pointer(treeRoot)).String(),
		"nodes": next, "depth": treeDepth, "node_size": size, "node_type": ty,
		"bytes": uint64(next) * size,
	}
}

//go:noinline
func stagePool() {
	for i := 0; i < 3; i++ {
		d := make([]byte, pooledSize)
		truth.FillBytes(d, 800+i)
		poolStage = append(poolStage, &Pooled{ID: 800 + i, Data: d})
	}
}

// afterSettle runs after the settling GCs: it moves the staged objects into
// the pool and plants one unreachable object. Both allocate a little; no GC
// runs after this (the truth records NumGC to prove it).
func afterSettle(t *truth.Truth) {
	root := truth.Root{Kind: "pool", Name: "main.pool"}
	other := []truth.Root{{Kind: "global", Name: "main.pool"}, {Kind: "global", Name: "sync.allPools"}}
	for i, p := range poolStage {
		pool.Put(p)
		path := []string{"main.pool", "sync.poolLocal", "*main.Pooled"}
		t.Add(truth.Object{
			ID: fmt.Sprintf("pool/%d", i), Addr: addr(unsafe.Pointer(p)), Size: uint64(unsafe.Sizeof(*p)), Kind: "struct",
			GoType: truth.TypeName(*p), Root: root, OtherRoots: other, Path: path,
			Note: "in the pool's per-P private slot or shared chain; no GC ran after the Put",
		})
		t.Add(truth.Object{
			ID: fmt.Sprintf("pool/%d/data", i), Addr: truth.SliceData(p.Data), Size: pooledBytes, Kind: "backing-array",
			GoType: truth.ArrayType(pooledBytes, "uint8"), ElemType: "uint8",
			Len: truth.U64(pooledBytes), Cap: truth.U64(pooledBytes),
			Fill: &truth.Fill{Formula: "byte(i*31 + k)", I: 800 + i},
			Root: root, OtherRoots: other, Path: append(path, ".Data []uint8"),
		})
	}
	poolStage = nil
	t.Add(plantGarbage())
}

//go:noinline
func plantGarbage() truth.Object {
	g := make([]byte, garbageSize)
	f := truth.FillBytes(g, 900)
	return truth.Object{
		ID: "garbage/0", Addr: truth.SliceData(g), Size: garbageBytes, Kind: "backing-array",
		GoType: truth.ArrayType(garbageBytes, "uint8"), ElemType: "uint8",
		Len: truth.U64(garbageBytes), Cap: truth.U64(garbageBytes), Fill: f,
		Root: truth.Root{Kind: "none"},
		Note: "allocated after the last GC and dropped: allocated but unreachable; not in the heap profile",
	}
}

func main() {
	f := truth.ParseFlags()
	t := truth.New("roots-zoo")

	plantFinalizers(t)
	logStep("plantFinalizers")
	plantChannel(t)
	logStep("plantChannel")
	plantInterface(t)
	logStep("plantInterface")
	plantList(t)
	logStep("plantList")
	plantTree(t)
	logStep("plantTree")
	stagePool()
	logStep("stagePool")
	cleanup, weak := plantCleanupsAndWeak(t)
	t.Summary["features"] = map[string]interface{}{
		"finalizer": true, "cleanup": cleanup, "weak": weak, "pool": true, "garbage": true,
	}
	t.Finish(f, truth.FinishOptions{AfterSettle: afterSettle})
}

func init() {
	if os.Getenv("CORESCOPE_TRUTH_DEBUG") != "" {
		start := time.Now()
		logStep = func(s string) { fmt.Fprintf(os.Stderr, "zoo: %-10s %.3fs\n", s, time.Since(start).Seconds()) }
	}
}

var logStep = func(string) {}

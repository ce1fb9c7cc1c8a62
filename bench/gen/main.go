// Command gen builds a large Go heap of a requested size for the corescope
// benchmark, writes the truth about it, signals that it is ready and waits
// to be dumped.
//
// The heap has about 10 objects per KiB (an average object near 100 bytes,
// like a typical service) in five shapes, each held by named globals:
//
//	trees     main.tree0..3     binary trees: node{left,right,id,data} + a 128 B payload
//	maps      main.index0..3    map[uint64]*record, record{name string, tags []int32, owner *node}
//	slices    main.items0..2    [][]*item in chunks of 512, items chained and pointing into the trees
//	strings   main.names0..1    [][]string in chunks of 256, 24..200 byte strings
//	leak      main.sessionCache map[string]*session, session{token, payload, prev}: the planted leak
//
// No non-leak global holds 10% of the heap or more, so the planted leak
// (about 12%) is the only root a leak-suspects report at the default 10%
// share should name. Records and items point at random tree nodes, so the
// graph has cross edges and the dominator tree is not just the spanning
// tree of the globals.
//
// Usage: gen -size 256MiB -truth truth.json -ready ready.file
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

type node struct {
	left, right *node
	id          int64
	data        []byte
}

type record struct {
	key   uint64
	name  string
	tags  []int32
	owner *node
}

type item struct {
	next *item
	ref  *node
	seq  int64
	vals [9]int64
}

type session struct {
	id      int64
	token   string
	payload []byte
	prev    *session
}

// The roots. Each is one named global in the core (main.tree0, ...).
var (
	tree0, tree1, tree2, tree3     *node
	index0, index1, index2, index3 map[uint64]*record
	items0, items1, items2         [][]*item
	names0, names1                 [][]string

	// sessionCache is the planted leak: sessions that were never evicted.
	sessionCache map[string]*session
)

// Shares of the requested live heap, and the estimated bytes one unit of
// each shape costs (objects rounded up to their size classes, plus the map
// and slice storage that holds them). The truth file records what was
// really allocated.
const (
	shareTrees   = 0.31
	shareMaps    = 0.24
	shareSlices  = 0.21
	shareStrings = 0.12
	shareLeak    = 0.12

	nodeUnit    = 48 + 128           // node + payload
	recordUnit  = 64 + 16 + 128 + 20 // record + name + tags + map slot
	itemUnit    = 96 + 8             // item + its slot in a chunk
	stringUnit  = 112 + 16           // string bytes (avg) + header in a chunk
	sessionUnit = 24 + 64 + 160 + 28 // key + session + payload + map slot
	chunkItems  = 512
	chunkNames  = 256
)

// addrs tracks the lowest and highest address the program allocated, so the
// benchmark can find the heap arenas in the core.
type addrs struct{ lo, hi uintptr }

func (a *addrs) see(p unsafe.Pointer, size uintptr) {
	u := uintptr(p)
	if a.lo == 0 || u < a.lo {
		a.lo = u
	}
	if u+size > a.hi {
		a.hi = u + size
	}
}

var span addrs

type gen struct {
	rng     *rand.Rand
	nodes   []*node // a sample of tree nodes, for cross references
	nextID  int64
	objects map[string]uint64
}

func (g *gen) build(n int) *node {
	if n <= 0 {
		return nil
	}
	nd := &node{id: g.nextID, data: make([]byte, 128)}
	g.nextID++
	for i := range nd.data {
		nd.data[i] = byte(int(nd.id) + i)
	}
	span.see(unsafe.Pointer(nd), unsafe.Sizeof(*nd))
	span.see(unsafe.Pointer(&nd.data[0]), 128)
	if len(g.nodes) < cap(g.nodes) {
		g.nodes = append(g.nodes, nd)
	} else if j := g.rng.IntN(int(g.nextID)); j < len(g.nodes) {
		g.nodes[j] = nd
	}
	left := (n - 1) / 2
	nd.left = g.build(left)
	nd.right = g.build(n - 1 - left)
	return nd
}

func (g *gen) randomNode() *node { return g.nodes[g.rng.IntN(len(g.nodes))] }

func (g *gen) index(n int) map[uint64]*record {
	m := make(map[uint64]*record, n)
	for i := 0; i < n; i++ {
		k := g.rng.Uint64()
		r := &record{key: k, name: "rec-" + strconv.FormatUint(k%1e9, 10), tags: make([]int32, 32), owner: g.randomNode()}
		for j := range r.tags {
			r.tags[j] = int32(i + j)
		}
		span.see(unsafe.Pointer(r), unsafe.Sizeof(*r))
		m[k] = r
	}
	return m
}

func (g *gen) items(n int) [][]*item {
	var chunks [][]*item
	for n > 0 {
		c := min(n, chunkItems)
		chunk := make([]*item, c)
		var prev *item
		for i := range chunk {
			it := &item{next: prev, ref: g.randomNode(), seq: int64(i)}
			span.see(unsafe.Pointer(it), unsafe.Sizeof(*it))
			chunk[i] = it
			prev = it
		}
		chunks = append(chunks, chunk)
		n -= c
	}
	return chunks
}

func (g *gen) names(n int) [][]string {
	var chunks [][]string
	var sb strings.Builder
	for n > 0 {
		c := min(n, chunkNames)
		chunk := make([]string, c)
		for i := range chunk {
			sb.Reset()
			l := 24 + g.rng.IntN(177)
			for sb.Len() < l {
				sb.WriteString("name-")
				sb.WriteString(strconv.Itoa(i))
			}
			chunk[i] = sb.String()[:l]
			span.see(unsafe.Pointer(unsafe.StringData(chunk[i])), uintptr(l))
		}
		chunks = append(chunks, chunk)
		n -= c
	}
	return chunks
}

func (g *gen) sessions(n int) map[string]*session {
	m := make(map[string]*session, n)
	var prev *session
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("sess-%012d", i)
		s := &session{id: int64(i), token: key, payload: make([]byte, 160), prev: prev}
		if i%64 == 63 {
			prev = nil // chains of 64, not one list through the whole leak
		} else {
			prev = s
		}
		for j := range s.payload {
			s.payload[j] = byte(i + j)
		}
		span.see(unsafe.Pointer(s), unsafe.Sizeof(*s))
		m[key] = s
	}
	return m
}

type memstats struct {
	HeapAlloc, HeapObjects, HeapInuse, HeapSys, Sys, NumGC uint64
}

func readMem() memstats {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memstats{ms.HeapAlloc, ms.HeapObjects, ms.HeapInuse, ms.HeapSys, ms.Sys, uint64(ms.NumGC)}
}

type shape struct {
	Roots   []string `json:"roots"`
	Units   int      `json:"units"`
	Objects uint64   `json:"objects"` // objects this shape allocated (by construction)
	Bytes   uint64   `json:"bytes"`   // HeapAlloc grew by this much, measured after runtime.GC()
}

type truth struct {
	Generator     string           `json:"generator"`
	GoVersion     string           `json:"go_version"`
	PID           int              `json:"pid"`
	TargetBytes   uint64           `json:"target_bytes"`
	BuildSeconds  float64          `json:"build_seconds"`
	Mem           memstats         `json:"memstats"` // after runtime.GC(), all shapes built
	ObjectsPerKiB float64          `json:"objects_per_kib"`
	HeapLo        string           `json:"heap_lo"` // lowest/highest address gen allocated
	HeapHi        string           `json:"heap_hi"`
	Shapes        map[string]shape `json:"shapes"`
	Leak          struct {
		Root    string `json:"root"`
		Header  string `json:"header"` // the map the root points at
		Sample  string `json:"sample"` // one leaked *session, for path queries
		Bytes   uint64 `json:"bytes"`
		Entries int    `json:"entries"`
		Objects uint64 `json:"objects"`
	} `json:"leak"`
}

func parseSize(s string) (uint64, error) {
	mult := uint64(1)
	for _, u := range []struct {
		suf string
		m   uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if strings.HasSuffix(s, u.suf) {
			s, mult = strings.TrimSuffix(s, u.suf), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return uint64(v * float64(mult)), nil
}

func main() {
	sizeFlag := flag.String("size", "256MiB", "live heap to build (e.g. 256MiB, 1GiB, 4GiB)")
	truthPath := flag.String("truth", "truth.json", "where to write the truth")
	readyPath := flag.String("ready", "", "file to create once the heap is built and the truth written")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	target, err := parseSize(*sizeFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}

	// No collections while building: the heap only grows, and the build of
	// a 4 GiB heap does not pay for repeated marking. runtime.GC() below
	// still runs, for exact numbers.
	debug.SetGCPercent(-1)
	t0 := time.Now()
	g := &gen{rng: rand.New(rand.NewPCG(*seed, 2)), nodes: make([]*node, 0, 1<<16)}
	var t truth
	t.Shapes = map[string]shape{}
	// The unit estimates undercount map and chunk storage by about 8%.
	tb := float64(target) * 0.92
	measure := func(name string, roots []string, units int, objsPerUnit uint64, build func()) {
		before := readMem()
		build()
		after := readMem()
		t.Shapes[name] = shape{Roots: roots, Units: units, Objects: uint64(units) * objsPerUnit, Bytes: after.HeapAlloc - before.HeapAlloc}
	}

	nTree := int(tb * shareTrees / nodeUnit / 4)
	measure("trees", []string{"main.tree0", "main.tree1", "main.tree2", "main.tree3"}, 4*nTree, 2, func() {
		tree0, tree1, tree2, tree3 = g.build(nTree), g.build(nTree), g.build(nTree), g.build(nTree)
	})
	nRec := int(tb * shareMaps / recordUnit / 4)
	measure("maps", []string{"main.index0", "main.index1", "main.index2", "main.index3"}, 4*nRec, 3, func() {
		index0, index1, index2, index3 = g.index(nRec), g.index(nRec), g.index(nRec), g.index(nRec)
	})
	nItem := int(tb * shareSlices / itemUnit / 3)
	measure("slices", []string{"main.items0", "main.items1", "main.items2"}, 3*nItem, 1, func() {
		items0, items1, items2 = g.items(nItem), g.items(nItem), g.items(nItem)
	})
	nName := int(tb * shareStrings / stringUnit / 2)
	measure("strings", []string{"main.names0", "main.names1"}, 2*nName, 1, func() {
		names0, names1 = g.names(nName), g.names(nName)
	})
	nSess := int(tb * shareLeak / sessionUnit)
	measure("leak", []string{"main.sessionCache"}, nSess, 3, func() {
		sessionCache = g.sessions(nSess)
	})
	g.nodes = nil

	t.Generator = "corescope/bench/gen"
	t.GoVersion = runtime.Version()
	t.PID = os.Getpid()
	t.TargetBytes = target
	t.Mem = readMem()
	t.BuildSeconds = time.Since(t0).Seconds()
	t.ObjectsPerKiB = float64(t.Mem.HeapObjects) / (float64(t.Mem.HeapAlloc) / 1024)
	t.HeapLo = fmt.Sprintf("%#x", span.lo)
	t.HeapHi = fmt.Sprintf("%#x", span.hi)
	t.Leak.Root = "main.sessionCache"
	t.Leak.Bytes = t.Shapes["leak"].Bytes
	t.Leak.Entries = nSess
	t.Leak.Header = fmt.Sprintf("%#x", *(*uintptr)(unsafe.Pointer(&sessionCache)))
	t.Leak.Sample = fmt.Sprintf("%#x", uintptr(unsafe.Pointer(sessionCache[fmt.Sprintf("sess-%012d", nSess/2)])))
	t.Leak.Objects = t.Shapes["leak"].Objects

	buf, _ := json.MarshalIndent(&t, "", "  ")
	if err := os.WriteFile(*truthPath, append(buf, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if *readyPath != "" {
		if err := os.WriteFile(*readyPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(os.Stderr, "gen: pid %d: %d objects, %.1f MiB live in %.1fs; waiting for SIGTERM\n",
		t.PID, t.Mem.HeapObjects, float64(t.Mem.HeapAlloc)/(1<<20), t.BuildSeconds)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	runtime.KeepAlive(&sessionCache)
}

// Command large-maps plants maps whose memory layout differs between the
// classic bucket maps (Go <= 1.23, and 1.24-1.25 with
// GOEXPERIMENT=noswissmap), the Swiss tables (1.24+) and the Swiss tables
// with split groups (GOEXPERIMENT=mapsplitgroup, 1.27):
//
//	main.byID    map[int64]*Blob   large: many Swiss tables, or 2^B buckets
//	main.byKey   map[BigKey]*Blob  keys over 128 bytes, stored indirectly
//	main.byName  map[string]BigVal elems over 128 bytes, stored indirectly
//	main.inline  map[int32]Small   small elems holding a pointer, inline
//	main.growing map[int64]*Blob   a classic map caught in the middle of
//	                               growing (old buckets not yet evacuated)
//	main.chained map[int64]*Blob   classic maps only: a small map one of
//	                               whose buckets overflowed into a bucket
//	                               allocated on its own
//
// Every Blob is reachable only through its map (and, for byKey and byName,
// through the indirect key or elem object); a few per map are planted in
// the truth with their key. Counts scale with CORESCOPE_SCENARIO_SCALE.
package main

import (
	"fmt"
	"unsafe"

	"corescope/tests/scenarios/truth"
)

var _ = truth.ExactHeapProfile()

// Blob is what every map retains.
type Blob struct {
	ID   int64
	Data []byte
}

// BigKey is over 128 bytes: maps store a pointer to a separately
// allocated key.
type BigKey struct {
	ID  int64
	Ref *Blob
	Pad [144]byte
}

// BigVal is over 128 bytes: maps store a pointer to a separately
// allocated elem.
type BigVal struct {
	Ref *Blob
	Pad [136]byte
}

// Small is stored inline in the map's slots.
type Small struct {
	Ref *Blob
	N   int64
}

const blobBytes = 1024

// Sizes are variables: a make with a non-constant size is always a heap
// allocation.
var blobSize = blobBytes

// Counts at scale 1.
var (
	numByID    = truth.Scaled(40000)
	numByKey   = truth.Scaled(1000)
	numByName  = truth.Scaled(1000)
	numInline  = truth.Scaled(5000)
	numGrowing = truth.Scaled(3000) // at least; classic maps go on to the next growth
)

// numChained entries fill 8 classic buckets (B = 3) to the load factor:
// some bucket overflows in most maps.
const numChained = 52

var (
	byID    map[int64]*Blob
	byKey   map[BigKey]*Blob
	byName  map[string]BigVal
	inline  map[int32]Small
	growing map[int64]*Blob
	chained map[int64]*Blob
)

// fills numbers the blobs' fill patterns, so every planted buffer differs.
var fills int

//go:noinline
func newBlob() *Blob {
	fills++
	d := make([]byte, blobSize)
	truth.FillBytes(d, fills)
	return &Blob{ID: int64(fills), Data: d}
}

// sampled reports whether entry i of n is planted in the truth: the first,
// the last and three in between.
func sampled(i, n int) bool {
	return i == 0 || i == n-1 || i == n/4 || i == n/2 || i == 3*n/4
}

// plant records one sampled Blob and its Data, by address only.
type plant struct {
	mapName, key string
	blob         *Blob
	via          string // the hop between the map and the Blob
}

//go:noinline
func fill() []plant {
	var out []plant
	byID = make(map[int64]*Blob)
	for i := 0; i < numByID; i++ {
		b := newBlob()
		k := int64(i)*7919 + 1
		byID[k] = b
		if sampled(i, numByID) {
			out = append(out, plant{"main.byID", fmt.Sprint(k), b, "*main.Blob"})
		}
	}
	byKey = make(map[BigKey]*Blob)
	for i := 0; i < numByKey; i++ {
		kb, vb := newBlob(), newBlob()
		k := BigKey{ID: int64(i), Ref: kb}
		k.Pad[0] = byte(i)
		byKey[k] = vb
		if sampled(i, numByKey) {
			key := fmt.Sprintf("BigKey{ID: %d}", i)
			out = append(out,
				plant{"main.byKey", key, kb, "indirect key *main.BigKey .Ref *main.Blob"},
				plant{"main.byKey", key, vb, "*main.Blob"})
		}
	}
	byName = make(map[string]BigVal)
	for i := 0; i < numByName; i++ {
		b := newBlob()
		k := fmt.Sprintf("name:%05d", i)
		v := BigVal{Ref: b}
		v.Pad[0] = byte(i)
		byName[k] = v
		if sampled(i, numByName) {
			out = append(out, plant{"main.byName", k, b, "indirect elem *main.BigVal .Ref *main.Blob"})
		}
	}
	inline = make(map[int32]Small)
	for i := 0; i < numInline; i++ {
		b := newBlob()
		inline[int32(i)] = Small{Ref: b, N: int64(i)}
		if sampled(i, numInline) {
			out = append(out, plant{"main.inline", fmt.Sprint(i), b, "main.Small .Ref *main.Blob"})
		}
	}
	// Insert until the target size is reached and, for classic maps,
	// until the insert that starts a growth: its old buckets then stay
	// unevacuated, since nothing writes to the map again.
	growing = make(map[int64]*Blob)
	var gkeys []int64
	var gblobs []*Blob
	for i := 0; ; i++ {
		if i >= numGrowing && (!classicMaps || mapGrowing(mapHeader(&growing))) {
			break
		}
		if i > 4*numGrowing+64 {
			truth.Fatalf("main.growing: %d inserts and the map never started growing", i)
		}
		b := newBlob()
		k := int64(i)*104729 + 3
		growing[k] = b
		gkeys = append(gkeys, k)
		gblobs = append(gblobs, b)
	}
	for i := range gkeys {
		if sampled(i, len(gkeys)) {
			out = append(out, plant{"main.growing", fmt.Sprint(gkeys[i]), gblobs[i], "*main.Blob"})
		}
	}
	return out
}

// fillChained builds main.chained again (each map hashes with a seed of
// its own) until one of its buckets overflowed into a bucket allocated on
// its own, and plants that bucket and the Blobs in it: corescope can type
// the bucket only by the overflow word (an unsafe.Pointer) of the bucket
// before it, and the Blobs only through it.  Classic maps only.
//
//go:noinline
func fillChained(t *truth.Truth) []plant {
	blobs := make([]*Blob, numChained)
	for i := range blobs {
		blobs[i] = newBlob()
	}
	for try := 0; try < 1000; try++ {
		chained = make(map[int64]*Blob, numChained)
		for i, b := range blobs {
			chained[int64(i)*31+5] = b
		}
		ovf, keys, inOvf := classicOverflow(mapHeader(&chained))
		if ovf == nil {
			continue
		}
		t.Add(truth.Object{
			ID: "overflow-bucket/main.chained", Addr: truth.Ptr(ovf), Size: 144, Kind: "map-bucket",
			GoType: "map.bucket[int64]*main.Blob", Root: truth.Root{Kind: "global", Name: "main.chained"},
			Note: fmt.Sprintf("allocated on its own after %d maps without one", try),
		})
		var out []plant
		for i := range keys {
			out = append(out, plant{"main.chained", fmt.Sprint(keys[i]), inOvf[i], "*main.Blob"})
		}
		return out
	}
	truth.Fatalf("main.chained: 1000 maps of %d entries and no bucket overflowed", numChained)
	return nil
}

// mapHeader returns the map's header (a map value is a pointer to it).
func mapHeader(m interface{}) unsafe.Pointer {
	switch p := m.(type) {
	case *map[int64]*Blob:
		return *(*unsafe.Pointer)(unsafe.Pointer(p))
	case *map[BigKey]*Blob:
		return *(*unsafe.Pointer)(unsafe.Pointer(p))
	case *map[string]BigVal:
		return *(*unsafe.Pointer)(unsafe.Pointer(p))
	case *map[int32]Small:
		return *(*unsafe.Pointer)(unsafe.Pointer(p))
	}
	truth.Fatalf("mapHeader: %T", m)
	return nil
}

func main() {
	f := truth.ParseFlags()
	t := truth.New("large-maps")

	plants := fill()
	if classicMaps {
		plants = append(plants, fillChained(t)...)
	}

	blobSz := uint64(unsafe.Sizeof(Blob{}))
	for _, p := range plants {
		root := truth.Root{Kind: "global", Name: p.mapName}
		keyHop := fmt.Sprintf("map key %s", p.key)
		id := fmt.Sprintf("%s[%s]/blob%d", p.mapName, p.key, p.blob.ID)
		t.Add(truth.Object{
			ID: id, Addr: truth.Ptr(unsafe.Pointer(p.blob)), Size: blobSz, Kind: "struct",
			GoType: truth.TypeName(Blob{}), Key: p.key,
			Root: root, Path: []string{p.mapName, keyHop, p.via},
		})
		t.Add(truth.Object{
			ID: id + "/data", Addr: truth.SliceData(p.blob.Data), Size: blobBytes, Kind: "backing-array",
			GoType: truth.ArrayType(blobBytes, "uint8"), ElemType: "uint8",
			Len: truth.U64(blobBytes), Cap: truth.U64(blobBytes), Key: p.key,
			Fill: &truth.Fill{Formula: "byte(i*31 + k)", I: int(p.blob.ID)},
			Root: root, Path: []string{p.mapName, keyHop, p.via, ".Data []uint8"},
		})
	}

	type mapInfo struct {
		name, key, elem       string
		hdr                   unsafe.Pointer
		n                     int
		indirectKey, indirect bool
	}
	maps := []mapInfo{
		{"main.byID", "int64", "*main.Blob", mapHeader(&byID), len(byID), false, false},
		{"main.byKey", "main.BigKey", "*main.Blob", mapHeader(&byKey), len(byKey), true, false},
		{"main.byName", "string", "main.BigVal", mapHeader(&byName), len(byName), false, true},
		{"main.inline", "int32", "main.Small", mapHeader(&inline), len(inline), false, false},
		{"main.growing", "int64", "*main.Blob", mapHeader(&growing), len(growing), false, false},
	}
	if classicMaps {
		maps = append(maps, mapInfo{"main.chained", "int64", "*main.Blob", mapHeader(&chained), len(chained), false, false})
	}
	var summary []map[string]interface{}
	for _, m := range maps {
		t.Add(truth.Object{
			ID: "map-header/" + m.name, Addr: truth.Ptr(m.hdr), Size: mapHeaderSize, Kind: "map-header",
			GoType: mapHeaderType, Root: truth.Root{Kind: "global", Name: m.name}, Path: []string{m.name},
		})
		s := map[string]interface{}{
			"global": m.name, "len": m.n, "key_type": m.key, "elem_type": m.elem,
			"indirect_key": m.indirectKey, "indirect_elem": m.indirect,
			"header_addr": truth.Ptr(m.hdr).String(), "header_type": mapHeaderType,
		}
		for k, v := range mapState(m.hdr) {
			s[k] = v
		}
		summary = append(summary, s)
	}
	if classicMaps && !mapGrowing(maps[4].hdr) {
		truth.Fatalf("main.growing is not growing any more")
	}
	t.ExpectedLeak = &truth.Leak{
		Root: "main.byID", Bytes: uint64(numByID) * blobBytes, Count: numByID, ElemType: "[]uint8",
	}
	t.Summary["maps"] = summary
	t.Summary["impl"] = mapImpl
	t.Summary["blob_bytes"] = blobBytes
	t.Finish(f, truth.FinishOptions{})
}

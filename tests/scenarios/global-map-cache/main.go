// Command global-map-cache plants a global map with 100,000 small entries
// (at scale 1, CORESCOPE_SCENARIO_SCALE) and 4 entries whose Entry holds a
// 4 MiB []byte value.
package main

import (
	"fmt"
	"unsafe"

	"corescope/tests/scenarios/truth"
)

var _ = truth.ExactHeapProfile()

// Entry is the map's value type: a pointer-holding small struct.
type Entry struct {
	Name  string
	Hits  int64
	Value []byte
}

var cache map[string]*Entry

const (
	smallBytes = 32
	bigBytes   = 4 << 20
)

// numSmall is 100,000 at scale 1.
var numSmall = truth.Scaled(100000)

// Sizes are variables so every make below has a non-constant size and is
// heap allocated regardless of escape analysis.
var (
	smallSize = smallBytes
	bigSize   = bigBytes
)

// bigAt says after which small entry each big entry is inserted, so the big
// entries land in different parts of the map's growth history (9999, 33333,
// 66666 and 99998 at scale 1).
var bigAt = [4]int{numSmall/10 - 1, numSmall / 3, 2 * numSmall / 3, numSmall - 2}

type bigRec struct {
	key          string
	entry, array truth.Addr
}

//go:noinline
func fillCache() []bigRec {
	cache = make(map[string]*Entry)
	var bigs []bigRec
	next := 0
	for i := 0; i < numSmall; i++ {
		key := fmt.Sprintf("user:%06d", i)
		v := make([]byte, smallSize)
		truth.FillBytes(v, i)
		cache[key] = &Entry{Name: key, Hits: int64(i), Value: v}
		if next < len(bigAt) && i == bigAt[next] {
			key := fmt.Sprintf("blob:%d", next)
			v := make([]byte, bigSize)
			truth.FillBytes(v, 1000+next)
			e := &Entry{Name: key, Hits: -1, Value: v}
			cache[key] = e
			bigs = append(bigs, bigRec{key: key, entry: truth.Ptr(unsafe.Pointer(e)), array: truth.SliceData(v)})
			next++
		}
	}
	return bigs
}

func main() {
	f := truth.ParseFlags()
	t := truth.New("global-map-cache")
	if numSmall < 40 {
		truth.Fatalf("%d small entries: the scale is too small to place the 4 big ones", numSmall)
	}

	bigs := fillCache()
	if len(cache) != numSmall+len(bigAt) {
		truth.Fatalf("map has %d entries", len(cache))
	}
	root := truth.Root{Kind: "global", Name: "main.cache"}
	hdr := truth.Addr(*(*uintptr)(unsafe.Pointer(&cache)))
	t.Add(truth.Object{
		ID: "map-header", Addr: hdr, Size: mapHeaderSize, Kind: "map-header", GoType: mapHeaderType,
		Root: root, Path: []string{"main.cache"},
		Note: "runtime.hmap: 48 bytes to 1.23, 56 with noswissmap in 1.24-1.25; internal/runtime/maps.Map: 48 bytes",
	})
	entrySize := uint64(unsafe.Sizeof(Entry{}))
	for i, b := range bigs {
		keyHop := fmt.Sprintf("map[string]*main.Entry key %q", b.key)
		t.Add(truth.Object{
			ID: fmt.Sprintf("entry/%s", b.key), Addr: b.entry, Size: entrySize, Kind: "struct",
			GoType: truth.TypeName(Entry{}), Key: b.key,
			Root: root, Path: []string{"main.cache", keyHop, "*main.Entry"},
		})
		t.Add(truth.Object{
			ID: fmt.Sprintf("value/%s", b.key), Addr: b.array, Size: bigBytes, Kind: "backing-array",
			GoType: truth.ArrayType(bigBytes, "uint8"), ElemType: "uint8",
			Len: truth.U64(bigBytes), Cap: truth.U64(bigBytes), Key: b.key,
			Fill: &truth.Fill{Formula: "byte(i*31 + k)", I: 1000 + i},
			Root: root, Path: []string{"main.cache", keyHop, "*main.Entry", ".Value []uint8"},
		})
	}
	t.ExpectedLeak = &truth.Leak{Root: "main.cache", Bytes: uint64(len(bigs)) * bigBytes, Count: len(bigs), ElemType: "[]uint8"}
	t.Summary["map"] = map[string]interface{}{
		"global": "main.cache", "len": len(cache), "header_addr": hdr.String(), "header_type": mapHeaderType,
		"key_type": "string", "elem_type": "*main.Entry", "small_entries": numSmall,
		"small_key_format": "user:%06d", "small_value_bytes": smallBytes,
		"entry_size": entrySize, "big_keys": []string{"blob:0", "blob:1", "blob:2", "blob:3"},
	}
	t.Finish(f, truth.FinishOptions{})
}

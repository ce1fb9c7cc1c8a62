// Command subslice plants a 16-byte subslice of a 64 MiB array in a global;
// nothing else refers to the array, so the whole 64 MiB is retained through
// an interior pointer 16 bytes before its end.
package main

import (
	"corescope/tests/scenarios/truth"
)

var _ = truth.ExactHeapProfile()

const (
	bigBytes  = 64 << 20
	tailBytes = 16
)

// bigSize is a variable: make with a non-constant size is always a heap
// allocation.
var bigSize = bigBytes

var tail []byte

//go:noinline
func plant() truth.Addr {
	big := make([]byte, bigSize)
	truth.FillBytes(big, 7)
	tail = big[len(big)-tailBytes:]
	return truth.SliceData(big)
}

func main() {
	f := truth.ParseFlags()
	t := truth.New("subslice")

	base := plant()
	interior := truth.SliceData(tail)
	if uint64(interior) != uint64(base)+bigBytes-tailBytes || len(tail) != tailBytes || cap(tail) != tailBytes {
		truth.Fatalf("tail %v len %d cap %d, base %v", interior, len(tail), cap(tail), base)
	}
	t.Add(truth.Object{
		ID: "array", Addr: base, Size: bigBytes, Kind: "backing-array",
		GoType: truth.ArrayType(bigBytes, "uint8"), ElemType: "uint8",
		Len: truth.U64(bigBytes), Cap: truth.U64(bigBytes),
		Fill:        &truth.Fill{Formula: "byte(i*31 + k)", I: 7},
		InteriorPtr: interior,
		Root:        truth.Root{Kind: "global", Name: "main.tail"},
		Path:        []string{"main.tail", "[]uint8 (interior pointer at offset 67108848)"},
	})
	t.ExpectedLeak = &truth.Leak{Root: "main.tail", Bytes: bigBytes, Count: 1, ElemType: "[]uint8"}
	t.Summary["subslice"] = map[string]interface{}{
		"global": "main.tail", "len": tailBytes, "cap": tailBytes,
		"data_ptr": interior.String(), "offset": bigBytes - tailBytes,
		"array_addr": base.String(), "array_size": bigBytes,
	}
	t.Finish(f, truth.FinishOptions{})
}

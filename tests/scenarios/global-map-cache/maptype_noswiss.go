//go:build go1.24 && !go1.26 && !goexperiment.swissmap

package main

// Classic bucket maps in Go 1.24-1.25 with GOEXPERIMENT=noswissmap:
// runtime.hmap gained clearSeq (uint64) and is 56 bytes.
const (
	mapHeaderType = "runtime.hmap"
	mapHeaderSize = 56
)

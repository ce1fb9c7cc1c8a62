//go:build go1.24 && !go1.26 && !goexperiment.swissmap

package main

import "unsafe"

// Classic bucket maps in Go 1.24-1.25 with GOEXPERIMENT=noswissmap:
// runtime.hmap gained clearSeq (uint64) and is 56 bytes.
const (
	mapHeaderType = "runtime.hmap"
	mapHeaderSize = 56
	mapImpl       = "classic"
	classicMaps   = true
)

func mapGrowing(h unsafe.Pointer) bool { return classicGrowing(h) }

func mapState(h unsafe.Pointer) map[string]interface{} { return classicState(h) }

//go:build !go1.24

package main

import "unsafe"

// Classic bucket maps, Go <= 1.23: runtime.hmap is 48 bytes.
const (
	mapHeaderType = "runtime.hmap"
	mapHeaderSize = 48
	mapImpl       = "classic"
	classicMaps   = true
)

// The runtime.hmap fields the scenario reads: B (offset 9) and
// oldbuckets (offset 24), the same in every release with classic maps.
func mapGrowing(h unsafe.Pointer) bool { return classicGrowing(h) }

func mapState(h unsafe.Pointer) map[string]interface{} { return classicState(h) }

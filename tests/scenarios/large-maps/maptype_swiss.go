//go:build go1.26 || (go1.24 && goexperiment.swissmap)

package main

import "unsafe"

// Go 1.24+ Swiss tables (always on from 1.26, default on in 1.24-1.25):
// internal/runtime/maps.Map is 48 bytes. Swiss tables grow at once,
// never incrementally.
const (
	mapHeaderType = "internal/runtime/maps.Map"
	mapHeaderSize = 48
	mapImpl       = "swiss"
	classicMaps   = false
)

func mapGrowing(h unsafe.Pointer) bool { return false }

// internal/runtime/maps.Map: used (uint64, offset 0), dirLen (int, 24),
// globalDepth (uint8, 32); dirLen 0 means one group and no table.
func mapState(h unsafe.Pointer) map[string]interface{} {
	return map[string]interface{}{
		"used":         *(*uint64)(h),
		"dir_len":      *(*int)(unsafe.Add(h, 24)),
		"global_depth": *(*uint8)(unsafe.Add(h, 32)),
	}
}

package main

import "unsafe"

// classicGrowing reads runtime.hmap.oldbuckets (offset 24 in every
// release with classic maps): non-nil while old buckets await evacuation.
func classicGrowing(h unsafe.Pointer) bool {
	return *(*uintptr)(unsafe.Add(h, 24)) != 0
}

// classicState reads count (offset 0), B (9) and oldbuckets (24).
func classicState(h unsafe.Pointer) map[string]interface{} {
	return map[string]interface{}{
		"count":   *(*int)(h),
		"B":       *(*uint8)(unsafe.Add(h, 9)),
		"growing": classicGrowing(h),
	}
}

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

// classicOverflow finds, in a classic map[int64]*Blob whose bucket array
// was made without spare overflow buckets (B < 4), a bucket that
// overflowed into one allocated on its own, and returns that overflow
// bucket with the keys and elems of its occupied slots (nil if none).
// Layout, the same in every release with classic maps: hmap.B at offset
// 9, hmap.buckets at 16; the bucket of map[int64]*Blob is tophash
// [8]uint8 at 0, keys [8]int64 at 8, elems [8]*Blob at 72 and overflow
// unsafe.Pointer at 136, 144 bytes.  A tophash below 5 marks an empty
// slot.
func classicOverflow(h unsafe.Pointer) (ovf unsafe.Pointer, keys []int64, blobs []*Blob) {
	b := *(*uint8)(unsafe.Add(h, 9))
	buckets := *(*unsafe.Pointer)(unsafe.Add(h, 16))
	if b >= 4 || buckets == nil || classicGrowing(h) {
		return nil, nil, nil
	}
	const bucketSize, keysAt, elemsAt, overflowAt = 144, 8, 72, 136
	for i := uintptr(0); i < 1<<b; i++ {
		ovf = *(*unsafe.Pointer)(unsafe.Add(buckets, i*bucketSize+overflowAt))
		if ovf == nil {
			continue
		}
		for slot := uintptr(0); slot < 8; slot++ {
			if *(*uint8)(unsafe.Add(ovf, slot)) < 5 {
				continue
			}
			keys = append(keys, *(*int64)(unsafe.Add(ovf, keysAt+8*slot)))
			blobs = append(blobs, *(**Blob)(unsafe.Add(ovf, elemsAt+8*slot)))
		}
		return ovf, keys, blobs
	}
	return nil, nil, nil
}

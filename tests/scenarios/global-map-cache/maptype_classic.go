//go:build !go1.24

package main

// Classic bucket maps, Go <= 1.23: runtime.hmap is 48 bytes.
const (
	mapHeaderType = "runtime.hmap"
	mapHeaderSize = 48
)

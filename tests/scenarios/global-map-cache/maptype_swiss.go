//go:build go1.26 || (go1.24 && goexperiment.swissmap)

package main

// Go 1.24+ Swiss tables (always on from 1.26, default on in 1.24-1.25):
// internal/runtime/maps.Map is 48 bytes.
const (
	mapHeaderType = "internal/runtime/maps.Map"
	mapHeaderSize = 48
)

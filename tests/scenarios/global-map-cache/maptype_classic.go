//go:build !(go1.26 || (go1.24 && goexperiment.swissmap))

package main

// Classic bucket maps: Go <= 1.23, and 1.24-1.25 with GOEXPERIMENT=noswissmap.
const mapHeaderType = "runtime.hmap"

//go:build go1.22

// The tests module says "go 1.19", which makes Go 1.22+ default to
// GODEBUG=httpmuxgo121=1 (the old map-based ServeMux). Real programs built
// today use the pattern tree, so this scenario asks for it explicitly.
// Go 1.21 and older do not know the setting; the build tag hides this file
// from them.

//go:debug httpmuxgo121=0

package main

package main

// spHere returns the stack pointer of the calling function's body
// (implemented in sp_amd64.s).  Two callers one frame apart give the
// callee's frame size: callerSP - calleeSP - 8 (the return address) is
// what the pcsp table must say at any call site in the callee's body.
func spHere() uintptr

package main

// Functions inlined into callers in scenarios.go, so an inlined frame's
// file differs from its physical function's file (a second entry of the
// CU's file table).

func helperInline(x int) {
	helperLeaf(x, x*x)
}

func helperLeaf(x, y int) {
	if x+y > 0 {
		record("crossfile")
	}
}

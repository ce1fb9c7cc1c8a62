//go:build !go1.24

package main

import "corescope/tests/scenarios/truth"

// Before Go 1.24 there is no runtime.AddCleanup and no package weak.
func plantCleanupsAndWeak(t *truth.Truth) (cleanup, weak bool) { return false, false }

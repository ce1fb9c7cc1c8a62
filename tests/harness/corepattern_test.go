package main

import (
	"os"
	"testing"
)

func TestCorePatternGlob(t *testing.T) {
	host, _ := os.Hostname()
	for _, c := range []struct {
		pattern string
		usesPID bool
		want    string
	}{
		{"core", false, "/run/dir/core"},
		{"core", true, "/run/dir/core.123"},
		{"core.%p", true, "/run/dir/core.123"},
		{"/var/crash/%e.%p.%t", false, "/var/crash/exe.123.*"},
		{"/var/crash/core-%h-%s-%%", true, "/var/crash/core-" + host + "-6-%.123"},
		{"/cores/%P-%i", true, "/cores/*-*"},
		{"weird[x]*", false, `/run/dir/weird\[x]\*`},
	} {
		if got := corePatternGlob(c.pattern, c.usesPID, 123, "/run/dir"); got != c.want {
			t.Errorf("corePatternGlob(%q, %v) = %q, want %q", c.pattern, c.usesPID, got, c.want)
		}
	}
}

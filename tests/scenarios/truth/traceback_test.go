package truth

import "testing"

const crashFixture = `SIGABRT: abort
PC=0x48c3a1 m=0 sigcode=0

goroutine 0 gp=0x86a4a0 m=0 mp=0x86b260 [idle]:
runtime.futex(0x86b3b8, 0x80, 0x0, 0x0, 0x0, 0x0)
	/usr/local/go/src/runtime/sys_linux_amd64.s:569 +0x21 fp=0x7ffeeadfa388 sp=0x7ffeeadfa380 pc=0x48c3a1

goroutine 1 gp=0xc45863a81e0 m=nil [sleep, 3 minutes]:
runtime.gopark(0x10c0d1127b0?, 0x6?, 0x6?, 0x0?, 0x0?)
	/usr/local/go/src/runtime/proc.go:462 +0xce fp=0xc45864338b0 sp=0xc4586433890 pc=0x48394e
time.Sleep(0x34630b8a000)
	/usr/local/go/src/runtime/time.go:363 +0x165 fp=0xc4586433908 sp=0xc45864338b0 pc=0x4870a5
main.(*T).run(...)
	/x/main.go:10
main.main()
	/x/main.go:20 +0x1d
runtime.main()
	/usr/local/go/src/runtime/proc.go:290 +0x28b
runtime.goexit({})
	/usr/local/go/src/runtime/asm_amd64.s:1700 +0x1

goroutine 2 gp=0xc000002c40 m=nil [force gc (idle)]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/usr/local/go/src/runtime/proc.go:462 +0xce
runtime.forcegchelper()
	/usr/local/go/src/runtime/proc.go:375 +0xb8
runtime.goexit({})
	/usr/local/go/src/runtime/asm_amd64.s:1700 +0x1
created by runtime.init.7 in goroutine 1
	/usr/local/go/src/runtime/proc.go:363 +0x1a

goroutine 7 [syscall, locked to thread]:
main._Cfunc_go_enters_c()
	_cgo_gotypes.go:60 +0x45
main.cgoBlocker()
	/x/main.go:90 +0x1d
created by main.main
	/x/main.go:110 +0x1d
`

func TestParseTraceback(t *testing.T) {
	gs := ParseTraceback(crashFixture)
	if len(gs) != 4 {
		t.Fatalf("%d goroutines: %+v", len(gs), gs)
	}
	g1 := gs[1]
	if g1.Goid != 1 || g1.RawStatus != "sleep, 3 minutes" || g1.Top() != "runtime.gopark" || g1.Start() != "runtime.main" {
		t.Errorf("goroutine 1: %+v start %q", g1, g1.Start())
	}
	if IsSystemGoroutine(&g1) || !IsSystemGoroutine(&gs[2]) || IsSystemGoroutine(&gs[3]) {
		t.Errorf("system classification wrong")
	}
	if gs[2].CreatedBy != "runtime.init.7" || gs[3].CreatedBy != "main.main" {
		t.Errorf("created by: %q %q", gs[2].CreatedBy, gs[3].CreatedBy)
	}
	for _, c := range []struct{ raw, state, reason string }{
		{"running", "running", ""},
		{"runnable", "runnable", ""},
		{"syscall, locked to thread", "syscall", ""},
		{"chan receive, 12 minutes", "waiting", "chan receive"},
		{"select, 1 minutes, locked to thread", "waiting", "select"},
		{"GC worker (idle)", "waiting", "GC worker (idle)"},
		{"sleep", "waiting", "sleep"},
	} {
		if s, r := StatusOf(c.raw); s != c.state || r != c.reason {
			t.Errorf("StatusOf(%q) = %q, %q; want %q, %q", c.raw, s, r, c.state, c.reason)
		}
	}
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const phdrsFixture = `Program Headers:
  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align
  NOTE           0x000548 0x0000000000000000 0x0000000000000000 0x00efac 0x000000     0x0
  LOAD           0x010000 0x0000000000400000 0x0000000000000000 0x001000 0x1f4000 R E 0x1000
  LOAD           0x011000 0x000000c000000000 0x0000000000000000 0x400000 0x400000 RW  0x1000
  LOAD           0x411000 0x000000c000400000 0x0000000000000000 0x400000 0x400000 RW  0x1000
  LOAD           0x811000 0x000000c000800000 0x0000000000000000 0x000000 0x400000     0x1000
`

const notesFixture = `
Note segment of 61324 bytes at offset 0xcf0:
  Owner          Data size  Type
  CORE                 336  PRSTATUS
    info.si_signo: 6, info.si_code: 0, info.si_errno: 0, cursig: 6
    pid: 100, ppid: 1, pgrp: 100, sid: 1
  CORE                 136  PRPSINFO
    state: 0, sname: R, zomb: 0, nice: 0, flag: 0x0000000000400600
    uid: 0, gid: 0, pid: 100, ppid: 1, pgrp: 100, sid: 1
    fname: exe
  CORE                 336  PRSTATUS
    info.si_signo: 0, info.si_code: 0, info.si_errno: 0, cursig: 0
    pid: 101, ppid: 1, pgrp: 100, sid: 1
`

func TestParsePhdrsAndCoverage(t *testing.T) {
	segs, err := ParsePhdrs(phdrsFixture)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 4 || segs[0].Flags != "RE" || segs[1].FileSiz != 0x400000 {
		t.Fatalf("segments: %+v", segs)
	}
	for _, c := range []struct {
		lo, hi uint64
		ok     bool
	}{
		{0xc000000000, 0xc000000010, true},
		{0xc0003ffff0, 0xc000400010, true},  // spans two adjacent segments
		{0xc0007ffff0, 0xc000800010, false}, // runs into a FileSiz 0 segment
		{0x401000, 0x401008, false},         // MemSiz but not FileSiz
	} {
		if _, ok := coveredBySegments(segs, c.lo, c.hi); ok != c.ok {
			t.Errorf("covered(%#x,%#x) = %v, want %v", c.lo, c.hi, ok, c.ok)
		}
	}
	if off, ok := fileOffset(segs, 0xc000400010, 8); !ok || off != 0x411010 {
		t.Errorf("fileOffset = %#x, %v", off, ok)
	}
}

func TestParseNotes(t *testing.T) {
	n, err := ParseNotes(notesFixture)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.PRStatusPIDs) != 2 || n.PRStatusPIDs[0] != 100 || n.PRStatusPIDs[1] != 101 || n.PRPSInfoPID != 100 || n.PRPSInfoFname != "exe" {
		t.Fatalf("notes: %+v", n)
	}
}

func TestReadRangesAndPlainCore(t *testing.T) {
	if _, err := exec.LookPath("zstd"); err != nil {
		t.Skip("zstd not installed")
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "core")
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(plain, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("zstd", "-q", "-k", plain, "-o", plain+".zst").CombinedOutput(); err != nil {
		t.Fatalf("zstd: %v %s", err, out)
	}
	offs := []uint64{5, 40, 1 << 20, 3<<20 - 64}
	for _, core := range []string{plain, plain + ".zst"} {
		got, err := readRanges(core, time.Minute, offs, 64)
		if err != nil {
			t.Fatalf("%s: %v", core, err)
		}
		for _, o := range offs {
			if string(got[o]) != string(data[o:o+64]) {
				t.Errorf("%s: bytes at %#x differ", core, o)
			}
		}
	}
	err := WithPlainCore(plain+".zst", time.Minute, func(p string) error {
		b, err := os.ReadFile(p)
		if err == nil && string(b) != string(data) {
			t.Errorf("decompressed core differs")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

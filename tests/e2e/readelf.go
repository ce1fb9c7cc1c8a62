package main

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Segment is one PT_LOAD program header of a core.
type Segment struct {
	Offset, Vaddr, FileSiz, MemSiz uint64
	Flags                          string
}

// ParsePhdrs reads the PT_LOAD lines of `eu-readelf -l` output:
//
//	Type  Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align
//	LOAD  0x000ba0 0x0000000000400000 0x0000000000000000 0x1f4000 0x1f4000 R E 0x1
//
// The flags column may contain spaces ("R E"), so it is what lies between
// MemSiz and the last column.
func ParsePhdrs(text string) ([]Segment, error) {
	var segs []Segment
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 7 || f[0] != "LOAD" {
			continue
		}
		var v [5]uint64
		for i := 0; i < 5; i++ {
			x, err := strconv.ParseUint(strings.TrimPrefix(f[i+1], "0x"), 16, 64)
			if err != nil {
				return nil, fmt.Errorf("bad LOAD line %q: %v", line, err)
			}
			v[i] = x
		}
		segs = append(segs, Segment{
			Offset: v[0], Vaddr: v[1], FileSiz: v[3], MemSiz: v[4],
			Flags: strings.Join(f[6:len(f)-1], ""),
		})
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("no LOAD program headers")
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].Vaddr < segs[j].Vaddr })
	return segs, nil
}

// coveredBySegments reports whether [lo, hi) lies in the union of the
// file-backed parts [Vaddr, Vaddr+FileSiz) of segs (sorted by Vaddr). If
// not, it returns the first address that is not covered.
func coveredBySegments(segs []Segment, lo, hi uint64) (uint64, bool) {
	p := lo
	for p < hi {
		found := false
		for _, s := range segs {
			if s.FileSiz > 0 && s.Vaddr <= p && p < s.Vaddr+s.FileSiz {
				p = s.Vaddr + s.FileSiz
				found = true
				break
			}
		}
		if !found {
			return p, false
		}
	}
	return 0, true
}

// fileOffset maps [addr, addr+n) to a file offset, if one segment holds
// all of it in its file-backed part.
func fileOffset(segs []Segment, addr, n uint64) (uint64, bool) {
	for _, s := range segs {
		if s.Vaddr <= addr && addr+n <= s.Vaddr+s.FileSiz {
			return s.Offset + (addr - s.Vaddr), true
		}
	}
	return 0, false
}

// Notes is what the checks need from `eu-readelf -n` output.
type Notes struct {
	// PRStatusPIDs are the pr_pid fields of the NT_PRSTATUS notes (thread
	// ids), in note order.
	PRStatusPIDs []int
	// PRPSInfoPID is the pr_pid of NT_PRPSINFO.
	PRPSInfoPID   int
	PRPSInfoFname string
}

var (
	noteHeadRE = regexp.MustCompile(`^\s{2}(\S+)\s+(\d+)\s+(\S+)\s*$`) // "  CORE   336  PRSTATUS"
	pidRE      = regexp.MustCompile(`(?:^|[\s,])pid: (\d+)`)
)

// ParseNotes reads eu-readelf -n output:
//
//	CORE                 336  PRSTATUS
//	  info.si_signo: 6, info.si_code: 0, info.si_errno: 0, cursig: 6
//	  pid: 29643, ppid: 29598, pgrp: 29643, sid: 2930
//	CORE                 136  PRPSINFO
//	  uid: 0, gid: 0, pid: 29643, ppid: 29598, pgrp: 29643, sid: 2930
//	  fname: exe
func ParseNotes(text string) (*Notes, error) {
	n := &Notes{}
	cur := ""
	gotPID := false
	for _, line := range strings.Split(text, "\n") {
		if m := noteHeadRE.FindStringSubmatch(line); m != nil {
			cur = m[1] + "/" + m[3]
			gotPID = false
			continue
		}
		if gotPID {
			if cur == "CORE/PRPSINFO" && strings.HasPrefix(strings.TrimSpace(line), "fname: ") {
				n.PRPSInfoFname = strings.TrimPrefix(strings.TrimSpace(line), "fname: ")
			}
			continue
		}
		m := pidRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		id, _ := strconv.Atoi(m[1])
		switch cur {
		case "CORE/PRSTATUS":
			n.PRStatusPIDs = append(n.PRStatusPIDs, id)
			gotPID = true
		case "CORE/PRPSINFO":
			n.PRPSInfoPID = id
			gotPID = true
		}
	}
	if len(n.PRStatusPIDs) == 0 {
		return nil, fmt.Errorf("no NT_PRSTATUS notes")
	}
	return n, nil
}

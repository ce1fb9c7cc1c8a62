// Command pclntab is the oracle for corescope's pclntab decoder
// (heapscan/pclntab.c), run by tests/pclntab-check.sh.
//
// Without arguments it runs the call chains in scenarios.go and prints
// what two independent decoders say about its own binary:
//
//   - the runtime itself: runtime.Callers + runtime.CallersFrames for
//     every recorded chain (function, file, line, inlined or not, entry);
//     frame sizes measured with the stack pointer (spHere); the sizes and
//     pointer masks of stack objects from reflect;
//   - debug/gosym over the binary's own .gopclntab: the physical function
//     (name, entry, end) and the pcfile/pcln position at a sample of PCs.
//
// "pclntab compare TRUTH DUMP PREFIX" compares that truth with the output
// of pclntab_dump over the same PCs and prints PASS:/FAIL: lines.
//
// Output lines are tab-separated:
//
//	VERSION go1.x.y
//	CHAIN   name npcs nframes
//	CF      chain index framePC entry inlined(0/1) function file line
//	SP      function framePC spdelta
//	SOX     function size ptrbytes maskhex
//	G       pc entry end name file line
//	NFUNC   n
package main

import (
	"bufio"
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"sort"
)

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "compare" {
		os.Exit(compareMain(os.Args[2:]))
	}
	runScenarios()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "VERSION\t%s\n", runtime.Version())

	var framePCs []uintptr
	seen := map[string]int{}
	for _, c := range chains {
		name := c.name
		seen[name]++
		if seen[name] > 1 {
			name = fmt.Sprintf("%s#%d", name, seen[name])
		}
		frames := callersFrames(c.pcs)
		fmt.Fprintf(w, "CHAIN\t%s\t%d\t%d\n", name, len(c.pcs), len(frames))
		for i, f := range frames {
			inl := 0
			if f.Func == nil {
				inl = 1
			}
			fmt.Fprintf(w, "CF\t%s\t%d\t%#x\t%#x\t%d\t%s\t%s\t%d\n",
				name, i, f.PC, f.Entry, inl, f.Function, f.File, f.Line)
			framePCs = append(framePCs, f.PC)
		}
	}

	// Frame sizes: for a physical frame whose caller is the next
	// physical frame and both measured their SP, the callee's pcsp
	// value at its call site is callerSP - calleeSP - 8.
	for _, r := range spRecs {
		frames := callersFrames(r.pcs)
		for k := 0; k+1 < len(frames); k++ {
			f, caller := frames[k], frames[k+1]
			if f.Func == nil || caller.Func == nil {
				continue
			}
			sp, ok1 := r.sps[normName(f.Function)]
			csp, ok2 := r.sps[normName(caller.Function)]
			if !ok1 || !ok2 {
				continue
			}
			fmt.Fprintf(w, "SP\t%s\t%#x\t%d\n", f.Function, f.PC, int64(csp)-int64(sp)-8)
		}
	}

	// Stack objects of stackObjHolder: its two address-taken locals.
	for _, t := range []reflect.Type{reflect.TypeOf(soT{}), reflect.TypeOf(soU{})} {
		size, ptrbytes, mask := ptrMask(t)
		fmt.Fprintf(w, "SOX\tmain.stackObjHolder\t%d\t%d\t%s\n", size, ptrbytes, mask)
	}

	if err := gosymTruth(w, framePCs); err != nil {
		fmt.Fprintf(os.Stderr, "pclntab oracle: debug/gosym: %v\n", err)
		fmt.Fprintf(w, "GOSYMERR\t%v\n", err)
	}
}

func callersFrames(pcs []uintptr) []runtime.Frame {
	var out []runtime.Frame
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if f.PC != 0 || f.Function != "" {
			out = append(out, f)
		}
		if !more {
			break
		}
	}
	return out
}

// ptrMask describes t the way the compiler's stack object record does:
// its size, the bytes up to and including the last pointer word, and one
// bit per word of that prefix (LSB first), as hex bytes.
func ptrMask(t reflect.Type) (size, ptrbytes uintptr, hexmask string) {
	words := map[uintptr]bool{}
	var walk func(t reflect.Type, off uintptr)
	walk = func(t reflect.Type, off uintptr) {
		switch t.Kind() {
		case reflect.Ptr, reflect.UnsafePointer, reflect.Map, reflect.Chan,
			reflect.Func, reflect.String, reflect.Slice:
			words[off/8] = true
		case reflect.Interface:
			// Only the data word: the type/itab word points at
			// persistent memory the GC never scans (cmd/compile's
			// typebits.Set marks off/PtrSize+1 for TINTER).
			words[off/8+1] = true
		case reflect.Array:
			for i := 0; i < t.Len(); i++ {
				walk(t.Elem(), off+uintptr(i)*t.Elem().Size())
			}
		case reflect.Struct:
			for i := 0; i < t.NumField(); i++ {
				walk(t.Field(i).Type, off+t.Field(i).Offset)
			}
		}
	}
	walk(t, 0)
	var last uintptr
	for w := range words {
		if w+1 > last {
			last = w + 1
		}
	}
	mask := make([]byte, (last+7)/8)
	for w := range words {
		mask[w/8] |= 1 << (w % 8)
	}
	hexmask = "-"
	if len(mask) > 0 {
		hexmask = fmt.Sprintf("%x", mask)
	}
	return t.Size(), last * 8, hexmask
}

// gosymTruth prints what debug/gosym says for every function's entry, its
// middle and last byte, and the recorded frame PCs.
//
// gosym (debug/gosym/pclntab.go, go12PCToFile/go12PCToLine) evaluates the
// physical function's pcfile and pcln tables at the PC: that is the
// innermost source position (inlined code included) and the physical
// function's name, entry and end (the next ftab entry).  It reports
// line -1 and/or file "" where the tables give no value (a PC in the
// padding after a function's code) or the CU's file slot is empty.
func gosymTruth(w *bufio.Writer, extra []uintptr) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	f, err := elf.Open(exe)
	if err != nil {
		return err
	}
	defer f.Close()
	sec := f.Section(".gopclntab")
	if sec == nil {
		return fmt.Errorf("%s has no .gopclntab", exe)
	}
	data, err := sec.Data()
	if err != nil {
		return err
	}
	// The address of runtime.text, which pclntab offsets are relative
	// to; without a symbol table, the start of .text (an internally
	// linked Go binary has nothing before runtime.text there).
	var text uint64
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			if s.Name == "runtime.text" {
				text = s.Value
				break
			}
		}
	}
	if text == 0 {
		if ts := f.Section(".text"); ts != nil {
			text = ts.Addr
		}
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "NFUNC\t%d\n", len(tab.Funcs))
	pcs := map[uint64]bool{}
	for _, fn := range tab.Funcs {
		pcs[fn.Entry] = true
		if fn.End > fn.Entry+1 {
			pcs[fn.Entry+(fn.End-fn.Entry)/2] = true
			pcs[fn.End-1] = true
		}
	}
	for _, pc := range extra {
		pcs[uint64(pc)] = true
	}
	sorted := make([]uint64, 0, len(pcs))
	for pc := range pcs {
		sorted = append(sorted, pc)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for _, pc := range sorted {
		file, line, fn := tab.PCToLine(pc)
		if fn == nil {
			fmt.Fprintf(w, "G\t%#x\t-\n", pc)
			continue
		}
		fmt.Fprintf(w, "G\t%#x\t%#x\t%#x\t%s\t%s\t%d\n", pc, fn.Entry, fn.End, fn.Name, file, line)
	}
	return nil
}

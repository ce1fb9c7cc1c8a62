package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"corescope/tests/scenarios/truth"
)

// ---------------------------------------------------------------------------
// Helpers for checks that run programs or need the core's bytes.

// RunJSON runs argv with a timeout and decodes its stdout as one JSON
// document into out. A non-zero exit status is an error unless okStatus
// lists it (corescope exits 3 for partial results). Stderr is returned for
// messages.
func RunJSON(timeout time.Duration, out interface{}, okStatus []int, argv ...string) (stderr string, err error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(timeout):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return se.String(), fmt.Errorf("%s: timed out after %v", argv[0], timeout)
	}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || !containsInt(okStatus, ee.ExitCode()) {
			return se.String(), fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, strings.TrimSpace(se.String()))
		}
	}
	dec := json.NewDecoder(&so)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return se.String(), fmt.Errorf("%s: stdout is not JSON: %v", argv[0], err)
	}
	return se.String(), nil
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// WithPlainCore calls fn with the path of a plain (uncompressed) copy of the
// core. A .zst core is decompressed into a sparse temporary file that is
// deleted when fn returns; a plain core is passed as is.
func WithPlainCore(core string, timeout time.Duration, fn func(plain string) error) error {
	if !strings.HasSuffix(core, ".zst") {
		return fn(core)
	}
	tmp, err := os.CreateTemp("", "e2e-core-*.core")
	if err != nil {
		return err
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name)
	cmd := exec.Command("zstd", "-q", "-d", "-f", "--sparse", core, "-o", name)
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("zstd: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("zstd -d %s: timed out", core)
	}
	if err != nil {
		return fmt.Errorf("zstd -d %s: %v: %s", core, err, strings.TrimSpace(se.String()))
	}
	return fn(name)
}

// readRanges reads n bytes at each of the given file offsets of a core,
// plain or .zst. A .zst core is decompressed as a stream (no temporary
// file) and read once, front to back; overlapping ranges are merged.
func readRanges(core string, timeout time.Duration, offs []uint64, n int) (map[uint64][]byte, error) {
	sorted := append([]uint64(nil), offs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	// Merge into disjoint spans [lo, hi).
	type span struct{ lo, hi uint64 }
	var spans []span
	for _, o := range sorted {
		if k := len(spans) - 1; k >= 0 && o <= spans[k].hi {
			if o+uint64(n) > spans[k].hi {
				spans[k].hi = o + uint64(n)
			}
			continue
		}
		spans = append(spans, span{o, o + uint64(n)})
	}
	data := make([][]byte, len(spans))
	if !strings.HasSuffix(core, ".zst") {
		f, err := os.Open(core)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		for i, sp := range spans {
			data[i] = make([]byte, sp.hi-sp.lo)
			if _, err := f.ReadAt(data[i], int64(sp.lo)); err != nil {
				return nil, fmt.Errorf("read [%#x,%#x): %v", sp.lo, sp.hi, err)
			}
		}
	} else {
		cmd := exec.Command("zstd", "-q", "-d", "-c", core)
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("zstd: %v", err)
		}
		timer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
		r := bufio.NewReaderSize(pipe, 1<<20)
		var pos uint64
		var rerr error
		for i, sp := range spans {
			if _, err := io.CopyN(io.Discard, r, int64(sp.lo-pos)); err != nil {
				rerr = fmt.Errorf("skip to %#x: %v", sp.lo, err)
				break
			}
			data[i] = make([]byte, sp.hi-sp.lo)
			if _, err := io.ReadFull(r, data[i]); err != nil {
				rerr = fmt.Errorf("read [%#x,%#x): %v", sp.lo, sp.hi, err)
				break
			}
			pos = sp.hi
		}
		timer.Stop()
		cmd.Process.Kill() // the rest of the stream is not needed
		cmd.Wait()
		if rerr != nil {
			return nil, rerr
		}
	}
	out := map[uint64][]byte{}
	for _, o := range sorted {
		i := sort.Search(len(spans), func(i int) bool { return spans[i].hi >= o+uint64(n) })
		out[o] = data[i][o-spans[i].lo : o-spans[i].lo+uint64(n)]
	}
	return out, nil
}

// checkPlantedBytes reads the first and last bytes of every planted buffer
// that has a fill pattern from the core and compares them with the
// pattern. This proves the truth's addresses and that the dump saved the
// data (not zeros).
func checkPlantedBytes(c *Capture, t *truth.Truth) Result {
	segs, err := c.Segments()
	if err != nil {
		return failf("phdrs: %v", err)
	}
	const n = 64
	type sample struct {
		obj  *truth.Object
		at   uint64 // offset in the object
		file uint64
	}
	var samples []sample
	var offs []uint64
	for i := range t.Objects {
		o := &t.Objects[i]
		if o.Fill == nil || o.Size < n {
			continue
		}
		for _, at := range []uint64{0, o.Size - n} {
			f, ok := fileOffset(segs, uint64(o.Addr)+at, n)
			if !ok {
				return failf("%s: [%#x,+%d) not in one saved segment", o.ID, uint64(o.Addr)+at, n)
			}
			samples = append(samples, sample{o, at, f})
			offs = append(offs, f)
		}
	}
	if len(samples) == 0 {
		return skipf("no planted object has a fill pattern")
	}
	got, err := readRanges(c.CorePath(), c.env.Timeout, offs, n)
	if err != nil {
		return failf("%v", err)
	}
	var bad []string
	for _, s := range samples {
		b := got[s.file]
		for k := 0; k < n; k++ {
			if want := s.obj.Fill.Byte(s.at + uint64(k)); b[k] != want {
				bad = append(bad, fmt.Sprintf("%s byte %d is %#02x, want %#02x", s.obj.ID, s.at+uint64(k), b[k], want))
				break
			}
		}
	}
	if len(bad) > 0 {
		return failf("%d of %d samples differ: %s", len(bad), len(samples), firstN(bad, 4))
	}
	return pass()
}

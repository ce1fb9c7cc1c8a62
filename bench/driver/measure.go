package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A Run is one measured execution of a command.
type Run struct {
	Argv        []string `json:"argv"`
	Exit        int      `json:"exit"`              // -1: killed or did not start
	Failure     string   `json:"failure,omitempty"` // why it counts as failed
	StderrTail  string   `json:"stderr_tail,omitempty"`
	Wall        float64  `json:"wall_s"`
	User        float64  `json:"user_s"`
	Sys         float64  `json:"sys_s"`
	MaxRSSKB    int64    `json:"max_rss_kb"`   // getrusage ru_maxrss, as /usr/bin/time -v reports it
	PeakAnonKB  int64    `json:"peak_anon_kb"` // highest RssAnon sampled from /proc/PID/status
	PeakFileKB  int64    `json:"peak_file_kb"` // highest RssFile sampled (mapped core pages)
	Samples     int      `json:"samples"`      // /proc samples taken
	Load1Before float64  `json:"load1_before"` // /proc/loadavg, 1-minute
	Load1After  float64  `json:"load1_after"`
	Stdout      string   `json:"stdout,omitempty"` // file holding the command's output
}

func (r *Run) CPU() float64 { return r.User + r.Sys }

// Limits for one run: a wall-clock timeout and a resident-memory ceiling;
// the driver kills the command past either and records why.
type Limits struct {
	Timeout time.Duration
	MaxRSS  int64 // KiB, 0 = none
}

func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// procRSS reads VmRSS, RssAnon and RssFile (KiB) of a live process.
func procRSS(pid int) (rss, anon, file int64, ok bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &rss
		case strings.HasPrefix(line, "RssAnon:"):
			dst = &anon
		case strings.HasPrefix(line, "RssFile:"):
			dst = &file
		default:
			continue
		}
		fs := strings.Fields(line)
		if len(fs) >= 2 {
			*dst, _ = strconv.ParseInt(fs[1], 10, 64)
		}
	}
	return rss, anon, file, true
}

// measure runs argv in dir with stdout to stdoutPath (or discarded),
// sampling its memory every 20 ms.
func measure(argv []string, dir, stdoutPath string, lim Limits) Run {
	r := Run{Argv: argv, Exit: -1, Load1Before: load1(), Stdout: stdoutPath}
	ctx := context.Background()
	if lim.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	var stderr tailBuffer
	cmd.Stderr = &stderr
	if stdoutPath != "" {
		f, err := os.Create(stdoutPath)
		if err != nil {
			r.Failure = err.Error()
			return r
		}
		defer f.Close()
		cmd.Stdout = f
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		r.Failure = "cannot start: " + err.Error()
		return r
	}
	done := make(chan struct{})
	samplerDone := make(chan struct{})
	killedFor := make(chan string, 1)
	go func() {
		defer close(samplerDone)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			rss, anon, file, ok := procRSS(cmd.Process.Pid)
			if !ok {
				continue
			}
			r.Samples++
			r.PeakAnonKB = max(r.PeakAnonKB, anon)
			r.PeakFileKB = max(r.PeakFileKB, file)
			if lim.MaxRSS > 0 && rss > lim.MaxRSS {
				killedFor <- fmt.Sprintf("killed by the driver: RSS %d MiB over the %d MiB limit", rss/1024, lim.MaxRSS/1024)
				cmd.Process.Kill()
				return
			}
		}
	}()
	err := cmd.Wait()
	r.Wall = time.Since(t0).Seconds()
	close(done)
	<-samplerDone
	r.Load1After = load1()
	if ps := cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.User = time.Duration(ru.Utime.Nano()).Seconds()
			r.Sys = time.Duration(ru.Stime.Nano()).Seconds()
			r.MaxRSSKB = ru.Maxrss
		}
		r.Exit = ps.ExitCode()
	}
	r.StderrTail = stderr.String()
	select {
	case why := <-killedFor:
		r.Failure = why
	default:
		switch {
		case ctx.Err() == context.DeadlineExceeded:
			r.Failure = fmt.Sprintf("killed by the driver after the %s timeout", lim.Timeout)
		case err != nil:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				r.Failure = fmt.Sprintf("exit status %d", r.Exit)
			} else {
				r.Failure = err.Error()
			}
		}
	}
	return r
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = append([]byte(nil), t.b[len(t.b)-4096:]...)
	}
	return len(p), nil
}
func (t *tailBuffer) String() string {
	return strings.TrimSpace(string(bytes.ToValidUTF8(t.b, []byte("?"))))
}

// Stats summarises repeated runs of one command: medians, and the spread
// of wall times.
type Stats struct {
	N          int     `json:"n"`
	Failed     int     `json:"failed"`
	Wall       float64 `json:"wall_s"` // median over successful runs
	WallMin    float64 `json:"wall_min_s"`
	WallMax    float64 `json:"wall_max_s"`
	CPU        float64 `json:"cpu_s"` // median user+sys
	MaxRSSKB   int64   `json:"max_rss_kb"`
	PeakAnonKB int64   `json:"peak_anon_kb"`
	PeakFileKB int64   `json:"peak_file_kb"`
	Load1      float64 `json:"load1"` // mean of the 1-minute load before each run
	Failure    string  `json:"failure,omitempty"`
	FailedWall float64 `json:"failed_wall_s,omitempty"` // how long the last failed run took to fail
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianInt(v []int64) int64 {
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	return int64(median(f))
}

func summarize(runs []Run) Stats {
	st := Stats{N: len(runs)}
	var wall, cpu []float64
	var rss, anon, file []int64
	var load float64
	for _, r := range runs {
		load += r.Load1Before
		if r.Failure != "" {
			st.Failed++
			st.Failure = r.Failure
			st.FailedWall = r.Wall
			continue
		}
		wall = append(wall, r.Wall)
		cpu = append(cpu, r.CPU())
		rss = append(rss, r.MaxRSSKB)
		anon = append(anon, r.PeakAnonKB)
		file = append(file, r.PeakFileKB)
	}
	if len(runs) > 0 {
		st.Load1 = load / float64(len(runs))
	}
	if len(wall) > 0 {
		st.Wall, st.CPU = median(wall), median(cpu)
		s := append([]float64(nil), wall...)
		sort.Float64s(s)
		st.WallMin, st.WallMax = s[0], s[len(s)-1]
		st.MaxRSSKB, st.PeakAnonKB, st.PeakFileKB = medianInt(rss), medianInt(anon), medianInt(file)
	}
	return st
}

// readSequential reads the given file ranges once, in order, with 1 MiB
// read(2) calls, and returns the seconds it took.
func readSequential(path string, ranges []fileRange) (float64, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var total int64
	t0 := time.Now()
	for _, rg := range ranges {
		sr := io.NewSectionReader(f, rg.Off, rg.Len)
		for {
			n, err := sr.Read(buf)
			total += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				return 0, total, err
			}
		}
	}
	return time.Since(t0).Seconds(), total, nil
}

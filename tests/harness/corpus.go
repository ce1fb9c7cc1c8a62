package main

// The committed corpus (tests/corpus): captures of every Go release and
// layout-changing experiment in the matrix, kept small (scaled-down
// scenarios, zstd -19 --long=27 cores, compressed executables) so that
// every CI run can check them. corpus-add copies the ok captures of a
// capture run into it; corpus-verify checks it against its manifest.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"corescope/tests/harness/manifest"
)

// corpusManifest is the corpus's manifest file name: the captures.json
// schema, so the e2e checker reads it unchanged.
const corpusManifest = "manifest.json"

// defaultBudget is what the whole corpus may weigh (issue 6: 150 MB).
const defaultBudget = 150_000_000

// exeZstdArgs compress executables: high level, long window (the
// decompressor's default limit is a 2^27 window).
var exeZstdArgs = []string{"-q", "-T2", "-19", "--long=27"}

func corpusAdd(args []string) {
	fs := flag.NewFlagSet("corpus-add", flag.ExitOnError)
	from := fs.String("from", "", "captures.json of a capture run (required)")
	dir := fs.String("corpus", "", "the corpus directory, e.g. tests/corpus (required)")
	budget := fs.Int64("budget", defaultBudget, "the most the corpus may weigh, in bytes")
	regen := fs.String("regenerate", "tests/corpus/regen", "the command that regenerates the corpus (recorded)")
	fs.Parse(args)
	if *from == "" || *dir == "" || fs.NArg() != 0 {
		fatalf("usage: harness corpus-add -from WORK/captures.json -corpus DIR")
	}
	src, err := manifest.Load(*from)
	if err != nil {
		fatalf("%v", err)
	}
	srcDir := filepath.Dir(*from)
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fatalf("%v", err)
	}
	mpath := filepath.Join(*dir, corpusManifest)
	m := &manifest.Manifest{Schema: manifest.SchemaVersion}
	if old, err := manifest.Load(mpath); err == nil {
		m = old
	} else if !os.IsNotExist(err) {
		fatalf("%v", err)
	}
	m.Host = src.Host

	// Group the captures of one scenario run (they share exe and truth).
	groups := map[string][]*manifest.Capture{}
	var order []string
	for i := range src.Captures {
		c := &src.Captures[i]
		if c.Status != manifest.StatusOK {
			fatalf("%s: capture %s (%s): a corpus holds ok captures only; fix it and capture again", c.Key(), c.Status, c.Reason)
		}
		if _, ok := groups[c.Dir]; !ok {
			order = append(order, c.Dir)
		}
		groups[c.Dir] = append(groups[c.Dir], c)
	}
	// Executables that others are patches of come first: a release's
	// default entry before its experiments, global-map-cache first.
	sort.SliceStable(order, func(i, j int) bool {
		a, b := groups[order[i]][0], groups[order[j]][0]
		ka := fmt.Sprintf("%s %t %t %s", a.GoVersion, a.Experiment != "", a.Scenario != refScenario, a.Dir)
		kb := fmt.Sprintf("%s %t %t %s", b.GoVersion, b.Experiment != "", b.Scenario != refScenario, b.Dir)
		return ka < kb
	})
	replacing := map[string]bool{}
	for _, g := range order {
		replacing[corpusDir(groups[g][0])] = true
	}
	for _, c := range m.Captures {
		if replacing[c.Dir] || c.ExePatchFrom == "" {
			continue
		}
		if replacing[filepath.Dir(c.ExePatchFrom)] {
			fatalf("%s is stored as a patch of %s, which this run replaces: regenerate them together (tests/corpus/regen %s)",
				c.Exe, c.ExePatchFrom, c.GoVersion)
		}
	}
	tmp, err := os.MkdirTemp("", "corpus-add-")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(tmp)
	ex := &exeRefs{corpus: *dir, old: m, unpack: manifest.NewUnpacker(m, *dir, tmp), added: map[string]*plainExe{}}
	var added []manifest.Capture
	replaced := map[string]bool{}
	for _, g := range order {
		caps, err := addGroup(srcDir, *dir, groups[g], ex)
		if err != nil {
			fatalf("%s: %v", g, err)
		}
		replaced[caps[0].Dir] = true
		added = append(added, caps...)
		fmt.Fprintf(os.Stderr, "corpus: %s (%d captures)\n", caps[0].Dir, len(caps))
	}
	var keep []manifest.Capture
	for _, c := range m.Captures {
		if !replaced[c.Dir] {
			keep = append(keep, c)
		}
	}
	m.Captures = mergeCaptures(keep, added)
	m.Corpus = corpusSummary(m, *regen, *budget)
	m.Updated = time.Now().UTC().Format(time.RFC3339)
	if err := m.Save(mpath); err != nil {
		fatalf("%v", err)
	}
	fmt.Fprintf(os.Stderr, "corpus: %s: %d captures, %s of %s budget\n", mpath, len(m.Captures),
		iec(m.Corpus.TotalBytes), iec(m.Corpus.BudgetBytes))
	if m.Corpus.TotalBytes > m.Corpus.BudgetBytes {
		fatalf("the corpus weighs %d bytes, over its budget of %d", m.Corpus.TotalBytes, m.Corpus.BudgetBytes)
	}
}

// corpusDir is where a capture group goes inside the corpus:
// <label>/<scenario> for the corpus variant, <label>/<variant>/<scenario>
// otherwise.
func corpusDir(c *manifest.Capture) string {
	if c.Variant == "corpus" {
		return filepath.Join(c.Label(), c.Scenario)
	}
	return filepath.Join(c.Label(), c.Variant, c.Scenario)
}

// refScenario's executable is the patch reference of the others of its
// entry.
const refScenario = "global-map-cache"

// plainExe is a compressed executable of the corpus and where its plain
// bytes are.
type plainExe struct {
	rel, plain, sha256 string
}

// exeRefs finds patch references: among the executables added by this run,
// or in the corpus as it was (unpacked on demand).
type exeRefs struct {
	corpus string
	old    *manifest.Manifest
	unpack *manifest.Unpacker
	added  map[string]*plainExe // by corpus directory of the group
}

// reference picks what a group's executable is compressed against: for an
// experiment, the same scenario in the release's default entry; else the
// entry's global-map-cache executable; nil for that one itself.
func (x *exeRefs) reference(c *manifest.Capture) (*plainExe, error) {
	var cands []string
	if c.Experiment != "" {
		d := *c
		d.Experiment = ""
		cands = append(cands, corpusDir(&d))
	}
	if c.Scenario != refScenario {
		d := *c
		d.Scenario = refScenario
		cands = append(cands, corpusDir(&d))
	}
	for _, dir := range cands {
		if p := x.added[dir]; p != nil {
			return p, nil
		}
		for i := range x.old.Captures {
			o := &x.old.Captures[i]
			if o.Dir != dir || !o.ExeCompressed() {
				continue
			}
			plain, err := x.unpack.Exe(o)
			if err != nil {
				return nil, err
			}
			return &plainExe{rel: o.Exe, plain: plain, sha256: o.ExePlainSHA256}, nil
		}
	}
	return nil, nil
}

// addGroup copies one scenario run (its gcore and kernel captures) into a
// fresh corpus directory and returns the captures with corpus paths.
func addGroup(srcDir, corpus string, caps []*manifest.Capture, ex *exeRefs) ([]manifest.Capture, error) {
	first := caps[0]
	rel := corpusDir(first)
	dst := filepath.Join(corpus, rel)
	if err := os.RemoveAll(dst); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, err
	}
	from := func(p string) string { return manifest.Path(srcDir, p) }
	// Shared files: the executable (compressed), the truth, its sidecar,
	// the heap profile.
	exePlain := from(first.Exe)
	st, err := os.Stat(exePlain)
	if err != nil {
		return nil, err
	}
	exeSum, err := sha256File(exePlain)
	if err != nil {
		return nil, err
	}
	ref, err := ex.reference(first)
	if err != nil {
		return nil, fmt.Errorf("patch reference: %v", err)
	}
	zargs := append([]string{}, exeZstdArgs...)
	if ref != nil {
		zargs = append(zargs, "--patch-from="+ref.plain)
	}
	zargs = append(zargs, "-f", exePlain, "-o", filepath.Join(dst, "exe.zst"))
	if out, err := runCapture(10*time.Minute, "", nil, "zstd", zargs...); err != nil {
		return nil, fmt.Errorf("zstd exe: %v: %s", err, tail(out, 300))
	}
	ex.added[rel] = &plainExe{rel: filepath.Join(rel, "exe.zst"), plain: exePlain, sha256: exeSum}
	shared := map[string]string{} // source path -> corpus-relative path
	copyAs := func(srcRel, name string) (string, error) {
		if srcRel == "" {
			return "", nil
		}
		s := from(srcRel)
		if r, ok := shared[s]; ok {
			return r, nil
		}
		if _, err := os.Stat(s); err != nil {
			return "", err
		}
		if err := copyFile(s, filepath.Join(dst, name)); err != nil {
			return "", err
		}
		shared[s] = filepath.Join(rel, name)
		return shared[s], nil
	}
	truthRel, err := copyAs(first.Truth, "truth.json")
	if err != nil {
		return nil, err
	}
	// (Not the truth package: importing it sets MemProfileRate = 1.)
	var t struct {
		MemStatsReady string `json:"memstats_ready"`
	}
	if b, err := os.ReadFile(from(first.Truth)); err != nil {
		return nil, err
	} else if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %v", first.Truth, err)
	}
	var sidecar string
	if t.MemStatsReady != "" {
		if sidecar, err = copyAs(filepath.Join(filepath.Dir(first.Truth), t.MemStatsReady), t.MemStatsReady); err != nil {
			return nil, err
		}
	}
	pprofRel, err := copyAs(first.HeapProfile, "heap.pprof")
	if err != nil {
		return nil, err
	}

	var out []manifest.Capture
	for _, c0 := range caps {
		c := *c0
		c.Dir = rel
		c.Exe = filepath.Join(rel, "exe.zst")
		c.ExePlainBytes = st.Size()
		c.ExePlainSHA256 = exeSum
		c.ExePatchFrom, c.ExePatchFromSHA256 = "", ""
		if ref != nil {
			c.ExePatchFrom, c.ExePatchFromSHA256 = ref.rel, ref.sha256
		}
		c.Truth, c.HeapProfile = truthRel, pprofRel
		base := strings.TrimSuffix(filepath.Base(c0.Core), ".zst") // gcore.core
		c.CorePatchFrom = ""
		if c.Method == "gcore" {
			// gdb saves the text segment: store the core as a patch of
			// the executable.
			if err := recompressCore(from(c0.Core), exePlain, filepath.Join(dst, base+".patch.zst")); err != nil {
				return nil, err
			}
			c.Core = filepath.Join(rel, base+".patch.zst")
			c.CorePatchFrom = filepath.Join(rel, "exe.zst")
		} else {
			// Whatever the capture run used, the corpus stores cores at
			// the highest level corescope reads without options.
			if err := recompressCore(from(c0.Core), "", filepath.Join(dst, base+".zst")); err != nil {
				return nil, err
			}
			c.Core = filepath.Join(rel, base+".zst")
			c.Compressed = true
		}
		for _, f := range []struct {
			field *string
			name  string
		}{
			{&c.Core, base + ".zst"},
			{&c.Phdrs, base + ".phdrs.txt"},
			{&c.Notes, base + ".notes.txt"},
			{&c.Traceback, "kernel.traceback.txt"},
		} {
			if f.field == &c.Core {
				continue // recompressed above
			}
			if *f.field == "" {
				continue
			}
			if *f.field, err = copyAs(*f.field, f.name); err != nil {
				return nil, err
			}
		}
		// The scenario's stderr became the kernel capture's traceback;
		// keep it only where it still exists under its own name.
		if c.Stderr != "" {
			if _, err := os.Stat(from(c.Stderr)); err == nil {
				if c.Stderr, err = copyAs(c.Stderr, "stderr.txt"); err != nil {
					return nil, err
				}
			} else {
				c.Stderr = ""
			}
		}
		files := []string{c.Exe, c.Truth, sidecar, c.HeapProfile, c.Core, c.Phdrs, c.Notes, c.Traceback, c.Stderr}
		c.Files = nil
		for _, f := range files {
			if f == "" {
				continue
			}
			fi, err := fileInfo(corpus, f)
			if err != nil {
				return nil, err
			}
			c.Files = append(c.Files, fi)
		}
		if fi, err := os.Stat(filepath.Join(corpus, c.Core)); err == nil {
			c.CoreBytes = fi.Size()
		}
		if c.CoreSHA256, err = sha256File(filepath.Join(corpus, c.Core)); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// recompressCore recompresses a core (.zst or plain) with exeZstdArgs,
// as a zstd patch of the executable when exe is given, through a sparse
// plain copy deleted at once.
func recompressCore(core, exe, out string) error {
	if !strings.HasSuffix(core, ".zst") {
		return compressCore(core, exe, out) // captured with -keep-plain
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".core-*")
	if err != nil {
		return err
	}
	plain := f.Name()
	f.Close()
	remove := addCleanup(func() { os.Remove(plain) })
	defer func() { os.Remove(plain); remove() }()
	if o, err := runCapture(10*time.Minute, "", nil, "zstd", "-q", "-d", "-f", "--sparse", core, "-o", plain); err != nil {
		return fmt.Errorf("zstd -d %s: %v: %s", core, err, tail(o, 300))
	}
	return compressCore(plain, exe, out)
}

func compressCore(plain, exe, out string) error {
	args := append([]string{}, exeZstdArgs...)
	if exe != "" {
		args = append(args, "--patch-from="+exe)
	}
	args = append(args, "-f", plain, "-o", out)
	if o, err := runCapture(20*time.Minute, "", nil, "zstd", args...); err != nil {
		os.Remove(out)
		return fmt.Errorf("zstd %s: %v: %s", strings.Join(args, " "), err, tail(o, 300))
	}
	return nil
}

func fileInfo(dir, rel string) (manifest.File, error) {
	p := filepath.Join(dir, rel)
	st, err := os.Stat(p)
	if err != nil {
		return manifest.File{}, err
	}
	sum, err := sha256File(p)
	if err != nil {
		return manifest.File{}, err
	}
	return manifest.File{Path: rel, Bytes: st.Size(), SHA256: sum}, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// corpusSummary is the sizes table: every file counted once.
func corpusSummary(m *manifest.Manifest, regen string, budget int64) *manifest.Corpus {
	cs := &manifest.Corpus{Regenerate: regen, BudgetBytes: budget}
	seen := map[string]bool{}
	byLabel := map[string]*manifest.CorpusEntry{}
	var labels []string
	for _, c := range m.Captures {
		e := byLabel[c.Label()]
		if e == nil {
			e = &manifest.CorpusEntry{Label: c.Label(), GoVersion: c.GoVersion, Experiment: c.Experiment,
				Dir: filepath.Dir(c.Dir)}
			byLabel[c.Label()] = e
			labels = append(labels, c.Label())
		}
		for _, f := range c.Files {
			if seen[f.Path] {
				continue
			}
			seen[f.Path] = true
			e.Files++
			e.Bytes += f.Bytes
			switch {
			case f.Path == c.Core:
				e.CoreBytes += f.Bytes
			case f.Path == c.Exe:
				e.ExeBytes += f.Bytes
			}
			cs.TotalBytes += f.Bytes
		}
	}
	sort.Strings(labels)
	for _, l := range labels {
		cs.Entries = append(cs.Entries, *byLabel[l])
	}
	return cs
}

// corpusVerify checks a corpus against its manifest and prints result
// lines (PASS/FAIL) for the test runner: every listed file has its size
// and sha256, the total is within the budget, and no file is unlisted.
func corpusVerify(args []string) {
	fs := flag.NewFlagSet("corpus-verify", flag.ExitOnError)
	dir := fs.String("corpus", "", "the corpus directory (required)")
	fs.Parse(args)
	if *dir == "" || fs.NArg() != 0 {
		fatalf("usage: harness corpus-verify -corpus DIR")
	}
	m, err := manifest.Load(filepath.Join(*dir, corpusManifest))
	if err != nil {
		fmt.Printf("FAIL: corpus/manifest: %v\n", err)
		return
	}
	result := func(name string, problems []string) {
		if len(problems) == 0 {
			fmt.Printf("PASS: corpus/%s\n", name)
			return
		}
		sort.Strings(problems)
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("... (%d more)", len(problems)-5))
		}
		fmt.Printf("FAIL: corpus/%s: %s\n", name, strings.Join(problems, "; "))
	}
	listed := map[string]bool{corpusManifest: true}
	var bad []string
	var total int64
	for _, c := range m.Captures {
		if len(c.Files) == 0 {
			bad = append(bad, c.Key()+": lists no files")
		}
		for _, f := range c.Files {
			if listed[f.Path] {
				continue
			}
			listed[f.Path] = true
			got, err := fileInfo(*dir, f.Path)
			switch {
			case err != nil:
				bad = append(bad, err.Error())
			case got.Bytes != f.Bytes || got.SHA256 != f.SHA256:
				bad = append(bad, fmt.Sprintf("%s: %d bytes sha256 %.12s, manifest %d bytes %.12s",
					f.Path, got.Bytes, got.SHA256, f.Bytes, f.SHA256))
			}
			total += got.Bytes
		}
	}
	result("files", bad)
	bad = nil
	if m.Corpus == nil {
		bad = append(bad, "the manifest has no corpus section")
	} else {
		if total > m.Corpus.BudgetBytes {
			bad = append(bad, fmt.Sprintf("%d bytes, budget %d", total, m.Corpus.BudgetBytes))
		}
		if total != m.Corpus.TotalBytes {
			bad = append(bad, fmt.Sprintf("files add up to %d bytes, manifest says %d", total, m.Corpus.TotalBytes))
		}
	}
	result("budget", bad)
	bad = nil
	filepath.Walk(*dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(*dir, p)
		if !listed[rel] && !corpusOwnFile(rel) {
			bad = append(bad, rel+": not in the manifest")
		}
		return nil
	})
	result("unlisted", bad)
	bad = nil
	byExe := map[string]*manifest.Capture{}
	for i := range m.Captures {
		byExe[m.Captures[i].Exe] = &m.Captures[i]
	}
	for _, c := range m.Captures {
		if c.ExePatchFrom == "" {
			continue
		}
		ref := byExe[c.ExePatchFrom]
		switch {
		case ref == nil:
			bad = append(bad, fmt.Sprintf("%s: patch reference %s is not in the manifest", c.Exe, c.ExePatchFrom))
		case ref.ExePlainSHA256 != c.ExePatchFromSHA256:
			bad = append(bad, fmt.Sprintf("%s: patch reference %s has changed", c.Exe, c.ExePatchFrom))
		}
	}
	result("exe-references", bad)
}

// corpusOwnFile: the corpus's own scripts and docs, not captures.
func corpusOwnFile(rel string) bool {
	return !strings.Contains(rel, string(filepath.Separator))
}

// Package manifest is the captures.json schema written by the harness and
// read by the e2e checker.
package manifest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// SchemaVersion is the value of Manifest.Schema.
const SchemaVersion = 1

// Status values of a capture.
const (
	StatusOK   = "ok"
	StatusSkip = "skip"
	StatusFail = "fail"
)

// Manifest lists captures. All paths inside are relative to the directory
// holding captures.json, so a capture directory can be moved or archived.
type Manifest struct {
	Schema   int       `json:"schema"`
	Updated  string    `json:"updated"`
	Host     Host      `json:"host"`
	Captures []Capture `json:"captures"`
	// Corpus is set in the committed corpus's manifest
	// (tests/corpus/manifest.json): how it was made and what it weighs.
	Corpus *Corpus `json:"corpus,omitempty"`
}

// Corpus describes a committed corpus as a whole.
type Corpus struct {
	// Regenerate is the command that rebuilds it.
	Regenerate string `json:"regenerate"`
	// BudgetBytes is the most it may weigh; TotalBytes what every file
	// the captures name weighs (each counted once).
	BudgetBytes int64 `json:"budget_bytes"`
	TotalBytes  int64 `json:"total_bytes"`
	// Entries is the sizes table: one row per release and experiment.
	Entries []CorpusEntry `json:"entries"`
}

// CorpusEntry is one release x experiment of a corpus.
type CorpusEntry struct {
	Label      string `json:"label"` // go1.25.14+greenteagc
	GoVersion  string `json:"go_version"`
	Experiment string `json:"experiment,omitempty"`
	Dir        string `json:"dir"`
	Files      int    `json:"files"`
	Bytes      int64  `json:"bytes"`
	CoreBytes  int64  `json:"core_bytes"`
	ExeBytes   int64  `json:"exe_bytes"`
}

// Host describes the machine of the last capture run.
type Host struct {
	Kernel      string `json:"kernel"`
	CorePattern string `json:"core_pattern"`
	CoreUsesPID string `json:"core_uses_pid"`
	GDB         string `json:"gdb,omitempty"`
	NumCPU      int    `json:"num_cpu"`
}

// Capture is one core of one scenario run: scenario x Go version x build
// variant x capture method.
type Capture struct {
	Scenario   string   `json:"scenario"`
	GoVersion  string   `json:"go_version"` // "go1.26.8", from `go env GOVERSION`
	GoCmd      string   `json:"go_cmd"`     // what -go said
	Variant    string   `json:"variant"`    // default, nodwarf, stripped, pie, corpus
	BuildFlags []string `json:"build_flags"`
	// Experiment is the GOEXPERIMENT the scenario was built with ("" for
	// the release's defaults).
	Experiment string `json:"experiment,omitempty"`
	// Scale is CORESCOPE_SCENARIO_SCALE of the run (0: unset, i.e. 1).
	Scale  float64 `json:"scale,omitempty"`
	Method string  `json:"method"` // gcore, kernel
	Status string  `json:"status"` // ok, skip, fail
	Reason string  `json:"reason,omitempty"`

	Dir         string `json:"dir"`                    // run directory
	Exe         string `json:"exe,omitempty"`          // the scenario binary
	Truth       string `json:"truth,omitempty"`        // truth.json
	HeapProfile string `json:"heap_profile,omitempty"` // heap.pprof
	Core        string `json:"core,omitempty"`         // gcore.core.zst / kernel.core.zst (or plain with -keep-plain)
	Phdrs       string `json:"phdrs,omitempty"`        // eu-readelf -l output
	Notes       string `json:"notes,omitempty"`        // eu-readelf -n output
	Traceback   string `json:"traceback,omitempty"`    // kernel only: the runtime's GOTRACEBACK=crash output
	Stderr      string `json:"stderr,omitempty"`       // the scenario's stderr when there is no traceback

	PID int `json:"pid,omitempty"`
	// LiveThreads are the thread ids /proc/PID/task listed around the
	// dump: just before and just after gcore, just before SIGABRT. The
	// truth file's threads are a snapshot taken earlier; the Go runtime
	// may start an OS thread after it (sysmon wakes, a template thread),
	// and such a thread is rightly in the core.
	LiveThreads    []int  `json:"live_threads,omitempty"`
	CorePlainBytes int64  `json:"core_plain_bytes,omitempty"` // apparent size of the plain core
	CoreDiskBytes  int64  `json:"core_disk_bytes,omitempty"`  // blocks the plain core used (sparse files)
	CoreBytes      int64  `json:"core_bytes,omitempty"`       // size of the stored core file
	CoreSHA256     string `json:"core_sha256,omitempty"`      // of the stored core file
	Compressed     bool   `json:"compressed"`
	// CorePatchFrom (corpus gcore cores) names the compressed executable
	// whose plain bytes are the `zstd --patch-from` reference of the
	// stored core: gdb's gcore saves the executable's text segment, which
	// then costs nothing. Such a core must be unpacked before use
	// (Unpacker.Core); zstd's frame checksum proves the result.
	CorePatchFrom string `json:"core_patch_from,omitempty"`

	Seconds      float64 `json:"seconds"`       // this method: dump + readelf + compress
	BuildSeconds float64 `json:"build_seconds"` // shared by the methods of one run
	ReadySeconds float64 `json:"ready_seconds"` // start to "ready"

	// A compressed executable (corpus): Exe names the .zst, which the
	// checker decompresses before use; these describe the plain file.
	ExePlainBytes  int64  `json:"exe_plain_bytes,omitempty"`
	ExePlainSHA256 string `json:"exe_plain_sha256,omitempty"`
	// ExePatchFrom names another capture's compressed executable whose
	// plain bytes are the reference of `zstd --patch-from` for this one
	// (builds of one release share most of their bytes);
	// ExePatchFromSHA256 is that reference's plain sha256.
	ExePatchFrom       string `json:"exe_patch_from,omitempty"`
	ExePatchFromSHA256 string `json:"exe_patch_from_sha256,omitempty"`
	// Files lists every file of the capture with its size and sha256
	// (corpus manifests; the sizes table adds them up).
	Files []File `json:"files,omitempty"`
}

// File is one stored file of a capture.
type File struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Label names the Go release and experiment: "go1.26.11", or
// "go1.25.14+greenteagc" (several experiments joined by ",").
func (c *Capture) Label() string {
	if c.Experiment == "" {
		return c.GoVersion
	}
	return c.GoVersion + "+" + c.Experiment
}

// Key identifies a capture within a manifest.
func (c *Capture) Key() string {
	return c.Label() + "/" + c.Variant + "/" + c.Scenario + "/" + c.Method
}

// Load reads a manifest.
func Load(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if m.Schema != SchemaVersion {
		return nil, fmt.Errorf("%s: schema %d, want %d", path, m.Schema, SchemaVersion)
	}
	return &m, nil
}

// Save writes the manifest atomically.
func (m *Manifest) Save(path string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Path resolves a manifest-relative path against the manifest's directory.
func Path(manifestDir, rel string) string {
	if rel == "" || filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(manifestDir, rel)
}

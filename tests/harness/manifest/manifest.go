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
	Variant    string   `json:"variant"`    // default, nodwarf, stripped, pie
	BuildFlags []string `json:"build_flags"`
	Method     string   `json:"method"` // gcore, kernel
	Status     string   `json:"status"` // ok, skip, fail
	Reason     string   `json:"reason,omitempty"`

	Dir         string `json:"dir"`                    // run directory
	Exe         string `json:"exe,omitempty"`          // the scenario binary
	Truth       string `json:"truth,omitempty"`        // truth.json
	HeapProfile string `json:"heap_profile,omitempty"` // heap.pprof
	Core        string `json:"core,omitempty"`         // gcore.core.zst / kernel.core.zst (or plain with -keep-plain)
	Phdrs       string `json:"phdrs,omitempty"`        // eu-readelf -l output
	Notes       string `json:"notes,omitempty"`        // eu-readelf -n output
	Traceback   string `json:"traceback,omitempty"`    // kernel only: the runtime's GOTRACEBACK=crash output
	Stderr      string `json:"stderr,omitempty"`       // the scenario's stderr when there is no traceback

	PID            int    `json:"pid,omitempty"`
	CorePlainBytes int64  `json:"core_plain_bytes,omitempty"` // apparent size of the plain core
	CoreDiskBytes  int64  `json:"core_disk_bytes,omitempty"`  // blocks the plain core used (sparse files)
	CoreBytes      int64  `json:"core_bytes,omitempty"`       // size of the stored core file
	CoreSHA256     string `json:"core_sha256,omitempty"`      // of the stored core file
	Compressed     bool   `json:"compressed"`

	Seconds      float64 `json:"seconds"`       // this method: dump + readelf + compress
	BuildSeconds float64 `json:"build_seconds"` // shared by the methods of one run
	ReadySeconds float64 `json:"ready_seconds"` // start to "ready"
}

// Key identifies a capture within a manifest.
func (c *Capture) Key() string {
	return c.GoVersion + "/" + c.Variant + "/" + c.Scenario + "/" + c.Method
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

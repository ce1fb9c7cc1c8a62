package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Unpacker decompresses the compressed executables of a manifest (the
// corpus stores exe.zst, some of them as zstd patches of another) into a
// directory of its own, never next to the manifest: the source tree may
// be read-only. A plain executable already there with the right sha256 is
// reused.
type Unpacker struct {
	ManifestDir string
	OutDir      string
	// byExe finds the capture that describes a compressed executable (for
	// patch references).
	byExe map[string]*Capture
	mu    sync.Mutex // e2e's workers share one Unpacker
	done  map[string]string
}

// NewUnpacker prepares unpacking the executables of m.
func NewUnpacker(m *Manifest, manifestDir, outDir string) *Unpacker {
	u := &Unpacker{ManifestDir: manifestDir, OutDir: outDir,
		byExe: map[string]*Capture{}, done: map[string]string{}}
	for i := range m.Captures {
		c := &m.Captures[i]
		if c.Exe != "" {
			u.byExe[c.Exe] = c
		}
	}
	return u
}

// Compressed reports whether a capture's executable must be unpacked.
func (c *Capture) ExeCompressed() bool { return strings.HasSuffix(c.Exe, ".zst") }

// Exe returns the path of the capture's plain executable, unpacking it
// (and the reference it is a patch of) when needed.
func (u *Unpacker) Exe(c *Capture) (string, error) {
	if !c.ExeCompressed() {
		return Path(u.ManifestDir, c.Exe), nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.unpack(c, 0)
}

func (u *Unpacker) unpack(c *Capture, depth int) (string, error) {
	if p, ok := u.done[c.Exe]; ok {
		return p, nil
	}
	if depth > 8 {
		return "", fmt.Errorf("%s: patch references nest too deep", c.Exe)
	}
	out := filepath.Join(u.OutDir, strings.TrimSuffix(c.Exe, ".zst"))
	if sum, err := SHA256File(out); err == nil && sum == c.ExePlainSHA256 {
		u.done[c.Exe] = out
		return out, nil
	}
	args := []string{"-q", "-d", "-f", "--long=27"}
	if c.ExePatchFrom != "" {
		ref := u.byExe[c.ExePatchFrom]
		if ref == nil {
			return "", fmt.Errorf("%s: patch reference %s is not in the manifest", c.Exe, c.ExePatchFrom)
		}
		if ref.ExePlainSHA256 != c.ExePatchFromSHA256 {
			return "", fmt.Errorf("%s: patch reference %s changed (sha256 %.12s, patch made against %.12s): regenerate this entry",
				c.Exe, c.ExePatchFrom, ref.ExePlainSHA256, c.ExePatchFromSHA256)
		}
		rp, err := u.unpack(ref, depth+1)
		if err != nil {
			return "", err
		}
		args = append(args, "--patch-from="+rp)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp := out + ".tmp"
	args = append(args, Path(u.ManifestDir, c.Exe), "-o", tmp)
	cmd := exec.Command("zstd", args...)
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("zstd %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(se.String()))
	}
	sum, err := SHA256File(tmp)
	if err != nil {
		return "", err
	}
	if c.ExePlainSHA256 != "" && sum != c.ExePlainSHA256 {
		os.Remove(tmp)
		return "", fmt.Errorf("%s: unpacked sha256 %s, manifest says %s", c.Exe, sum, c.ExePlainSHA256)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	u.done[c.Exe] = out
	return out, nil
}

// Core unpacks a core stored as a zstd patch (CorePatchFrom) into a
// sparse plain file under dir and returns its path; the caller removes it.
// A core stored whole is returned as is (corescope reads .zst itself).
func (u *Unpacker) Core(c *Capture, dir string) (path string, temporary bool, err error) {
	if c.CorePatchFrom == "" {
		return Path(u.ManifestDir, c.Core), false, nil
	}
	ref := u.byExe[c.CorePatchFrom]
	if ref == nil {
		return "", false, fmt.Errorf("%s: patch reference %s is not in the manifest", c.Core, c.CorePatchFrom)
	}
	exe, err := u.Exe(ref)
	if err != nil {
		return "", false, err
	}
	f, err := os.CreateTemp(dir, "corpus-core-*.core")
	if err != nil {
		return "", false, err
	}
	out := f.Name()
	f.Close()
	// The window covers the reference and the whole core: up to 2 GiB
	// (--long=31 allows it; --memory above 2 GB is refused with patches).
	args := []string{"-q", "-d", "-f", "--sparse", "--long=31", "--patch-from=" + exe,
		Path(u.ManifestDir, c.Core), "-o", out}
	cmd := exec.Command("zstd", args...)
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Run(); err != nil {
		os.Remove(out)
		return "", false, fmt.Errorf("zstd %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(se.String()))
	}
	return out, true, nil
}

// SHA256File returns the hex sha256 of a file.
func SHA256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

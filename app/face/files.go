package face

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files keeps processed faces under a directory, one JPEG per picture
// named by its content hash, so the database holds only the hash (as
// attachments are kept). A picture two users share is stored once.
type Files struct{ dir string }

// NewFiles keeps faces under dir.
func NewFiles(dir string) *Files { return &Files{dir: dir} }

// HashOf is the hash a face's bytes are named by: 16 hex digits of their
// SHA-256.
func HashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

func validHash(hash string) bool {
	return len(hash) == 16 && strings.Trim(hash, "0123456789abcdef") == ""
}

func (f *Files) path(hash string) string { return filepath.Join(f.dir, hash+".jpg") }

// Put stores a face's bytes under hash; it is on disk (synced) when Put
// returns, so the hash may then be recorded.
func (f *Files) Put(hash string, data []byte) error {
	if !validHash(hash) || HashOf(data) != hash {
		return fmt.Errorf("face: store %q: the hash does not name these bytes", hash)
	}
	if err := os.MkdirAll(f.dir, 0o750); err != nil {
		return fmt.Errorf("face: store: %w", err)
	}
	tmp, err := os.CreateTemp(f.dir, ".upload-*")
	if err != nil {
		return fmt.Errorf("face: store: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename this finds nothing
	defer tmp.Close()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("face: store: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("face: store: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path(hash)); err != nil {
		return fmt.Errorf("face: store: %w", err)
	}
	return nil
}

// Read returns the face stored under hash; fs.ErrNotExist when there is
// none.
func (f *Files) Read(hash string) ([]byte, error) {
	if !validHash(hash) {
		return nil, fmt.Errorf("face: read %q: %w", hash, fs.ErrNotExist)
	}
	b, err := os.ReadFile(f.path(hash))
	if err != nil {
		return nil, fmt.Errorf("face: read: %w", err)
	}
	return b, nil
}

// Sweep deletes the faces whose hash keep does not know, leaving files
// younger than grace (one whose hash is being recorded); it returns how
// many went.
func (f *Files) Sweep(keep map[string]bool, grace time.Duration) (int, error) {
	entries, err := os.ReadDir(f.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("face: sweep: %w", err)
	}
	cutoff := time.Now().Add(-grace)
	deleted := 0
	for _, e := range entries {
		hash := strings.TrimSuffix(e.Name(), ".jpg")
		if e.IsDir() || keep[hash] {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(f.dir, e.Name())); err == nil {
			deleted++
		}
	}
	return deleted, nil
}

package face

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Files refuses bytes its hash does not name and hashes that are no hash
// (a path), reads what it stored, and sweeps only old unnamed files.
func TestFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "faces")
	f := NewFiles(dir)
	a, b := []byte("first face"), []byte("second face")
	ha, hb := HashOf(a), HashOf(b)
	if err := f.Put(hb, a); err == nil {
		t.Fatal(`stored bytes under another's hash`)
	}
	for _, h := range []string{ha, hb} {
		data := map[string][]byte{ha: a, hb: b}[h]
		if err := f.Put(h, data); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := f.Read(ha); err != nil || string(got) != string(a) {
		t.Fatalf(`read %q, %v`, got, err)
	}
	for _, bad := range []string{"../../etc/passwd", "", "ABCDEFABCDEFABCD"} {
		if _, err := f.Read(bad); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf(`read %q: %v, want not found`, bad, err)
		}
	}
	// Only old files nothing names go.
	old := time.Now().Add(-2 * time.Hour)
	for _, h := range []string{ha, hb} {
		if err := os.Chtimes(filepath.Join(dir, h+".jpg"), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := f.Sweep(map[string]bool{ha: true}, time.Hour); err != nil || n != 1 {
		t.Fatalf(`swept %d, %v; want 1`, n, err)
	}
	if _, err := f.Read(hb); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(`the unnamed face is still there: %v`, err)
	}
	if _, err := f.Read(ha); err != nil {
		t.Errorf(`the named face went: %v`, err)
	}
	if n, err := NewFiles(filepath.Join(dir, "none")).Sweep(nil, 0); err != nil || n != 0 {
		t.Errorf(`sweep of no directory: %d %v`, n, err)
	}
}

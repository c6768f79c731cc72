package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"parley/app/store"
	"parley/db"
)

const syncCommits = 20

// TestEveryCommitIsSynced proves that a commit is on stable storage when it
// returns: it runs syncCommits separate commits in a child process under
// strace and counts the fsync calls. In WAL mode with synchronous(NORMAL)
// commits do not sync at all (only checkpoints do), which loses
// acknowledged messages on a power cut.
func TestEveryCommitIsSynced(t *testing.T) {
	tracer, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test needs strace under CI=true (Debian package strace; .ci/run installs it)")
		}
		t.Skip("strace not found: install Debian's strace package to check that commits reach the disk")
	}
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace")
	cmd := exec.Command(tracer, "-f", "-e", "trace=fsync,fdatasync", "-o", trace,
		os.Args[0], "-test.run=^TestSyncChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PARLEY_SYNC_CHILD_DB="+filepath.Join(dir, "parley.db"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child under strace: %v\n%s", err, out)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	syncs := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "fsync(") || strings.Contains(line, "fdatasync(") {
			syncs++
		}
	}
	if syncs < syncCommits {
		t.Fatalf("%d syncs for %d commits: a commit is acknowledged before it is on disk", syncs, syncCommits)
	}
}

// TestSyncChild is the child process of TestEveryCommitIsSynced: it opens
// a migrated database and makes syncCommits commits, one at a time.
func TestSyncChild(t *testing.T) {
	path := os.Getenv("PARLEY_SYNC_CHILD_DB")
	if path == "" {
		t.Skip("runs only as the child of TestEveryCommitIsSynced")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := db.Migrate(ctx, st.Writer()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < syncCommits; i++ {
		err := st.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, 'x')`, fmt.Sprintf("k%d", i))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestDamagedFileIsReported: a database whose pages were overwritten opens,
// but the start-up check names the damage and Health keeps reporting it.
func TestDamagedFileIsReported(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parley.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx, st.Writer()); err != nil {
		t.Fatal(err)
	}
	if err := st.Check(ctx); err != nil || st.Health(ctx) != nil {
		t.Fatalf("a fresh database: check %v, health %v", err, st.Health(ctx))
	}
	// Rows written last fill the last pages, so the damage below hits a
	// table's contents whatever the schema's own pages are.
	if _, err := st.Writer().ExecContext(ctx, `INSERT INTO settings (key, value)
		WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 200)
		SELECT 'filler.' || i, printf('%.500c', 'x') FROM k`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := f.Stat()
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(i*7 + 3)
	}
	// The last pages (tables' contents, not the schema on page 1) become
	// garbage.
	for off := info.Size() - 3*4096; off < info.Size(); off += 4096 {
		if _, err := f.WriteAt(junk, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	st, err = store.Open(ctx, path)
	if err != nil {
		t.Fatalf("open a damaged file: %v", err)
	}
	defer st.Close()
	if err := st.Check(ctx); err == nil {
		t.Fatal("quick_check found nothing in a damaged file")
	}
	if err := st.Health(ctx); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("health after a failed check: %v", err)
	}
}

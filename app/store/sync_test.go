package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"parley/app/store"
	"parley/db"
)

const syncCommits = 20

// TestEveryCommitIsSynced proves that a commit is on stable storage when it
// returns: it runs syncCommits separate commits in a child process under
// strace, which marks each return with a getppid call, and checks that an
// fsync of the WAL completed before every mark. The writer connection
// commits with synchronous(NORMAL), which syncs nothing at a commit: the
// store's syncer must, or acknowledged messages are lost on a power cut.
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
	cmd := exec.Command(tracer, "-f", "-y", "-e", "trace=fsync,fdatasync,getppid", "-o", trace,
		os.Args[0], "-test.run=^TestSyncChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PARLEY_SYNC_CHILD_DB="+filepath.Join(dir, "parley.db"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child under strace: %v\n%s", err, out)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	marks, unsynced := checkSyncs(string(b))
	if unsynced > 0 {
		t.Fatalf("commit %d was answered before an fsync of the WAL completed:\n%s", unsynced, b)
	}
	if marks != syncCommits {
		t.Fatalf("%d commits marked in the trace, want %d:\n%s", marks, syncCommits, b)
	}
}

// checkSyncs reads an strace -f -y log: how many getppid marks it holds,
// and the first mark (counted from 1) with no completed fsync of the WAL
// since the one before, 0 when every mark had one. A thread's call, the
// mark's too, may be split in two lines ("<unfinished ...>", then "<...
// fsync resumed>") when another thread makes one meanwhile, and strace
// pads short lines before " = ".
func checkSyncs(log string) (marks, unsynced int) {
	done := regexp.MustCompile(`\)\s+= 0$`)
	started := map[string]bool{} // thread → its fsync of the WAL is under way
	synced := 0
	for _, line := range strings.Split(log, "\n") {
		thread, _, _ := strings.Cut(line, " ")
		switch {
		case strings.Contains(line, "sync(") && strings.Contains(line, "-wal>"):
			if strings.Contains(line, "<unfinished") {
				started[thread] = true
			} else if done.MatchString(line) {
				synced++
			}
		case strings.Contains(line, "sync resumed>"):
			if started[thread] && done.MatchString(line) {
				synced++
			}
			delete(started, thread)
		case strings.Contains(line, "getppid()") || strings.Contains(line, "getppid( <unfinished"):
			// A mark split by another thread's call counts where it
			// began: the answer came before it.
			marks++
			if synced == 0 && unsynced == 0 {
				unsynced = marks
			}
			synced = 0
		}
	}
	return marks, unsynced
}

// TestCheckSyncs reads logs as strace writes them, interleaved threads
// and padding included.
func TestCheckSyncs(t *testing.T) {
	const ok = `27811 fsync(8</d/parley.db-journal>) = 0
27815 fsync(13</d/parley.db-wal>) = 0
27815 getppid()                         = 27808
27811 fsync(13</d/parley.db-wal> <unfinished ...>
27815 --- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=27811, si_uid=0} ---
27811 <... fsync resumed>)              = 0
27811 getppid()                         = 27808
27811 fsync(13</d/parley.db-wal>)       = 0
27811 getppid()                         = 27808
27811 fsync(13</d/parley.db-wal>)       = 0
27811 getppid( <unfinished ...>
27813 fsync(13</d/parley.db-wal> <unfinished ...>
27811 <... getppid resumed>)            = 27808`
	if marks, bad := checkSyncs(ok); marks != 4 || bad != 0 {
		t.Errorf("a log with a sync before each mark: %d marks, mark %d unsynced; want 4 and none", marks, bad)
	}
	const late = `27815 fsync(13</d/parley.db-wal>) = 0
27815 getppid()                         = 27808
27811 fsync(13</d/parley.db-wal> <unfinished ...>
27815 getppid()                         = 27808
27811 <... fsync resumed>)              = 0
27811 fsync(5</d/parley.db>)            = 0
27811 getppid()                         = 27808`
	if marks, bad := checkSyncs(late); marks != 3 || bad != 2 {
		t.Errorf("a log whose second mark came before its sync ended: %d marks, mark %d unsynced; want 3 and 2", marks, bad)
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
		syscall.Getppid() // marks the answer in the parent's trace
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
	// Tables' pages, never the schema's (which grows with every migration
	// and may sit anywhere in the file), become garbage.
	var roots []int64
	rows, err := st.Writer().QueryContext(ctx, `SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name IN ('messages', 'chat_sessions', 'visitors')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		roots = append(roots, p)
	}
	rows.Close()
	var pageSize int64
	if err := st.Writer().QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	st.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, pageSize)
	for i := range junk {
		junk[i] = byte(i*7 + 3)
	}
	for _, p := range roots {
		if _, err := f.WriteAt(junk, (p-1)*pageSize); err != nil {
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

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"parley/app/model"
)

func openScratch(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.w.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL); INSERT INTO t VALUES ('taken', 0)`); err != nil {
		t.Fatal(err)
	}
	return st
}

// Transactions batched into one commit stay each other's strangers: one
// that fails, panics or breaks a constraint is rolled back alone, the
// others are committed, and each caller hears its own outcome only after
// the commit.
func TestCommitterKeepsBatchedTransactionsApart(t *testing.T) {
	st := openScratch(t)
	ctx := context.Background()
	const n = 400
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (?, ?)`, fmt.Sprint("k", i), i); err != nil {
					return err
				}
				switch i % 10 {
				case 3: // wrote, then gave up
					return errors.New("refused")
				case 5: // wrote, then panicked
					panic("boom")
				case 7: // wrote, then broke a constraint
					_, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ('taken', 1)`)
					return err
				}
				return nil
			})
		}()
	}
	wg.Wait()
	if st.shared.Load() == 0 {
		t.Fatal(`no transactions shared a commit: nothing here was tested`)
	}
	rows, err := st.r.Query(`SELECT k FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		kept[k] = true
	}
	rows.Close()
	for i, err := range errs {
		k := fmt.Sprint("k", i)
		switch i % 10 {
		case 3, 5, 7:
			if err == nil || kept[k] {
				t.Errorf(`%s: error %v, kept %v; want an error and nothing kept`, k, err, kept[k])
			}
			if i%10 == 5 && !strings.Contains(fmt.Sprint(err), "panicked: boom") {
				t.Errorf(`%s: the panic is not in the error: %v`, k, err)
			}
		default:
			if err != nil || !kept[k] {
				t.Errorf(`%s: error %v, kept %v; want it committed`, k, err, kept[k])
			}
		}
	}
}

// A caller that gives up while its transaction waits is told so and the
// transaction never runs; a store closed under waiting callers answers
// them instead of leaving them hanging.
func TestCommitterCancelAndClose(t *testing.T) {
	st := openScratch(t)
	release := make(chan struct{})
	started := make(chan struct{})
	go st.Tx(context.Background(), func(tx *sql.Tx) error {
		close(started)
		<-release // hold the committer
		return nil
	})
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	res := make(chan error)
	go func() {
		res <- st.Tx(ctx, func(tx *sql.Tx) error { ran = true; return nil })
	}()
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf(`cancelled while queued: %v`, err)
	}
	close(release)
	if err := st.Tx(context.Background(), func(tx *sql.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Fatal(`a cancelled transaction ran`)
	}
	st.Close()
	if err := st.Tx(context.Background(), func(tx *sql.Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Fatalf(`after Close: %v`, err)
	}
}

// A constant statement of a write transaction runs parsed the first time
// and prepared after: the committer prepares it between transactions, and
// the prepared statement writes the same rows, inside savepoints too (a
// job that fails still rolls back alone).
func TestWriteStatementsArePreparedBetweenTransactions(t *testing.T) {
	st := openScratch(t)
	ctx := context.Background()
	const ins = `INSERT INTO t (k, v) VALUES (?, ?)`
	prepared := func() bool { _, ok := st.wstmts.Load(ins); return ok }
	if _, err := st.exec(ctx, ins, "a", 1); err != nil {
		t.Fatal(err)
	}
	// The committer prepares after answering; the next transaction it
	// runs comes after that, so one more write settles it.
	if _, err := st.exec(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	if !prepared() {
		t.Fatal("the insert is not prepared after its first transaction")
	}
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := fmt.Sprintf("k%d", i%20) // every key twice: one of each pair fails
			_, errs[i] = st.exec(ctx, ins, k, i)
		}()
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			if !strings.Contains(err.Error(), "UNIQUE") {
				t.Fatalf("want a unique-key failure, got %v", err)
			}
			failed++
		}
	}
	var n int
	if err := st.r.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if failed != 20 || n != 22 { // with openScratch's "taken" and "a"
		t.Fatalf("%d writes failed and %d rows are stored, want 20 and 22", failed, n)
	}
}

// A lookup that read SQLite before a commit changed the session must not
// store what it read once the commit's flush has run.
func TestSessionCacheRefusesAReadOlderThanAFlush(t *testing.T) {
	c := newSessionCache()
	x := &model.Session{ID: 7, PublicID: "p", Status: model.SessionOpen}
	_, gen := c.get("h", "p", false)
	c.changed(sqlite.SQLitePreUpdateData{TableName: "chat_sessions", OldRowID: 7})
	c.flush()
	c.put(gen, "h", x)
	if got, _ := c.get("h", "p", false); got != nil {
		t.Fatal("a read older than the flush was kept")
	}
	_, gen = c.get("h", "p", false)
	c.put(gen, "h", x)
	if got, _ := c.get("h", "p", false); got == nil || got.ID != 7 {
		t.Fatalf("a fresh read was not kept: %+v", got)
	}
	// The message path's own bookkeeping does not evict it.
	c.touching.Store(true)
	c.changed(sqlite.SQLitePreUpdateData{TableName: "chat_sessions", OldRowID: 7})
	c.touching.Store(false)
	c.flush()
	if got, _ := c.get("h", "p", false); got == nil {
		t.Fatal("a message's touch evicted the session")
	}
}

// An entry lives a minute at most: a session erased by another process
// (the CLI while the server runs), which the hook cannot see, is read
// again, and found gone, by then.
func TestSessionCacheEntriesExpire(t *testing.T) {
	c := newSessionCache()
	c.ttl = 20 * time.Millisecond
	_, gen := c.get("h", "p", false)
	c.put(gen, "h", &model.Session{ID: 7, PublicID: "p", Status: model.SessionOpen})
	if got, _ := c.get("h", "p", false); got == nil {
		t.Fatal("a fresh entry was not kept")
	}
	time.Sleep(30 * time.Millisecond)
	if got, _ := c.get("h", "p", false); got != nil || c.entries.Len() != 0 || len(c.ids) != 0 {
		t.Fatalf("an entry older than its time: %+v, %d entries, %d ids", got, c.entries.Len(), len(c.ids))
	}
	// A new session's row changes nothing cached, and costs no flush.
	_, gen = c.get("h", "p", false)
	c.changed(sqlite.SQLitePreUpdateData{TableName: "chat_sessions", Op: sqlite3.SQLITE_INSERT, OldRowID: 8, NewRowID: 8})
	c.flush()
	if _, gen2 := c.get("h", "p", false); gen2 != gen {
		t.Fatal("a new session made a flush")
	}
}

// A copy from the cache is the caller's to change; a shared hit is the
// cache's own entry, the same one every time, and a flush drops it
// without changing it for whoever still reads it.
func TestSessionCacheCopiesUnlessShared(t *testing.T) {
	c := newSessionCache()
	_, gen := c.get("h", "p", false)
	c.put(gen, "h", &model.Session{ID: 7, PublicID: "p", Status: model.SessionOpen, Chatbot: model.ChatbotPosition{Answers: []int64{1}}})
	mine, _ := c.get("h", "p", false)
	mine.Status, mine.Chatbot.Answers[0] = model.SessionClosed, 2
	a, _ := c.get("h", "p", true)
	b, _ := c.get("h", "p", true)
	if a == nil || a != b {
		t.Fatalf("shared hits %p and %p, want the same entry", a, b)
	}
	if a.Status != model.SessionOpen || a.Chatbot.Answers[0] != 1 {
		t.Fatalf("changing a copy changed the cache: %+v", a)
	}
	c.changed(sqlite.SQLitePreUpdateData{TableName: "chat_sessions", OldRowID: 7})
	c.flush()
	if got, _ := c.get("h", "p", true); got != nil {
		t.Fatal("a flushed session was still shared")
	}
	if a.ID != 7 || a.Status != model.SessionOpen {
		t.Fatalf("the flush changed a shared session in use: %+v", a)
	}
}

// The syncer's handle follows the WAL file: replaced (deleted by the last
// connection to close and made again), it is opened anew, since syncing
// the old file's handle would put nothing of the new one on disk; with no
// WAL at all the database file itself is synced.
func TestSyncWALFollowsTheFile(t *testing.T) {
	dir := t.TempDir()
	s := &Store{path: filepath.Join(dir, "parley.db")}
	defer func() {
		if s.wal != nil {
			s.wal.Close()
		}
	}()
	if err := os.WriteFile(s.path, []byte("db"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.syncWAL(); err != nil || s.wal != nil {
		t.Fatalf("without a WAL: err %v, handle %v; want the database synced and no handle kept", err, s.wal)
	}
	wal := s.path + "-wal"
	if err := os.WriteFile(wal, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.syncWAL(); err != nil || s.wal == nil {
		t.Fatalf("with a WAL: err %v, handle %v", err, s.wal)
	}
	first := s.wal
	if err := s.syncWAL(); err != nil || s.wal != first {
		t.Fatalf("the same WAL was opened again (err %v)", err)
	}
	if err := os.Remove(wal); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wal, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.syncWAL(); err != nil {
		t.Fatal(err)
	}
	now, err := os.Stat(wal)
	if err != nil {
		t.Fatal(err)
	}
	held, err := s.wal.Stat()
	if err != nil || !os.SameFile(held, now) {
		t.Fatalf("after the WAL was replaced the syncer holds another file (err %v)", err)
	}
}

// A WAL the syncer cannot put on disk fails the writes it was to make
// durable as a storage failure (503 for clients, Health says why), and
// the next write that syncs clears it.
func TestSyncFailureIsAStorageFailure(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	write := func() error {
		return st.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1)`)
			return err
		})
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	// SQLite keeps writing through its own handle; the syncer, finding
	// another file at the WAL's name, cannot open it.
	wal := st.path + "-wal"
	moved := wal + ".moved"
	if err := os.Rename(wal, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(wal), wal); err != nil { // a loop: opening it fails
		t.Fatal(err)
	}
	err = write()
	if !errors.Is(err, model.ErrStorage) || !strings.Contains(err.Error(), "sync") {
		t.Fatalf("a write whose WAL could not be synced: %v, want a storage failure naming the sync", err)
	}
	if h := st.Health(ctx); h == nil {
		t.Fatal("Health is fine after a failed sync")
	}
	if err := os.Remove(wal); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(moved, wal); err != nil {
		t.Fatal(err)
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	if h := st.Health(ctx); h != nil {
		t.Fatalf("Health after a write synced again: %v", h)
	}
}

// The visitor a token names is kept only when nothing was forgotten since
// the read that found it began, survives changes to visitors' rows, and
// goes with a deletion of visitors or with age.
func TestVisitorCache(t *testing.T) {
	c := newSessionCache()
	_, gen := c.visitorID("h")
	c.changed(sqlite.SQLitePreUpdateData{TableName: "chat_sessions", Op: sqlite3.SQLITE_UPDATE, OldRowID: 1})
	c.flush()
	c.putVisitor(gen, "h", 7)
	if id, _ := c.visitorID("h"); id != 0 {
		t.Fatalf("a read from before a flush was kept: visitor %d", id)
	}
	_, gen = c.visitorID("h")
	c.putVisitor(gen, "h", 7)
	c.changed(sqlite.SQLitePreUpdateData{TableName: "visitors", Op: sqlite3.SQLITE_UPDATE, OldRowID: 7})
	c.flush()
	if id, _ := c.visitorID("h"); id != 7 {
		t.Fatalf("after a visitor's update: visitor %d; want 7", id)
	}
	c.changed(sqlite.SQLitePreUpdateData{TableName: "visitors", Op: sqlite3.SQLITE_DELETE, OldRowID: 8})
	c.flush()
	if id, _ := c.visitorID("h"); id != 0 {
		t.Fatalf("after a deletion of visitors: visitor %d; want none", id)
	}
	c.ttl = time.Millisecond
	_, gen = c.visitorID("h")
	c.putVisitor(gen, "h", 7)
	time.Sleep(5 * time.Millisecond)
	if id, _ := c.visitorID("h"); id != 0 {
		t.Fatalf("an entry older than the cache's age limit: visitor %d", id)
	}
}

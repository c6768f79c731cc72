// Package store owns Parley's SQLite database: opening it with the right
// pragmas, one single-connection writer pool and a reader pool, and the SQL
// of every table group (one file each).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"parley/app/model"
)

// Sentinel errors callers test with errors.Is.
var (
	ErrNotFound = model.ErrNotFound
	ErrConflict = model.ErrConflict
	// ErrOperatorFull: the operator reached their maximum of concurrent
	// chats meanwhile.
	ErrOperatorFull = errors.New("operator at their maximum of concurrent chats")
)

// Store is the database. The writer pool has exactly one connection so
// writers queue in Go instead of fighting over SQLite's lock; readers run
// concurrently thanks to WAL.
type Store struct {
	w, r   *sql.DB
	path   string
	stmts  sync.Map // query text → *sql.Stmt on the reader pool
	wstmts sync.Map // query text → *sql.Stmt on the writer connection
	// unprepared holds the constant statements write transactions ran
	// parsed because they were not prepared yet (a transaction holds the
	// writer's one connection, so it cannot prepare on it); the committer
	// prepares them between transactions.
	unprepared sync.Map

	// writeErr is the storage failure (disk full, read-only, I/O error) of
	// the last write, nil once a write succeeds again; checkErr is what
	// the integrity check at start found.
	writeErr atomic.Pointer[error]
	checkErr atomic.Pointer[error]

	// outboxAdded is set by EnqueueTx during the (single) write
	// transaction and read after it ends: outboxHook runs after a commit
	// that added outbox rows.
	// live keeps the sessions visitors talk in (session_cache.go).
	live *sessionCache

	outboxAdded atomic.Bool
	outboxHook  atomic.Pointer[func()]

	// Write transactions wait here for the committer (commitLoop), then
	// for the syncer (syncLoop), which answers them.
	txq       chan *txJob
	synq      chan synced
	wal       *os.File // the syncer's own handle on the WAL
	closing   chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
	shared    atomic.Int64 // transactions committed together with others
}

// writerStmt returns a statement prepared once on the writer connection,
// for the chat path's writes: a transaction takes it with Tx.StmtContext,
// which reuses the compiled statement instead of parsing the SQL (and its
// triggers) again for every group commit. It must be called outside a
// write transaction: the writer pool's one connection would be held.
func (s *Store) writerStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	return prepareOnce(ctx, &s.wstmts, s.w, query)
}

// prepareOnce returns query's statement from cache, preparing it on db and
// keeping it there the first time.
func prepareOnce(ctx context.Context, cache *sync.Map, db *sql.DB, query string) (*sql.Stmt, error) {
	if st, ok := cache.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := cache.LoadOrStore(query, st); loaded {
		st.Close()
		st = prev.(*sql.Stmt)
	}
	return st, nil
}

// txExec runs a constant statement (never SQL built from input) in a write
// transaction through a statement prepared once on the writer connection:
// parsing an INSERT into a table with triggers and indexes costs more
// than running it, and it was close to half of a conversation's start.
// The first run parses; the committer prepares it for the next.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.txStmt(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// txQueryRow is txExec for a read inside a write transaction.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := s.txStmt(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// txQuery is txQueryRow for a read of many rows.
func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := s.txStmt(ctx, tx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// txStmt is query's prepared statement bound to tx, or nil when it is not
// prepared yet: then it is queued for the committer to prepare.
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	if st, ok := s.wstmts.Load(query); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt))
	}
	s.unprepared.Store(query, struct{}{})
	return nil
}

// prepareQueued prepares, between transactions, the statements txExec
// ran parsed. One that fails to prepare stays unprepared (its transaction
// failed on the same error) and is tried again only when it runs again.
func (s *Store) prepareQueued() {
	s.unprepared.Range(func(q, _ any) bool {
		s.unprepared.Delete(q)
		_, _ = s.writerStmt(context.Background(), q.(string))
		return true
	})
}

// queryRowCached runs a read through a statement prepared on first use and
// kept for the life of the store: on the chat path, parsing the SQL costs
// more than running it. Only for constant query texts.
func (s *Store) queryRowCached(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.readerStmt(ctx, query)
	if err != nil {
		return s.r.QueryRowContext(ctx, query, args...) // reports the error through Scan
	}
	return st.QueryRowContext(ctx, args...)
}

// queryCached is queryRowCached for reads of many rows.
func (s *Store) queryCached(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.readerStmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (s *Store) readerStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	return prepareOnce(ctx, &s.stmts, s.r, query)
}

// busy_timeout must come first: the connection has to wait on a busy
// database before it tries to switch the journal to WAL. Every commit is
// synced to disk before anyone hears it is done, so an acknowledged
// message survives a power cut or an OS crash: the writer connection
// commits with synchronous(NORMAL) (SQLite writes the WAL without waiting
// for the disk, and still syncs around checkpoints) and the store's syncer
// syncs the WAL before answering, while the committer goes on with the
// next batch (see syncLoop). The readers never write (query_only).
const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-16000)"

// writerPragmas follow pragmas on the writer connection; a later pragma
// of the same name wins.
const writerPragmas = "&_pragma=synchronous(NORMAL)&_txlock=immediate"

// Open opens (creating if needed) the database file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	// Escape what a file: URI would read as escapes, query or fragment, so
	// a data_dir like "a#b" or "50%" opens the file it names.
	u := url.URL{Scheme: "file", Opaque: strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)}
	dsn := u.String() + "?" + pragmas
	sessions := newSessionCache()
	base, err := sqlite.NewConnector(dsn + writerPragmas)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w := sql.OpenDB(hookedConnector{Connector: base, hook: sessions.changed})
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	// Touch the file through the writer first so a missing or read-only
	// directory fails here with a clear error, not on the first request.
	if _, err := w.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS _parley_probe(x); DROP TABLE _parley_probe"); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	r.SetConnMaxIdleTime(5 * time.Minute)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{w: w, r: r, path: path, live: sessions, txq: make(chan *txJob, 4*maxTxBatch), synq: make(chan synced, 4*maxTxBatch),
		closing: make(chan struct{}), stopped: make(chan struct{})}
	go s.commitLoop()
	go s.syncLoop()
	return s, nil
}

// Writer returns the single-connection pool, for migrations.
func (s *Store) Writer() *sql.DB { return s.w }

// SetAutoCheckpoint sets the WAL size, in pages, at which a commit also
// checkpoints; 0 leaves checkpoints to someone else (Litestream, while it
// replicates). It applies to the writer connection, the only one that
// commits; should that connection be replaced, the new one checkpoints at
// SQLite's default again, which is safe, only less tidy.
func (s *Store) SetAutoCheckpoint(ctx context.Context, pages int) error {
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint(%d)", pages)); err != nil {
		return fmt.Errorf("store: wal_autocheckpoint: %w", err)
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close checkpoints the WAL and closes both pools. The checkpoint does
// not wait: while another connection reads (a running Parley's replica
// holds a read transaction for as long as it replicates), a command that
// wrote a user would otherwise sit out the whole busy timeout, and the
// reader's side checkpoints later anyway.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	<-s.stopped
	s.stmts.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	s.wstmts.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	_, _ = s.w.Exec("PRAGMA busy_timeout(0)")
	_, _ = s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping checks that the database answers, for /healthz.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Tx runs fn in a write transaction, committing when fn returns nil. A
// failure of the storage itself (disk full, read-only, I/O) comes back
// wrapping model.ErrStorage and makes Health report it until a write
// succeeds again.
func (s *Store) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.noteWrite(s.tx(ctx, fn))
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	j := &txJob{fn: fn, done: make(chan error, 1)}
	select {
	case s.txq <- j:
	case <-ctx.Done():
		return fmt.Errorf("store: begin: %w", ctx.Err())
	case <-s.closing:
		return errClosed
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		if j.state.CompareAndSwap(jobQueued, jobCancelled) {
			return fmt.Errorf("store: begin: %w", ctx.Err())
		}
		// Already running: its outcome is the caller's to know.
		return <-j.done
	case <-s.stopped:
		// Queued as the store closed: the committer is gone.
		if j.state.CompareAndSwap(jobQueued, jobCancelled) {
			return errClosed
		}
		return <-j.done
	}
}

// exec runs one write statement as a transaction of its own, through the
// committer like every write.
func (s *Store) exec(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		res, err = s.txExec(ctx, tx, query, args...)
		return err
	})
	return res, err
}

// run calls a transaction's function; a panic becomes its error instead
// of taking the committer (and every other writer) down with it.
func run(fn func(*sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: transaction panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(tx)
}

var errClosed = errors.New("store: closed")

// Group commit for every write transaction. SQLite commits one
// transaction at a time on one connection, and with synchronous(FULL)
// each commit waits for the disk (2–3 ms on a VPS's network disk), which
// capped visitor arrivals — each a write or two — at a few hundred a
// second. The committer runs whatever transactions are queued in one
// SQLite transaction, each inside its own savepoint so one that fails
// rolls back alone, then commits once and hands them to the syncer,
// which answers them all: nobody hears "done" before the commit that
// holds their writes is on disk.
const maxTxBatch = 128

const (
	jobQueued int32 = iota
	jobRunning
	jobCancelled
)

type txJob struct {
	fn    func(*sql.Tx) error
	state atomic.Int32
	done  chan error
	err   error
}

func (s *Store) commitLoop() {
	defer close(s.synq)
	batch := make([]*txJob, 0, maxTxBatch)
	for {
		var j *txJob
		select {
		case j = <-s.txq:
		case <-s.closing:
			// Answer what is still queued rather than leave it waiting.
			for {
				select {
				case j := <-s.txq:
					j.done <- errClosed
				default:
					return
				}
			}
		}
		batch = append(batch[:0], j)
	fill:
		for len(batch) < maxTxBatch {
			select {
			case j := <-s.txq:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		s.runBatch(batch)
		s.prepareQueued()
	}
}

// runBatch runs the batch's transactions in one commit; should that
// transaction be lost as a whole (SQLite rolls back everything when a
// statement is interrupted because its caller gave up, or the commit
// fails), each runs again alone, as if never batched.
func (s *Store) runBatch(batch []*txJob) {
	live := batch[:0:0]
	for _, j := range batch {
		if j.state.CompareAndSwap(jobQueued, jobRunning) {
			live = append(live, j)
		}
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 || !s.runTogether(live) {
		s.outboxAdded.Store(false) // nothing of a lost batch was kept
		for _, j := range live {
			j.err = s.runAlone(j.fn)
		}
	}
	// Forget the sessions the batch changed before anyone hears it committed.
	s.live.flush()
	s.synq <- synced{jobs: live, outboxAdded: s.outboxAdded.Swap(false)}
}

// synced is a committed batch waiting for the disk.
type synced struct {
	jobs        []*txJob
	outboxAdded bool
}

// syncLoop answers committed batches once the WAL that holds them is on
// disk. Syncing here rather than in SQLite's commit (synchronous(FULL))
// lets the committer run the next batch while the disk answers: the sync
// was a third of the committer's time at 5,000 messages a second. One
// sync serves every batch committed before it began.
func (s *Store) syncLoop() {
	defer close(s.stopped)
	defer func() {
		if s.wal != nil {
			s.wal.Close()
		}
	}()
	var pending []synced
	for b := range s.synq {
		pending = append(pending[:0], b)
	more:
		for {
			select {
			case b, ok := <-s.synq:
				if !ok {
					break more
				}
				pending = append(pending, b)
			default:
				break more
			}
		}
		err := s.syncWAL()
		if err != nil {
			err = &syncError{err}
		}
		added := false
		for _, b := range pending {
			added = added || b.outboxAdded
			for _, j := range b.jobs {
				if j.err == nil {
					j.err = err
				}
				j.done <- j.err
			}
		}
		s.afterCommit(added && err == nil)
		clear(pending)
	}
}

// syncWAL puts the WAL on disk: fsync on any handle of a file writes all
// of its pages, whichever handle wrote them. The handle is opened again
// should the WAL have been replaced (deleted by the last connection to
// close, which the writer's staying open prevents but the pool may not).
func (s *Store) syncWAL() error {
	name := s.path + "-wal"
	if s.wal != nil {
		a, errA := s.wal.Stat()
		b, errB := os.Stat(name)
		if errA != nil || errB != nil || !os.SameFile(a, b) {
			s.wal.Close()
			s.wal = nil
		}
	}
	if s.wal == nil {
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			// No WAL (the journal left WAL mode): commits went to
			// the database file itself.
			if f, err = os.Open(s.path); err != nil {
				return err
			}
			defer f.Close()
			return f.Sync()
		}
		if err != nil {
			return err
		}
		s.wal = f
	}
	return s.wal.Sync()
}

func (s *Store) runAlone(fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	// outboxAdded says whether what the batch kept added outbox rows: a
	// job rolled back leaves it as the jobs before it set it.
	kept := s.outboxAdded.Swap(false)
	err = run(fn, tx)
	if err != nil {
		_ = tx.Rollback()
		s.outboxAdded.Store(kept)
		return err
	}
	if err := tx.Commit(); err != nil {
		s.outboxAdded.Store(kept)
		return fmt.Errorf("store: commit: %w", err)
	}
	if kept {
		s.outboxAdded.Store(true)
	}
	return nil
}

// runTogether runs the jobs in one transaction, setting each one's
// error; false means the transaction was lost and nothing was kept.
func (s *Store) runTogether(jobs []*txJob) bool {
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		return false
	}
	ctx := context.Background()
	for _, j := range jobs {
		if _, err := s.txExec(ctx, tx, "SAVEPOINT job"); err != nil {
			_ = tx.Rollback()
			return false
		}
		if j.err = run(j.fn, tx); j.err != nil {
			if _, err := s.txExec(ctx, tx, "ROLLBACK TO job"); err != nil {
				_ = tx.Rollback()
				return false
			}
		}
		if _, err := s.txExec(ctx, tx, "RELEASE job"); err != nil {
			_ = tx.Rollback()
			return false
		}
	}
	if err := tx.Commit(); err != nil {
		return false
	}
	s.shared.Add(int64(len(jobs)))
	return true
}

func (s *Store) afterCommit(outboxAdded bool) {
	if hook := s.outboxHook.Load(); outboxAdded && hook != nil {
		(*hook)()
	}
}

// noteWrite records how a write ended, for Health, and marks storage
// failures so callers can answer 503 rather than 500.
func (s *Store) noteWrite(err error) error {
	if err == nil {
		s.writeErr.Store(nil)
		return nil
	}
	if !isStorageFailure(err) {
		return err
	}
	err = fmt.Errorf("%w: %w", model.ErrStorage, err)
	s.writeErr.Store(&err)
	return err
}

// syncError is the syncer's failure to put the WAL on disk: the writes it
// should have made durable may be lost, which is the storage failing.
type syncError struct{ err error }

func (e *syncError) Error() string { return "store: sync: " + e.err.Error() }
func (e *syncError) Unwrap() error { return e.err }

func isStorageFailure(err error) bool {
	if se := (*syncError)(nil); errors.As(err, &se) {
		return true
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// Check runs SQLite's quick integrity check, beside a starting server;
// what it finds also makes Health fail.
func (s *Store) Check(ctx context.Context) error {
	problems, err := s.quickCheck(ctx)
	if ctx.Err() != nil {
		return ctx.Err() // stopped, not damaged
	}
	if err == nil && len(problems) > 0 {
		err = errors.New(strings.Join(problems, "; "))
	}
	if err != nil {
		err = fmt.Errorf("%w: the database file %s is damaged (%v); restore a backup", model.ErrStorage, s.path, err)
		s.checkErr.Store(&err)
	}
	return err
}

func (s *Store) quickCheck(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" && len(problems) < 5 {
			problems = append(problems, line)
		}
	}
	return problems, rows.Err()
}

// minFree is the free disk space below which Health reports a problem
// before writes start failing.
const minFree = 16 << 20

// Health reports why the database cannot serve, or nil: it does not answer,
// the start-up check found damage, the last write failed for lack of disk
// or permission, or the disk is almost full.
func (s *Store) Health(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return err
	}
	if p := s.checkErr.Load(); p != nil {
		return *p
	}
	if p := s.writeErr.Load(); p != nil {
		return fmt.Errorf("the last write failed: %w", *p)
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(s.path), &fs); err == nil {
		if free := uint64(fs.Bavail) * uint64(fs.Bsize); free < minFree {
			return fmt.Errorf("%w: only %d KiB left on the disk holding %s", model.ErrStorage, free>>10, s.path)
		}
	}
	return nil
}

// Backup writes a consistent copy of the live database to dest with
// VACUUM INTO; dest must not exist.
func (s *Store) Backup(ctx context.Context, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("store: backup: %s already exists", dest)
	}
	if _, err := s.w.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return fmt.Errorf("store: backup to %s: %w", dest, err)
	}
	return nil
}

// collect runs a read query and scans every row with scan; what names the
// query in errors.
func collect[T any](ctx context.Context, db *sql.DB, what string, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	return collectRows(rows, err, what, scan)
}

// collectRows reads what a query returned, closing the rows.
func collectRows[T any](rows *sql.Rows, err error, what string, scan func(*sql.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

func scanUserRow(r *sql.Rows) (*model.User, error)       { return scanUser(r) }
func scanChannelRow(r *sql.Rows) (*model.Channel, error) { return scanChannel(r) }
func scanSessionRow(r *sql.Rows) (*model.Session, error) { return scanSession(r) }

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

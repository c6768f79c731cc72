package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"parley/app/model"
)

// The outbox: rows to deliver outside Parley, written in the transaction of
// what caused them and delivered by app/outbox's worker.

// OnOutbox registers fn to run after every commit that added outbox rows,
// so the worker delivers them at once instead of at its next poll. Set it
// once.
func (s *Store) OnOutbox(fn func()) { s.outboxHook.Store(&fn) }

// EnqueueTx adds item to the outbox inside tx, which must come from Tx: the
// item is committed, or not, with what caused it.
func (s *Store) EnqueueTx(tx *sql.Tx, item *model.OutboxItem) error {
	now := time.Now().UTC()
	item.Status, item.Attempts, item.CreatedAt = model.OutboxQueued, 0, now
	if item.NextAttemptAt.IsZero() {
		item.NextAttemptAt = now
	}
	if len(item.Payload) == 0 {
		item.Payload = []byte("{}")
	}
	res, err := tx.Exec(`INSERT INTO outbox (kind, ref, payload, status, next_attempt_at, created_at) VALUES (?, ?, ?, 'queued', ?, ?)`,
		item.Kind, item.Ref, string(item.Payload), ms(item.NextAttemptAt), ms(now))
	if err != nil {
		return fmt.Errorf("store: enqueue %s: %w", item.Kind, err)
	}
	item.ID, _ = res.LastInsertId()
	// The writer pool has one connection, so the transaction running now
	// is the one that added the row; Tx wakes the worker after its commit.
	s.outboxAdded.Store(true)
	return nil
}

// Enqueue adds item to the outbox in a transaction of its own.
func (s *Store) Enqueue(ctx context.Context, item *model.OutboxItem) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return s.EnqueueTx(tx, item) })
}

const outboxCols = `id, kind, ref, payload, status, attempts, next_attempt_at, last_error, created_at, done_at`

func scanOutbox(row interface{ Scan(...any) error }) (model.OutboxItem, error) {
	var it model.OutboxItem
	var payload string
	var next, created int64
	var done sql.NullInt64
	err := row.Scan(&it.ID, &it.Kind, &it.Ref, &payload, &it.Status, &it.Attempts, &next, &it.LastError, &created, &done)
	it.Payload, it.NextAttemptAt, it.CreatedAt, it.DoneAt = []byte(payload), fromMS(next), fromMS(created), nullMS(done)
	return it, err
}

// OutboxItem returns one outbox row.
func (s *Store) OutboxItem(ctx context.Context, id int64) (model.OutboxItem, error) {
	it, err := scanOutbox(s.r.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return it, fmt.Errorf("store: outbox item %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return it, fmt.Errorf("store: outbox item %d: %w", id, err)
	}
	return it, nil
}

// ClaimOutbox marks up to limit queued rows of the given kinds that are due
// at now as sending, and returns them, oldest due first.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, kinds []string, limit int) ([]model.OutboxItem, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	args := []any{ms(now)}
	in := ""
	for i, k := range kinds {
		if i > 0 {
			in += ", "
		}
		in += "?"
		args = append(args, k)
	}
	args = append(args, limit)
	var out []model.OutboxItem
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE outbox SET status = 'sending'
			WHERE id IN (SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? AND kind IN (`+in+`)
			             ORDER BY next_attempt_at, id LIMIT ?)
			RETURNING `+outboxCols, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanOutbox(rows)
			if err != nil {
				return err
			}
			out = append(out, it)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim outbox: %w", err)
	}
	return out, nil
}

// NextOutboxDue returns when the earliest queued row of the given kinds is
// due; ErrNotFound when none is queued.
func (s *Store) NextOutboxDue(ctx context.Context, kinds []string) (time.Time, error) {
	if len(kinds) == 0 {
		return time.Time{}, fmt.Errorf("store: next outbox due: %w", ErrNotFound)
	}
	args := []any{}
	in := ""
	for i, k := range kinds {
		if i > 0 {
			in += ", "
		}
		in += "?"
		args = append(args, k)
	}
	var next sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'queued' AND kind IN (`+in+`)`, args...).Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("store: next outbox due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, fmt.Errorf("store: next outbox due: %w", ErrNotFound)
	}
	return fromMS(next.Int64), nil
}

// OutboxSent records a delivery.
func (s *Store) OutboxSent(ctx context.Context, id int64) error {
	return s.outboxUpdate(ctx, id, `UPDATE outbox SET status = 'sent', attempts = attempts + 1, last_error = '', done_at = ? WHERE id = ?`, ms(time.Now()), id)
}

// OutboxRetry records a failed attempt to be tried again at next.
func (s *Store) OutboxRetry(ctx context.Context, id int64, next time.Time, errText string) error {
	return s.outboxUpdate(ctx, id, `UPDATE outbox SET status = 'queued', attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`, ms(next), errText, id)
}

// OutboxWait puts a row back in the queue until next without counting an
// attempt: it could not be tried (nothing configured to deliver it yet).
func (s *Store) OutboxWait(ctx context.Context, id int64, next time.Time, why string) error {
	return s.outboxUpdate(ctx, id, `UPDATE outbox SET status = 'queued', next_attempt_at = ?, last_error = ? WHERE id = ?`, ms(next), why, id)
}

// OutboxDueNow makes every queued row of kind due at once, for when what
// held them back (the mail settings) changed.
func (s *Store) OutboxDueNow(ctx context.Context, kind string) error {
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ? WHERE status = 'queued' AND kind = ? AND next_attempt_at > ?`, ms(time.Now()), kind, ms(time.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			s.outboxAdded.Store(true)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: outbox due now: %w", err)
	}
	return nil
}

// OutboxFailed records a failed attempt after which nothing is tried again.
func (s *Store) OutboxFailed(ctx context.Context, id int64, errText string) error {
	return s.outboxUpdate(ctx, id, `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, done_at = ? WHERE id = ?`, errText, ms(time.Now()), id)
}

// RetryOutboxNow queues a queued or failed row for delivery at once; a row
// being sent or already sent is left alone (ErrNotFound).
func (s *Store) RetryOutboxNow(ctx context.Context, id int64) error {
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'queued', next_attempt_at = ?, done_at = NULL WHERE id = ? AND status IN ('queued', 'failed')`, ms(time.Now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		s.outboxAdded.Store(true)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: retry outbox item %d: %w", id, err)
	}
	return nil
}

// RequeueSending puts rows a stopped worker left in "sending" back in the
// queue, for start-up: a crash mid-delivery may send twice but never loses.
func (s *Store) RequeueSending(ctx context.Context) (int, error) {
	res, err := s.exec(ctx, `UPDATE outbox SET status = 'queued' WHERE status = 'sending'`)
	if err != nil {
		return 0, fmt.Errorf("store: requeue outbox: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (s *Store) outboxUpdate(ctx context.Context, id int64, query string, args ...any) error {
	res, err := s.exec(ctx, query, args...)
	if err != nil {
		return s.noteWrite(fmt.Errorf("store: outbox item %d: %w", id, err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: outbox item %d: %w", id, ErrNotFound)
	}
	return nil
}

// OutboxFilter selects outbox rows for the admin's list.
type OutboxFilter struct {
	Kind   string             // "" for every kind
	Status model.OutboxStatus // "" for every status
	Limit  int
}

// OutboxPage lists outbox rows, newest first.
func (s *Store) OutboxPage(ctx context.Context, f OutboxFilter) ([]model.OutboxItem, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	return collect(ctx, s.r, "outbox", func(r *sql.Rows) (model.OutboxItem, error) { return scanOutbox(r) },
		`SELECT `+outboxCols+` FROM outbox WHERE (? = '' OR kind = ?) AND (? = '' OR status = ?) ORDER BY id DESC LIMIT ?`,
		f.Kind, f.Kind, string(f.Status), string(f.Status), f.Limit)
}

// OutboxDepth counts the rows of kind ("" for all) waiting for delivery
// (queued or being sent).
func (s *Store) OutboxDepth(ctx context.Context, kind string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending') AND (? = '' OR kind = ?)`, kind, kind).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: outbox depth: %w", err)
	}
	return n, nil
}

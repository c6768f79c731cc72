package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/app/model"
)

// digestWeekKey is the settings row holding the Monday of the last week
// the weekly digest was mailed for.
const digestWeekKey = "digest.last_week"

// DigestRecipients are the active admins who keep the weekly digest.
func (s *Store) DigestRecipients(ctx context.Context) ([]*model.User, error) {
	active := true
	list, err := s.FilterUsers(ctx, UserFilter{Active: &active, Limit: 10000})
	if err != nil {
		return nil, err
	}
	off := map[int64]bool{}
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM users WHERE digest_mail = 0`)
	if err != nil {
		return nil, fmt.Errorf("store: digest recipients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: digest recipients: %w", err)
		}
		off[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: digest recipients: %w", err)
	}
	var out []*model.User
	for _, u := range list {
		if u.IsAdmin() && !off[u.ID] {
			out = append(out, u)
		}
	}
	return out, nil
}

// DigestMail says whether a user keeps the weekly digest.
func (s *Store) DigestMail(ctx context.Context, userID int64) (bool, error) {
	var on int
	if err := s.r.QueryRowContext(ctx, `SELECT digest_mail FROM users WHERE id = ?`, userID).Scan(&on); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, ErrNotFound
		}
		return false, fmt.Errorf("store: digest mail %d: %w", userID, err)
	}
	return on != 0, nil
}

// SetDigestMail records a user's choice.
func (s *Store) SetDigestMail(ctx context.Context, userID int64, on bool) error {
	if _, err := s.exec(ctx, `UPDATE users SET digest_mail = ? WHERE id = ?`, b2i(on), userID); err != nil {
		return s.noteWrite(fmt.Errorf("store: set digest mail %d: %w", userID, err))
	}
	return s.noteWrite(nil)
}

// DigestWeek is the Monday (YYYY-MM-DD) of the last week mailed; "" before
// the first.
func (s *Store) DigestWeek(ctx context.Context) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, digestWeekKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: digest week: %w", err)
	}
	return v, nil
}

// SaveDigest records week as mailed and queues its mails, together; it
// does nothing and says false when week was already recorded, so two
// starts racing mail it once.
func (s *Store) SaveDigest(ctx context.Context, week string, mails []*model.OutboxItem) (bool, error) {
	var saved bool
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?1, ?2)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE value < excluded.value`, digestWeekKey, week)
		if err != nil {
			return fmt.Errorf("store: save digest: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		saved = true
		for _, it := range mails {
			if err := s.EnqueueTx(tx, it); err != nil {
				return err
			}
		}
		return nil
	})
	return saved, err
}

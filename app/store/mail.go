package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"parley/app/model"
)

// Queries behind the mails Parley sends: conversations nobody answered,
// and invitations to set a password.

// MissedSessions lists conversations started between after and before in
// which no operator has written to the visitor (internal notes do not
// count) and about which nobody was told yet.
func (s *Store) MissedSessions(ctx context.Context, after, before time.Time, limit int) ([]*model.Session, error) {
	return s.sessions(ctx, ` WHERE s.created_at > ? AND s.created_at <= ? AND s.missed_mailed_at IS NULL AND s.channel_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id AND m.author_kind = 'operator' AND m.internal = 0)
		ORDER BY s.id LIMIT ?`, ms(after), ms(before), limit)
}

// MarkMissedMailed records that the operators are told about session id,
// with the outbox items telling them, in one transaction; false (and
// nothing queued) when they already were.
func (s *Store) MarkMissedMailed(ctx context.Context, id int64, notify []*model.OutboxItem) (bool, error) {
	var marked bool
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE chat_sessions SET missed_mailed_at = ? WHERE id = ? AND missed_mailed_at IS NULL`, ms(time.Now()), id)
		if err != nil {
			return fmt.Errorf("store: mark missed %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		marked = true
		for _, it := range notify {
			if err := s.EnqueueTx(tx, it); err != nil {
				return err
			}
		}
		return nil
	})
	return marked, err
}

// Invite is a one-time link to set a password.
type Invite struct {
	UserID    int64
	ExpiresAt time.Time
	UsedAt    time.Time
}

// CreateUserWithInvite inserts u (ErrConflict when the email is taken), the
// invitation whose token hashes to tokenHash, and the outbox item mailing
// it, in one transaction. compose makes the item once u has its id.
func (s *Store) CreateUserWithInvite(ctx context.Context, u *model.User, tokenHash string, expires time.Time, compose func(*model.User) (*model.OutboxItem, error)) error {
	now := time.Now().UTC()
	u.CreatedAt = now
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, chat_name, role, password_hash, created_at, language) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.Email, u.Name, u.ChatName, string(u.Role), u.PasswordHash, ms(now), u.Language)
		if isUnique(err) {
			return fmt.Errorf("store: create user %s: %w", u.Email, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create user: %w", err)
		}
		u.ID, _ = res.LastInsertId()
		u.Active = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_invites (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			tokenHash, u.ID, ms(now), ms(expires)); err != nil {
			return fmt.Errorf("store: create invite: %w", err)
		}
		it, err := compose(u)
		if err != nil {
			return err
		}
		return s.EnqueueTx(tx, it)
	})
}

// InviteByToken returns the invitation whose token hashes to tokenHash.
func (s *Store) InviteByToken(ctx context.Context, tokenHash string) (Invite, error) {
	var in Invite
	var exp int64
	var used sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT user_id, expires_at, used_at FROM user_invites WHERE token_hash = ?`, tokenHash).Scan(&in.UserID, &exp, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("store: invite: %w", ErrNotFound)
	}
	if err != nil {
		return in, fmt.Errorf("store: invite: %w", err)
	}
	in.ExpiresAt, in.UsedAt = fromMS(exp), nullMS(used)
	return in, nil
}

// UseInvite spends the invitation and sets the user's password hash in one
// transaction; ErrNotFound when it is unknown, used or expired at now.
func (s *Store) UseInvite(ctx context.Context, tokenHash, passwordHash string, now time.Time) (int64, error) {
	var userID int64
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE user_invites SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id`,
			ms(now), tokenHash, ms(now)).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?`, passwordHash, userID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: use invite: %w", err)
	}
	return userID, nil
}

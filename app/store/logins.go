package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"parley/app/model"
)

// CreateLoginSession stores a new signed-in session.
func (s *Store) CreateLoginSession(ctx context.Context, ls *model.LoginSession) error {
	_, err := s.exec(ctx,
		`INSERT INTO login_sessions (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ls.ID, ls.UserID, ms(ls.CreatedAt), ms(ls.ExpiresAt), ms(ls.LastSeenAt), ls.IP, ls.UserAgent)
	if err != nil {
		return fmt.Errorf("store: create login session: %w", err)
	}
	return nil
}

// LoginSession returns an unexpired session with its user.
func (s *Store) LoginSession(ctx context.Context, id string, now time.Time) (*model.LoginSession, *model.User, error) {
	var ls model.LoginSession
	var created, expires, seen int64
	row := s.r.QueryRowContext(ctx,
		`SELECT `+userColsU+`, ls.id, ls.user_id, ls.created_at, ls.expires_at, ls.last_seen_at, ls.ip, ls.user_agent
		 FROM login_sessions ls JOIN users u ON u.id = ls.user_id
		 WHERE ls.id = ? AND ls.expires_at > ?`, id, ms(now))
	u, err := scanUser(row, &ls.ID, &ls.UserID, &created, &expires, &seen, &ls.IP, &ls.UserAgent)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("store: login session: %w", ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: login session: %w", err)
	}
	ls.CreatedAt, ls.ExpiresAt, ls.LastSeenAt = fromMS(created), fromMS(expires), fromMS(seen)
	return &ls, u, nil
}

// ExtendLoginSession slides a session's expiry forward.
func (s *Store) ExtendLoginSession(ctx context.Context, id string, seen, expires time.Time) error {
	if _, err := s.exec(ctx, `UPDATE login_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`, ms(seen), ms(expires), id); err != nil {
		return fmt.Errorf("store: extend login session: %w", err)
	}
	return nil
}

// DeleteLoginSession signs a session out.
func (s *Store) DeleteLoginSession(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, `DELETE FROM login_sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: delete login session: %w", err)
	}
	return nil
}

// DeleteUserLoginSessions signs a user out everywhere except keepID.
func (s *Store) DeleteUserLoginSessions(ctx context.Context, userID int64, keepID string) error {
	if _, err := s.exec(ctx, `DELETE FROM login_sessions WHERE user_id = ? AND id <> ?`, userID, keepID); err != nil {
		return fmt.Errorf("store: delete login sessions: %w", err)
	}
	return nil
}

// PurgeExpiredLoginSessions removes sessions past their expiry.
func (s *Store) PurgeExpiredLoginSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM login_sessions WHERE expires_at <= ?`, ms(now))
	if err != nil {
		return 0, fmt.Errorf("store: purge login sessions: %w", err)
	}
	return res.RowsAffected()
}

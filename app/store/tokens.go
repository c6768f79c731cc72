package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"parley/app/model"
)

// CreateAPIToken stores a token by its hash.
func (s *Store) CreateAPIToken(ctx context.Context, t *model.APIToken, hash string) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now().UTC()
	}
	res, err := s.exec(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, hint, created_at) VALUES (?, ?, ?, ?, ?)`,
		t.UserID, t.Name, hash, t.Hint, ms(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create api token: %w", err)
	}
	t.ID, _ = res.LastInsertId()
	return nil
}

// APITokens lists a user's tokens, newest first.
func (s *Store) APITokens(ctx context.Context, userID int64) ([]model.APIToken, error) {
	return collect(ctx, s.r, "api tokens", func(r *sql.Rows) (model.APIToken, error) {
		var t model.APIToken
		var created int64
		var used sql.NullInt64
		err := r.Scan(&t.ID, &t.UserID, &t.Name, &t.Hint, &created, &used)
		t.CreatedAt, t.LastUsedAt = fromMS(created), nullMS(used)
		return t, err
	}, `SELECT id, user_id, name, hint, created_at, last_used_at FROM api_tokens WHERE user_id = ? ORDER BY id DESC`, userID)
}

var userByAPITokenSQL = `SELECT ` + userColsU + `, t.id, t.last_used_at
	FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`

// UserByAPIToken returns the owner of the token with hash and records its use.
func (s *Store) UserByAPIToken(ctx context.Context, hash string, now time.Time) (*model.User, error) {
	var tokenID int64
	var lastUsed sql.NullInt64
	u, err := scanUser(s.queryRowCached(ctx, userByAPITokenSQL, hash), &tokenID, &lastUsed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: api token: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: api token: %w", err)
	}
	// Record use at most once a minute: this runs on every API call and the
	// writer is shared with chat messages.
	if !lastUsed.Valid || now.Sub(fromMS(lastUsed.Int64)) > time.Minute {
		if _, err := s.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, ms(now), tokenID); err != nil {
			return nil, fmt.Errorf("store: api token use: %w", err)
		}
	}
	return u, nil
}

// DeleteAPIToken revokes a token of userID.
func (s *Store) DeleteAPIToken(ctx context.Context, userID, id int64) error {
	res, err := s.exec(ctx, `DELETE FROM api_tokens WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("store: delete api token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: delete api token %d: %w", id, ErrNotFound)
	}
	return nil
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"parley/app/model"
)

// Canned responses.

func scanCanned(row interface{ Scan(...any) error }) (*model.CannedResponse, error) {
	var c model.CannedResponse
	var texts string
	var created int64
	if err := row.Scan(&c.ID, &c.Shortcut, &c.Substitution, &texts, &created); err != nil {
		return nil, err
	}
	if texts != "" && texts != "{}" {
		if err := json.Unmarshal([]byte(texts), &c.Texts); err != nil {
			return nil, fmt.Errorf("canned response %d texts: %w", c.ID, err)
		}
	}
	c.CreatedAt = fromMS(created)
	return &c, nil
}

// CannedResponses lists every canned response by shortcut.
func (s *Store) CannedResponses(ctx context.Context) ([]*model.CannedResponse, error) {
	return collect(ctx, s.r, "canned responses", rows(scanCanned),
		`SELECT id, shortcut, substitution, texts, created_at FROM canned_responses ORDER BY shortcut, id`)
}

// CannedResponse returns one canned response.
func (s *Store) CannedResponse(ctx context.Context, id int64) (*model.CannedResponse, error) {
	c, err := scanCanned(s.r.QueryRowContext(ctx, `SELECT id, shortcut, substitution, texts, created_at FROM canned_responses WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: canned response %d: %w", id, err)
	}
	return c, nil
}

// CannedByShortcut returns the canned response with that shortcut, in any
// letter case.
func (s *Store) CannedByShortcut(ctx context.Context, shortcut string) (*model.CannedResponse, error) {
	c, err := scanCanned(s.r.QueryRowContext(ctx, `SELECT id, shortcut, substitution, texts, created_at FROM canned_responses WHERE shortcut = ?`, shortcut))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: canned response %q: %w", shortcut, err)
	}
	return c, nil
}

// SaveCannedResponse inserts c (ID 0) or updates it; ErrConflict when
// another one has the shortcut.
func (s *Store) SaveCannedResponse(ctx context.Context, c *model.CannedResponse) error {
	texts := "{}"
	if len(c.Texts) > 0 {
		b, err := json.Marshal(c.Texts)
		if err != nil {
			return fmt.Errorf("store: canned response texts: %w", err)
		}
		texts = string(b)
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if c.ID == 0 {
			c.CreatedAt = time.Now().UTC()
			res, err = tx.ExecContext(ctx, `INSERT INTO canned_responses (shortcut, substitution, texts, created_at) VALUES (?, ?, ?, ?)`,
				c.Shortcut, c.Substitution, texts, ms(c.CreatedAt))
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE canned_responses SET shortcut = ?, substitution = ?, texts = ? WHERE id = ?`,
				c.Shortcut, c.Substitution, texts, c.ID)
		}
		if isUnique(err) {
			return fmt.Errorf("store: canned response %q: %w", c.Shortcut, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: save canned response: %w", err)
		}
		if c.ID == 0 {
			c.ID, _ = res.LastInsertId()
		} else if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// DeleteCannedResponse deletes one.
func (s *Store) DeleteCannedResponse(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM canned_responses WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("store: delete canned response %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// CountCannedResponses says whether any exist (first-run data).
func (s *Store) CountCannedResponses(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM canned_responses`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count canned responses: %w", err)
	}
	return n, nil
}

package store

import (
	"context"
	"fmt"
)

// SetupProgress is what the first-run checklist counts: the users who can
// log in and whether any conversation ever started.
type SetupProgress struct {
	ActiveUsers int
	AnySession  bool
}

// SetupProgress reads the first-run checklist's counts in one query.
func (s *Store) SetupProgress(ctx context.Context) (SetupProgress, error) {
	var p SetupProgress
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users WHERE active = 1),
		EXISTS (SELECT 1 FROM chat_sessions)`).Scan(&p.ActiveUsers, &p.AnySession)
	if err != nil {
		return p, fmt.Errorf("store: setup progress: %w", err)
	}
	return p, nil
}

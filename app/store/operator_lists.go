package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/app/model"
)

// Queries behind the operator's lists: Visitors paging, offline messages
// paging and the unhandled badge.

// CountVisitors counts every visitor, for paging the Visitors list.
func (s *Store) CountVisitors(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM visitors`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count visitors: %w", err)
	}
	return n, nil
}

const offlineCols = `id, COALESCE(channel_id, 0), COALESCE(visitor_id, 0), name, email, body, url, created_at, handled_at`

func scanOffline(row interface{ Scan(...any) error }) (model.OfflineMessage, error) {
	var m model.OfflineMessage
	var created int64
	var handled sql.NullInt64
	if err := row.Scan(&m.ID, &m.ChannelID, &m.VisitorID, &m.Name, &m.Email, &m.Body, &m.URL, &created, &handled); err != nil {
		return m, err
	}
	m.CreatedAt, m.HandledAt = fromMS(created), nullMS(handled)
	return m, nil
}

// OfflineMessage returns one message left offline.
func (s *Store) OfflineMessage(ctx context.Context, id int64) (model.OfflineMessage, error) {
	m, err := scanOffline(s.r.QueryRowContext(ctx, `SELECT `+offlineCols+` FROM offline_messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("store: offline message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("store: offline message %d: %w", id, err)
	}
	return m, nil
}

// OfflineMessagesPage lists messages left offline, unhandled first, newest
// first, with paging.
func (s *Store) OfflineMessagesPage(ctx context.Context, limit, offset int) ([]model.OfflineMessage, error) {
	return collect(ctx, s.r, "offline messages", func(r *sql.Rows) (model.OfflineMessage, error) { return scanOffline(r) },
		`SELECT `+offlineCols+` FROM offline_messages
		 ORDER BY handled_at IS NOT NULL, created_at DESC, id DESC LIMIT ? OFFSET ?`, limit, offset)
}

// CountOfflineMessages returns how many messages were left offline in all
// and how many nobody has handled yet.
func (s *Store) CountOfflineMessages(ctx context.Context) (total, unhandled int, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE handled_at IS NULL) FROM offline_messages`).Scan(&total, &unhandled)
	if err != nil {
		return 0, 0, fmt.Errorf("store: count offline messages: %w", err)
	}
	return total, unhandled, nil
}

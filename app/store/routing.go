package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"parley/app/model"
)

// ChannelRouting returns a channel's office hours and chat maximum; a
// channel that never set them gets the zero value (always open, no maximum).
func (s *Store) ChannelRouting(ctx context.Context, channelID int64) (*model.ChannelRouting, error) {
	r := &model.ChannelRouting{ChannelID: channelID}
	var enabled int
	err := s.r.QueryRowContext(ctx, `SELECT hours_enabled, timezone, hours, holidays, away_message, max_chats
		FROM channel_routing WHERE channel_id = ?`, channelID).
		Scan(&enabled, &r.Timezone, &r.Hours, &r.Holidays, &r.AwayMessage, &r.MaxChats)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: channel %d routing: %w", channelID, err)
	}
	r.HoursEnabled = enabled != 0
	return r, nil
}

// SaveChannelRouting stores a channel's office hours and chat maximum.
func (s *Store) SaveChannelRouting(ctx context.Context, r *model.ChannelRouting) error {
	_, err := s.exec(ctx, `INSERT INTO channel_routing (channel_id, hours_enabled, timezone, hours, holidays, away_message, max_chats, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel_id) DO UPDATE SET hours_enabled = excluded.hours_enabled, timezone = excluded.timezone,
		  hours = excluded.hours, holidays = excluded.holidays, away_message = excluded.away_message,
		  max_chats = excluded.max_chats, updated_at = excluded.updated_at`,
		r.ChannelID, b2i(r.HoursEnabled), r.Timezone, r.Hours, r.Holidays, r.AwayMessage, r.MaxChats, ms(time.Now()))
	if err != nil {
		return fmt.Errorf("store: channel %d routing: %w", r.ChannelID, err)
	}
	return nil
}

// ChatCap is an operator's own maximum of concurrent chats (0: the
// channel's), how many open conversations they have now, and the language
// they read the admin in (My Profile's, else their browser's).
type ChatCap struct {
	Max, Open int
	Language  string
}

// OperatorChatCaps returns the ChatCap of each user in ids.
func (s *Store) OperatorChatCaps(ctx context.Context, ids []int64) (map[int64]ChatCap, error) {
	out := make(map[int64]ChatCap, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	// The ids go as one JSON array, so the statement's text is the same
	// for any number of operators and stays prepared.
	rows, err := s.queryCached(ctx, `SELECT u.id, u.max_chats, COALESCE(o.open, 0),
		  CASE WHEN u.language != '' THEN u.language ELSE u.browser_language END
		FROM users u LEFT JOIN operator_open_chats o ON o.user_id = u.id WHERE u.id IN (SELECT value FROM json_each(?))`, jsonIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("store: operator chat caps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c ChatCap
		if err := rows.Scan(&id, &c.Max, &c.Open, &c.Language); err != nil {
			return nil, fmt.Errorf("store: operator chat caps: %w", err)
		}
		out[id] = c
	}
	return out, rows.Err()
}

// UserMaxChats returns a user's own maximum of concurrent chats (0: none).
func (s *Store) UserMaxChats(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.queryRowCached(ctx, `SELECT max_chats FROM users WHERE id = ?`, userID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: user %d max chats: %w", userID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: user %d max chats: %w", userID, err)
	}
	return n, nil
}

// SetUserMaxChats sets a user's own maximum of concurrent chats (0: none).
func (s *Store) SetUserMaxChats(ctx context.Context, userID int64, n int) error {
	res, err := s.exec(ctx, `UPDATE users SET max_chats = ? WHERE id = ?`, n, userID)
	if err != nil {
		return fmt.Errorf("store: user %d max chats: %w", userID, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("store: user %d max chats: %w", userID, ErrNotFound)
	}
	return nil
}

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

// RoutingFigures are what choosing an operator for a chat reads of one
// candidate: their own maximum of concurrent chats (0: the channel's),
// their open conversations now (every channel), their load (those open
// plus those closed since the load's start that had a message after it),
// the language they read the admin in (My Profile's, else their
// browser's) and the names a visitor sees.
type RoutingFigures struct {
	Max, Open, Load int
	Language        string
	Name, ChatName  string
}

// OperatorRouting returns, in one read, how many visitors wait in
// channelID's queue and the RoutingFigures of each of its operators, with
// the load counted from loadSince. Choosing an operator used to read
// these in five statements; each read of the pool pays for a page cache
// that every commit empties. A chat's start reads them inside its write
// instead (StartChat).
func (s *Store) OperatorRouting(ctx context.Context, channelID int64, loadSince time.Time) (waiting int, figs map[int64]RoutingFigures, err error) {
	rows, err := s.queryCached(ctx, routingSQL, channelID, ms(loadSince))
	if err != nil {
		return 0, nil, fmt.Errorf("store: operator routing: %w", err)
	}
	return scanRouting(rows)
}

// routingSQL reads the queue of channel ?1 and the figures of its
// operators, the load from ?2. The queue's count comes on every row, and
// on a row of its own when the channel has no operator. (Naming the
// candidates in a JSON array instead cost a third more: SQLite builds a
// temporary index of an IN list.)
const routingSQL = `WITH w(n) AS (SELECT count(*) FROM chat_sessions WHERE channel_id = ?1 AND ` + waitingWhere + `)
	SELECT w.n, COALESCE(u.id, 0), COALESCE(u.max_chats, 0), COALESCE(o.open, 0),
	  COALESCE(o.open, 0) + (SELECT count(*) FROM chat_sessions x
	    WHERE x.operator_id = u.id AND x.status = 'closed' AND x.closed_at > ?2 AND x.last_message_at > ?2),
	  COALESCE(CASE WHEN u.language != '' THEN u.language ELSE u.browser_language END, ''),
	  COALESCE(u.name, ''), COALESCE(u.chat_name, '')
	FROM w LEFT JOIN channel_operators co ON co.channel_id = ?1
	LEFT JOIN users u ON u.id = co.user_id
	LEFT JOIN operator_open_chats o ON o.user_id = u.id`

func scanRouting(rows *sql.Rows) (waiting int, figs map[int64]RoutingFigures, err error) {
	defer rows.Close()
	figs = make(map[int64]RoutingFigures)
	for rows.Next() {
		var id int64
		var f RoutingFigures
		if err := rows.Scan(&waiting, &id, &f.Max, &f.Open, &f.Load, &f.Language, &f.Name, &f.ChatName); err != nil {
			return 0, nil, fmt.Errorf("store: operator routing: %w", err)
		}
		if id != 0 {
			figs[id] = f
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("store: operator routing: %w", err)
	}
	return waiting, figs, nil
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

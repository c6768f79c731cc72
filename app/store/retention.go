package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"parley/app/model"
)

// OfflineMessagesOfVisitor lists what a visitor left while nobody was
// available, oldest first (for their data export).
func (s *Store) OfflineMessagesOfVisitor(ctx context.Context, visitorID int64) ([]model.OfflineMessage, error) {
	return collect(ctx, s.r, "offline messages of visitor", func(r *sql.Rows) (model.OfflineMessage, error) { return scanOffline(r) },
		`SELECT `+offlineCols+` FROM offline_messages WHERE visitor_id = ? ORDER BY id`, visitorID)
}

// EraseVisitor deletes a visitor and everything about them: their
// conversations with their messages, their page views and the messages
// they left offline. It returns how many conversations went.
func (s *Store) EraseVisitor(ctx context.Context, id int64) (sessions int, err error) {
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chat_sessions WHERE visitor_id = ?`, id).Scan(&sessions); err != nil {
			return fmt.Errorf("store: erase visitor %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM offline_messages WHERE visitor_id = ?`, id); err != nil {
			return fmt.Errorf("store: erase visitor %d: %w", id, err)
		}
		// Conversations, messages, read marks and page views cascade.
		res, err := tx.ExecContext(ctx, `DELETE FROM visitors WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("store: erase visitor %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: erase visitor %d: %w", id, ErrNotFound)
		}
		return nil
	})
	return sessions, err
}

// DeleteBefore deletes the ended conversations whose last activity is
// older than before (their messages cascade), older page views and
// offline messages, and visitors not seen since who have no conversation
// left.
func (s *Store) DeleteBefore(ctx context.Context, before time.Time) (model.Retained, error) {
	var r model.Retained
	t := ms(before)
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []struct {
			n   *int64
			sql string
		}{
			{&r.Sessions, `DELETE FROM chat_sessions WHERE status = 'closed' AND COALESCE(last_message_at, created_at) < ?`},
			{&r.PageViews, `DELETE FROM page_views WHERE created_at < ?`},
			{&r.OfflineMessages, `DELETE FROM offline_messages WHERE created_at < ?`},
			{&r.Visitors, `DELETE FROM visitors WHERE last_seen_at < ? AND NOT EXISTS (SELECT 1 FROM chat_sessions x WHERE x.visitor_id = visitors.id)`},
		} {
			res, err := tx.ExecContext(ctx, q.sql, t)
			if err != nil {
				return fmt.Errorf("store: retention: %w", err)
			}
			*q.n, _ = res.RowsAffected()
		}
		return nil
	})
	return r, err
}

// AnonymiseBefore keeps the ended conversations older than before for the
// reports (channel, operator, country, times, message count) but deletes
// what they said and who the visitor was: their messages, the page where
// they started, the visitor's name, email, identity and pages, and older
// offline messages.
func (s *Store) AnonymiseBefore(ctx context.Context, before time.Time) (model.Retained, error) {
	var r model.Retained
	t := ms(before)
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		old := `SELECT id FROM chat_sessions WHERE status = 'closed' AND COALESCE(last_message_at, created_at) < ?`
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE session_id IN (`+old+`)`, t); err != nil {
			return fmt.Errorf("store: retention: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE chat_sessions SET visitor_name = '', url = '', title = ''
			WHERE status = 'closed' AND COALESCE(last_message_at, created_at) < ? AND (visitor_name != '' OR url != '' OR title != '')`, t)
		if err != nil {
			return fmt.Errorf("store: retention: %w", err)
		}
		r.Sessions, _ = res.RowsAffected()
		if res, err = tx.ExecContext(ctx, `UPDATE visitors SET name = '', email = '', external_id = '', verified_at = NULL, current_url = '', current_title = ''
			WHERE last_seen_at < ? AND (name != '' OR email != '' OR external_id != '' OR current_url != '')`, t); err != nil {
			return fmt.Errorf("store: retention: %w", err)
		}
		r.Visitors, _ = res.RowsAffected()
		if res, err = tx.ExecContext(ctx, `DELETE FROM page_views WHERE created_at < ?`, t); err != nil {
			return fmt.Errorf("store: retention: %w", err)
		}
		r.PageViews, _ = res.RowsAffected()
		if res, err = tx.ExecContext(ctx, `DELETE FROM offline_messages WHERE created_at < ?`, t); err != nil {
			return fmt.Errorf("store: retention: %w", err)
		}
		r.OfflineMessages, _ = res.RowsAffected()
		return nil
	})
	return r, err
}

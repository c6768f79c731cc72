package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"parley/app/model"
)

// Notifications: the inbox of mentions in the admin header.

// CreateNotifications stores one notification per entry, setting ids.
func (s *Store) CreateNotifications(ctx context.Context, list []*model.Notification) error {
	if len(list) == 0 {
		return nil
	}
	now := time.Now().UTC()
	return s.Tx(ctx, func(tx *sql.Tx) error {
		for _, n := range list {
			n.CreatedAt = now
			res, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, author_id, author, session_id, message_id, body, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, n.UserID, nullID(n.AuthorID), n.Author, nullID(n.SessionID), nullID(n.MessageID), n.Body, ms(now))
			if err != nil {
				return fmt.Errorf("store: create notification: %w", err)
			}
			n.ID, _ = res.LastInsertId()
		}
		return nil
	})
}

// Notifications returns a user's latest notifications, newest first.
func (s *Store) Notifications(ctx context.Context, userID int64, limit int) ([]*model.Notification, error) {
	return collect(ctx, s.r, "notifications", func(r *sql.Rows) (*model.Notification, error) {
		var n model.Notification
		var created int64
		var read sql.NullInt64
		if err := r.Scan(&n.ID, &n.UserID, &n.AuthorID, &n.Author, &n.SessionID, &n.SessionPub, &n.VisitorName, &n.VisitorID,
			&n.OperatorID, &n.MessageID, &n.Body, &created, &read); err != nil {
			return nil, err
		}
		n.CreatedAt, n.ReadAt = fromMS(created), nullMS(read)
		return &n, nil
	}, `SELECT n.id, n.user_id, COALESCE(n.author_id, 0), n.author, COALESCE(n.session_id, 0), COALESCE(cs.public_id, ''),
		  COALESCE(cs.visitor_name, ''), COALESCE(cs.visitor_id, 0), COALESCE(cs.operator_id, 0), COALESCE(n.message_id, 0),
		  n.body, n.created_at, n.read_at
		FROM notifications n LEFT JOIN chat_sessions cs ON cs.id = n.session_id
		WHERE n.user_id = ? ORDER BY n.id DESC LIMIT ?`, userID, limit)
}

// UnreadNotifications counts a user's unread notifications.
func (s *Store) UnreadNotifications(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: unread notifications: %w", err)
	}
	return n, nil
}

// MarkNotificationsRead marks every notification of a user read.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`, ms(time.Now()), userID); err != nil {
			return fmt.Errorf("store: mark notifications read: %w", err)
		}
		return nil
	})
}

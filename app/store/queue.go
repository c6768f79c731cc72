package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"parley/app/model"
)

// The waiting line: open sessions with queued_at and no assigned_at, per
// channel, oldest first (index chat_sessions_waiting).

const waitingWhere = `status = 'open' AND queued_at IS NOT NULL AND assigned_at IS NULL`

// WaitingChannels lists the channels with someone waiting, the one whose
// first visitor has waited longest first.
func (s *Store) WaitingChannels(ctx context.Context) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT channel_id, min(queued_at) AS first FROM chat_sessions
		WHERE `+waitingWhere+` AND channel_id IS NOT NULL GROUP BY channel_id ORDER BY first`)
	if err != nil {
		return nil, fmt.Errorf("store: waiting channels: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id, first int64
		if err := rows.Scan(&id, &first); err != nil {
			return nil, fmt.Errorf("store: waiting channels: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// WaitingSessions lists a channel's waiting sessions in queue order, with
// their positions.
func (s *Store) WaitingSessions(ctx context.Context, channelID int64) ([]*model.Session, error) {
	return s.sessions(ctx, `WHERE s.channel_id = ? AND s.status = 'open' AND s.queued_at IS NOT NULL AND s.assigned_at IS NULL
		ORDER BY s.queued_at, s.id`, channelID)
}

// WaitingForOperator lists the sessions waiting in the queues of the
// channels userID is an operator of, oldest first, at most limit.
func (s *Store) WaitingForOperator(ctx context.Context, userID int64, limit int) ([]*model.Session, error) {
	return s.sessions(ctx, `WHERE s.status = 'open' AND s.queued_at IS NOT NULL AND s.assigned_at IS NULL
		AND s.channel_id IN (SELECT channel_id FROM channel_operators WHERE user_id = ?)
		ORDER BY s.queued_at, s.id LIMIT ?`, userID, limit)
}

// CountWaitingForOperator counts the sessions WaitingForOperator lists,
// without the bound.
func (s *Store) CountWaitingForOperator(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM chat_sessions WHERE `+waitingWhere+`
		AND channel_id IN (SELECT channel_id FROM channel_operators WHERE user_id = ?)`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: waiting for operator %d: %w", userID, err)
	}
	return n, nil
}

// NextWaiting returns the session first in a channel's queue, nil when
// nobody waits.
func (s *Store) NextWaiting(ctx context.Context, channelID int64) (*model.Session, error) {
	list, err := s.sessions(ctx, `WHERE s.channel_id = ? AND s.status = 'open' AND s.queued_at IS NOT NULL AND s.assigned_at IS NULL
		ORDER BY s.queued_at, s.id LIMIT 1`, channelID)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// AssignWaiting gives the oldest session waiting in a channel to an
// operator, in one write transaction: the operator's open sessions are
// counted there (ErrOperatorFull at maxOpen, when maxOpen > 0) and the
// session taken only if it still waits, so two operators freeing up at
// once never take the same visitor and nobody goes past their maximum. It
// returns the assigned session's id, 0 when nobody waits.
func (s *Store) AssignWaiting(ctx context.Context, channelID, operatorID int64, operatorName string, maxOpen int) (int64, error) {
	var id int64
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if maxOpen > 0 {
			n, err := s.openCount(ctx, tx, operatorID)
			if err != nil {
				return fmt.Errorf("store: assign waiting: %w", err)
			}
			if n >= maxOpen {
				return fmt.Errorf("store: assign waiting: operator %d has %d open sessions: %w", operatorID, n, ErrOperatorFull)
			}
		}
		err := s.txQueryRow(ctx, tx, `SELECT id FROM chat_sessions WHERE channel_id = ? AND `+waitingWhere+`
			ORDER BY queued_at, id LIMIT 1`, channelID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: assign waiting: %w", err)
		}
		if _, err := s.txExec(ctx, tx, `UPDATE chat_sessions SET operator_id = ?, operator_name = ?, assigned_at = ? WHERE id = ?`,
			operatorID, operatorName, ms(time.Now()), id); err != nil {
			return fmt.Errorf("store: assign waiting session %d: %w", id, err)
		}
		if _, err := s.txExec(ctx, tx, `UPDATE visitors SET last_operator_id = ? WHERE id = (SELECT visitor_id FROM chat_sessions WHERE id = ?)`,
			operatorID, id); err != nil {
			return fmt.Errorf("store: assign waiting session %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"parley/app/model"
)

const sessionCols = `s.id, s.public_id, COALESCE(s.channel_id, 0), COALESCE(c.name, ''), s.visitor_id, s.visitor_name, s.country,
	COALESCE(s.operator_id, 0), s.operator_name, s.status, s.url, s.title, s.created_at, s.closed_at, s.last_message_at, s.message_count,
	s.visitor_language, COALESCE(s.rating, 0), COALESCE(s.chatbot_id, 0), s.chatbot_name, s.chatbot_state, COALESCE(s.chatbot_step_id, 0), s.chatbot_answers,
	s.chatbot_email, s.chatbot_phone, s.queued_at, s.assigned_at, ` + queuePosition

// queuePosition is a waiting session's place in its channel's line (1 is
// next), counted over the waiting index; 0 for every other session.
const queuePosition = `CASE WHEN s.status = 'open' AND s.queued_at IS NOT NULL AND s.assigned_at IS NULL THEN
	  (SELECT count(*) FROM chat_sessions w WHERE w.channel_id = s.channel_id AND w.status = 'open'
	     AND w.queued_at IS NOT NULL AND w.assigned_at IS NULL AND (w.queued_at, w.id) <= (s.queued_at, s.id))
	  ELSE 0 END`

const sessionFrom = ` FROM chat_sessions s LEFT JOIN channels c ON c.id = s.channel_id `

func scanSession(row interface{ Scan(...any) error }, extra ...any) (*model.Session, error) {
	var x model.Session
	var status string
	var created int64
	var closed, last sql.NullInt64
	var botState, answers string
	var queued, assigned sql.NullInt64
	dest := []any{&x.ID, &x.PublicID, &x.ChannelID, &x.ChannelName, &x.VisitorID, &x.VisitorName, &x.Country,
		&x.OperatorID, &x.OperatorName, &status, &x.URL, &x.Title, &created, &closed, &last, &x.MessageCount, &x.VisitorLanguage, &x.Rating,
		&x.ChatbotID, &x.ChatbotName, &botState, &x.Chatbot.StepID, &answers, &x.Chatbot.Email, &x.Chatbot.Phone,
		&queued, &assigned, &x.QueuePosition}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	x.Chatbot.State = model.ChatbotState(botState)
	if answers != "" && answers != "[]" {
		if err := json.Unmarshal([]byte(answers), &x.Chatbot.Answers); err != nil {
			return nil, fmt.Errorf("session %d: chatbot answers: %w", x.ID, err)
		}
	}
	x.Status = model.SessionStatus(status)
	x.CreatedAt, x.ClosedAt, x.LastMessageAt = fromMS(created), nullMS(closed), nullMS(last)
	x.QueuedAt, x.AssignedAt = nullMS(queued), nullMS(assigned)
	return &x, nil
}

// CreateSession stores a new open session. A session with QueuedAt set
// waits in its channel's queue.
func (s *Store) CreateSession(ctx context.Context, x *model.Session) error {
	_, err := s.createSession(ctx, x, false)
	return err
}

// CreateSessionJoining stores a new open session like CreateSession and,
// in the same write transaction, makes its operator an operator of its
// channel when they were not one: the chat and the membership it implies
// exist together or not at all. It reports whether the operator joined.
func (s *Store) CreateSessionJoining(ctx context.Context, x *model.Session) (bool, error) {
	return s.createSession(ctx, x, true)
}

func (s *Store) createSession(ctx context.Context, x *model.Session, join bool) (bool, error) {
	joined := false
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if join && x.OperatorID != 0 && x.ChannelID != 0 {
			res, err := s.txExec(ctx, tx, `INSERT OR IGNORE INTO channel_operators (channel_id, user_id, added_at) VALUES (?, ?, ?)`,
				x.ChannelID, x.OperatorID, ms(time.Now()))
			if err != nil {
				return fmt.Errorf("store: create session: join channel %d: %w", x.ChannelID, err)
			}
			n, _ := res.RowsAffected()
			joined = n == 1
		}
		return s.txInsertSession(ctx, tx, x)
	})
	if err != nil {
		return false, err
	}
	return joined, nil
}

// txInsertSession inserts x as a new open session and sets its id, status
// and creation time.
func (s *Store) txInsertSession(ctx context.Context, tx *sql.Tx, x *model.Session) error {
	x.CreatedAt = time.Now().UTC()
	x.Status = model.SessionOpen
	var op any
	if x.OperatorID != 0 {
		op = x.OperatorID
	}
	var channel any
	if x.ChannelID != 0 {
		channel = x.ChannelID
	}
	var bot any
	if x.ChatbotID != 0 {
		bot = x.ChatbotID
	}
	var queued any
	if !x.QueuedAt.IsZero() {
		queued = ms(x.QueuedAt)
	}
	answers, err := json.Marshal(orEmpty(x.Chatbot.Answers))
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	res, err := s.txExec(ctx, tx,
		`INSERT INTO chat_sessions (public_id, channel_id, visitor_id, operator_id, operator_name, visitor_name, country, status, url, title, visitor_language,
		   chatbot_id, chatbot_name, chatbot_state, chatbot_answers, created_at, queued_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.PublicID, channel, x.VisitorID, op, x.OperatorName, x.VisitorName, x.Country, x.URL, x.Title, x.VisitorLanguage,
		bot, x.ChatbotName, string(x.Chatbot.State), string(answers), ms(x.CreatedAt), queued)
	if isUnique(err) {
		return fmt.Errorf("store: create session: visitor %d already has an open session on channel %d: %w", x.VisitorID, x.ChannelID, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	x.ID, _ = res.LastInsertId()
	return nil
}

func (s *Store) openCount(ctx context.Context, tx *sql.Tx, operatorID int64) (int, error) {
	var n int
	err := s.txQueryRow(ctx, tx, `SELECT COALESCE((SELECT open FROM operator_open_chats WHERE user_id = ?), 0)`, operatorID).Scan(&n)
	return n, err
}

// SessionByPublicID returns the session with that opaque id.
func (s *Store) SessionByPublicID(ctx context.Context, publicID string) (*model.Session, error) {
	x, err := scanSession(s.queryRowCached(ctx, `SELECT `+sessionCols+sessionFrom+`WHERE s.public_id = ?`, publicID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: session: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: session: %w", err)
	}
	return x, nil
}

// SessionOfVisitor returns the session with that public id when it
// belongs to the visitor whose token hashes to tokenHash. It is one read
// where a visitor and then their session were two: every post, typing
// signal and upload of a visitor asks it. ErrNotFound covers an unknown
// token and another visitor's session alike; VisitorByToken tells them
// apart when it matters.
func (s *Store) SessionOfVisitor(ctx context.Context, tokenHash, publicID string) (*model.Session, error) {
	x, err := scanSession(s.queryRowCached(ctx, `SELECT `+sessionCols+sessionFrom+
		`WHERE s.public_id = ? AND s.visitor_id = (SELECT id FROM visitors WHERE token_hash = ?)`, publicID, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: session: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: session: %w", err)
	}
	return x, nil
}

// Session returns the session with that id.
func (s *Store) Session(ctx context.Context, id int64) (*model.Session, error) {
	x, err := scanSession(s.queryRowCached(ctx, `SELECT `+sessionCols+sessionFrom+`WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: session %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: session %d: %w", id, err)
	}
	return x, nil
}

// OpenSessionsOfVisitor returns a visitor's open sessions, oldest first.
// Every page view asks it: the statement is kept prepared.
func (s *Store) OpenSessionsOfVisitor(ctx context.Context, visitorID int64) ([]*model.Session, error) {
	rows, err := s.queryCached(ctx, `SELECT `+sessionCols+sessionFrom+`WHERE s.visitor_id = ? AND s.status = 'open' ORDER BY s.id`, visitorID)
	return collectRows(rows, err, "open sessions of visitor", scanSessionRow)
}

// Sessions lists sessions matching f, newest first.
func (s *Store) Sessions(ctx context.Context, f model.SessionFilter) ([]*model.Session, error) {
	var where []string
	var args []any
	if f.OperatorID != 0 {
		where, args = append(where, "s.operator_id = ?"), append(args, f.OperatorID)
	}
	if f.ChannelID != 0 {
		where, args = append(where, "s.channel_id = ?"), append(args, f.ChannelID)
	}
	if f.VisitorID != 0 {
		where, args = append(where, "s.visitor_id = ?"), append(args, f.VisitorID)
	}
	if f.Status != "" {
		where, args = append(where, "s.status = ?"), append(args, string(f.Status))
	}
	q := ""
	if len(where) > 0 {
		q = "WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q += " ORDER BY COALESCE(s.last_message_at, s.created_at) DESC, s.id DESC LIMIT ? OFFSET ?"
	return s.sessions(ctx, q, append(args, f.Limit, f.Offset)...)
}

// CountSessions counts sessions matching f (ignoring paging).
func (s *Store) CountSessions(ctx context.Context, f model.SessionFilter) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM chat_sessions s
		WHERE (?1 = 0 OR s.operator_id = ?1) AND (?2 = 0 OR s.channel_id = ?2) AND (?3 = 0 OR s.visitor_id = ?3) AND (?4 = '' OR s.status = ?4)`,
		f.OperatorID, f.ChannelID, f.VisitorID, string(f.Status)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count sessions: %w", err)
	}
	return n, nil
}

func (s *Store) sessions(ctx context.Context, where string, args ...any) ([]*model.Session, error) {
	return collect(ctx, s.r, "sessions", scanSessionRow, `SELECT `+sessionCols+sessionFrom+where, args...)
}

// CloseSession marks a session closed; false when it already was.
func (s *Store) CloseSession(ctx context.Context, id int64) (bool, error) {
	res, err := s.exec(ctx, `UPDATE chat_sessions SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'`, ms(time.Now()), id)
	if err != nil {
		return false, fmt.Errorf("store: close session %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// TransferSession hands an open session from one operator to another (and
// to channelID) and makes the new operator the visitor's preferred one, in
// one transaction; false when the session is no longer open or no longer
// fromOperatorID's, so a transfer racing another change does nothing.
func (s *Store) TransferSession(ctx context.Context, id, fromOperatorID, toOperatorID int64, toName string, channelID int64) (bool, error) {
	var moved bool
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE chat_sessions SET operator_id = ?, operator_name = ?, channel_id = ?
			WHERE id = ? AND status = 'open' AND COALESCE(operator_id, 0) = ?`, toOperatorID, toName, channelID, id, fromOperatorID)
		if isUnique(err) {
			return fmt.Errorf("store: transfer session %d: the visitor already has an open session on channel %d: %w", id, channelID, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: transfer session %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		moved = true
		_, err = tx.ExecContext(ctx, `UPDATE visitors SET last_operator_id = ? WHERE id = (SELECT visitor_id FROM chat_sessions WHERE id = ?)`, toOperatorID, id)
		if err != nil {
			return fmt.Errorf("store: transfer session %d: %w", id, err)
		}
		return nil
	})
	return moved, err
}

// IdleOpenSessions lists open sessions where nothing was said since before
// and whose visitor was not seen since before either: candidates for
// ending as abandoned.
func (s *Store) IdleOpenSessions(ctx context.Context, before time.Time, limit int) ([]*model.Session, error) {
	return s.sessions(ctx, `JOIN visitors v ON v.id = s.visitor_id
		WHERE s.status = 'open' AND COALESCE(s.last_message_at, s.created_at) < ? AND v.last_seen_at < ?
		ORDER BY s.id LIMIT ?`, ms(before), ms(before), limit)
}

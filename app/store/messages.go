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

// InsertMessages commits a batch of messages in one transaction and sets
// their ids and times; the group-commit writer calls it with everything
// queued since its last commit. A message whose session is gone or closed
// gets its error in errs and is not written; the others still are.
func (s *Store) InsertMessages(ctx context.Context, msgs []*model.Message) (errs []error, err error) {
	errs = make([]error, len(msgs))
	var prepared [4]*sql.Stmt
	for i, q := range []string{insertMessageSQL, touchSessionSQL, clientIDSQL, markReadSQL} {
		if prepared[i], err = s.writerStmt(ctx, q); err != nil {
			return errs, fmt.Errorf("store: insert messages: %w", err)
		}
	}
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		// A message's bookkeeping on its session keeps it cached.
		s.live.touching.Store(true)
		defer s.live.touching.Store(false)
		ins := tx.StmtContext(ctx, prepared[0])
		upd := tx.StmtContext(ctx, prepared[1])
		var read *sql.Stmt // taken on first use only
		for i, m := range msgs {
			m.CreatedAt = time.Now().UTC()
			var author any
			if m.AuthorID != 0 {
				author = m.AuthorID
			}
			notice, err := encodeNotice(m.Notice)
			if err != nil {
				return err
			}
			var clientID any
			if m.ClientID != "" {
				clientID = m.ClientID
			}
			var step, answer any
			if m.Step != nil {
				b, err := json.Marshal(m.Step)
				if err != nil {
					return fmt.Errorf("store: message step: %w", err)
				}
				step = string(b)
			}
			if m.AnswerID != 0 {
				answer = m.AnswerID
			}
			system := m.AuthorKind == model.AuthorSystem
			r, err := ins.ExecContext(ctx, m.SessionID, string(m.AuthorKind), author, m.AuthorName, m.Body, notice, clientID, step, answer, ms(m.CreatedAt), b2i(m.Internal), system)
			if err != nil {
				return fmt.Errorf("store: insert messages: %w", err)
			}
			if n, _ := r.RowsAffected(); n == 0 {
				// Rare: a retry of a post whose answer was lost (answer
				// with the message stored the first time), or a closed
				// session.
				if err := s.replay(ctx, tx, prepared[2], m); err == nil {
					continue
				} else if !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("store: insert messages: %w", err)
				}
				errs[i] = fmt.Errorf("store: session %d is closed: %w", m.SessionID, ErrConflict)
				continue
			}
			counted := !system && !m.Internal
			if _, err := upd.ExecContext(ctx, ms(m.CreatedAt), m.SessionID, b2i(counted), b2i(counted && m.AuthorKind == model.AuthorOperator)); err != nil {
				return fmt.Errorf("store: insert messages: %w", err)
			}
			m.ID, _ = r.LastInsertId()
			if err := insertAttachments(ctx, tx, m); err != nil {
				return err
			}
			if m.AuthorKind == model.AuthorOperator && m.AuthorID != 0 {
				// Replying means having read the chat: record it in the
				// same transaction instead of a write of its own.
				if read == nil {
					read = tx.StmtContext(ctx, prepared[3])
				}
				if _, err := read.ExecContext(ctx, m.SessionID, m.AuthorID, m.ID); err != nil {
					return fmt.Errorf("store: insert messages: %w", err)
				}
			}
		}
		return nil
	})
	return errs, err
}

// The chat path's statements, prepared once (writerStmt).
const (
	// A message is stored only while its session is open (system notices,
	// such as the leave notice, may land on one that has just closed) and
	// once per client id: nothing stored means a retry or a closed session.
	insertMessageSQL = `INSERT INTO messages (session_id, author_kind, author_id, author_name, body, notice, client_id, step, answer_id, created_at, internal)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
		WHERE EXISTS (SELECT 1 FROM chat_sessions WHERE id = ?1 AND (status = 'open' OR ?12))
		ON CONFLICT DO NOTHING`
	// touchSessionSQL keeps a session's figures as a message arrives: ?1
	// its time, ?2 the session, ?3 whether reports count it (part of the
	// chat: not a system line, not an internal note), ?4 whether it is an
	// operator's reply.
	touchSessionSQL = `UPDATE chat_sessions SET last_message_at = ?1, message_count = message_count + 1,
		chat_messages  = chat_messages + ?3,
		chat_first_at  = CASE WHEN ?3 THEN min(COALESCE(chat_first_at, ?1), ?1) ELSE chat_first_at END,
		chat_last_at   = CASE WHEN ?3 THEN max(COALESCE(chat_last_at, ?1), ?1) ELSE chat_last_at END,
		first_reply_at = CASE WHEN ?3 AND ?4 THEN min(COALESCE(first_reply_at, ?1), ?1) ELSE first_reply_at END
		WHERE id = ?2`
	clientIDSQL = `SELECT ` + messageCols + ` FROM messages WHERE session_id = ? AND author_kind = ? AND client_id = ?`
)

const messageCols = `id, session_id, author_kind, COALESCE(author_id, 0), author_name, body, notice, COALESCE(client_id, ''), step, COALESCE(answer_id, 0), created_at, internal`

func scanMessage(row interface{ Scan(...any) error }) (*model.Message, error) {
	var m model.Message
	var kind string
	var notice, step sql.NullString
	var created int64
	var internal int
	if err := row.Scan(&m.ID, &m.SessionID, &kind, &m.AuthorID, &m.AuthorName, &m.Body, &notice, &m.ClientID, &step, &m.AnswerID, &created, &internal); err != nil {
		return nil, err
	}
	if step.Valid {
		m.Step = new(model.StepView)
		if err := json.Unmarshal([]byte(step.String), m.Step); err != nil {
			return nil, fmt.Errorf("message %d: step: %w", m.ID, err)
		}
	}
	m.AuthorKind, m.CreatedAt, m.Internal = model.AuthorKind(kind), fromMS(created), internal != 0
	if notice.Valid {
		m.Notice = new(model.Notice)
		if err := json.Unmarshal([]byte(notice.String), m.Notice); err != nil {
			return nil, fmt.Errorf("message %d: notice: %w", m.ID, err)
		}
	}
	return &m, nil
}

func encodeNotice(n *model.Notice) (any, error) {
	if n == nil {
		return nil, nil
	}
	b, err := json.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("store: notice: %w", err)
	}
	return string(b), nil
}

// Messages returns a session's messages with id > after, oldest first.
func (s *Store) Messages(ctx context.Context, sessionID, after int64, limit int) ([]*model.Message, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+messageCols+`
		FROM messages WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`, sessionID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	defer rows.Close()
	var out []*model.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("store: messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	return out, s.loadAttachments(ctx, out)
}

const markReadSQL = `INSERT INTO session_reads (session_id, user_id, last_read_id) VALUES (?, ?, ?)
	ON CONFLICT (session_id, user_id) DO UPDATE SET last_read_id = max(last_read_id, excluded.last_read_id)`

// MarkRead records that userID has read a session up to messageID.
func (s *Store) MarkRead(ctx context.Context, sessionID, userID, messageID int64) error {
	_, err := s.exec(ctx, markReadSQL, sessionID, userID, messageID)
	if err != nil {
		return fmt.Errorf("store: mark read: %w", err)
	}
	return nil
}

// Unread counts, per session, the visitor messages after what userID has
// read; one query for the whole list.
func (s *Store) Unread(ctx context.Context, userID int64, sessionIDs []int64) (map[int64]int, error) {
	out := make(map[int64]int, len(sessionIDs))
	if len(sessionIDs) == 0 {
		return out, nil
	}
	args := append([]any{userID}, int64sAny(sessionIDs)...)
	rows, err := s.r.QueryContext(ctx, `SELECT m.session_id, count(*) FROM messages m
		LEFT JOIN session_reads r ON r.session_id = m.session_id AND r.user_id = ?
		WHERE m.session_id IN (`+placeholders(len(sessionIDs))+`) AND m.author_kind = 'visitor' AND m.id > COALESCE(r.last_read_id, 0)
		GROUP BY m.session_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: unread: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: unread: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// LastMessages returns the newest message of each session, in one query.
func (s *Store) LastMessages(ctx context.Context, sessionIDs []int64) (map[int64]*model.Message, error) {
	out := make(map[int64]*model.Message, len(sessionIDs))
	if len(sessionIDs) == 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+messageCols+`
		FROM messages WHERE id IN (SELECT max(id) FROM messages WHERE session_id IN (`+placeholders(len(sessionIDs))+`) GROUP BY session_id)`,
		int64sAny(sessionIDs)...)
	if err != nil {
		return nil, fmt.Errorf("store: last messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("store: last messages: %w", err)
		}
		out[m.SessionID] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: last messages: %w", err)
	}
	// A message that is only a file is previewed by the file's name.
	last := make([]*model.Message, 0, len(out))
	for _, m := range out {
		last = append(last, m)
	}
	return out, s.loadAttachments(ctx, last)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func int64sAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// AllMessages returns every message of a session in id order, read a page
// at a time, for transcripts kept elsewhere (leads, tickets).
func (s *Store) AllMessages(ctx context.Context, sessionID int64) ([]*model.Message, error) {
	var all []*model.Message
	after := int64(0)
	for {
		page, err := s.Messages(ctx, sessionID, after, 1000)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < 1000 {
			return all, nil
		}
		after = page[len(page)-1].ID
	}
}

// replay fills m with the message stored before under its client id, or
// answers sql.ErrNoRows.
func (s *Store) replay(ctx context.Context, tx *sql.Tx, byClientID *sql.Stmt, m *model.Message) error {
	if m.ClientID == "" {
		return sql.ErrNoRows
	}
	prev, err := scanMessage(tx.StmtContext(ctx, byClientID).QueryRowContext(ctx, m.SessionID, string(m.AuthorKind), m.ClientID))
	if err != nil {
		return err
	}
	if prev.Attachments, err = txAttachments(ctx, tx, prev.ID); err != nil {
		return err
	}
	*m = *prev
	m.Replayed = true
	return nil
}

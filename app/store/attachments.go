package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/app/model"
)

const attachmentCols = `id, message_id, name, size, content_type, hash, width, height, thumbnail`

func scanAttachment(row interface{ Scan(...any) error }) (*model.Attachment, error) {
	var a model.Attachment
	var thumb int
	if err := row.Scan(&a.ID, &a.MessageID, &a.Name, &a.Size, &a.ContentType, &a.Hash, &a.Width, &a.Height, &thumb); err != nil {
		return nil, err
	}
	a.Thumbnail = thumb != 0
	return &a, nil
}

// insertAttachments links a message being inserted to its files, in the
// message's transaction.
func insertAttachments(ctx context.Context, tx *sql.Tx, m *model.Message) error {
	for _, a := range m.Attachments {
		r, err := tx.ExecContext(ctx, `INSERT INTO attachments (message_id, name, size, content_type, hash, width, height, thumbnail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, a.Name, a.Size, a.ContentType, a.Hash, a.Width, a.Height, b2i(a.Thumbnail))
		if err != nil {
			return fmt.Errorf("store: insert attachment: %w", err)
		}
		a.ID, _ = r.LastInsertId()
		a.MessageID = m.ID
	}
	return nil
}

// txAttachments lists a message's attachments inside a transaction (a
// replayed post answers with the message as first stored).
func txAttachments(ctx context.Context, tx *sql.Tx, messageID int64) ([]*model.Attachment, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE message_id = ? ORDER BY id`, messageID)
	if err != nil {
		return nil, fmt.Errorf("store: attachments: %w", err)
	}
	defer rows.Close()
	var out []*model.Attachment
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, fmt.Errorf("store: attachments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// loadAttachments fills the messages' attachments in one query.
func (s *Store) loadAttachments(ctx context.Context, msgs []*model.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	byID := make(map[int64]*model.Message, len(msgs))
	ids := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		byID[m.ID] = m
		ids = append(ids, m.ID)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE message_id IN (`+placeholders(len(ids))+`) ORDER BY id`, int64sAny(ids)...)
	if err != nil {
		return fmt.Errorf("store: attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return fmt.Errorf("store: attachments: %w", err)
		}
		if m := byID[a.MessageID]; m != nil {
			m.Attachments = append(m.Attachments, a)
		}
	}
	return rows.Err()
}

// SessionAttachment returns an attachment of a message of the session; one
// of another session is not found.
func (s *Store) SessionAttachment(ctx context.Context, sessionID, id int64) (a *model.Attachment, internal bool, err error) {
	var in int
	a, err = scanAttachment(scanFunc(func(dest ...any) error {
		return s.r.QueryRowContext(ctx, `SELECT a.id, a.message_id, a.name, a.size, a.content_type, a.hash, a.width, a.height, a.thumbnail, m.internal
			FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = ? AND m.session_id = ?`, id, sessionID).Scan(append(dest, &in)...)
	}))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("store: attachment %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: attachment %d: %w", id, err)
	}
	return a, in != 0, nil
}

// scanFunc lets a query add columns after the ones a scanner reads.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// AttachmentByID returns an attachment whatever its session (for signed
// links).
func (s *Store) AttachmentByID(ctx context.Context, id int64) (*model.Attachment, error) {
	a, err := scanAttachment(s.r.QueryRowContext(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: attachment %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: attachment %d: %w", id, err)
	}
	return a, nil
}

// AttachmentHashes is the set of file hashes some message still uses.
func (s *Store) AttachmentHashes(ctx context.Context) (map[string]bool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT hash FROM attachments`)
	if err != nil {
		return nil, fmt.Errorf("store: attachment hashes: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("store: attachment hashes: %w", err)
		}
		out[h] = true
	}
	return out, rows.Err()
}

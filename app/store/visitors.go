package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"parley/app/model"
)

const visitorCols = `id, name, email, phone, country, COALESCE(last_operator_id, 0), current_url, current_title,
	external_id, COALESCE(verified_at, 0), created_at, last_seen_at, language, visits, page_since`

func scanVisitor(row interface{ Scan(...any) error }, extra ...any) (*model.Visitor, error) {
	var v model.Visitor
	var verified, created, seen, since int64
	dest := []any{&v.ID, &v.Name, &v.Email, &v.Phone, &v.Country, &v.LastOperatorID, &v.CurrentURL, &v.CurrentTitle,
		&v.ExternalID, &verified, &created, &seen, &v.Language, &v.Visits, &since}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	v.CreatedAt, v.LastSeenAt = fromMS(created), fromMS(seen)
	if since != 0 {
		v.PageSince = fromMS(since)
	}
	if verified != 0 {
		v.VerifiedAt = fromMS(verified)
	}
	return &v, nil
}

// CreateVisitor stores a new visitor identified by the hash of its token.
func (s *Store) CreateVisitor(ctx context.Context, v *model.Visitor, tokenHash string) error {
	now := time.Now().UTC()
	gen := s.live.generation()
	if err := s.Tx(ctx, func(tx *sql.Tx) error { return s.txCreateVisitor(ctx, tx, v, tokenHash, now) }); err != nil {
		return err
	}
	s.live.putVisitor(gen, tokenHash, v.ID) // the socket that follows asks
	v.CreatedAt, v.LastSeenAt = now, now
	return nil
}

func (s *Store) txCreateVisitor(ctx context.Context, tx *sql.Tx, v *model.Visitor, tokenHash string, now time.Time) error {
	var lastOp, verified any
	if v.LastOperatorID != 0 {
		lastOp = v.LastOperatorID
	}
	if !v.VerifiedAt.IsZero() {
		verified = ms(v.VerifiedAt)
	}
	// Every field UpdateVisitor writes, so that a visitor whose first chat
	// fills them (StartSession) is written once.
	res, err := s.txExec(ctx, tx,
		`INSERT INTO visitors (token_hash, name, email, phone, country, last_operator_id, current_url, current_title, external_id, verified_at, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tokenHash, v.Name, v.Email, v.Phone, v.Country, lastOp, v.CurrentURL, v.CurrentTitle, v.ExternalID, verified, ms(now), ms(now))
	if err != nil {
		return fmt.Errorf("store: create visitor: %w", err)
	}
	v.ID, _ = res.LastInsertId()
	return nil
}

// VisitorByToken returns the visitor owning a token hash.
func (s *Store) VisitorByToken(ctx context.Context, tokenHash string) (*model.Visitor, error) {
	gen := s.live.generation()
	v, err := scanVisitor(s.queryRowCached(ctx, `SELECT `+visitorCols+` FROM visitors WHERE token_hash = ?`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: visitor: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: visitor: %w", err)
	}
	s.live.putVisitor(gen, tokenHash, v.ID)
	return v, nil
}

// VisitorIDByToken is VisitorByToken for who needs only the id (a socket
// opening): from memory when the token was seen before, else from the
// token's index, which holds the id, so the row is not read.
func (s *Store) VisitorIDByToken(ctx context.Context, tokenHash string) (int64, error) {
	id, gen := s.live.visitorID(tokenHash)
	if id != 0 {
		return id, nil
	}
	err := s.queryRowCached(ctx, `SELECT id FROM visitors WHERE token_hash = ?`, tokenHash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: visitor: %w", ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: visitor: %w", err)
	}
	s.live.putVisitor(gen, tokenHash, id)
	return id, nil
}

// Visitor returns one visitor.
func (s *Store) Visitor(ctx context.Context, id int64) (*model.Visitor, error) {
	v, err := scanVisitor(s.queryRowCached(ctx, `SELECT `+visitorCols+` FROM visitors WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: visitor %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: visitor %d: %w", id, err)
	}
	return v, nil
}

// UpdateVisitor saves what the visitor told about itself and where it is.
func (s *Store) UpdateVisitor(ctx context.Context, v *model.Visitor) error {
	now := time.Now().UTC()
	if err := s.Tx(ctx, func(tx *sql.Tx) error { return s.txUpdateVisitor(ctx, tx, v, now) }); err != nil {
		return err
	}
	v.LastSeenAt = now
	return nil
}

func (s *Store) txUpdateVisitor(ctx context.Context, tx *sql.Tx, v *model.Visitor, now time.Time) error {
	var lastOp, verified any
	if v.LastOperatorID != 0 {
		lastOp = v.LastOperatorID
	}
	if !v.VerifiedAt.IsZero() {
		verified = ms(v.VerifiedAt)
	}
	_, err := s.txExec(ctx, tx,
		`UPDATE visitors SET name = ?, email = ?, phone = ?, country = ?, last_operator_id = ?, current_url = ?, current_title = ?,
		  external_id = ?, verified_at = ?, last_seen_at = ? WHERE id = ?`,
		v.Name, v.Email, v.Phone, v.Country, lastOp, v.CurrentURL, v.CurrentTitle, v.ExternalID, verified, ms(now), v.ID)
	if err != nil {
		return fmt.Errorf("store: update visitor %d: %w", v.ID, err)
	}
	return nil
}

// NewVisitAfter is how long a visitor goes without a page view before their
// next one starts a new visit (Odoo's 8 hours).
const NewVisitAfter = 8 * time.Hour

// AddPageView records a page view and makes it the visitor's current page;
// language, when known, is the one their browser asks for.
func (s *Store) AddPageView(ctx context.Context, pv *model.PageView, language string) error {
	pv.CreatedAt = time.Now().UTC()
	return s.Tx(ctx, func(tx *sql.Tx) error { return s.txAddPageView(ctx, tx, pv, language) })
}

// CreateVisitorWithPageView creates a visitor arriving on a page, with
// that page view, in one transaction: a first visit is one write.
func (s *Store) CreateVisitorWithPageView(ctx context.Context, v *model.Visitor, tokenHash string, pv *model.PageView, language string) error {
	now := time.Now().UTC()
	gen := s.live.generation()
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		// The row is written as its first page view leaves it (the page,
		// the time on it, the language), rather than made and then
		// updated: a third of the writes of a visitor's first page load.
		at := ms(now)
		res, err := s.txExec(ctx, tx,
			`INSERT INTO visitors (token_hash, name, email, country, current_url, current_title, created_at, last_seen_at, page_since, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tokenHash, v.Name, v.Email, v.Country, pv.URL, pv.Title, at, at, at, language)
		if err != nil {
			return fmt.Errorf("store: create visitor: %w", err)
		}
		v.ID, _ = res.LastInsertId()
		pv.VisitorID, pv.CreatedAt = v.ID, now
		return s.txInsertPageView(ctx, tx, pv)
	})
	if err != nil {
		return err
	}
	s.live.putVisitor(gen, tokenHash, v.ID) // the socket that follows asks
	v.CreatedAt, v.LastSeenAt, v.PageSince, v.Visits = now, now, now, 1
	v.CurrentURL, v.CurrentTitle = pv.URL, pv.Title
	if language != "" {
		v.Language = language
	}
	return nil
}

func (s *Store) txAddPageView(ctx context.Context, tx *sql.Tx, pv *model.PageView, language string) error {
	if err := s.txInsertPageView(ctx, tx, pv); err != nil {
		return err
	}
	at := ms(pv.CreatedAt)
	if _, err := s.txExec(ctx, tx, `UPDATE visitors SET current_url = ?, current_title = ?, last_seen_at = ?,
		  visits = visits + (page_since != 0 AND page_since < ?), page_since = ?,
		  language = CASE WHEN ? = '' THEN language ELSE ? END WHERE id = ?`,
		pv.URL, pv.Title, at, at-NewVisitAfter.Milliseconds(), at, language, language, pv.VisitorID); err != nil {
		return fmt.Errorf("store: page view: %w", err)
	}
	return nil
}

func (s *Store) txInsertPageView(ctx context.Context, tx *sql.Tx, pv *model.PageView) error {
	res, err := s.txExec(ctx, tx, `INSERT INTO page_views (visitor_id, url, title, created_at) VALUES (?, ?, ?, ?)`,
		pv.VisitorID, pv.URL, pv.Title, ms(pv.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: page view: %w", err)
	}
	pv.ID, _ = res.LastInsertId()
	return nil
}

// PageViews returns a visitor's latest page views, newest first.
func (s *Store) PageViews(ctx context.Context, visitorID int64, limit int) ([]model.PageView, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, visitor_id, url, title, created_at FROM page_views WHERE visitor_id = ? ORDER BY id DESC LIMIT ?`, visitorID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: page views: %w", err)
	}
	defer rows.Close()
	var out []model.PageView
	for rows.Next() {
		var pv model.PageView
		var created int64
		if err := rows.Scan(&pv.ID, &pv.VisitorID, &pv.URL, &pv.Title, &created); err != nil {
			return nil, fmt.Errorf("store: page views: %w", err)
		}
		pv.CreatedAt = fromMS(created)
		out = append(out, pv)
	}
	return out, rows.Err()
}

// visitorRowCols are a visitor's columns with their counts and open
// conversation, each from an index (chat_sessions_visitor, page_views_visitor).
const visitorRowCols = visitorCols + `,
	  (SELECT count(*) FROM chat_sessions cs WHERE cs.visitor_id = visitors.id),
	  (SELECT count(*) FROM page_views pv WHERE pv.visitor_id = visitors.id),
	  COALESCE((SELECT public_id FROM chat_sessions cs WHERE cs.visitor_id = visitors.id AND cs.status = 'open' ORDER BY cs.id DESC LIMIT 1), ''),
	  COALESCE((SELECT operator_name FROM chat_sessions cs WHERE cs.visitor_id = visitors.id AND cs.status = 'open' ORDER BY cs.id DESC LIMIT 1), '')`

// Visitors lists visitors by last activity, newest first, with paging.
func (s *Store) Visitors(ctx context.Context, limit, offset int) ([]model.VisitorRow, error) {
	return s.visitorRows(ctx, `ORDER BY last_seen_at DESC, id DESC LIMIT ? OFFSET ?`, limit, offset)
}

// VisitorRows returns the rows of the visitors with these ids, the latest
// to open a page first (the visitors on the site now).
func (s *Store) VisitorRows(ctx context.Context, ids []int64) ([]model.VisitorRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.visitorRows(ctx, `WHERE id IN (`+placeholders(len(ids))+`) ORDER BY page_since DESC, id DESC`, int64sAny(ids)...)
}

func (s *Store) visitorRows(ctx context.Context, where string, args ...any) ([]model.VisitorRow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+visitorRowCols+` FROM visitors `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: visitors: %w", err)
	}
	defer rows.Close()
	var out []model.VisitorRow
	for rows.Next() {
		var r model.VisitorRow
		v, err := scanVisitor(rows, &r.SessionCount, &r.PageViews, &r.OpenSession, &r.OpenOperator)
		if err != nil {
			return nil, fmt.Errorf("store: visitors: %w", err)
		}
		r.Visitor = *v
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateOfflineMessage stores a message left while nobody was available,
// with the outbox items (the operators' mail) it causes, in one
// transaction: the message and its notification are kept together or not
// at all.
func (s *Store) CreateOfflineMessage(ctx context.Context, m *model.OfflineMessage, notify ...*model.OutboxItem) error {
	m.CreatedAt = time.Now().UTC()
	var visitor any
	if m.VisitorID != 0 {
		visitor = m.VisitorID
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO offline_messages (channel_id, visitor_id, name, email, body, url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.ChannelID, visitor, m.Name, m.Email, m.Body, m.URL, ms(m.CreatedAt))
		if err != nil {
			return fmt.Errorf("store: offline message: %w", err)
		}
		m.ID, _ = res.LastInsertId()
		for _, it := range notify {
			if err := s.EnqueueTx(tx, it); err != nil {
				return err
			}
		}
		return nil
	})
}

// MarkOfflineMessageHandled records that an operator dealt with a message.
func (s *Store) MarkOfflineMessageHandled(ctx context.Context, id, userID int64) error {
	res, err := s.exec(ctx, `UPDATE offline_messages SET handled_at = ?, handled_by = ? WHERE id = ? AND handled_at IS NULL`, ms(time.Now()), userID, id)
	if err != nil {
		return fmt.Errorf("store: offline message %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: offline message %d: %w", id, ErrNotFound)
	}
	return nil
}

// VisitorsByID returns the visitors with these ids, in one query.
func (s *Store) VisitorsByID(ctx context.Context, ids []int64) (map[int64]*model.Visitor, error) {
	out := make(map[int64]*model.Visitor, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+visitorCols+` FROM visitors WHERE id IN (`+placeholders(len(ids))+`)`, int64sAny(ids)...)
	if err != nil {
		return nil, fmt.Errorf("store: visitors by id: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanVisitor(rows)
		if err != nil {
			return nil, fmt.Errorf("store: visitors by id: %w", err)
		}
		out[v.ID] = v
	}
	return out, rows.Err()
}

// RecentPages returns up to limit distinct pages a visitor viewed, the most
// recently viewed first, each with the time of its latest view (/history).
func (s *Store) RecentPages(ctx context.Context, visitorID int64, limit int) ([]model.PageView, error) {
	return collect(ctx, s.r, "recent pages", func(r *sql.Rows) (model.PageView, error) {
		var pv model.PageView
		var at int64
		err := r.Scan(&pv.URL, &pv.Title, &at)
		pv.VisitorID, pv.CreatedAt = visitorID, fromMS(at)
		return pv, err
	}, `SELECT url, (SELECT title FROM page_views p2 WHERE p2.visitor_id = ? AND p2.url = p.url ORDER BY id DESC LIMIT 1), max(created_at)
		FROM page_views p WHERE visitor_id = ? GROUP BY url ORDER BY max(created_at) DESC, max(id) DESC LIMIT ?`, visitorID, visitorID, limit)
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"parley/app/model"
)

// SaveRating stores the visitor's rating of a session, replacing the one
// they gave before, together with the session's rating and the notice that
// tells the operator, all in one transaction: a rating is never saved
// without its notice, nor the other way round. r gets its id and times,
// notice its id; replaced says whether an earlier rating was replaced.
func (s *Store) SaveRating(ctx context.Context, r *model.Rating, notice *model.Message) (replaced bool, err error) {
	now := time.Now().UTC()
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		var op, ch any
		if r.OperatorID != 0 {
			op = r.OperatorID
		}
		if r.ChannelID != 0 {
			ch = r.ChannelID
		}
		var created, updated int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO ratings (session_id, channel_id, operator_id, rating, reason, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (session_id) DO UPDATE SET rating = excluded.rating, reason = excluded.reason, updated_at = excluded.updated_at
			RETURNING id, created_at, updated_at, internal`,
			r.SessionID, ch, op, r.Value, r.Reason, ms(now), ms(now)).Scan(&r.ID, &created, &updated, &r.Internal); err != nil {
			return fmt.Errorf("store: save rating: %w", err)
		}
		r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
		replaced = created != updated
		if _, err := tx.ExecContext(ctx, `UPDATE chat_sessions SET rating = ?, last_message_at = ?, message_count = message_count + 1 WHERE id = ?`,
			r.Value, ms(now), r.SessionID); err != nil {
			return fmt.Errorf("store: save rating: %w", err)
		}
		enc, err := encodeNotice(notice.Notice)
		if err != nil {
			return err
		}
		notice.SessionID, notice.CreatedAt = r.SessionID, now
		res, err := tx.ExecContext(ctx, `INSERT INTO messages (session_id, author_kind, author_name, body, notice, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			notice.SessionID, string(notice.AuthorKind), notice.AuthorName, notice.Body, enc, ms(now))
		if err != nil {
			return fmt.Errorf("store: save rating: notice: %w", err)
		}
		notice.ID, _ = res.LastInsertId()
		return nil
	})
	return replaced, err
}

const ratingCols = `r.id, r.session_id, cs.public_id, COALESCE(r.channel_id, 0), COALESCE(c.name, ''),
	COALESCE(r.operator_id, 0), COALESCE(u.name, cs.operator_name), cs.visitor_id, cs.visitor_name,
	r.rating, r.reason, r.internal, r.created_at, r.updated_at`

const ratingFrom = ` FROM ratings r
	JOIN chat_sessions cs ON cs.id = r.session_id
	LEFT JOIN channels c ON c.id = r.channel_id
	LEFT JOIN users u ON u.id = r.operator_id `

func scanRating(row interface{ Scan(...any) error }) (*model.Rating, error) {
	var r model.Rating
	var created, updated int64
	if err := row.Scan(&r.ID, &r.SessionID, &r.SessionPublicID, &r.ChannelID, &r.ChannelName, &r.OperatorID, &r.OperatorName,
		&r.VisitorID, &r.VisitorName, &r.Value, &r.Reason, &r.Internal, &created, &updated); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return &r, nil
}

func scanRatingRow(r *sql.Rows) (*model.Rating, error) { return scanRating(r) }

// Rating returns the rating with that id.
func (s *Store) Rating(ctx context.Context, id int64) (*model.Rating, error) {
	r, err := scanRating(s.r.QueryRowContext(ctx, `SELECT `+ratingCols+ratingFrom+`WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: rating %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: rating %d: %w", id, err)
	}
	return r, nil
}

// RatingOfSession returns the session's rating.
func (s *Store) RatingOfSession(ctx context.Context, sessionID int64) (*model.Rating, error) {
	r, err := scanRating(s.r.QueryRowContext(ctx, `SELECT `+ratingCols+ratingFrom+`WHERE r.session_id = ?`, sessionID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: rating of session %d: %w", sessionID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: rating of session %d: %w", sessionID, err)
	}
	return r, nil
}

// ratingWhere turns a filter into a WHERE clause on ratingFrom and its
// arguments.
func ratingWhere(f model.RatingFilter) (string, []any) {
	where := []string{"1 = 1"}
	var args []any
	if !f.Since.IsZero() {
		where, args = append(where, "r.updated_at >= ?"), append(args, ms(f.Since))
	}
	if f.ChannelID != 0 {
		where, args = append(where, "r.channel_id = ?"), append(args, f.ChannelID)
	}
	if f.OperatorID != 0 {
		where, args = append(where, "r.operator_id = ?"), append(args, f.OperatorID)
	}
	if f.Value != 0 {
		where, args = append(where, "r.rating = ?"), append(args, f.Value)
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
		where = append(where, `(r.reason LIKE ? ESCAPE '\' OR c.name LIKE ? ESCAPE '\' OR COALESCE(u.name, cs.operator_name) LIKE ? ESCAPE '\'
			OR cs.visitor_name LIKE ? ESCAPE '\' OR cs.public_id = ?)`)
		args = append(args, like, like, like, like, q)
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// Ratings lists the ratings matching f, newest first.
func (s *Store) Ratings(ctx context.Context, f model.RatingFilter) ([]*model.Rating, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	where, args := ratingWhere(f)
	return collect(ctx, s.r, "ratings", scanRatingRow,
		`SELECT `+ratingCols+ratingFrom+where+` ORDER BY r.updated_at DESC, r.id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
}

// CountRatings counts the ratings matching f.
func (s *Store) CountRatings(ctx context.Context, f model.RatingFilter) (int, error) {
	where, args := ratingWhere(f)
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*)`+ratingFrom+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count ratings: %w", err)
	}
	return n, nil
}

// RatingDimension is what ratings can be grouped by: its key and label
// expressions over ratingFrom.
type RatingDimension struct{ Key, Label string }

// RatingDimensions are the groupings the report offers.
var RatingDimensions = map[string]RatingDimension{
	"operator": {"COALESCE(r.operator_id, 0)", "COALESCE(u.name, cs.operator_name)"},
	"channel":  {"COALESCE(r.channel_id, 0)", "COALESCE(c.name, '')"},
	"rating":   {"r.rating", "r.rating"},
	"day":      {"strftime('%Y-%m-%d', r.updated_at / 1000, 'unixepoch')", "strftime('%Y-%m-%d', r.updated_at / 1000, 'unixepoch')"},
	// The Monday a week starts on, so weeks sort and read as dates.
	"week":  {"date(r.updated_at / 1000, 'unixepoch', '-6 days', 'weekday 1')", "date(r.updated_at / 1000, 'unixepoch', '-6 days', 'weekday 1')"},
	"month": {"strftime('%Y-%m', r.updated_at / 1000, 'unixepoch')", "strftime('%Y-%m', r.updated_at / 1000, 'unixepoch')"},
}

// GroupRatings counts the ratings matching f grouped by dims (names in
// RatingDimensions), in one aggregate query.
func (s *Store) GroupRatings(ctx context.Context, f model.RatingFilter, dims ...string) ([]model.RatingCell, error) {
	var sel, group []string
	for _, d := range dims {
		dim, ok := RatingDimensions[d]
		if !ok {
			return nil, fmt.Errorf("store: group ratings: unknown dimension %q", d)
		}
		sel = append(sel, "CAST("+dim.Key+" AS TEXT)", "CAST(min("+dim.Label+") AS TEXT)")
		group = append(group, dim.Key)
	}
	where, args := ratingWhere(f)
	q := `SELECT ` + strings.Join(append(sel, "count(*)", "sum(r.rating)"), ", ") + ratingFrom + where
	if len(group) > 0 {
		q += ` GROUP BY ` + strings.Join(group, ", ")
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: group ratings: %w", err)
	}
	defer rows.Close()
	var out []model.RatingCell
	for rows.Next() {
		c := model.RatingCell{Keys: make([]string, len(dims)), Labels: make([]string, len(dims))}
		dest := make([]any, 0, 2*len(dims)+2)
		for i := range dims {
			dest = append(dest, &c.Keys[i], &c.Labels[i])
		}
		var sum sql.NullInt64
		dest = append(dest, &c.Count, &sum)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store: group ratings: %w", err)
		}
		c.Sum = int(sum.Int64)
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetRatingInternal sets a rating's "Visible internally only" flag; the
// public counts follow in the same statement (triggers).
func (s *Store) SetRatingInternal(ctx context.Context, id int64, internal bool) error {
	res, err := s.exec(ctx, `UPDATE ratings SET internal = ? WHERE id = ?`, b2i(internal), id)
	if err != nil {
		return s.noteWrite(fmt.Errorf("store: set rating internal: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: rating %d: %w", id, ErrNotFound)
	}
	return s.noteWrite(nil)
}

// PublicRatingCounts returns a channel's public rating counts per operator
// (0: no operator), from the counters, not from the ratings.
func (s *Store) PublicRatingCounts(ctx context.Context, channelID int64) (map[int64]model.RatingCounts, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT operator_id, satisfied, neutral, dissatisfied FROM rating_counts WHERE channel_id = ?`, channelID)
	if err != nil {
		return nil, fmt.Errorf("store: public rating counts: %w", err)
	}
	defer rows.Close()
	out := map[int64]model.RatingCounts{}
	for rows.Next() {
		var id int64
		var c model.RatingCounts
		if err := rows.Scan(&id, &c.Satisfied, &c.Neutral, &c.Dissatisfied); err != nil {
			return nil, fmt.Errorf("store: public rating counts: %w", err)
		}
		out[id] = c
	}
	return out, rows.Err()
}

// LastPublicRatings returns the values of a channel's latest public
// ratings, newest first, read from the index.
func (s *Store) LastPublicRatings(ctx context.Context, channelID int64, limit int) ([]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT rating FROM ratings INDEXED BY ratings_channel_public
		WHERE channel_id = ? AND internal = 0 ORDER BY updated_at DESC LIMIT ?`, channelID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: last public ratings: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: last public ratings: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

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

// Sales teams and leads.

// SalesTeams lists the teams by name; archived ones only when withArchived.
func (s *Store) SalesTeams(ctx context.Context, withArchived bool) ([]*model.SalesTeam, error) {
	return collect(ctx, s.r, "sales teams", rows(scanSalesTeam),
		`SELECT id, name, active, created_at FROM sales_teams WHERE active = 1 OR ? ORDER BY name COLLATE NOCASE, id`, b2i(withArchived))
}

// SalesTeam returns one team.
func (s *Store) SalesTeam(ctx context.Context, id int64) (*model.SalesTeam, error) {
	t, err := scanSalesTeam(s.r.QueryRowContext(ctx, `SELECT id, name, active, created_at FROM sales_teams WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: sales team %d: %w", id, err)
	}
	return t, nil
}

func scanSalesTeam(row interface{ Scan(...any) error }) (*model.SalesTeam, error) {
	var t model.SalesTeam
	var active int
	var created int64
	if err := row.Scan(&t.ID, &t.Name, &active, &created); err != nil {
		return nil, err
	}
	t.Active, t.CreatedAt = active != 0, fromMS(created)
	return &t, nil
}

// SaveSalesTeam inserts t (ID 0) or updates its name and active flag.
func (s *Store) SaveSalesTeam(ctx context.Context, t *model.SalesTeam) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		if t.ID == 0 {
			t.CreatedAt = time.Now().UTC()
			res, err := tx.ExecContext(ctx, `INSERT INTO sales_teams (name, active, created_at) VALUES (?, ?, ?)`, t.Name, b2i(t.Active), ms(t.CreatedAt))
			if err != nil {
				return fmt.Errorf("store: create sales team: %w", err)
			}
			t.ID, _ = res.LastInsertId()
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE sales_teams SET name = ?, active = ? WHERE id = ?`, t.Name, b2i(t.Active), t.ID)
		if err != nil {
			return fmt.Errorf("store: update sales team %d: %w", t.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

const leadCols = `l.id, l.title, l.contact_name, l.email, l.phone, l.country, COALESCE(l.team_id, 0), COALESCE(t.name, ''),
	l.stage, l.notes, l.source, COALESCE(l.session_id, 0), COALESCE(cs.public_id, ''), COALESCE(l.referrer_id, 0),
	COALESCE(u.name, ''), l.created_at, l.updated_at`

const leadFrom = ` FROM leads l LEFT JOIN sales_teams t ON t.id = l.team_id
	LEFT JOIN chat_sessions cs ON cs.id = l.session_id LEFT JOIN users u ON u.id = l.referrer_id`

func scanLead(row interface{ Scan(...any) error }) (*model.Lead, error) {
	var l model.Lead
	var created, updated int64
	if err := row.Scan(&l.ID, &l.Title, &l.ContactName, &l.Email, &l.Phone, &l.Country, &l.TeamID, &l.TeamName,
		&l.Stage, &l.Notes, &l.Source, &l.SessionID, &l.SessionPub, &l.ReferrerID, &l.Referrer, &created, &updated); err != nil {
		return nil, err
	}
	l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
	return &l, nil
}

// CreateLead inserts l; hooks run in the same transaction (the webhook
// outbox), so a lead and its delivery are committed together or not at all.
func (s *Store) CreateLead(ctx context.Context, l *model.Lead, hooks ...func(*sql.Tx) error) error {
	now := time.Now().UTC()
	l.CreatedAt, l.UpdatedAt = now, now
	if l.Stage == "" {
		l.Stage = model.StageNew
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO leads (title, contact_name, email, phone, country, team_id, stage, notes,
			  source, session_id, referrer_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.Title, l.ContactName, l.Email, l.Phone, l.Country, nullID(l.TeamID), l.Stage, l.Notes, l.Source,
			nullID(l.SessionID), nullID(l.ReferrerID), ms(now), ms(now))
		if err != nil {
			return fmt.Errorf("store: create lead: %w", err)
		}
		l.ID, _ = res.LastInsertId()
		for _, h := range hooks {
			if err := h(tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpdateLead saves the editable fields of l.
func (s *Store) UpdateLead(ctx context.Context, l *model.Lead) error {
	l.UpdatedAt = time.Now().UTC()
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE leads SET title = ?, contact_name = ?, email = ?, phone = ?, team_id = ?,
			  stage = ?, notes = ?, updated_at = ? WHERE id = ?`,
			l.Title, l.ContactName, l.Email, l.Phone, nullID(l.TeamID), l.Stage, l.Notes, ms(l.UpdatedAt), l.ID)
		if err != nil {
			return fmt.Errorf("store: update lead %d: %w", l.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// Lead returns one lead.
func (s *Store) Lead(ctx context.Context, id int64) (*model.Lead, error) {
	l, err := scanLead(s.r.QueryRowContext(ctx, `SELECT `+leadCols+leadFrom+` WHERE l.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: lead %d: %w", id, err)
	}
	return l, nil
}

// LeadFilter narrows the lead list.
type LeadFilter struct {
	Stage  model.LeadStage // '' for every stage
	Search string          // in title, contact, email
	Limit  int
}

// Leads lists leads, newest first.
func (s *Store) Leads(ctx context.Context, f LeadFilter) ([]*model.Lead, error) {
	var where []string
	var args []any
	if f.Stage != "" {
		where, args = append(where, "l.stage = ?"), append(args, f.Stage)
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		like := "%" + escapeLike(q) + "%"
		where = append(where, `(l.title LIKE ? ESCAPE '\' OR l.contact_name LIKE ? ESCAPE '\' OR l.email LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	q := `SELECT ` + leadCols + leadFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	return collect(ctx, s.r, "leads", rows(scanLead), q+` ORDER BY l.id DESC LIMIT ?`, append(args, f.Limit)...)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// escapeLike escapes LIKE's wildcards so a search means the text typed.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// rows adapts a scanner of one row to collect.
func rows[T any](scan func(interface{ Scan(...any) error }) (T, error)) func(*sql.Rows) (T, error) {
	return func(r *sql.Rows) (T, error) { return scan(r) }
}

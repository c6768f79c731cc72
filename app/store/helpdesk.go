package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"parley/app/model"
)

// Helpdesk teams and tickets.

const helpdeskTeamCols = `id, name, sequence, live_chat, created_at`

func scanHelpdeskTeam(row interface{ Scan(...any) error }) (*model.HelpdeskTeam, error) {
	var t model.HelpdeskTeam
	var live int
	var created int64
	if err := row.Scan(&t.ID, &t.Name, &t.Sequence, &live, &created); err != nil {
		return nil, err
	}
	t.LiveChat, t.CreatedAt = live != 0, fromMS(created)
	return &t, nil
}

// HelpdeskTeams lists the teams in priority order.
func (s *Store) HelpdeskTeams(ctx context.Context) ([]*model.HelpdeskTeam, error) {
	return collect(ctx, s.r, "helpdesk teams", rows(scanHelpdeskTeam),
		`SELECT `+helpdeskTeamCols+` FROM helpdesk_teams ORDER BY sequence, id`)
}

// HelpdeskTeam returns one team.
func (s *Store) HelpdeskTeam(ctx context.Context, id int64) (*model.HelpdeskTeam, error) {
	t, err := scanHelpdeskTeam(s.r.QueryRowContext(ctx, `SELECT `+helpdeskTeamCols+` FROM helpdesk_teams WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: helpdesk team %d: %w", id, err)
	}
	return t, nil
}

// FirstLiveChatTeam is the live-chat team of highest priority (lowest
// sequence); ErrNotFound when no team takes live chat tickets.
func (s *Store) FirstLiveChatTeam(ctx context.Context) (*model.HelpdeskTeam, error) {
	t, err := scanHelpdeskTeam(s.r.QueryRowContext(ctx, `SELECT `+helpdeskTeamCols+` FROM helpdesk_teams
		WHERE live_chat = 1 ORDER BY sequence, id LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: first live chat team: %w", err)
	}
	return t, nil
}

// SaveHelpdeskTeam inserts t (ID 0) or updates it.
func (s *Store) SaveHelpdeskTeam(ctx context.Context, t *model.HelpdeskTeam) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		if t.ID == 0 {
			t.CreatedAt = time.Now().UTC()
			res, err := tx.ExecContext(ctx, `INSERT INTO helpdesk_teams (name, sequence, live_chat, created_at) VALUES (?, ?, ?, ?)`,
				t.Name, t.Sequence, b2i(t.LiveChat), ms(t.CreatedAt))
			if err != nil {
				return fmt.Errorf("store: create helpdesk team: %w", err)
			}
			t.ID, _ = res.LastInsertId()
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE helpdesk_teams SET name = ?, sequence = ?, live_chat = ? WHERE id = ?`,
			t.Name, t.Sequence, b2i(t.LiveChat), t.ID)
		if err != nil {
			return fmt.Errorf("store: update helpdesk team %d: %w", t.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

const ticketCols = `k.id, k.number, k.title, COALESCE(k.team_id, 0), COALESCE(t.name, ''), k.status, k.description,
	k.contact_name, k.email, k.phone, COALESCE(k.session_id, 0), COALESCE(cs.public_id, ''), COALESCE(k.created_by, 0),
	k.created_at, k.updated_at`

const ticketFrom = ` FROM tickets k LEFT JOIN helpdesk_teams t ON t.id = k.team_id LEFT JOIN chat_sessions cs ON cs.id = k.session_id`

func scanTicket(row interface{ Scan(...any) error }) (*model.Ticket, error) {
	var k model.Ticket
	var created, updated int64
	if err := row.Scan(&k.ID, &k.Number, &k.Title, &k.TeamID, &k.TeamName, &k.Status, &k.Description,
		&k.ContactName, &k.Email, &k.Phone, &k.SessionID, &k.SessionPub, &k.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	k.CreatedAt, k.UpdatedAt = fromMS(created), fromMS(updated)
	return &k, nil
}

// CreateTicket inserts k with the next number; hooks run in the same
// transaction (the webhook outbox).
func (s *Store) CreateTicket(ctx context.Context, k *model.Ticket, hooks ...func(*sql.Tx) error) error {
	now := time.Now().UTC()
	k.CreatedAt, k.UpdatedAt = now, now
	if k.Status == "" {
		k.Status = model.TicketNew
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		// One writer connection: nobody can take the same number between
		// this read and the insert.
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(number), 0) + 1 FROM tickets`).Scan(&k.Number); err != nil {
			return fmt.Errorf("store: ticket number: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO tickets (number, title, team_id, status, description, contact_name,
			  email, phone, session_id, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.Number, k.Title, nullID(k.TeamID), k.Status, k.Description, k.ContactName, k.Email, k.Phone,
			nullID(k.SessionID), nullID(k.CreatedBy), ms(now), ms(now))
		if err != nil {
			return fmt.Errorf("store: create ticket: %w", err)
		}
		k.ID, _ = res.LastInsertId()
		for _, h := range hooks {
			if err := h(tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpdateTicket saves the editable fields of k.
func (s *Store) UpdateTicket(ctx context.Context, k *model.Ticket) error {
	k.UpdatedAt = time.Now().UTC()
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET title = ?, team_id = ?, status = ?, description = ?,
			  contact_name = ?, email = ?, phone = ?, updated_at = ? WHERE id = ?`,
			k.Title, nullID(k.TeamID), k.Status, k.Description, k.ContactName, k.Email, k.Phone, ms(k.UpdatedAt), k.ID)
		if err != nil {
			return fmt.Errorf("store: update ticket %d: %w", k.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// Ticket returns one ticket.
func (s *Store) Ticket(ctx context.Context, id int64) (*model.Ticket, error) {
	k, err := scanTicket(s.r.QueryRowContext(ctx, `SELECT `+ticketCols+ticketFrom+` WHERE k.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: ticket %d: %w", id, err)
	}
	return k, nil
}

// SearchTickets lists tickets newest first: all of them for an empty
// query; for "#12" or "12" the ticket numbered 12 first, then those whose
// title, contact or email contain any of the words.
func (s *Store) SearchTickets(ctx context.Context, query string, limit int) ([]*model.Ticket, error) {
	if limit <= 0 {
		limit = 200
	}
	words := strings.Fields(query)
	if len(words) == 0 {
		return collect(ctx, s.r, "tickets", rows(scanTicket), `SELECT `+ticketCols+ticketFrom+` ORDER BY k.number DESC LIMIT ?`, limit)
	}
	var conds []string
	var args []any
	var numbers []any
	for _, w := range words {
		if n, err := strconv.ParseInt(strings.TrimPrefix(w, "#"), 10, 64); err == nil && n > 0 {
			numbers = append(numbers, n)
			conds = append(conds, "k.number = ?")
			args = append(args, n)
		}
		like := "%" + escapeLike(w) + "%"
		conds = append(conds, `k.title LIKE ? ESCAPE '\'`, `k.contact_name LIKE ? ESCAPE '\'`, `k.email LIKE ? ESCAPE '\'`)
		args = append(args, like, like, like)
	}
	order := "k.number DESC"
	if len(numbers) > 0 {
		order = "k.number IN (" + placeholders(len(numbers)) + ") DESC, " + order
		args = append(args, numbers...)
	}
	return collect(ctx, s.r, "search tickets", rows(scanTicket), `SELECT `+ticketCols+ticketFrom+
		` WHERE `+strings.Join(conds, " OR ")+` ORDER BY `+order+` LIMIT ?`, append(args, limit)...)
}

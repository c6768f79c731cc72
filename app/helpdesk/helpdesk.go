// Package helpdesk is Parley's small built-in helpdesk: teams (in priority
// order, with a "Live chat" flag) and tickets numbered #01, #02…, created
// from conversations by the /helpdesk command and by chatbot steps with
// the transcript as description.
package helpdesk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"parley/app/model"
	"parley/app/store"
)

// Limits on what people type.
const (
	MaxTitle       = 200
	MaxName        = 100
	MaxField       = 200
	MaxDescription = 50000
)

// ErrNoLiveChatTeam: no helpdesk team takes tickets from live chat.
var ErrNoLiveChatTeam = model.Refuse(model.Conflict, "no_live_chat_team",
	"No helpdesk team takes tickets from live chat: an admin enables \"Live chat\" on a team in Configuration ▸ Helpdesk Teams.")

// Service owns helpdesk teams and tickets.
type Service struct {
	st *store.Store
	// Hook runs inside the transaction that creates a ticket (the webhook
	// outbox); nil for none.
	Hook func(*model.Ticket) func(*sql.Tx) error
}

// New returns the service on st.
func New(st *store.Store) *Service { return &Service{st: st} }

// Contact is what is known of the person behind a conversation, beyond
// what the visitor record says (a chatbot collects email and phone).
type Contact struct {
	Name  string
	Email string
	Phone string
}

// Options says which team takes the ticket and who creates it; zero
// values take the first live-chat team by priority and no creator.
type Options struct {
	TeamID    int64
	CreatedBy int64
}

// CreateTicket creates a ticket from conversation sessionID (its internal
// id): title, the transcript as description, the contact data given, else
// what the visitor record knows. Without Options.TeamID it goes to the
// live-chat team of highest priority, and ErrNoLiveChatTeam when there is
// none. Chatbot "Create Ticket" steps and the /helpdesk command call it.
func (s *Service) CreateTicket(ctx context.Context, sessionID int64, title string, c Contact, o Options) (*model.Ticket, error) {
	title = strings.TrimSpace(title)
	if err := checkTitle(title); err != nil {
		return nil, err
	}
	var team *model.HelpdeskTeam
	var err error
	if o.TeamID != 0 {
		team, err = s.st.HelpdeskTeam(ctx, o.TeamID)
	} else if team, err = s.st.FirstLiveChatTeam(ctx); errors.Is(err, model.ErrNotFound) {
		return nil, ErrNoLiveChatTeam
	}
	if err != nil {
		return nil, fmt.Errorf("helpdesk: team: %w", err)
	}
	x, err := s.st.Session(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("helpdesk: session %d: %w", sessionID, err)
	}
	v, err := s.st.Visitor(ctx, x.VisitorID)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, fmt.Errorf("helpdesk: visitor: %w", err)
	}
	desc, err := transcript(ctx, s.st, x)
	if err != nil {
		return nil, err
	}
	k := &model.Ticket{Title: title, TeamID: team.ID, TeamName: team.Name, Status: model.TicketNew, Description: desc,
		ContactName: clip(c.Name, MaxField), Email: clip(c.Email, MaxField), Phone: clip(c.Phone, MaxField),
		SessionID: x.ID, SessionPub: x.PublicID, CreatedBy: o.CreatedBy}
	if v != nil {
		if k.ContactName == "" {
			k.ContactName = v.Name
		}
		if k.Email == "" {
			k.Email = v.Email
		}
		if k.Phone == "" {
			k.Phone = v.Phone // from the pre-chat form
		}
	}
	if k.ContactName == "" {
		k.ContactName = x.VisitorName
	}
	var hooks []func(*sql.Tx) error
	if s.Hook != nil {
		hooks = append(hooks, s.Hook(k))
	}
	if err := s.st.CreateTicket(ctx, k, hooks...); err != nil {
		return nil, err
	}
	return k, nil
}

func transcript(ctx context.Context, st *store.Store, x *model.Session) (string, error) {
	all, err := st.AllMessages(ctx, x.ID)
	if err != nil {
		return "", fmt.Errorf("helpdesk: transcript: %w", err)
	}
	return clip(model.Transcript(x, all), MaxDescription), nil
}

// clip trims s and keeps its first n characters.
func clip(s string, n int) string { return model.Clip(strings.TrimSpace(s), n) }

func checkTitle(title string) error {
	switch {
	case title == "":
		return &model.FieldError{Field: "title", Message: "Give the ticket a title."}
	case utf8.RuneCountInString(title) > MaxTitle:
		return &model.FieldError{Field: "title", Message: "The title is too long: at most %d characters.", Args: []any{MaxTitle}}
	}
	return nil
}

// Ticket returns one ticket.
func (s *Service) Ticket(ctx context.Context, id int64) (*model.Ticket, error) {
	return s.st.Ticket(ctx, id)
}

// Search finds tickets by number ("12" or "#12") or by words in the title
// or contact; an empty query lists the newest.
func (s *Service) Search(ctx context.Context, query string, limit int) ([]*model.Ticket, error) {
	return s.st.SearchTickets(ctx, query, limit)
}

// ValidStatus reports whether st is one of the statuses.
func ValidStatus(st model.TicketStatus) bool {
	for _, x := range model.TicketStatuses {
		if x == st {
			return true
		}
	}
	return false
}

// UpdateTicket saves what the form edits.
func (s *Service) UpdateTicket(ctx context.Context, k *model.Ticket) error {
	k.Title = strings.TrimSpace(k.Title)
	if err := checkTitle(k.Title); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"contact_name", k.ContactName}, {"email", k.Email}, {"phone", k.Phone}} {
		if utf8.RuneCountInString(f.v) > MaxField {
			return &model.FieldError{Field: f.name, Message: "Too long: at most %d characters.", Args: []any{MaxField}}
		}
	}
	if utf8.RuneCountInString(k.Description) > MaxDescription {
		return &model.FieldError{Field: "description", Message: "Too long: at most %d characters.", Args: []any{MaxDescription}}
	}
	if !ValidStatus(k.Status) {
		return &model.FieldError{Field: "status", Message: "Choose a status from the list."}
	}
	if k.TeamID != 0 {
		if _, err := s.st.HelpdeskTeam(ctx, k.TeamID); errors.Is(err, model.ErrNotFound) {
			return &model.FieldError{Field: "team_id", Message: "Choose a team from the list."}
		} else if err != nil {
			return err
		}
	}
	return s.st.UpdateTicket(ctx, k)
}

// Teams lists the teams in priority order.
func (s *Service) Teams(ctx context.Context) ([]*model.HelpdeskTeam, error) {
	return s.st.HelpdeskTeams(ctx)
}

// Team returns one team.
func (s *Service) Team(ctx context.Context, id int64) (*model.HelpdeskTeam, error) {
	return s.st.HelpdeskTeam(ctx, id)
}

// SaveTeam creates (ID 0) or updates a team.
func (s *Service) SaveTeam(ctx context.Context, t *model.HelpdeskTeam) error {
	t.Name = strings.TrimSpace(t.Name)
	switch {
	case t.Name == "":
		return &model.FieldError{Field: "name", Message: "Give the team a name."}
	case utf8.RuneCountInString(t.Name) > MaxName:
		return &model.FieldError{Field: "name", Message: "The name is too long: at most %d characters.", Args: []any{MaxName}}
	case t.Sequence < 0 || t.Sequence > 1_000_000:
		return &model.FieldError{Field: "sequence", Message: "The priority is a number from 0 to 1000000."}
	}
	return s.st.SaveHelpdeskTeam(ctx, t)
}

// StatusLabel names a ticket status in English source text.
func StatusLabel(s model.TicketStatus) string {
	switch s {
	case model.TicketInProgress:
		return "In progress"
	case model.TicketSolved:
		return "Solved"
	case model.TicketCancelled:
		return "Cancelled"
	}
	return "New"
}

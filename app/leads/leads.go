// Package leads is Parley's small built-in CRM: sales teams and leads
// (New, Qualified, Won, Lost), created from conversations by the /lead
// command and by chatbot steps, each carrying the conversation's
// transcript in its notes.
package leads

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
	MaxTitle = 200
	MaxName  = 100
	MaxField = 200   // contact name, email, phone
	MaxNotes = 50000 // a long conversation's transcript fits
)

// Where a lead came from, as shown on it.
const (
	SourceLiveChat = "Live Chat"
	SourceChatbot  = "Chatbot"
)

// Service owns leads and sales teams.
type Service struct {
	st *store.Store
	// Hook runs inside the transaction that creates a lead (the webhook
	// outbox); nil for none.
	Hook func(*model.Lead) func(*sql.Tx) error
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

// Options says who makes the lead and for which team; zero values are
// fine: the oldest active sales team (none when there is none), no
// referrer, source "Live Chat".
type Options struct {
	TeamID     int64
	ReferrerID int64  // the operator who created it
	Source     string // SourceLiveChat when empty
}

// CreateLead creates a lead from conversation sessionID (its internal id):
// title, the transcript as notes, the contact data given, else what the
// visitor record knows (name, email, country). Chatbot "Create Lead" steps
// and the /lead command call it.
func (s *Service) CreateLead(ctx context.Context, sessionID int64, title string, c Contact, o Options) (*model.Lead, error) {
	title = strings.TrimSpace(title)
	if err := checkTitle(title); err != nil {
		return nil, err
	}
	x, err := s.st.Session(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("leads: session %d: %w", sessionID, err)
	}
	v, err := s.st.Visitor(ctx, x.VisitorID)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, fmt.Errorf("leads: visitor: %w", err)
	}
	notes, err := transcript(ctx, s.st, x)
	if err != nil {
		return nil, err
	}
	l := &model.Lead{Title: title, ContactName: clip(c.Name, MaxField), Email: clip(c.Email, MaxField), Phone: clip(c.Phone, MaxField),
		Country: x.Country, TeamID: o.TeamID, Stage: model.StageNew, Notes: notes, Source: o.Source,
		SessionID: x.ID, SessionPub: x.PublicID, ReferrerID: o.ReferrerID}
	if l.Source == "" {
		l.Source = SourceLiveChat
	}
	if v != nil {
		if l.ContactName == "" {
			l.ContactName = v.Name
		}
		if l.Email == "" {
			l.Email = v.Email
		}
		if l.Phone == "" {
			l.Phone = v.Phone // from the pre-chat form
		}
		if l.Country == "" {
			l.Country = v.Country
		}
	}
	if l.ContactName == "" && x.VisitorName != "" {
		l.ContactName = x.VisitorName
	}
	if o.TeamID == 0 {
		// The oldest active team takes leads nobody assigned (the /lead
		// command's), so its webhook hears of them.
		teams, err := s.st.SalesTeams(ctx, false)
		if err != nil {
			return nil, err
		}
		for _, t := range teams {
			if l.TeamID == 0 || t.ID < l.TeamID {
				l.TeamID, l.TeamName = t.ID, t.Name
			}
		}
	} else {
		t, err := s.st.SalesTeam(ctx, o.TeamID)
		if err != nil {
			return nil, fmt.Errorf("leads: team %d: %w", o.TeamID, err)
		}
		l.TeamName = t.Name
	}
	var hooks []func(*sql.Tx) error
	if s.Hook != nil {
		hooks = append(hooks, s.Hook(l))
	}
	if err := s.st.CreateLead(ctx, l, hooks...); err != nil {
		return nil, err
	}
	return l, nil
}

// Transcript is conversation x as plain text, every message of it.
func transcript(ctx context.Context, st *store.Store, x *model.Session) (string, error) {
	all, err := st.AllMessages(ctx, x.ID)
	if err != nil {
		return "", fmt.Errorf("leads: transcript: %w", err)
	}
	return clip(model.Transcript(x, all), MaxNotes), nil
}

// clip trims s and keeps its first n characters.
func clip(s string, n int) string { return model.Clip(strings.TrimSpace(s), n) }

func checkTitle(title string) error {
	switch {
	case title == "":
		return &model.FieldError{Field: "title", Message: "Give the lead a title."}
	case utf8.RuneCountInString(title) > MaxTitle:
		return &model.FieldError{Field: "title", Message: "The title is too long: at most %d characters.", Args: []any{MaxTitle}}
	}
	return nil
}

// Lead returns one lead.
func (s *Service) Lead(ctx context.Context, id int64) (*model.Lead, error) { return s.st.Lead(ctx, id) }

// Leads lists leads, newest first, of one stage or all.
func (s *Service) Leads(ctx context.Context, stage model.LeadStage, search string) ([]*model.Lead, error) {
	return s.st.Leads(ctx, store.LeadFilter{Stage: stage, Search: search})
}

// ValidStage reports whether st is one of the stages.
func ValidStage(st model.LeadStage) bool {
	for _, x := range model.LeadStages {
		if x == st {
			return true
		}
	}
	return false
}

// UpdateLead saves what the form edits: title, contact, team, stage, notes.
func (s *Service) UpdateLead(ctx context.Context, l *model.Lead) error {
	l.Title = strings.TrimSpace(l.Title)
	if err := checkTitle(l.Title); err != nil {
		return err
	}
	for _, f := range []struct {
		name, v string
	}{{"contact_name", l.ContactName}, {"email", l.Email}, {"phone", l.Phone}} {
		if utf8.RuneCountInString(f.v) > MaxField {
			return &model.FieldError{Field: f.name, Message: "Too long: at most %d characters.", Args: []any{MaxField}}
		}
	}
	if utf8.RuneCountInString(l.Notes) > MaxNotes {
		return &model.FieldError{Field: "notes", Message: "Too long: at most %d characters.", Args: []any{MaxNotes}}
	}
	if !ValidStage(l.Stage) {
		return &model.FieldError{Field: "stage", Message: "Choose a stage from the list."}
	}
	if l.TeamID != 0 {
		if _, err := s.st.SalesTeam(ctx, l.TeamID); errors.Is(err, model.ErrNotFound) {
			return &model.FieldError{Field: "team_id", Message: "Choose a sales team from the list."}
		} else if err != nil {
			return err
		}
	}
	return s.st.UpdateLead(ctx, l)
}

// SetStage moves a lead to another stage (the kanban's drag and drop).
func (s *Service) SetStage(ctx context.Context, id int64, stage model.LeadStage) (*model.Lead, error) {
	l, err := s.st.Lead(ctx, id)
	if err != nil {
		return nil, err
	}
	l.Stage = stage
	if err := s.UpdateLead(ctx, l); err != nil {
		return nil, err
	}
	return l, nil
}

// Teams lists the sales teams, archived ones too when asked.
func (s *Service) Teams(ctx context.Context, withArchived bool) ([]*model.SalesTeam, error) {
	return s.st.SalesTeams(ctx, withArchived)
}

// Team returns one sales team.
func (s *Service) Team(ctx context.Context, id int64) (*model.SalesTeam, error) {
	return s.st.SalesTeam(ctx, id)
}

// SaveTeam creates (ID 0) or renames a team; Active archives or restores it.
func (s *Service) SaveTeam(ctx context.Context, t *model.SalesTeam) error {
	t.Name = strings.TrimSpace(t.Name)
	switch {
	case t.Name == "":
		return &model.FieldError{Field: "name", Message: "Give the team a name."}
	case utf8.RuneCountInString(t.Name) > MaxName:
		return &model.FieldError{Field: "name", Message: "The name is too long: at most %d characters.", Args: []any{MaxName}}
	}
	return s.st.SaveSalesTeam(ctx, t)
}

// StageLabel names a stage in English source text.
func StageLabel(s model.LeadStage) string {
	switch s {
	case model.StageQualified:
		return "Qualified"
	case model.StageWon:
		return "Won"
	case model.StageLost:
		return "Lost"
	}
	return "New"
}

package model

import (
	"fmt"
	"strings"
	"time"
)

// LeadStage is where a lead stands in the sales pipeline.
type LeadStage string

// The lead stages, in pipeline order.
const (
	StageNew       LeadStage = "new"
	StageQualified LeadStage = "qualified"
	StageWon       LeadStage = "won"
	StageLost      LeadStage = "lost"
)

// LeadStages lists the stages in pipeline order (the kanban's columns).
var LeadStages = []LeadStage{StageNew, StageQualified, StageWon, StageLost}

// SalesTeam groups leads; archived teams keep theirs but take no new ones.
type SalesTeam struct {
	ID        int64
	Name      string
	Active    bool
	CreatedAt time.Time
}

// Lead is a sales opportunity, usually born in a conversation.
type Lead struct {
	ID          int64
	Title       string
	ContactName string
	Email       string
	Phone       string
	Country     string // ISO code
	TeamID      int64
	TeamName    string // read with the lead
	Stage       LeadStage
	Notes       string
	Source      string
	SessionID   int64  // the conversation it came from, 0 when none (or deleted)
	SessionPub  string // its public id, for links
	ReferrerID  int64
	Referrer    string // the referring operator's name
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TicketStatus is where a helpdesk ticket stands.
type TicketStatus string

// The ticket statuses.
const (
	TicketNew        TicketStatus = "new"
	TicketInProgress TicketStatus = "in_progress"
	TicketSolved     TicketStatus = "solved"
	TicketCancelled  TicketStatus = "cancelled"
)

// TicketStatuses lists the statuses in order.
var TicketStatuses = []TicketStatus{TicketNew, TicketInProgress, TicketSolved, TicketCancelled}

// HelpdeskTeam receives tickets; the live-chat team with the lowest
// Sequence takes the tickets operators create from conversations.
type HelpdeskTeam struct {
	ID        int64
	Name      string
	Sequence  int
	LiveChat  bool
	CreatedAt time.Time
}

// Ticket is a helpdesk ticket.
type Ticket struct {
	ID          int64
	Number      int64
	Title       string
	TeamID      int64
	TeamName    string
	Status      TicketStatus
	Description string
	ContactName string
	Email       string
	Phone       string
	SessionID   int64
	SessionPub  string
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Ref is the ticket's number as people write it: #01, #02, … #100.
func (t *Ticket) Ref() string { return fmt.Sprintf("#%02d", t.Number) }

// CannedResponse is a text an operator inserts by its shortcut.
type CannedResponse struct {
	ID           int64
	Shortcut     string
	Substitution string            // the text in the default language (English)
	Texts        map[string]string // by language tag: the text in that language
	CreatedAt    time.Time
}

// In is the substitution in language lang, or the default one.
func (c *CannedResponse) In(lang string) string {
	if s := c.Texts[lang]; s != "" {
		return s
	}
	return c.Substitution
}

// Transcript is a conversation as plain text, one "Author: text" line per
// message, for the notes of a lead or the description of a ticket. System
// notices are left out (they say nothing the lines around them don't), and
// so are operators' internal notes.
func Transcript(x *Session, msgs []*Message) string {
	var b strings.Builder
	for _, m := range msgs {
		if m.AuthorKind == AuthorSystem || m.Internal || m.Body == "" {
			continue
		}
		name := m.AuthorName
		if name == "" && m.AuthorKind == AuthorVisitor {
			name = fmt.Sprintf(VisitorLabelFormat, x.VisitorID)
		}
		fmt.Fprintf(&b, "%s: %s\n", name, m.Body)
	}
	return b.String()
}

// Notification is an entry of a user's inbox: someone mentioned them.
type Notification struct {
	ID          int64
	UserID      int64
	AuthorID    int64
	Author      string
	SessionID   int64
	SessionPub  string
	VisitorName string // '' means "Website Visitor #<VisitorID>"
	VisitorID   int64
	OperatorID  int64 // the conversation's operator, to tell who may open it
	MessageID   int64
	Body        string
	CreatedAt   time.Time
	ReadAt      time.Time
}

package model

import (
	"fmt"
	"time"
)

// AuthorKind says who wrote a message.
type AuthorKind string

// Message authors.
const (
	AuthorVisitor  AuthorKind = "visitor"
	AuthorOperator AuthorKind = "operator"
	AuthorBot      AuthorKind = "bot"
	AuthorSystem   AuthorKind = "system" // notices such as "X has left the conversation."
)

// SessionStatus is whether a chat is still going on.
type SessionStatus string

// Session statuses.
const (
	SessionOpen   SessionStatus = "open"
	SessionClosed SessionStatus = "closed"
)

// Visitor is a person on a customer's website.
type Visitor struct {
	ID             int64
	Name           string // set by the host page; empty means DisplayName's default
	Email          string
	Phone          string // from the pre-chat form
	Country        string
	LastOperatorID int64
	CurrentURL     string
	CurrentTitle   string
	// ExternalID is the host site's id for this visitor, set when the site
	// signed it (signed identity); VerifiedAt is when it last did.
	ExternalID string
	VerifiedAt time.Time
	CreatedAt  time.Time
	LastSeenAt time.Time
	// Language is the one the visitor's browser asks for ("es-MX"); Visits
	// counts their visits (a new one after 8 hours without a page view);
	// PageSince is when they opened their current page.
	Language  string
	Visits    int
	PageSince time.Time
}

// Returning reports whether the visitor came back after an earlier visit.
func (v *Visitor) Returning() bool { return v.Visits > 1 }

// Verified reports whether the host site vouched for this visitor with a
// valid signature.
func (v *Visitor) Verified() bool { return v.ExternalID != "" }

// DisplayName is the visitor's name in English, "Website Visitor #12" when
// the host page gave none; pages render VisitorLabel in the viewer's language.
func (v *Visitor) DisplayName() string {
	if v.Name != "" {
		return v.Name
	}
	return fmt.Sprintf(VisitorLabelFormat, v.ID)
}

// VisitorLabelFormat names a visitor whose name is unknown, by number. It is
// English source text: what is stored is the name (” when unknown) and the
// visitor's id, and the label is rendered in the viewer's language.
const VisitorLabelFormat = "Website Visitor #%d"

// Session is one live chat conversation.
type Session struct {
	ID            int64
	PublicID      string
	ChannelID     int64
	ChannelName   string
	VisitorID     int64
	VisitorName   string // as the host page gave it; '' means "Website Visitor #<VisitorID>"
	Country       string
	OperatorID    int64
	OperatorName  string
	Status        SessionStatus
	URL           string
	Title         string
	CreatedAt     time.Time
	ClosedAt      time.Time
	LastMessageAt time.Time
	MessageCount  int
	// VisitorLanguage is the visitor's browser language when the chat
	// started ("es"), for what is pushed to them live.
	VisitorLanguage string
	// Rating is the visitor's rating of the conversation (5, 3 or 1); 0
	// when they gave none.
	Rating int
	// ChatbotID is the chatbot that greeted the visitor (0: none, or
	// deleted since); Chatbot is where the script stands.
	ChatbotID   int64
	ChatbotName string
	Chatbot     ChatbotPosition
	// QueuedAt is when the chat began waiting because every operator was
	// at their maximum, AssignedAt when an operator took it; both zero for
	// a chat assigned at once. QueuePosition is its place in its channel's
	// line while it waits (1 is next), else 0.
	QueuedAt      time.Time
	AssignedAt    time.Time
	QueuePosition int
}

// Waiting says whether x is in its channel's queue, without an operator yet.
func (x *Session) Waiting() bool {
	return x.Status == SessionOpen && !x.QueuedAt.IsZero() && x.AssignedAt.IsZero()
}

// WaitingTime is how long x waited in the queue: until an operator took
// it, or it ended, or now while it still waits; zero if it never waited.
func (x *Session) WaitingTime(now time.Time) time.Duration {
	if x.QueuedAt.IsZero() {
		return 0
	}
	end := x.AssignedAt
	if end.IsZero() {
		end = x.ClosedAt
	}
	if end.IsZero() {
		end = now
	}
	return end.Sub(x.QueuedAt)
}

// ChatbotPosition is where a conversation stands in its chatbot script.
type ChatbotPosition struct {
	State   ChatbotState
	StepID  int64   // the step waiting for the visitor, while running
	Answers []int64 // answers chosen since the start or the last restart
	Email   string  // given at an Email step (valid, lower-cased)
	Phone   string  // given at a Phone step, as typed
}

// Duration is how long the conversation lasted: first to last message, or
// creation to now while nothing was said.
func (s *Session) Duration(now time.Time) time.Duration {
	end := s.LastMessageAt
	if end.IsZero() {
		end = s.ClosedAt
	}
	if end.IsZero() {
		end = now
	}
	if d := end.Sub(s.CreatedAt); d > 0 {
		return d
	}
	return 0
}

// Message is one chat message. Bodies are plain text, always.
type Message struct {
	ID         int64
	SessionID  int64
	AuthorKind AuthorKind
	AuthorID   int64
	AuthorName string // '' for a visitor without a name: render the label
	Body       string // plain text; '' for system notices
	Notice     *Notice
	ClientID   string // the poster's own name for it, unique per session; '' when none
	// Step is what a bot's message asks (answers to click), nil otherwise.
	Step *StepView
	// AnswerID is the chatbot answer a visitor's message clicked, 0 if typed.
	AnswerID int64
	// Internal marks an operators' note (a message that mentions someone):
	// never shown or pushed to the visitor.
	Internal  bool
	CreatedAt time.Time
	// Attachments are the files sent with the message.
	Attachments []*Attachment
	// Replayed is set (never stored) when a post repeated a ClientID and
	// the message already stored is returned instead of a second one.
	Replayed bool
	// Tab names the visitor's browser tab that posted it (never stored):
	// that tab has the message from its post's answer, so the push to the
	// visitor's sockets skips it.
	Tab string
}

// Attachment is a file sent in a conversation. Its bytes live on disk
// under Hash (the SHA-256 of the content), never in the database.
type Attachment struct {
	ID          int64
	MessageID   int64
	Name        string
	Size        int64
	ContentType string // from the bytes, not from the sender
	Hash        string
	// Width and Height are a picture's size; Thumbnail is set when a
	// bounded preview was made.
	Width, Height int
	Thumbnail     bool
}

// Notice is what the system says in a conversation ("X has left"), stored
// as a code with arguments and rendered in the viewer's language.
type Notice struct {
	Code string            `json:"code"`
	Args map[string]string `json:"args,omitempty"`
}

// PageView is one page a visitor opened.
type PageView struct {
	ID        int64
	VisitorID int64
	URL       string
	Title     string
	CreatedAt time.Time
}

// OfflineMessage was left while no operator was available.
type OfflineMessage struct {
	ID        int64
	ChannelID int64
	VisitorID int64
	Name      string
	Email     string
	Body      string
	URL       string
	CreatedAt time.Time
	HandledAt time.Time
}

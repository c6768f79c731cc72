package livechat

import (
	"strconv"
	"time"

	"parley/app/geo"
	"parley/app/model"
)

// The JSON shapes of the public contract (visitor-api.md §2): the same
// structs answer HTTP calls and fill socket frames, so they cannot drift.

// AuthorView is who wrote a message.
type AuthorView struct {
	Kind model.AuthorKind `json:"kind"`
	Name string           `json:"name"`
}

// MessageView is a message as clients see it. A system notice carries its
// code and arguments and, in Body, its text in the viewer's language. It
// writes its own JSON (views_json.go): a field added here is added there,
// and a struct that embeds it would encode as the view alone, so give it a
// field name instead.
type MessageView struct {
	ID        int64           `json:"id"`
	SessionID string          `json:"session_id"`
	Author    AuthorView      `json:"author"`
	Body      string          `json:"body"`
	Notice    *model.Notice   `json:"notice,omitempty"`
	ClientID  string          `json:"client_id,omitempty"`
	Internal  bool            `json:"internal,omitempty"` // an operators' note, never shown to the visitor
	CreatedAt time.Time       `json:"created_at"`
	Step      *model.StepView `json:"step"` // what a chatbot's message asks
	// Attachments are the files sent with the message, never nil.
	Attachments []AttachmentView `json:"attachments"`
}

// NewMessageView formats m of session x for a viewer.
func NewMessageView(t Translator, x *model.Session, m *model.Message) MessageView {
	v := MessageView{ID: m.ID, SessionID: x.PublicID, Author: AuthorView{Kind: m.AuthorKind, Name: m.AuthorName},
		Body: m.Body, Notice: m.Notice, ClientID: m.ClientID, Internal: m.Internal, CreatedAt: m.CreatedAt, Step: m.Step,
		Attachments: attachmentViews(VisitorAPI, x.PublicID, m.Attachments)}
	switch {
	case m.AuthorKind == model.AuthorVisitor:
		v.Author.Name = VisitorLabel(t, m.AuthorName, x.VisitorID)
	case m.Notice != nil:
		v.Body = NoticeText(t, m.Notice)
	}
	return v
}

// MessageViews formats a list, never nil so it encodes as [].
func MessageViews(t Translator, x *model.Session, ms []*model.Message) []MessageView {
	out := make([]MessageView, 0, len(ms))
	for _, m := range ms {
		out = append(out, NewMessageView(t, x, m))
	}
	return out
}

// OperatorView is the operator a visitor talks to.
type OperatorView struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
}

// SessionView is a session as the visitor sees it.
type SessionView struct {
	ID          string              `json:"id"`
	ChannelID   int64               `json:"channel_id"`
	VisitorName string              `json:"visitor_name"`
	Status      model.SessionStatus `json:"status"`
	Operator    *OperatorView       `json:"operator"`
	Chatbot     *ChatbotView        `json:"chatbot"`
	Rating      *int                `json:"rating"`
	// QueuePosition is the visitor's place in the queue while the chat
	// waits for an operator (1 is next); 0 otherwise.
	QueuePosition int `json:"queue_position"`
}

// ChatbotView is a conversation's chatbot, as the widget needs it: State
// "ended" makes it offer Restart; "forwarded" means an operator took over.
type ChatbotView struct {
	ID        int64              `json:"id"`
	Name      string             `json:"name"`
	AvatarURL string             `json:"avatar_url"`
	State     model.ChatbotState `json:"state"`
}

// ChatbotAvatarURL is where a chatbot's picture is served.
func ChatbotAvatarURL(baseURL string, id int64) string {
	return baseURL + "/im_livechat/chatbot/" + strconv.FormatInt(id, 10) + "/avatar"
}

// NewSessionView formats x for a viewer; baseURL makes the avatar URL
// absolute because the widget runs on other origins.
func NewSessionView(t Translator, x *model.Session, baseURL string) SessionView {
	v := SessionView{ID: x.PublicID, ChannelID: x.ChannelID, VisitorName: VisitorLabel(t, x.VisitorName, x.VisitorID), Status: x.Status,
		QueuePosition: x.QueuePosition}
	if x.Rating != 0 {
		r := x.Rating
		v.Rating = &r
	}
	if x.OperatorID != 0 {
		v.Operator = &OperatorView{ID: x.OperatorID, Name: x.OperatorName,
			AvatarURL: baseURL + "/im_livechat/operator/" + strconv.FormatInt(x.OperatorID, 10) + "/avatar"}
	}
	if x.ChatbotID != 0 {
		v.Chatbot = &ChatbotView{ID: x.ChatbotID, Name: x.ChatbotName, AvatarURL: ChatbotAvatarURL(baseURL, x.ChatbotID), State: x.Chatbot.State}
	}
	return v
}

// VisitorView is what operators see of the visitor.
type VisitorView struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"` // from the pre-chat form
	Country      string `json:"country"`
	CountryName  string `json:"country_name"`
	CurrentURL   string `json:"current_url"`
	CurrentTitle string `json:"current_title"`
	// Verified: the host site signed the visitor's identity; ExternalID is
	// the site's user id for them.
	Verified   bool   `json:"verified"`
	ExternalID string `json:"external_id,omitempty"`
}

// OperatorSessionView is a session as operators and the operator API see it.
type OperatorSessionView struct {
	SessionView
	ChannelName   string       `json:"channel_name"`
	Visitor       VisitorView  `json:"visitor"`
	CreatedAt     time.Time    `json:"created_at"`
	ClosedAt      *time.Time   `json:"closed_at"`
	LastMessageAt *time.Time   `json:"last_message_at"`
	MessageCount  int          `json:"message_count"`
	Unread        int          `json:"unread"`
	LastMessage   *MessageView `json:"last_message"`
}

// NewOperatorSessionView formats x with its visitor (which may be nil).
func NewOperatorSessionView(t Translator, x *model.Session, v *model.Visitor, baseURL string) OperatorSessionView {
	o := OperatorSessionView{SessionView: NewSessionView(t, x, baseURL), ChannelName: x.ChannelName,
		CreatedAt: x.CreatedAt, MessageCount: x.MessageCount}
	if !x.ClosedAt.IsZero() {
		t := x.ClosedAt
		o.ClosedAt = &t
	}
	if !x.LastMessageAt.IsZero() {
		t := x.LastMessageAt
		o.LastMessageAt = &t
	}
	o.Visitor = VisitorView{ID: x.VisitorID, Name: o.VisitorName, Country: x.Country}
	o.Visitor.CountryName = CountryName(t, x.Country)
	if v != nil {
		o.Visitor.Email, o.Visitor.Phone, o.Visitor.CurrentURL, o.Visitor.CurrentTitle = v.Email, v.Phone, v.CurrentURL, v.CurrentTitle
		o.Visitor.Verified, o.Visitor.ExternalID = v.Verified(), v.ExternalID
	}
	return o
}

// TypingView is the data of a typing frame.
type TypingView struct {
	SessionID string     `json:"session_id"`
	Author    AuthorView `json:"author"`
	Typing    bool       `json:"typing"`
}

// CountryName names a country in the reader's language (a Translator that
// knows its language, such as *i18n.Localizer), else in English.
func CountryName(t Translator, code string) string {
	lang := "en"
	if l, ok := t.(interface{ Lang() string }); ok {
		lang = l.Lang()
	}
	name, _ := geo.CountryNameIn(lang, code)
	return name
}

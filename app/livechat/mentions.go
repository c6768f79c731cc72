package livechat

import (
	"context"
	"errors"

	"parley/app/model"
	"parley/app/store"
)

// Mentions: an operator's message that mentions users ("@Ada") is an
// internal note, for operators only (the visitor's reads and pushes leave
// it out), and each mentioned user finds it in their inbox, pushed live.

// EventNotification is the frame that brings a user a new inbox entry.
const EventNotification = "notification"

// MaxMentions bounds the users one note mentions.
const MaxMentions = 20

// NotificationView is an inbox entry as clients get it.
type NotificationView struct {
	ID        int64  `json:"id"`
	Author    string `json:"author"`
	Visitor   string `json:"visitor"`
	SessionID string `json:"session_id,omitempty"`
	CanOpen   bool   `json:"can_open"` // the reader may open the conversation
	Body      string `json:"body"`
	CreatedAt string `json:"created_at"`
	Read      bool   `json:"read"`
	Text      string `json:"text"` // "Ada mentioned you in a conversation with Website Visitor #3"
}

func notificationView(t Translator, u *model.User, n *model.Notification) NotificationView {
	who := VisitorLabel(t, n.VisitorName, n.VisitorID)
	return NotificationView{ID: n.ID, Author: n.Author, Visitor: who, SessionID: n.SessionPub,
		CanOpen: n.SessionPub != "" && (u.IsAdmin() || n.OperatorID == u.ID), Body: n.Body,
		CreatedAt: n.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Read: !n.ReadAt.IsZero(),
		Text: t.T("%s mentioned you in a conversation with %s", n.Author, who)}
}

// Mentionable lists the active users an operator may mention, by name;
// query filters on name, chat name or email.
func (s *Service) Mentionable(ctx context.Context, query string, limit int) ([]*model.User, error) {
	active := true
	return s.st.FilterUsers(ctx, store.UserFilter{Query: query, Active: &active, Limit: limit})
}

// OperatorPost is what an operator sends to a conversation: with mentions
// (user ids) an internal note that notifies them; otherwise OperatorInput
// (a command, or a message to the visitor).
func (s *Service) OperatorPost(ctx context.Context, x *model.Session, u *model.User, body, clientID string, mentions []int64, t Translator) (*model.Message, *CommandAnswer, error) {
	if _, _, isCmd := ParseCommand(body); isCmd || len(mentions) == 0 {
		return s.OperatorInput(ctx, x, u, body, clientID, t)
	}
	m, err := s.PostNote(ctx, x, u, body, clientID, mentions)
	return m, nil, err
}

// PostNote posts an internal note by u in x and notifies the users it
// mentions (u excepted).
func (s *Service) PostNote(ctx context.Context, x *model.Session, u *model.User, body, clientID string, mentions []int64) (*model.Message, error) {
	if err := s.mayAct(x, u); err != nil {
		return nil, err
	}
	if len(mentions) > MaxMentions {
		return nil, &model.FieldError{Field: "mentions", Message: "A note mentions at most %d people.", Args: []any{MaxMentions}}
	}
	var who []*model.User
	seen := map[int64]bool{}
	for _, id := range mentions {
		if seen[id] {
			continue
		}
		seen[id] = true
		m, err := s.st.User(ctx, id)
		if errors.Is(err, model.ErrNotFound) || (err == nil && !m.Active) {
			return nil, &model.FieldError{Field: "mentions", Message: "You can only mention active users."}
		}
		if err != nil {
			return nil, err
		}
		who = append(who, m)
	}
	s.Presence.Activity(u.ID)
	msg, err := s.post(ctx, x, &model.Message{AuthorKind: model.AuthorOperator, AuthorID: u.ID, AuthorName: u.DisplayChatName(),
		Body: body, ClientID: clientID, Internal: true})
	if err != nil || msg.Replayed {
		return msg, err
	}
	var list []*model.Notification
	for _, m := range who {
		if m.ID != u.ID {
			list = append(list, &model.Notification{UserID: m.ID, AuthorID: u.ID, Author: u.DisplayChatName(), SessionID: x.ID,
				SessionPub: x.PublicID, VisitorName: x.VisitorName, VisitorID: x.VisitorID, OperatorID: x.OperatorID,
				MessageID: msg.ID, Body: msg.Body})
		}
	}
	if err := s.st.CreateNotifications(ctx, list); err != nil {
		return nil, err
	}
	for i, n := range list {
		s.pub.Publish(OperatorTopic(n.UserID), EventNotification, notificationView(s.operatorText(n.UserID), who[i], n))
	}
	return msg, nil
}

// Inbox is a user's notifications, newest first, and how many are unread.
type Inbox struct {
	Items  []NotificationView `json:"notifications"`
	Unread int                `json:"unread"`
}

// InboxOf returns u's latest notifications.
func (s *Service) InboxOf(ctx context.Context, u *model.User, t Translator, limit int) (*Inbox, error) {
	list, err := s.st.Notifications(ctx, u.ID, limit)
	if err != nil {
		return nil, err
	}
	n, err := s.st.UnreadNotifications(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	in := &Inbox{Items: make([]NotificationView, 0, len(list)), Unread: n}
	for _, x := range list {
		in.Items = append(in.Items, notificationView(t, u, x))
	}
	return in, nil
}

// MarkInboxRead marks every notification of u read.
func (s *Service) MarkInboxRead(ctx context.Context, u *model.User) error {
	return s.st.MarkNotificationsRead(ctx, u.ID)
}

package livechat

import (
	"context"
	"errors"
	"time"

	"parley/app/model"
)

// Keeping visitors' data no longer than needed, and handing it over or
// erasing it when a visitor asks (GDPR articles 15 and 17).

// Retention modes: what happens to conversations older than the limit.
const (
	RetainAnonymise = "anonymise" // keep the figures, drop what was said and who said it
	RetainDelete    = "delete"    // delete them whole
)

// ApplyRetention deletes or anonymises the ended conversations, page views,
// offline messages and visitors older than days (0: keep everything).
func (s *Service) ApplyRetention(ctx context.Context, days int, mode string) (model.Retained, error) {
	if days <= 0 {
		return model.Retained{}, nil
	}
	before := s.now().Add(-time.Duration(days) * 24 * time.Hour)
	var r model.Retained
	var err error
	switch mode {
	case RetainDelete:
		r, err = s.st.DeleteBefore(ctx, before)
	case RetainAnonymise:
		r, err = s.st.AnonymiseBefore(ctx, before)
	default:
		return model.Retained{}, errors.New("livechat: retention mode must be anonymise or delete")
	}
	if err != nil {
		return r, err
	}
	// The files of the messages that went go with them.
	return r, s.sweepFiles(ctx)
}

// VisitorExport is everything Parley holds about one visitor.
type VisitorExport struct {
	Visitor         *model.Visitor         `json:"visitor"`
	Conversations   []ExportedConversation `json:"conversations"`
	PageViews       []model.PageView       `json:"page_views"`
	OfflineMessages []model.OfflineMessage `json:"offline_messages"`
}

// ExportedConversation is one conversation with its messages.
type ExportedConversation struct {
	Session  *model.Session   `json:"session"`
	Messages []*model.Message `json:"messages"`
}

// ExportVisitor gathers a visitor's data for them (their right of access).
func (s *Service) ExportVisitor(ctx context.Context, id int64) (*VisitorExport, error) {
	v, err := s.st.Visitor(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &VisitorExport{Visitor: v, Conversations: []ExportedConversation{}}
	sessions, err := s.st.Sessions(ctx, model.SessionFilter{VisitorID: id, Limit: 100000})
	if err != nil {
		return nil, err
	}
	for _, x := range sessions {
		msgs, err := s.allMessages(ctx, x.ID)
		if err != nil {
			return nil, err
		}
		out.Conversations = append(out.Conversations, ExportedConversation{Session: x, Messages: msgs})
	}
	if out.PageViews, err = s.st.PageViews(ctx, id, 1000000); err != nil {
		return nil, err
	}
	if out.OfflineMessages, err = s.st.OfflineMessagesOfVisitor(ctx, id); err != nil {
		return nil, err
	}
	return out, nil
}

// allMessages pages through a conversation's messages.
func (s *Service) allMessages(ctx context.Context, sessionID int64) ([]*model.Message, error) {
	var out []*model.Message
	after := int64(0)
	for {
		page, err := s.st.Messages(ctx, sessionID, after, 1000)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 1000 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// EraseVisitor deletes a visitor and everything about them (their right
// to erasure); it returns how many conversations went.
func (s *Service) EraseVisitor(ctx context.Context, id int64) (int, error) {
	n, err := s.st.EraseVisitor(ctx, id)
	if err != nil {
		return n, err
	}
	return n, s.sweepFiles(ctx)
}

package livechat

import (
	"context"
	"slices"

	"parley/app/model"
)

// Read models of the operator side: the lists and records the admin pages
// and the operator API show. They are built here, once, so pages and API
// cannot disagree (who sees what is CanSee's rule).

// SessionViews formats sessions for u with their visitors, unread counts
// and last messages: one query each for the whole list.
func (s *Service) SessionViews(ctx context.Context, u *model.User, t Translator, list []*model.Session) ([]OperatorSessionView, error) {
	ids := make([]int64, len(list))
	vids := make([]int64, len(list))
	for i, x := range list {
		ids[i], vids[i] = x.ID, x.VisitorID
	}
	visitors, err := s.st.VisitorsByID(ctx, vids)
	if err != nil {
		return nil, err
	}
	unread, err := s.st.Unread(ctx, u.ID, ids)
	if err != nil {
		return nil, err
	}
	last, err := s.st.LastMessages(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]OperatorSessionView, 0, len(list))
	for _, x := range list {
		ov := NewOperatorSessionView(t, x, visitors[x.VisitorID], s.baseURL)
		ov.Unread = unread[x.ID]
		if m := last[x.ID]; m != nil {
			mv := NewMessageView(t, x, m)
			ov.LastMessage = &mv
		}
		out = append(out, ov)
	}
	return out, nil
}

// MySessions lists u's conversations with status ("" for any), newest
// first; everyone's when all is set, which only admins may ask.
func (s *Service) MySessions(ctx context.Context, u *model.User, t Translator, status model.SessionStatus, all bool, limit int) ([]OperatorSessionView, error) {
	f := model.SessionFilter{OperatorID: u.ID, Status: status, Limit: limit}
	if all {
		if !u.IsAdmin() {
			return nil, model.Refuse(model.Forbidden, "forbidden", "Only administrators can list everyone's conversations.")
		}
		f.OperatorID = 0
	}
	list, err := s.st.Sessions(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.SessionViews(ctx, u, t, list)
}

// Conversations is the Conversations view: u's live chats and, below, the
// recently closed ones.
type Conversations struct {
	Open, Closed []OperatorSessionView
}

// ConversationsOf builds u's Conversations view.
func (s *Service) ConversationsOf(ctx context.Context, u *model.User, t Translator, openLimit, closedLimit int) (*Conversations, error) {
	open, err := s.st.Sessions(ctx, model.SessionFilter{OperatorID: u.ID, Status: model.SessionOpen, Limit: openLimit})
	if err != nil {
		return nil, err
	}
	closed, err := s.st.Sessions(ctx, model.SessionFilter{OperatorID: u.ID, Status: model.SessionClosed, Limit: closedLimit})
	if err != nil {
		return nil, err
	}
	views, err := s.SessionViews(ctx, u, t, append(open, closed...))
	if err != nil {
		return nil, err
	}
	return &Conversations{Open: views[:len(open)], Closed: views[len(open):]}, nil
}

// Sessions lists sessions for the Sessions and Visitors pages; operators
// see only their own, whatever f says.
func (s *Service) Sessions(ctx context.Context, u *model.User, f model.SessionFilter) ([]*model.Session, error) {
	return s.st.Sessions(ctx, visibleTo(u, f))
}

// CountSessions counts what Sessions would list without paging.
func (s *Service) CountSessions(ctx context.Context, u *model.User, f model.SessionFilter) (int, error) {
	return s.st.CountSessions(ctx, visibleTo(u, f))
}

func visibleTo(u *model.User, f model.SessionFilter) model.SessionFilter {
	if !u.IsAdmin() {
		f.OperatorID = u.ID
	}
	return f
}

// CountOpen counts the open conversations of operatorID (0: everyone's).
func (s *Service) CountOpen(ctx context.Context, operatorID int64) (int, error) {
	return s.st.CountSessions(ctx, model.SessionFilter{OperatorID: operatorID, Status: model.SessionOpen})
}

// Messages returns a conversation's messages after a message id, as
// operators see them (every notice included).
func (s *Service) Messages(ctx context.Context, x *model.Session, after int64) ([]*model.Message, error) {
	return s.st.Messages(ctx, x.ID, after, 1000)
}

// VisitorMessages returns what the visitor of x sees of it after a message
// id: notices meant for operators are left out.
func (s *Service) VisitorMessages(ctx context.Context, x *model.Session, after int64) ([]*model.Message, error) {
	msgs, err := s.st.Messages(ctx, x.ID, after, 1000)
	if err != nil {
		return nil, err
	}
	out := msgs[:0]
	for _, m := range msgs {
		if VisibleToVisitor(m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// MarkRead records that u has read x up to messageID.
func (s *Service) MarkRead(ctx context.Context, x *model.Session, u *model.User, messageID int64) error {
	if err := s.mayAct(x, u); err != nil {
		return err
	}
	if messageID <= 0 {
		return &model.FieldError{Field: "message_id", Message: "message_id must be a message id."}
	}
	return s.st.MarkRead(ctx, x.ID, u.ID, messageID)
}

// Report is Live Chat ▸ Reports over f.
func (s *Service) Report(ctx context.Context, f model.ReportFilter) (*model.Report, error) {
	return s.st.SessionReport(ctx, f)
}

// ReportDimensions are what the Session Statistics and Operator Analysis
// group by, in the order the reports offer them.
var ReportDimensions = []string{"channel", "operator", "country", "language", "day", "week", "month", "hour"}

// GroupSessions computes the report's measures over f grouped by dims (at
// most two, each one of ReportDimensions).
func (s *Service) GroupSessions(ctx context.Context, f model.ReportFilter, dims ...string) ([]model.ReportCell, error) {
	if len(dims) > 2 {
		return nil, &model.FieldError{Field: "group", Message: "A report groups by two things at most."}
	}
	for _, d := range dims {
		if !slices.Contains(ReportDimensions, d) {
			return nil, &model.FieldError{Field: "group", Message: "Sessions cannot be grouped by %q.", Args: []any{d}}
		}
	}
	return s.st.GroupSessions(ctx, f, dims...)
}

// Operator returns a user as the chat side knows them (name, avatar).
func (s *Service) Operator(ctx context.Context, id int64) (*model.User, error) {
	return s.st.User(ctx, id)
}

// QueueDepth is how many messages wait for the group-commit writer.
func (s *Service) QueueDepth() int { return len(s.writer.q) }

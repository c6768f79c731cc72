package livechat

import (
	"context"
	"errors"
	"sort"
	"sync"

	"parley/app/events"
	"parley/app/model"
)

// Live visitors (website_livechat's is_connected, §1.11) and the chat an
// operator starts with one of them (§6.4). A visitor is on the site while
// their widget holds a socket open; the hub reports sockets opening and
// closing, so the list needs no polling and no timer.

// VisitorsTopic carries visitor frames (arrived, left, moved to another
// page) to every operator socket.
const VisitorsTopic = "visitors"

// Frames of the live visitors and chat requests.
const (
	// EventVisitor goes to operators when a visitor arrives, leaves, opens
	// a page (then with its url and title) or starts or ends a
	// conversation: {"id","online","url","title"}.
	EventVisitor = "visitor"
	// EventChatRequest goes to the visitor whom an operator invited:
	// {"session":{session},"messages":[message…]}.
	EventChatRequest = "chat_request"
)

// VisitorFrame is what operators hear about a visitor.
type VisitorFrame struct {
	ID     int64  `json:"id"`
	Online bool   `json:"online"`
	URL    string `json:"url"`
	Title  string `json:"title"`
}

// LiveVisitors tracks the visitors with an open socket and the channel
// whose widget opened it. It is in memory, like operator presence: after a
// restart the widgets reconnect by themselves.
type LiveVisitors struct {
	mu     sync.Mutex
	byID   map[int64]*liveVisitor
	notify func(f VisitorFrame)
}

type liveVisitor struct {
	conns   int
	channel int64
}

// NewLiveVisitors returns an empty tracker.
func NewLiveVisitors() *LiveVisitors { return &LiveVisitors{byID: map[int64]*liveVisitor{}} }

// Connect records a socket of visitor id opened by channel's widget.
func (l *LiveVisitors) Connect(id, channel int64) {
	l.mu.Lock()
	v := l.byID[id]
	first := v == nil
	if first {
		v = &liveVisitor{}
		l.byID[id] = v
	}
	v.conns++
	if channel != 0 {
		v.channel = channel
	}
	fn := l.notify
	l.mu.Unlock()
	if first && fn != nil {
		fn(VisitorFrame{ID: id, Online: true})
	}
}

// Disconnect records a closed socket; the visitor left with their last one.
func (l *LiveVisitors) Disconnect(id int64) {
	l.mu.Lock()
	v := l.byID[id]
	left := false
	if v != nil {
		v.conns--
		if v.conns <= 0 {
			delete(l.byID, id)
			left = true
		}
	}
	fn := l.notify
	l.mu.Unlock()
	if left && fn != nil {
		fn(VisitorFrame{ID: id})
	}
}

// Online reports whether the visitor has a socket open, and the channel
// whose widget opened the latest.
func (l *LiveVisitors) Online(id int64) (channel int64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := l.byID[id]
	if v == nil {
		return 0, false
	}
	return v.channel, true
}

// IDs returns the visitors on the site now, most recent id first.
func (l *LiveVisitors) IDs() []int64 {
	l.mu.Lock()
	out := make([]int64, 0, len(l.byID))
	for id := range l.byID {
		out = append(out, id)
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out
}

func (l *LiveVisitors) onChange(fn func(f VisitorFrame)) {
	l.mu.Lock()
	l.notify = fn
	l.mu.Unlock()
}

// MaxLiveVisitors bounds the live list: a busy site shows the most recent
// arrivals, and the full list pages through everyone.
const MaxLiveVisitors = 200

// OnlineVisitors returns the rows of the visitors on the site now, the
// latest to open a page first.
func (s *Service) OnlineVisitors(ctx context.Context) ([]model.VisitorRow, error) {
	ids := s.Live.IDs()
	if len(ids) > MaxLiveVisitors {
		ids = ids[:MaxLiveVisitors]
	}
	return s.st.VisitorRows(ctx, ids)
}

// VisitorRow returns one visitor's row as the Visitors list shows it.
func (s *Service) VisitorRow(ctx context.Context, id int64) (*model.VisitorRow, error) {
	rows, err := s.st.VisitorRows(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, model.ErrNotFound
	}
	return &rows[0], nil
}

// MaxChatRequestLen is the longest first message of a chat request.
const MaxChatRequestLen = MaxMessageLen

var (
	errVisitorGone = model.Refuse(model.Conflict, "visitor_not_available",
		"This visitor is no longer on the website or is already chatting. Refresh the page to see who is on the website now.")
	errNoRequestChannel = model.Refuse(model.Conflict, "no_channel",
		"The channel of this visitor's page no longer exists.")
)

// RequestChat starts a chat with a visitor who is on the site now (§6.4):
// a session on the channel of their page's widget, held by u, opened with
// u's first message; the visitor's widget opens with it at once (a
// chat_request frame). A visitor who left, or who is already chatting, is
// refused (Odoo: "Recipients are not available").
// RequestJoins names the channel an operator would join by starting a chat
// with a visitor now: the channel the visitor is on, when u is not one of
// its operators; "" otherwise (or when the visitor is not on the site).
func (s *Service) RequestJoins(ctx context.Context, u *model.User, visitorID int64) (string, error) {
	channelID, online := s.Live.Online(visitorID)
	if !online || channelID == 0 {
		return "", nil
	}
	info, err := s.Info(ctx, channelID)
	if errors.Is(err, model.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if contains(info.OperatorIDs, u.ID) {
		return "", nil
	}
	return info.Channel.Name, nil
}

func (s *Service) RequestChat(ctx context.Context, u *model.User, visitorID int64, body string) (*model.Session, error) {
	body, err := validateBody(body)
	if err != nil {
		return nil, err
	}
	channelID, online := s.Live.Online(visitorID)
	if !online || channelID == 0 {
		return nil, errVisitorGone
	}
	v, err := s.st.Visitor(ctx, visitorID)
	if err != nil {
		return nil, err
	}
	open, err := s.st.OpenSessionsOfVisitor(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	if len(open) > 0 {
		return nil, errVisitorGone
	}
	info, err := s.Info(ctx, channelID)
	if err != nil {
		return nil, errNoRequestChannel
	}
	x := &model.Session{PublicID: randomID(), ChannelID: channelID, ChannelName: info.Channel.Name, VisitorID: v.ID,
		VisitorName: v.Name, Country: v.Country, OperatorID: u.ID, OperatorName: u.DisplayChatName(),
		URL: v.CurrentURL, Title: v.CurrentTitle, VisitorLanguage: clip(v.Language, 16)}
	// An operator who invites a visitor to a channel they have not joined
	// becomes one of its operators (as in Odoo), in the same transaction:
	// the chat is theirs, so the channel's lists, reports and queue count
	// them.
	joined, err := s.st.CreateSessionJoining(ctx, x)
	if err != nil {
		return nil, err // a conflict: the visitor opened a chat a moment ago
	}
	if joined {
		s.invalidate(channelID)
	}
	v.LastOperatorID = u.ID
	if err := s.st.UpdateVisitor(ctx, v); err != nil {
		return nil, err
	}
	s.emit(events.SessionStarted{Session: copySession(x)})
	s.emit(events.OperatorJoined{Session: copySession(x), OperatorID: u.ID})
	m, err := s.PostOperatorMessage(ctx, x, u, body, "")
	if err != nil {
		return nil, err
	}
	t := s.textFor(x.VisitorLanguage)
	s.pub.Publish(VisitorTopic(v.ID), EventChatRequest, map[string]any{
		"session":  NewSessionView(t, x, s.baseURL),
		"messages": MessageViews(t, x, []*model.Message{m}),
	})
	return x, nil
}

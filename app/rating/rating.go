// Package rating owns what visitors think of their conversations: the
// feedback they leave on the closing screen, the statistics the public
// /livechat pages and the Customer Ratings report show, and the
// "Visible internally only" flag that keeps a rating off public pages.
package rating

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"parley/app/events"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/store"
)

// MaxReasonLen is the longest reason a visitor may give, in characters.
const MaxReasonLen = 1000

// FeedbackWindow is how long after a conversation ended its visitor may
// rate it, and change their rating: the closing screen stays on their
// page, and a rating given the next day says little about the chat.
const FeedbackWindow = 24 * time.Hour

// LastFeedbacks is how many faces the public page shows.
const LastFeedbacks = 100

// Options tune the service; the zero value is production's.
type Options struct {
	Channels Channels // required
	Events   *events.Bus
	Logger   *slog.Logger
	Now      func() time.Time
	// PageCacheFor bounds how long a public page's figures are reused
	// when nothing invalidated them (operator names, avatars, retention).
	// Ratings themselves invalidate at once. Default 10 seconds.
	PageCacheFor time.Duration
}

// Service is the ratings domain.
type Service struct {
	st       *store.Store
	channels Channels
	bus      *events.Bus
	log      *slog.Logger
	now      func() time.Time
	ttl      time.Duration
	mu       sync.Mutex
	page     map[int64]cachedPage
}

type cachedPage struct {
	f       *figures
	expires time.Time
}

// Channels gives a channel with its operators; *livechat.Service
// satisfies it with its cache, which channel edits invalidate.
type Channels interface {
	Info(ctx context.Context, channelID int64) (*livechat.ChannelInfo, error)
}

// New builds the service.
func New(st *store.Store, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PageCacheFor == 0 {
		o.PageCacheFor = 10 * time.Second
	}
	return &Service{st: st, channels: o.Channels, bus: o.Events, log: o.Logger.With("component", "rating"), now: o.Now, ttl: o.PageCacheFor, page: map[int64]cachedPage{}}
}

func (s *Service) emit(e events.Event) {
	if s.bus != nil {
		s.bus.Emit(e)
	}
}

var (
	errOpen    = model.Refuse(model.Conflict, "session_open", "The conversation can be rated once it has ended.")
	errTooLate = model.Refuse(model.Conflict, "feedback_closed", "This conversation ended too long ago to be rated.")
)

// Submit records the visitor's rating of x, replacing the one they gave
// before (one rating per session). x must be the visitor's own session,
// as livechat.VisitorSession returns it. The rated operator reads the
// rating as a notice in the conversation, live.
func (s *Service) Submit(ctx context.Context, x *model.Session, value int, reason string) (*model.Rating, error) {
	if !model.ValidRating(value) {
		return nil, &model.FieldError{Field: "rating", Message: "The rating must be 5 (satisfied), 3 (neutral) or 1 (dissatisfied)."}
	}
	reason = livechat.CleanText(reason)
	switch {
	case reason != "" && value == model.RatingSatisfied:
		return nil, &model.FieldError{Field: "reason", Message: "A reason is asked only for a neutral or dissatisfied rating."}
	case utf8.RuneCountInString(reason) > MaxReasonLen:
		return nil, &model.FieldError{Field: "reason", Message: "The reason is too long: at most %d characters.", Args: []any{MaxReasonLen}}
	}
	if x.Status != model.SessionClosed {
		return nil, errOpen
	}
	if s.now().Sub(x.ClosedAt) > FeedbackWindow {
		return nil, errTooLate
	}
	r := &model.Rating{SessionID: x.ID, SessionPublicID: x.PublicID, ChannelID: x.ChannelID, ChannelName: x.ChannelName,
		OperatorID: x.OperatorID, OperatorName: x.OperatorName, VisitorID: x.VisitorID, VisitorName: x.VisitorName,
		Value: value, Reason: reason}
	notice := &model.Message{AuthorKind: model.AuthorSystem, Notice: &model.Notice{Code: livechat.NoticeRated,
		Args: map[string]string{"rating": strconv.Itoa(value), "reason": reason}}}
	if _, err := s.st.SaveRating(ctx, r, notice); err != nil {
		return nil, err
	}
	s.invalidate(x.ChannelID)
	after := *x
	after.Rating, after.LastMessageAt, after.MessageCount = value, notice.CreatedAt, x.MessageCount+1
	rc := *r
	s.emit(events.MessageCommitted{Session: &after, Message: notice})
	s.emit(events.RatingLeft{Session: &after, Rating: &rc})
	return r, nil
}

var errNoRating = model.Refuse(model.NotFound, "not_found", "This rating does not exist.")

// mayRead says whether u may read r: admins read every rating, operators
// those of their own conversations.
func mayRead(u *model.User, r *model.Rating) bool {
	return u != nil && (u.IsAdmin() || r.OperatorID == u.ID)
}

// Get returns a rating u may read.
func (s *Service) Get(ctx context.Context, u *model.User, id int64) (*model.Rating, error) {
	r, err := s.st.Rating(ctx, id)
	if errors.Is(err, model.ErrNotFound) || (err == nil && !mayRead(u, r)) {
		return nil, errNoRating
	}
	return r, err
}

// scope limits a filter to what u may read.
func scope(u *model.User, f model.RatingFilter) model.RatingFilter {
	if !u.IsAdmin() {
		f.OperatorID = u.ID
	}
	return f
}

// List returns the ratings matching f that u may read, newest first, and
// how many match in all.
func (s *Service) List(ctx context.Context, u *model.User, f model.RatingFilter) ([]*model.Rating, int, error) {
	f = scope(u, f)
	n, err := s.st.CountRatings(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	list, err := s.st.Ratings(ctx, f)
	return list, n, err
}

// Dimensions are what ratings can be grouped by in the report.
var Dimensions = []string{"operator", "channel", "rating", "day", "week", "month"}

// ValidDimension says whether d is one of Dimensions.
func ValidDimension(d string) bool {
	_, ok := store.RatingDimensions[d]
	return ok
}

// Group counts the ratings matching f that u may read, grouped by dims.
func (s *Service) Group(ctx context.Context, u *model.User, f model.RatingFilter, dims ...string) ([]model.RatingCell, error) {
	for _, d := range dims {
		if !ValidDimension(d) {
			return nil, &model.FieldError{Field: "group", Message: "Ratings cannot be grouped by %q.", Args: []any{d}}
		}
	}
	return s.st.GroupRatings(ctx, scope(u, f), dims...)
}

// SetInternal sets a rating's "Visible internally only" flag: an internal
// rating leaves every public page and figure. Admins only.
func (s *Service) SetInternal(ctx context.Context, u *model.User, id int64, internal bool) (*model.Rating, error) {
	if u == nil || !u.IsAdmin() {
		return nil, model.Refuse(model.Forbidden, "forbidden", "Only administrators may change this.")
	}
	r, err := s.Get(ctx, u, id)
	if err != nil {
		return nil, err
	}
	if err := s.st.SetRatingInternal(ctx, id, internal); err != nil {
		return nil, err
	}
	s.invalidate(r.ChannelID)
	r.Internal = internal
	return r, nil
}

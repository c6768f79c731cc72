package livechat

import (
	"context"
	"errors"

	"parley/app/model"
)

// Visitors, their page views and offline messages, as the operators'
// Visitors and Offline pages show them.

// Visitor returns one visitor.
func (s *Service) Visitor(ctx context.Context, id int64) (*model.Visitor, error) {
	return s.st.Visitor(ctx, id)
}

// Visitors lists visitors by last activity with the total count.
func (s *Service) Visitors(ctx context.Context, limit, offset int) ([]model.VisitorRow, int, error) {
	list, err := s.st.Visitors(ctx, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	n, err := s.st.CountVisitors(ctx)
	return list, n, err
}

// PageViews lists a visitor's latest pages, newest first.
func (s *Service) PageViews(ctx context.Context, visitorID int64, limit int) ([]model.PageView, error) {
	return s.st.PageViews(ctx, visitorID, limit)
}

// VisitorSession returns the session publicID if it belongs to the
// visitor holding token. An unknown token is model.ErrNotFound (the
// visitor starts afresh); anyone else's session, or none, is "this
// conversation does not exist", never a hint that it exists.
func (s *Service) VisitorSession(ctx context.Context, token, publicID string) (*model.Session, error) {
	return s.visitorSession(ctx, token, publicID, s.st.SessionOfVisitor)
}

// LiveVisitorSession is VisitorSession for the visitor's messages, typing
// and catch-up reads, mostly answered from memory; the session's
// LastMessageAt and MessageCount may lag behind (store.LiveSessionOfVisitor).
func (s *Service) LiveVisitorSession(ctx context.Context, token, publicID string) (*model.Session, error) {
	return s.visitorSession(ctx, token, publicID, s.st.LiveSessionOfVisitor)
}

// SharedVisitorSession is LiveVisitorSession for a caller that only reads
// the session, such as PostVisitorInput's: it may be the store's cached
// one, which nothing may change.
func (s *Service) SharedVisitorSession(ctx context.Context, token, publicID string) (*model.Session, error) {
	return s.visitorSession(ctx, token, publicID, s.st.SharedLiveSessionOfVisitor)
}

// SessionCacheStats says how often LiveVisitorSession answered from memory.
func (s *Service) SessionCacheStats() (hits, misses int64) { return s.st.SessionCacheStats() }

func (s *Service) visitorSession(ctx context.Context, token, publicID string, lookup func(ctx context.Context, tokenHash, publicID string) (*model.Session, error)) (*model.Session, error) {
	hash, ok := visitorTokenHash(token)
	if !ok {
		return nil, model.ErrNotFound
	}
	x, err := lookup(ctx, hash, publicID)
	if !errors.Is(err, model.ErrNotFound) {
		return x, err
	}
	// Rare: tell an unknown token from a session that is not theirs.
	if _, err := s.st.VisitorByToken(ctx, hash); err != nil {
		return nil, err
	}
	return nil, errNoSuchSession
}

// OfflineMessages lists messages left while nobody was available, with the
// total and unhandled counts.
func (s *Service) OfflineMessages(ctx context.Context, limit, offset int) (list []model.OfflineMessage, total, unhandled int, err error) {
	if list, err = s.st.OfflineMessagesPage(ctx, limit, offset); err != nil {
		return nil, 0, 0, err
	}
	total, unhandled, err = s.st.CountOfflineMessages(ctx)
	return list, total, unhandled, err
}

// CountOfflineMessages counts all and unhandled offline messages.
func (s *Service) CountOfflineMessages(ctx context.Context) (total, unhandled int, err error) {
	return s.st.CountOfflineMessages(ctx)
}

// MarkOfflineHandled marks an offline message handled by userID and returns it.
func (s *Service) MarkOfflineHandled(ctx context.Context, id, userID int64) (model.OfflineMessage, error) {
	// Marking twice is harmless: the first mark stands.
	if err := s.st.MarkOfflineMessageHandled(ctx, id, userID); err != nil && !errors.Is(err, model.ErrNotFound) {
		return model.OfflineMessage{}, err
	}
	return s.st.OfflineMessage(ctx, id)
}

package rating

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"parley/app/model"
)

// TeamMember is one operator of a channel with their public ratings.
type TeamMember struct {
	ID       int64
	ChatName string
	Counts   model.RatingCounts
}

// ChannelPage is what /livechat/channel/<id> shows: the channel's public
// ratings (never the internal ones, never reasons).
type ChannelPage struct {
	Channel *model.Channel
	Counts  model.RatingCounts // every public rating of the channel
	Team    []TeamMember       // the channel's operators, by name
	Last    []int              // the latest LastFeedbacks ratings, newest first
	// Version changes whenever anything shown changes: the page's ETag.
	Version string
}

var errNoPage = model.Refuse(model.NotFound, "not_found", "This page does not exist.")

// PublishedChannels lists the channels whose rating page is published.
func (s *Service) PublishedChannels(ctx context.Context) ([]*model.Channel, error) {
	all, err := s.st.Channels(ctx)
	if err != nil {
		return nil, err
	}
	var out []*model.Channel
	for _, c := range all {
		if c.Published {
			out = append(out, c)
		}
	}
	return out, nil
}

// Page returns a channel's public rating page. An unpublished channel's
// page does not exist, except for a preview (admins). The figures come
// from counters kept per channel and operator and one indexed read of the
// last feedbacks, and are reused until a rating changes them or PageCacheFor
// passes.
func (s *Service) Page(ctx context.Context, channelID int64, preview bool) (*ChannelPage, error) {
	info, err := s.channels.Info(ctx, channelID)
	if errors.Is(err, model.ErrNotFound) {
		return nil, errNoPage
	}
	if err != nil {
		return nil, err
	}
	ch := info.Channel
	if !ch.Published && !preview {
		return nil, errNoPage
	}
	now := s.now()
	s.mu.Lock()
	c, ok := s.page[channelID]
	s.mu.Unlock()
	if !ok || now.After(c.expires) {
		f, err := s.loadFigures(ctx, channelID)
		if err != nil {
			return nil, err
		}
		c = cachedPage{f: f, expires: now.Add(s.ttl)}
		s.mu.Lock()
		s.page[channelID] = c
		s.mu.Unlock()
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%t", c.f.version, ch.Name, ch.WebsiteDescription, ch.Published)
	return &ChannelPage{Channel: &ch, Counts: c.f.counts, Team: c.f.team, Last: c.f.last,
		Version: hex.EncodeToString(h.Sum(nil)[:12])}, nil
}

// figures are a channel's public rating figures, cached.
type figures struct {
	counts  model.RatingCounts
	team    []TeamMember
	last    []int
	version string
}

func (s *Service) loadFigures(ctx context.Context, channelID int64) (*figures, error) {
	counts, err := s.st.PublicRatingCounts(ctx, channelID)
	if err != nil {
		return nil, err
	}
	ops, err := s.st.ChannelOperators(ctx, channelID)
	if err != nil {
		return nil, err
	}
	last, err := s.st.LastPublicRatings(ctx, channelID, LastFeedbacks)
	if err != nil {
		return nil, err
	}
	f := &figures{last: last}
	for _, c := range counts {
		f.counts.Satisfied += c.Satisfied
		f.counts.Neutral += c.Neutral
		f.counts.Dissatisfied += c.Dissatisfied
	}
	for _, u := range ops {
		if !u.Active {
			continue
		}
		f.team = append(f.team, TeamMember{ID: u.ID, ChatName: u.DisplayChatName(), Counts: counts[u.ID]})
	}
	h := sha256.New()
	fmt.Fprintf(h, "%v|%v|%v", f.counts, f.team, f.last)
	f.version = hex.EncodeToString(h.Sum(nil))
	return f, nil
}

// invalidate drops a channel's cached page after a change to its ratings.
func (s *Service) invalidate(channelID int64) {
	s.mu.Lock()
	delete(s.page, channelID)
	s.mu.Unlock()
}

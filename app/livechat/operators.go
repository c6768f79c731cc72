package livechat

import (
	"context"
	"errors"

	"parley/app/model"
)

// UserChannels lists every channel with whether userID operates it, for
// the user's record in the admin.
func (s *Service) UserChannels(ctx context.Context, userID int64) ([]model.ChannelSummary, error) {
	return s.st.ChannelSummaries(ctx, userID)
}

// SetUserChannels makes userID operate exactly the channels in channelIDs:
// the others are left, unless userID is their last operator. It returns
// the names of the channels kept for that reason.
func (s *Service) SetUserChannels(ctx context.Context, userID int64, channelIDs []int64) (kept []string, err error) {
	if _, err := s.st.User(ctx, userID); err != nil {
		return nil, err
	}
	want := make(map[int64]bool, len(channelIDs))
	for _, id := range channelIDs {
		want[id] = true
	}
	channels, err := s.st.ChannelSummaries(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, ch := range channels {
		switch {
		case want[ch.ID] && !ch.IsMember:
			err = s.Join(ctx, ch.ID, userID)
		case !want[ch.ID] && ch.IsMember:
			err = s.Leave(ctx, ch.ID, userID)
			if errors.Is(err, ErrLastOperator) {
				kept, err = append(kept, ch.Name), nil
			}
		}
		if err != nil {
			return kept, err
		}
	}
	return kept, nil
}

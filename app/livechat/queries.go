package livechat

import (
	"context"

	"parley/app/model"
)

// Channel reads for the admin pages and the API.

// Channel returns one channel.
func (s *Service) Channel(ctx context.Context, id int64) (*model.Channel, error) {
	return s.st.Channel(ctx, id)
}

// Channels lists every channel.
func (s *Service) Channels(ctx context.Context) ([]*model.Channel, error) {
	return s.st.Channels(ctx)
}

// ChannelSummaries lists channels with their counts, marking those
// viewerID operates.
func (s *Service) ChannelSummaries(ctx context.Context, viewerID int64) ([]model.ChannelSummary, error) {
	return s.st.ChannelSummaries(ctx, viewerID)
}

// ChannelOperators lists a channel's operators.
func (s *Service) ChannelOperators(ctx context.Context, channelID int64) ([]*model.User, error) {
	return s.st.ChannelOperators(ctx, channelID)
}

// ChannelOperatorIDs lists the ids of a channel's operators.
func (s *Service) ChannelOperatorIDs(ctx context.Context, channelID int64) ([]int64, error) {
	return s.st.ChannelOperatorIDs(ctx, channelID)
}

// Rules returns a channel's rules in matching order.
func (s *Service) Rules(ctx context.Context, channelID int64) ([]model.Rule, error) {
	return s.st.Rules(ctx, channelID)
}

// OperatorCandidates finds users by name or email for the operator picker.
func (s *Service) OperatorCandidates(ctx context.Context, query string, limit int) ([]*model.User, error) {
	return s.st.Users(ctx, query, limit)
}

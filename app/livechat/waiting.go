package livechat

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Operators see who waits in the queues of their channels: the list on
// request, and a frame on their socket whenever a channel's line changes.

// EventWaiting is the operator frame saying a channel's queue changed.
const EventWaiting = "waiting"

// WaitingFrame is the waiting frame's data: the channel whose line changed
// and how many wait in it now.
type WaitingFrame struct {
	ChannelID int64 `json:"channel_id"`
	Count     int   `json:"count"`
}

// WaitingView is a visitor waiting in a channel's queue, as its operators
// see them.
type WaitingView struct {
	SessionID   string    `json:"session_id"`
	ChannelID   int64     `json:"channel_id"`
	ChannelName string    `json:"channel_name"`
	VisitorID   int64     `json:"visitor_id"`
	VisitorName string    `json:"visitor_name"`
	Country     string    `json:"country"`
	WaitingFrom time.Time `json:"waiting_since"`
	Position    int       `json:"position"`
}

// MaxWaitingListed bounds the waiting list an operator gets.
const MaxWaitingListed = 200

// WaitingFor lists the visitors waiting in the queues of the channels
// userID is an operator of, oldest first, named in t's language.
func (s *Service) WaitingFor(ctx context.Context, userID int64, t Translator) ([]WaitingView, error) {
	list, err := s.st.WaitingForOperator(ctx, userID, MaxWaitingListed)
	if err != nil {
		return nil, err
	}
	out := make([]WaitingView, 0, len(list))
	for _, x := range list {
		out = append(out, WaitingView{SessionID: x.PublicID, ChannelID: x.ChannelID, ChannelName: x.ChannelName,
			VisitorID: x.VisitorID, VisitorName: VisitorLabel(t, x.VisitorName, x.VisitorID), Country: x.Country,
			WaitingFrom: x.QueuedAt, Position: x.QueuePosition})
	}
	return out, nil
}

// CountWaitingFor counts the visitors waiting in the queues of the
// channels userID is an operator of.
func (s *Service) CountWaitingFor(ctx context.Context, userID int64) (int, error) {
	return s.st.CountWaitingForOperator(ctx, userID)
}

// lineKey identifies a channel's line: its waiting sessions in order.
func lineKey(ids []int64) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(strconv.FormatInt(id, 10))
		b.WriteByte(',')
	}
	return b.String()
}

// tellOperators pushes a waiting frame to the operators of every channel
// whose line differs from the last pass's (lines: channel id -> lineKey).
func (s *Service) tellOperators(ctx context.Context, before, now map[int64]string, counts map[int64]int) {
	var changed []int64
	for ch, k := range now {
		if before[ch] != k {
			changed = append(changed, ch)
		}
	}
	for ch := range before {
		if _, ok := now[ch]; !ok {
			changed = append(changed, ch)
		}
	}
	slices.Sort(changed)
	for _, ch := range changed {
		info, err := s.Info(ctx, ch)
		if err != nil {
			continue // a channel deleted meanwhile has nobody to tell
		}
		for _, op := range info.OperatorIDs {
			s.pub.Publish(OperatorTopic(op), EventWaiting, WaitingFrame{ChannelID: ch, Count: counts[ch]})
		}
	}
}

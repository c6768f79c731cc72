package livechat

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"parley/app/model"
	"parley/app/schedule"
)

// Limits of a channel's routing settings.
const (
	maxAwayMessage = 500
	// MaxChatsLimit bounds a maximum of concurrent chats: beyond it a
	// maximum means nothing.
	MaxChatsLimit = 100
)

// Routing returns a channel's office hours and chat maximum.
func (s *Service) Routing(ctx context.Context, channelID int64) (*model.ChannelRouting, error) {
	if _, err := s.st.Channel(ctx, channelID); err != nil {
		return nil, err
	}
	return s.st.ChannelRouting(ctx, channelID)
}

// SaveRouting validates and stores a channel's office hours and chat
// maximum; nothing is saved when a field is wrong.
func (s *Service) SaveRouting(ctx context.Context, r *model.ChannelRouting) error {
	if _, err := s.st.Channel(ctx, r.ChannelID); err != nil {
		return err
	}
	if _, err := NormalizeRouting(r); err != nil {
		return err
	}
	if err := s.st.SaveChannelRouting(ctx, r); err != nil {
		return err
	}
	s.invalidate(r.ChannelID)
	return nil
}

// NormalizeRouting checks r and writes its hours and holidays back in their
// canonical form; it returns the schedule, nil when office hours are off.
func NormalizeRouting(r *model.ChannelRouting) (*schedule.Schedule, error) {
	r.Timezone = strings.TrimSpace(r.Timezone)
	loc, err := schedule.Location(r.Timezone)
	if err != nil {
		return nil, scheduleErr(err)
	}
	ranges, err := schedule.ParseRanges(strings.ReplaceAll(r.Hours, "\r\n", "\n"))
	if err != nil {
		return nil, scheduleErr(err)
	}
	holidays, err := schedule.ParseHolidays(r.Holidays)
	if err != nil {
		return nil, scheduleErr(err)
	}
	r.Hours, r.Holidays = schedule.FormatRanges(ranges), strings.Join(holidays, "\n")
	r.AwayMessage = CleanText(r.AwayMessage)
	if utf8.RuneCountInString(r.AwayMessage) > maxAwayMessage {
		return nil, fieldErr("away_message", "The away message must be at most %d characters.", maxAwayMessage)
	}
	if r.HoursEnabled && len(ranges) == 0 {
		return nil, fieldErr("hours", "Give at least one opening, such as Mon-Fri 09:00-17:00, or turn office hours off.")
	}
	if r.MaxChats < 0 || r.MaxChats > MaxChatsLimit {
		return nil, fieldErr("max_chats", "The maximum of concurrent chats must be between 1 and %d, or empty for no maximum.", MaxChatsLimit)
	}
	if !r.HoursEnabled {
		return nil, nil
	}
	return &schedule.Schedule{Location: loc, Ranges: ranges, Holidays: holidays}, nil
}

// scheduleErr turns the schedule's error into a field error, its words
// kept apart for translation.
func scheduleErr(err error) error {
	var se *schedule.Error
	if errors.As(err, &se) {
		return &model.FieldError{Field: se.Field, Message: se.Message, Args: se.Args}
	}
	return err
}

// ParseMaxChats reads a maximum of concurrent chats as typed in a form:
// empty means none of its own (0); 0 itself is refused, since an operator
// who may take no chat should leave the channel instead.
func ParseMaxChats(field, text string) (int, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 || n > MaxChatsLimit {
		return 0, fieldErr(field, "The maximum of concurrent chats must be between 1 and %d, or empty for no maximum.", MaxChatsLimit)
	}
	return n, nil
}

// Availability is whether a channel is inside its office hours now.
type Availability struct {
	Closed      bool      // outside office hours: nobody is offered
	AwayMessage string    // shown to visitors while closed
	NextOpening time.Time // zero when unknown (or open)
	Timezone    string
}

// availability says whether info's channel is open at now.
func (info *ChannelInfo) availability(now time.Time) Availability {
	if info.Schedule == nil || info.Schedule.Open(now) {
		return Availability{}
	}
	a := Availability{Closed: true, AwayMessage: info.Routing.AwayMessage, Timezone: info.Schedule.Location.String()}
	if next, ok := info.Schedule.NextOpening(now); ok {
		a.NextOpening = next.In(info.Schedule.Location)
	}
	return a
}

// UserMaxChats is a user's own maximum of concurrent chats; 0 follows each
// channel's.
func (s *Service) UserMaxChats(ctx context.Context, userID int64) (int, error) {
	return s.st.UserMaxChats(ctx, userID)
}

// SetUserMaxChats sets a user's own maximum of concurrent chats as typed in
// a form (see ParseMaxChats).
func (s *Service) SetUserMaxChats(ctx context.Context, userID int64, text string) error {
	n, err := ParseMaxChats("max_chats", text)
	if err != nil {
		return err
	}
	return s.st.SetUserMaxChats(ctx, userID, n)
}

package livechat

import (
	"context"
	"errors"
	"strconv"
	"time"

	"parley/app/events"
	"parley/app/model"
)

// Who may see and act on a conversation: the operator it is assigned to,
// and administrators, who see everyone's. This is the one place the rule
// lives; the HTML pages, both operator APIs and socket frames ask here.

// CanSee says whether u may see x.
func CanSee(u *model.User, x *model.Session) bool {
	return u != nil && (u.IsAdmin() || x.OperatorID == u.ID)
}

var errNoSuchSession = model.Refuse(model.NotFound, "not_found", "This conversation does not exist.")

// SessionFor returns the conversation with public id publicID if u may see
// it; any other is "not found", so operators cannot probe others' ids.
func (s *Service) SessionFor(ctx context.Context, u *model.User, publicID string) (*model.Session, error) {
	x, err := s.st.SessionByPublicID(ctx, publicID)
	if errors.Is(err, model.ErrNotFound) || (err == nil && !CanSee(u, x)) {
		return nil, errNoSuchSession
	}
	return x, err
}

// mayAct refuses anyone but the conversation's operator and admins.
func (s *Service) mayAct(x *model.Session, u *model.User) error {
	if !CanSee(u, x) {
		return errNoSuchSession
	}
	return nil
}

var errEnded = model.Refuse(model.Conflict, "session_closed", "This conversation has already ended.")

// EndSession ends the conversation for everyone: the visitor is told who
// ended it and gets the closing screen. Ending an ended one is refused.
func (s *Service) EndSession(ctx context.Context, x *model.Session, u *model.User) (*model.Session, error) {
	return s.operatorCloses(ctx, x, u, NoticeOperatorEnded)
}

// LeaveSession takes the operator out of the conversation. A conversation
// has one operator, so nobody remains and it ends: the visitor reads that
// the operator has left and gets the closing screen.
func (s *Service) LeaveSession(ctx context.Context, x *model.Session, u *model.User) (*model.Session, error) {
	return s.operatorCloses(ctx, x, u, NoticeOperatorLeft)
}

func (s *Service) operatorCloses(ctx context.Context, x *model.Session, u *model.User, code string) (*model.Session, error) {
	if err := s.mayAct(x, u); err != nil {
		return nil, err
	}
	if x.Status != model.SessionOpen {
		return nil, errEnded
	}
	s.Presence.Activity(u.ID)
	if code == NoticeOperatorLeft {
		s.emit(events.OperatorLeft{Session: copySession(x), OperatorID: x.OperatorID})
	}
	n := &model.Notice{Code: code, Args: map[string]string{"operator": u.DisplayChatName()}}
	return s.closeSession(ctx, x, n, model.AuthorOperator, u.ID)
}

// TransferInput names where a conversation goes: an operator (of the same
// channel), or a channel whose least busy available operator takes it.
type TransferInput struct {
	OperatorID int64
	ChannelID  int64
}

// TransferSession hands the conversation to another available operator. The new
// operator receives it with its whole history and a notice; the visitor
// sees who took over. A refused transfer changes nothing.
func (s *Service) TransferSession(ctx context.Context, x *model.Session, u *model.User, in TransferInput) (*model.Session, error) {
	if err := s.mayAct(x, u); err != nil {
		return nil, err
	}
	if (in.OperatorID == 0) == (in.ChannelID == 0) {
		return nil, &model.FieldError{Field: "operator_id", Message: "Choose either an operator or a channel to transfer the conversation to."}
	}
	if x.Status != model.SessionOpen {
		return nil, errEnded
	}
	channelID, toID := x.ChannelID, in.OperatorID
	if in.ChannelID != 0 {
		channelID = in.ChannelID
	}
	info, err := s.Info(ctx, channelID)
	if errors.Is(err, model.ErrNotFound) {
		return nil, model.Refuse(model.NotFound, "not_found", "This channel does not exist.")
	}
	if err != nil {
		return nil, err
	}
	if toID != 0 {
		if toID == x.OperatorID {
			return nil, model.Refuse(model.Conflict, "same_operator", "This conversation is already with this operator.")
		}
		if !contains(info.OperatorIDs, toID) {
			return nil, model.Refuse(model.Unavailable, "operator_unavailable", "This operator is not an operator of the channel %s.", info.Channel.Name)
		}
		if s.Presence.Status(toID) != Online {
			return nil, model.Refuse(model.Unavailable, "operator_unavailable", "This operator is not available right now.")
		}
	} else {
		var others []int64
		for _, id := range info.OperatorIDs {
			if id != x.OperatorID {
				others = append(others, id)
			}
		}
		toID, _, err = s.pickOperator(ctx, info, others, 0, s.sessionLanguage(ctx, x))
		if errors.Is(err, ErrNoOperator) {
			return nil, model.Refuse(model.Unavailable, "no_operator_available", "Nobody else is available in %s right now.", info.Channel.Name)
		}
		if err != nil {
			return nil, err
		}
	}
	to, err := s.st.User(ctx, toID)
	if err != nil {
		return nil, err
	}
	fromID, fromChannel := x.OperatorID, x.ChannelID
	fromName := x.OperatorName
	if fromName == "" {
		fromName = u.DisplayChatName()
	}
	moved, err := s.st.TransferSession(ctx, x.ID, fromID, toID, to.DisplayChatName(), channelID)
	if errors.Is(err, model.ErrConflict) {
		return nil, model.Refuse(model.Conflict, "already_chatting", "The visitor already has a conversation open in %s.", info.Channel.Name)
	}
	if err != nil {
		return nil, err
	}
	if !moved {
		return nil, model.Refuse(model.Conflict, "session_changed", "This conversation has ended or was handed over meanwhile.")
	}
	s.Presence.Activity(u.ID)
	x.OperatorID, x.OperatorName, x.ChannelID, x.ChannelName = toID, to.DisplayChatName(), channelID, info.Channel.Name
	n := &model.Notice{Code: NoticeTransferred, Args: map[string]string{"from": fromName, "to": to.DisplayChatName()}}
	if channelID != fromChannel {
		n.Args["channel"] = info.Channel.Name
	}
	if err := s.postNotice(ctx, x, n); err != nil {
		return nil, err
	}
	s.emit(events.SessionTransferred{Session: copySession(x), FromOperatorID: fromID, FromChannelID: fromChannel})
	s.emit(events.OperatorJoined{Session: copySession(x), OperatorID: toID})
	return s.st.Session(ctx, x.ID)
}

func contains(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// TransferTargets lists who a conversation can go to right now: the
// channel's other available operators, and the other channels that have
// one.
type TransferTargets struct {
	Operators []*model.User
	Channels  []model.Channel
}

// TransferTargets answers the Transfer dialog.
func (s *Service) TransferTargets(ctx context.Context, x *model.Session, u *model.User) (*TransferTargets, error) {
	if err := s.mayAct(x, u); err != nil {
		return nil, err
	}
	out := &TransferTargets{}
	channels, err := s.st.Channels(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range channels {
		info, err := s.Info(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		var avail []int64
		for _, id := range s.Presence.Online(info.OperatorIDs) {
			if id != x.OperatorID {
				avail = append(avail, id)
			}
		}
		if c.ID == x.ChannelID {
			for _, id := range avail {
				op, err := s.st.User(ctx, id)
				if err != nil {
					return nil, err
				}
				out.Operators = append(out.Operators, op)
			}
		} else if len(avail) > 0 {
			out.Channels = append(out.Channels, *c)
		}
	}
	return out, nil
}

// DefaultAbandonAfter is how long a conversation stays open once its
// visitor has gone (no socket, nothing said, no page seen).
const DefaultAbandonAfter = 30 * time.Minute

// Connections reports live sockets on a topic; realtime.Hub satisfies it.
type Connections interface {
	Subscribers(topic string) int
}

// EndAbandoned ends the open conversations whose visitor has had no socket
// and no activity for the abandon time, with a notice for the operator, so
// the Conversations list holds only live chats. It returns how many ended.
func (s *Service) EndAbandoned(ctx context.Context) (int, error) {
	conns, _ := s.pub.(Connections)
	idle, err := s.st.IdleOpenSessions(ctx, s.now().Add(-s.abandon), 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, x := range idle {
		if conns != nil && conns.Subscribers(VisitorTopic(x.VisitorID)) > 0 {
			continue // the widget is open somewhere: the visitor may still answer
		}
		notice := visitorNotice(NoticeAbandoned, x, "minutes", strconv.Itoa(int(s.abandon/time.Minute)))
		if _, err := s.closeSession(ctx, x, notice, model.AuthorSystem, 0); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// react is live chat's own subscriber: what other domains did that
// changes conversations.
func (s *Service) react(e events.Event) {
	if d, ok := e.(events.UserDeactivated); ok {
		s.InvalidateAll()
		moved, ended, err := s.HandOver(context.Background(), d.User)
		if err != nil {
			s.log.Error("hand over a deactivated operator's chats", "user_id", d.User.ID, "error", err)
			return
		}
		if moved+ended > 0 {
			s.log.Info("handed over a deactivated operator's chats", "user_id", d.User.ID, "moved", moved, "ended", ended)
		}
	}
}

// HandOver moves the open conversations of an operator who can no longer
// take them (deactivated) to another available operator of each channel,
// or ends them with a notice when nobody is available. It returns how many
// moved and how many ended.
func (s *Service) HandOver(ctx context.Context, from *model.User) (moved, ended int, err error) {
	open, err := s.st.Sessions(ctx, model.SessionFilter{OperatorID: from.ID, Status: model.SessionOpen, Limit: 10000})
	if err != nil {
		return 0, 0, err
	}
	// Acting for the operator: the admin who deactivated them is not the
	// one leaving, and may not be an operator of these channels.
	for _, x := range open {
		_, err := s.TransferSession(ctx, x, from, TransferInput{ChannelID: x.ChannelID})
		var r *model.Refusal
		switch {
		case err == nil:
			moved++
			continue
		case errors.As(err, &r) && r.Kind == model.Unavailable:
		case errors.As(err, &r) && r.Code == "session_changed":
			continue // ended or moved meanwhile
		default:
			return moved, ended, err
		}
		if _, err := s.LeaveSession(ctx, x, from); err != nil && !errors.Is(err, errEnded) {
			return moved, ended, err
		}
		ended++
	}
	return moved, ended, nil
}

package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/livechat"
	"parley/app/model"
	"parley/app/realtime"
)

// The operator API serves both integrations (/api/v1, bearer token) and
// the admin's chat windows (/admin/api, session cookie + CSRF) with the
// same handlers: an operator answering through the API is
// indistinguishable from one in the browser.

// operatorSession loads a session the user may work on (livechat.CanSee).
func (s *Server) operatorSession(c echo.Context) (*model.Session, error) {
	return s.d.Livechat.SessionFor(c.Request().Context(), userFrom(c), c.Param("id"))
}

// opSessions lists the user's sessions (admins may ask scope=all).
func (s *Server) opSessions(c echo.Context) error {
	st := c.QueryParam("status")
	switch st {
	case "", "open", "closed":
	default:
		return userErr(http.StatusBadRequest, "invalid_status", "status must be open or closed.")
	}
	views, err := s.d.Livechat.MySessions(c.Request().Context(), userFrom(c), s.localizer(c), model.SessionStatus(st), c.QueryParam("scope") == "all", 100)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"sessions": views})
}

func (s *Server) opSession(c echo.Context) error {
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	return s.sessionJSON(c, x)
}

func (s *Server) opMessages(c echo.Context) error {
	if err := check(c, s.limits.readsPerIP, ipKey(c)); err != nil {
		return err
	}
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	after, err := afterParam(c)
	if err != nil {
		return err
	}
	msgs, err := s.d.Livechat.Messages(c.Request().Context(), x, after)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"messages": livechat.ViewsAt(apiPrefix(c), livechat.MessageViews(s.localizer(c), x, msgs))})
}

type operatorPostRequest struct {
	Body     string  `json:"body"`
	ClientID string  `json:"client_id"`
	Mentions []int64 `json:"mentions"` // user ids: the message is an internal note that notifies them
}

// opPost is what the operator typed: a message (201) or a command, whose
// answer is for this operator only (200) and is never stored or sent.
func (s *Server) opPost(c echo.Context) error {
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	var in operatorPostRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	l := s.localizer(c)
	m, answer, err := s.d.Livechat.OperatorPost(c.Request().Context(), x, userFrom(c), in.Body, in.ClientID, in.Mentions, l)
	if err != nil {
		return s.postError(c, err)
	}
	if answer != nil {
		return c.JSON(http.StatusOK, map[string]any{"command": answer})
	}
	return messageAnswer(c, postedStatus(m), livechat.NewMessageView(l, x, m).At(apiPrefix(c)))
}

func (s *Server) opTyping(c echo.Context) error {
	if err := check(c, s.limits.typingPerIP, ipKey(c)); err != nil {
		return err
	}
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	var in typingRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u := userFrom(c)
	s.d.Livechat.Presence.Activity(u.ID)
	s.d.Livechat.Typing(x, model.AuthorOperator, u.DisplayChatName(), in.Typing)
	return c.NoContent(http.StatusNoContent)
}

type readRequest struct {
	MessageID int64 `json:"message_id"`
}

// opRead marks a session read up to a message, clearing its unread badge.
func (s *Server) opRead(c echo.Context) error {
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	var in readRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.d.Livechat.MarkRead(c.Request().Context(), x, userFrom(c), in.MessageID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// opClose ends the conversation for everyone (the visitor gets the
// closing screen).
func (s *Server) opClose(c echo.Context) error { return s.sessionAction(c, s.d.Livechat.EndSession) }

// opLeave takes the operator out of the conversation.
func (s *Server) opLeave(c echo.Context) error { return s.sessionAction(c, s.d.Livechat.LeaveSession) }

// sessionAction runs act on the session in the path and answers with the
// session as it is afterwards.
func (s *Server) sessionAction(c echo.Context, act func(context.Context, *model.Session, *model.User) (*model.Session, error)) error {
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	if x, err = act(c.Request().Context(), x, userFrom(c)); err != nil {
		return err
	}
	return s.sessionJSON(c, x)
}

type transferRequest struct {
	OperatorID int64 `json:"operator_id"`
	ChannelID  int64 `json:"channel_id"`
}

// opTransfer hands the conversation to an operator or a channel.
func (s *Server) opTransfer(c echo.Context) error {
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	var in transferRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	x, err = s.d.Livechat.TransferSession(c.Request().Context(), x, userFrom(c), livechat.TransferInput{OperatorID: in.OperatorID, ChannelID: in.ChannelID})
	if err != nil {
		return err
	}
	return s.sessionJSON(c, x)
}

type transferTarget struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// opTransferTargets lists who can take the conversation now, for the
// Transfer dialog.
func (s *Server) opTransferTargets(c echo.Context) error {
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	t, err := s.d.Livechat.TransferTargets(c.Request().Context(), x, userFrom(c))
	if err != nil {
		return err
	}
	ops, chans := []transferTarget{}, []transferTarget{}
	for _, u := range t.Operators {
		ops = append(ops, transferTarget{ID: u.ID, Name: u.DisplayChatName()})
	}
	for _, ch := range t.Channels {
		chans = append(chans, transferTarget{ID: ch.ID, Name: ch.Name})
	}
	return c.JSON(http.StatusOK, map[string]any{"operators": ops, "channels": chans})
}

func (s *Server) sessionJSON(c echo.Context, x *model.Session) error {
	views, err := s.d.Livechat.SessionViews(c.Request().Context(), userFrom(c), s.localizer(c), []*model.Session{x})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session": views[0]})
}

type commandView struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
	Help    string   `json:"help"`
}

// opCommands lists the operator commands with their help lines, for the
// "/" suggestion list.
func (s *Server) opCommands(c echo.Context) error {
	l := s.localizer(c)
	out := []commandView{}
	for _, cmd := range s.d.Livechat.CommandList() {
		aliases := cmd.Aliases
		if aliases == nil {
			aliases = []string{}
		}
		out = append(out, commandView{Name: cmd.Name, Aliases: aliases, Help: l.T(cmd.Help, []any{}...)})
	}
	return c.JSON(http.StatusOK, map[string]any{"commands": out})
}

// operatorSocket serves /api/v1/ws (bearer) and /admin/ws (cookie): it
// pushes the operator's session events and everyone's presence, and a live
// socket is what makes the operator reachable.
func (s *Server) operatorSocket(c echo.Context) error {
	u := userFrom(c)
	slot := "operator:" + strconv.FormatInt(u.ID, 10)
	if max := s.limits.operatorSocketsPerUser; !s.limits.sockets.take(slot, max) {
		c.Response().Header().Set("Retry-After", "30")
		return userErr(http.StatusTooManyRequests, "too_many_sockets",
			"This user already has %d live connections, the most allowed; close some tabs or integration connections and try again.", max)
	}
	id := realtime.Identity{Kind: "operator", ID: u.ID, Topics: []string{livechat.OperatorTopic(u.ID), livechat.PresenceTopic, livechat.VisitorsTopic},
		API: strings.HasPrefix(c.Request().URL.Path, "/api/")}
	if err := s.hub.Serve(c.Response(), c.Request(), id, func() { s.limits.sockets.give(slot) }); err != nil {
		s.log.Debug("operator socket", "error", err)
	}
	return nil
}

// disconnectUser closes every live socket of a user whose credentials
// changed (token revoked, logout, new password); sockets whose own
// credentials are still good reconnect by themselves.
func (s *Server) disconnectUser(userID int64) {
	s.hub.CloseTopic(livechat.OperatorTopic(userID))
}

type mentionableView struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// opMentionable lists the users an operator may mention, for the "@" list.
func (s *Server) opMentionable(c echo.Context) error {
	q := c.QueryParam("q")
	if len([]rune(q)) > 100 {
		return userErr(http.StatusBadRequest, "invalid_query", "The search is too long: at most %d characters.", 100)
	}
	users, err := s.d.Livechat.Mentionable(c.Request().Context(), q, 20)
	if err != nil {
		return err
	}
	out := make([]mentionableView, 0, len(users))
	for _, u := range users {
		out = append(out, mentionableView{ID: u.ID, Name: u.DisplayChatName()})
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out})
}

// opInbox lists the user's notifications (mentions) and the unread count.
func (s *Server) opInbox(c echo.Context) error {
	in, err := s.d.Livechat.InboxOf(c.Request().Context(), userFrom(c), s.localizer(c), 30)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, in)
}

// opWaiting lists the visitors waiting in the queues of the user's channels.
func (s *Server) opWaiting(c echo.Context) error {
	list, err := s.d.Livechat.WaitingFor(c.Request().Context(), userFrom(c).ID, s.localizer(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"waiting": list})
}

// opInboxRead marks every notification read.
func (s *Server) opInboxRead(c echo.Context) error {
	if err := s.d.Livechat.MarkInboxRead(c.Request().Context(), userFrom(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// opChannelLinks lists the channels for the "#" list: choosing one puts a
// link to its page in the admin into the message.
func (s *Server) opChannelLinks(c echo.Context) error {
	list, err := s.d.Livechat.Channels(c.Request().Context())
	if err != nil {
		return err
	}
	base := s.d.Config.PublicURL()
	out := make([]map[string]any, 0, len(list))
	for _, ch := range list {
		out = append(out, map[string]any{"id": ch.ID, "name": ch.Name, "url": base + "/admin/channels/" + strconv.FormatInt(ch.ID, 10)})
	}
	return c.JSON(http.StatusOK, map[string]any{"channels": out})
}

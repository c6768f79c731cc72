package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/livechat"
	"parley/app/model"
	"parley/app/realtime"
	"parley/app/store"
)

// The operator API serves both integrations (/api/v1, bearer token) and
// the admin's chat windows (/admin/api, session cookie + CSRF) with the
// same handlers: an operator answering through the API is
// indistinguishable from one in the browser.

// operatorSession loads a session the user may work on: their own, or any
// for admins.
func (s *Server) operatorSession(c echo.Context) (*model.Session, error) {
	u := userFrom(c)
	x, err := s.d.Store.SessionByPublicID(c.Request().Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && x.OperatorID != u.ID && !u.IsAdmin()) {
		return nil, userErr(http.StatusNotFound, "not_found", "This conversation does not exist.")
	}
	return x, err
}

func (s *Server) operatorViews(ctx context.Context, u *model.User, list []*model.Session) ([]livechat.OperatorSessionView, error) {
	ids := make([]int64, len(list))
	vids := make([]int64, len(list))
	for i, x := range list {
		ids[i], vids[i] = x.ID, x.VisitorID
	}
	visitors, err := s.d.Store.VisitorsByID(ctx, vids)
	if err != nil {
		return nil, err
	}
	unread, err := s.d.Store.Unread(ctx, u.ID, ids)
	if err != nil {
		return nil, err
	}
	last, err := s.d.Store.LastMessages(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]livechat.OperatorSessionView, 0, len(list))
	for _, x := range list {
		ov := livechat.NewOperatorSessionView(x, visitors[x.VisitorID], s.d.Config.PublicURL())
		ov.Unread = unread[x.ID]
		if m := last[x.ID]; m != nil {
			mv := livechat.NewMessageView(x.PublicID, m)
			ov.LastMessage = &mv
		}
		out = append(out, ov)
	}
	return out, nil
}

// opSessions lists the user's sessions (admins may ask scope=all).
func (s *Server) opSessions(c echo.Context) error {
	u := userFrom(c)
	f := store.SessionFilter{OperatorID: u.ID, Limit: 100}
	switch st := c.QueryParam("status"); st {
	case "", "open", "closed":
		f.Status = model.SessionStatus(st)
	default:
		return userErr(http.StatusBadRequest, "invalid_status", "status must be open or closed.")
	}
	if c.QueryParam("scope") == "all" {
		if !u.IsAdmin() {
			return userErr(http.StatusForbidden, "forbidden", "Only administrators can list everyone's conversations.")
		}
		f.OperatorID = 0
	}
	list, err := s.d.Store.Sessions(c.Request().Context(), f)
	if err != nil {
		return err
	}
	views, err := s.operatorViews(c.Request().Context(), u, list)
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
	views, err := s.operatorViews(c.Request().Context(), userFrom(c), []*model.Session{x})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session": views[0]})
}

func (s *Server) opMessages(c echo.Context) error {
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	return s.messagesJSON(c, x)
}

func (s *Server) opPost(c echo.Context) error {
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	var in bodyRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := s.d.Livechat.PostOperatorMessage(c.Request().Context(), x, userFrom(c), in.Body)
	if err != nil {
		return s.postError(c, err)
	}
	return c.JSON(http.StatusCreated, map[string]any{"message": livechat.NewMessageView(x.PublicID, m)})
}

func (s *Server) opTyping(c echo.Context) error {
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
	if x.Status == model.SessionOpen {
		s.d.Livechat.Typing(x, model.AuthorOperator, u.DisplayChatName(), in.Typing)
	}
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
	if in.MessageID <= 0 {
		return userErr(http.StatusBadRequest, "invalid_message_id", "message_id must be a message id.")
	}
	if err := s.d.Store.MarkRead(c.Request().Context(), x.ID, userFrom(c).ID, in.MessageID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// operatorSocket serves /api/v1/ws (bearer) and /admin/ws (cookie): it
// pushes the operator's session events and everyone's presence, and a live
// socket is what makes the operator reachable.
func (s *Server) operatorSocket(c echo.Context) error {
	u := userFrom(c)
	id := realtime.Identity{Kind: "operator", ID: u.ID, Topics: []string{livechat.OperatorTopic(u.ID), livechat.PresenceTopic},
		API: strings.HasPrefix(c.Request().URL.Path, "/api/")}
	if err := s.hub.Serve(c.Response(), c.Request(), id); err != nil {
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

type typingFrame struct {
	SessionID string `json:"session_id"`
	Typing    bool   `json:"typing"`
}

// onFrame handles what clients send on sockets: typing and activity.
func (s *Server) onFrame(id realtime.Identity, f realtime.Frame) {
	ctx := context.Background()
	switch f.Type {
	case "activity":
		if id.Kind == "operator" {
			s.d.Livechat.Presence.Activity(id.ID)
		}
	case "ping":
		// An integration's live socket is its activity (the contract says a
		// connected API socket counts as presence and activity); a browser
		// tab left open all night is not, so tabs send "activity" instead.
		if id.Kind == "operator" && id.API {
			s.d.Livechat.Presence.Activity(id.ID)
		}
	case "typing":
		tf := typingFrame{SessionID: f.SessionID, Typing: f.Typing}
		if len(f.Data) > 0 && string(f.Data) != "null" {
			_ = json.Unmarshal(f.Data, &tf)
		}
		x, err := s.d.Store.SessionByPublicID(ctx, tf.SessionID)
		if err != nil || x.Status != model.SessionOpen {
			return
		}
		switch {
		case id.Kind == "visitor" && x.VisitorID == id.ID:
			s.d.Livechat.Typing(x, model.AuthorVisitor, x.VisitorName, tf.Typing)
		case id.Kind == "operator" && x.OperatorID == id.ID:
			s.d.Livechat.Presence.Activity(id.ID)
			u, err := s.d.Store.User(ctx, id.ID)
			if err == nil {
				s.d.Livechat.Typing(x, model.AuthorOperator, u.DisplayChatName(), tf.Typing)
			}
		}
	}
}

// checkOrigin lets any site open the visitor socket (it authenticates with
// a token, never cookies) but only this server's own pages open the
// cookie-authenticated operator socket; clients without an Origin header
// (API integrations) are not browsers and carry a bearer token.
func (s *Server) checkOrigin(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/im_livechat/") {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return strings.HasPrefix(r.URL.Path, "/api/")
	}
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if o.Host == r.Host {
		return true
	}
	pub, err := url.Parse(s.d.Config.PublicURL())
	return err == nil && strings.EqualFold(o.Host, pub.Host)
}

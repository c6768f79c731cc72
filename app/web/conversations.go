package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"parley/app/livechat"
	"parley/app/model"
	"parley/app/store"
)

// The Conversations view (Odoo's Discuss ▸ LIVE CHAT): the operator's
// sessions on the left, the selected one full size in the middle and the
// visitor beside it. The page is rendered here; chat.js keeps it live with
// the same code that runs the docked chat windows.

const (
	conversationsOpen   = 100
	conversationsClosed = 20
)

type conversationsData struct {
	Open     []livechat.OperatorSessionView
	Closed   []livechat.OperatorSessionView
	Selected *livechat.OperatorSessionView
}

// conversations serves /admin/conversations[?session=<public id>].
func (s *Server) conversations(c echo.Context) error {
	ctx := c.Request().Context()
	u := userFrom(c)
	open, err := s.d.Store.Sessions(ctx, store.SessionFilter{OperatorID: u.ID, Status: model.SessionOpen, Limit: conversationsOpen})
	if err != nil {
		return err
	}
	closed, err := s.d.Store.Sessions(ctx, store.SessionFilter{OperatorID: u.ID, Status: model.SessionClosed, Limit: conversationsClosed})
	if err != nil {
		return err
	}
	views, err := s.operatorViews(ctx, u, append(open, closed...))
	if err != nil {
		return err
	}
	d := conversationsData{Open: views[:len(open)], Closed: views[len(open):]}
	if c.QueryParam("session") != "" {
		x, err := s.viewableSession(c, c.QueryParam("session"))
		if err != nil {
			return err
		}
		for i := range views {
			if views[i].ID == x.PublicID {
				d.Selected = &views[i]
			}
		}
		if d.Selected == nil { // an admin looking at someone else's chat, or an old one
			one, err := s.operatorViews(ctx, u, []*model.Session{x})
			if err != nil {
				return err
			}
			d.Selected = &one[0]
		}
	}
	p := s.newPage(c, s.localizer(c).T("Conversations"), "conversations")
	p.BodyClass = "conversations-page"
	p.Data = d
	return s.render(c, "conversations", p)
}

// viewableSession loads a session by public id with the operator API's
// rule: operators see their own, admins everyone's; anything else is a 404.
func (s *Server) viewableSession(c echo.Context, publicID string) (*model.Session, error) {
	u := userFrom(c)
	x, err := s.d.Store.SessionByPublicID(c.Request().Context(), publicID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && x.OperatorID != u.ID && !u.IsAdmin()) {
		return nil, userErr(http.StatusNotFound, "not_found", "This conversation does not exist.")
	}
	return x, err
}

package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"parley/app/livechat"
	"parley/app/model"
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
	Waiting  []livechat.WaitingView
}

// conversations serves /admin/conversations[?session=<public id>].
func (s *Server) conversations(c echo.Context) error {
	ctx := c.Request().Context()
	u, l := userFrom(c), s.localizer(c)
	conv, err := s.d.Livechat.ConversationsOf(ctx, u, l, conversationsOpen, conversationsClosed)
	if err != nil {
		return err
	}
	d := conversationsData{Open: conv.Open, Closed: conv.Closed}
	if d.Waiting, err = s.d.Livechat.WaitingFor(ctx, u.ID, l); err != nil {
		return err
	}
	if id := c.QueryParam("session"); id != "" {
		x, err := s.d.Livechat.SessionFor(ctx, u, id)
		if err != nil {
			return err
		}
		for _, list := range [][]livechat.OperatorSessionView{d.Open, d.Closed} {
			for i := range list {
				if list[i].ID == x.PublicID {
					d.Selected = &list[i]
				}
			}
		}
		if d.Selected == nil { // an admin looking at someone else's chat, or an old one
			one, err := s.d.Livechat.SessionViews(ctx, u, l, []*model.Session{x})
			if err != nil {
				return err
			}
			d.Selected = &one[0]
		}
	}
	p := s.newPage(c, l.T("Conversations"), "conversations")
	p.BodyClass = "conversations-page"
	p.Data = d
	return s.render(c, "conversations", p)
}

// waitingList is the Conversations page's list of waiting visitors alone,
// which the page reloads when the socket says a line changed.
func (s *Server) waitingList(c echo.Context) error {
	list, err := s.d.Livechat.WaitingFor(c.Request().Context(), userFrom(c).ID, s.localizer(c))
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_waiting", list)
}

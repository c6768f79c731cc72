package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"parley/app/model"
	"parley/app/site"
)

type dashboardData struct {
	Channels        []model.ChannelSummary
	MyOpen          int
	AllOpen         int
	OperatorsOnline int
	Offline         int
	Waiting         int // visitors waiting in the queues of the user's channels
	MyStatus        string
	Joined          int
	Checklist       *site.Checklist // nil when not shown
}

// dashboard is the admin home page: what needs attention now.
func (s *Server) dashboard(c echo.Context) error {
	d, err := s.dashboardData(c)
	if err != nil {
		return err
	}
	if d.Checklist, err = s.d.Site.Checklist(c.Request().Context(), userFrom(c)); err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Dashboard"), "dashboard")
	p.Data = d
	return s.render(c, "dashboard", p)
}

// dashboardStats is the dashboard's figures alone, which the page reloads
// when the chat socket reports a change, so they never go stale.
func (s *Server) dashboardStats(c echo.Context) error {
	d, err := s.dashboardData(c)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_dashboard_figures", d)
}

func (s *Server) dashboardData(c echo.Context) (dashboardData, error) {
	ctx := c.Request().Context()
	u := userFrom(c)
	channels, err := s.d.Livechat.ChannelSummaries(ctx, u.ID)
	if err != nil {
		return dashboardData{}, err
	}
	d := dashboardData{Channels: channels, MyStatus: string(s.d.Livechat.Presence.Status(u.ID))}
	if d.MyOpen, err = s.d.Livechat.CountOpen(ctx, u.ID); err != nil {
		return d, err
	}
	if d.AllOpen, err = s.d.Livechat.CountOpen(ctx, 0); err != nil {
		return d, err
	}
	if _, d.Offline, err = s.d.Livechat.CountOfflineMessages(ctx); err != nil {
		return d, err
	}
	if d.Waiting, err = s.d.Livechat.CountWaitingFor(ctx, u.ID); err != nil {
		return d, err
	}
	online := map[int64]bool{}
	for _, ch := range channels {
		if ch.IsMember {
			d.Joined++
		}
		ids, err := s.d.Livechat.OnlineOperators(ctx, ch.ID)
		if err != nil {
			return d, err
		}
		for _, id := range ids {
			online[id] = true
		}
	}
	d.OperatorsOnline = len(online)
	return d, nil
}

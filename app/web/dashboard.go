package web

import (
	"github.com/labstack/echo/v4"
)

// dashboard is the admin home page.
func (s *Server) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	channels, err := s.d.Store.Channels(ctx)
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Dashboard"), "dashboard")
	p.Data = map[string]any{"Channels": channels}
	return s.render(c, "dashboard", p)
}

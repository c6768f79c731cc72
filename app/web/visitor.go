package web

import (
	"net/http"
	"net/netip"
	"strconv"

	"github.com/labstack/echo/v4"

	"parley/app/model"
)

// cors opens the visitor API to every website that embeds the widget. The
// visitor authenticates with a bearer token, never with cookies, so a
// wildcard origin exposes nothing.
func cors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Expose-Headers", "Retry-After")
		h.Set("Access-Control-Max-Age", "86400")
		if c.Request().Method == http.MethodOptions {
			return c.NoContent(http.StatusNoContent)
		}
		return next(c)
	}
}

// country returns the visitor's ISO country from GeoIP, "" when unknown.
func (s *Server) country(c echo.Context) string {
	ip, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return ""
	}
	return s.d.Geo.Country(ip)
}

type initRule struct {
	Action         model.RuleAction `json:"action"`
	AutoPopupTimer int              `json:"auto_popup_timer"`
	Chatbot        any              `json:"chatbot"`
}

// visitorInit is GET /im_livechat/init: on every page view of every site
// that embeds the widget, it says whether and how the chat button shows.
// Everything it reads is cached in memory until a channel changes.
func (s *Server) visitorInit(c echo.Context) error {
	id, err := strconv.ParseInt(c.QueryParam("channel_id"), 10, 64)
	if err != nil || id <= 0 {
		return userErr(http.StatusBadRequest, "invalid_channel_id", "channel_id must be a channel's number.")
	}
	res, err := s.d.Livechat.Init(c.Request().Context(), id, c.QueryParam("url"), s.country(c))
	if err != nil {
		return err
	}
	rule := initRule{Action: model.ActionShow}
	if r := res.Decision.Rule; r != nil {
		rule.Action, rule.AutoPopupTimer = r.Action, r.AutoPopupTimer
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, map[string]any{
		"channel":          map[string]any{"id": res.Channel.ID, "name": res.Channel.Name},
		"available":        res.Decision.Available,
		"operators_online": res.OperatorsOnline,
		"rule":             rule,
		"options":          res.Channel.Options,
	})
}

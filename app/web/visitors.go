package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/model"
)

// Live Chat ▸ Visitors (website_livechat's visitors, §1.11) and the
// messages visitors left while nobody was available.

const (
	visitorsPerPage = 30
	offlinePerPage  = 30
	// connectedWithin is how recent a visitor's last page view must be for
	// them to count as on the site now (Odoo's is_connected: 5 minutes).
	connectedWithin = 5 * time.Minute
)

type visitorRow struct {
	model.VisitorRow
	CountryName string
	Connected   bool
}

func newVisitorRow(l *i18n.Localizer, r model.VisitorRow, now time.Time) visitorRow {
	name := livechat.CountryName(l, r.Country)
	return visitorRow{VisitorRow: r, CountryName: name, Connected: now.Sub(r.LastSeenAt) < connectedWithin}
}

// onlineRows are the visitors whose widget holds a socket open now.
func (s *Server) onlineRows(c echo.Context) ([]visitorRow, error) {
	list, err := s.d.Livechat.OnlineVisitors(c.Request().Context())
	if err != nil {
		return nil, err
	}
	l := s.localizer(c)
	rows := make([]visitorRow, 0, len(list))
	for _, r := range list {
		row := newVisitorRow(l, r, time.Now())
		row.Connected = true
		rows = append(rows, row)
	}
	return rows, nil
}

// onlineVisitors is the live list alone: the page reloads it when the
// operator socket says a visitor arrived, left or moved to another page.
func (s *Server) onlineVisitors(c echo.Context) error {
	rows, err := s.onlineRows(c)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_visitors_online", rows)
}

// requestChat starts a chat with a visitor on the site now (§6.4): their
// widget opens with the operator's first message, and the operator goes to
// the conversation. A visitor who left or is already chatting is refused.
func (s *Server) requestChat(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	x, err := s.d.Livechat.RequestChat(c.Request().Context(), userFrom(c), id, c.FormValue("body"))
	if err != nil {
		return err // 409 with the reason when the visitor left or is chatting, 422 for an empty message
	}
	return c.Redirect(http.StatusSeeOther, "/admin/conversations?session="+url.QueryEscape(x.PublicID))
}

// visitors lists visitors by last activity.
func (s *Server) visitors(c echo.Context) error {
	ctx := c.Request().Context()
	// The pager clamps the page to the total, which the first call returns.
	_, total, err := s.d.Livechat.Visitors(ctx, 0, 0)
	if err != nil {
		return err
	}
	pg := newPager(c.Request().URL, pageParam(c), visitorsPerPage, total)
	list, _, err := s.d.Livechat.Visitors(ctx, visitorsPerPage, pg.Offset(visitorsPerPage))
	if err != nil {
		return err
	}
	now := time.Now()
	rows := make([]visitorRow, 0, len(list))
	for _, r := range list {
		rows = append(rows, newVisitorRow(s.localizer(c), r, now))
	}
	online, err := s.onlineRows(c)
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Visitors"), "visitors")
	p.Data = map[string]any{"Rows": rows, "Pager": pg, "Online": online}
	return s.render(c, "visitors", p)
}

type visitorData struct {
	Visitor     *model.Visitor
	Name        string // the label in the viewer's language when the name is unknown
	CountryName string
	// Online: their widget holds a socket open, so the page (which follows
	// the socket's frames) says they are on the site and an operator may
	// start a chat.
	Online      bool
	Chatting    bool   // they have an open conversation
	JoinChannel string // the channel starting a chat makes the viewer an operator of
	PageViews   []model.PageView
	Sessions    []sessionRow
}

// visitor shows one visitor: where they went and their conversations
// (operators see only their own).
func (s *Server) visitor(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := s.d.Livechat.Visitor(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return userErr(http.StatusNotFound, "not_found", "This visitor does not exist.")
	}
	if err != nil {
		return err
	}
	d := visitorData{Visitor: v}
	d.CountryName = livechat.CountryName(s.localizer(c), v.Country)
	if d.PageViews, err = s.d.Livechat.PageViews(ctx, v.ID, 100); err != nil {
		return err
	}
	list, err := s.d.Livechat.Sessions(ctx, userFrom(c), model.SessionFilter{VisitorID: v.ID, Limit: 50})
	if err != nil {
		return err
	}
	l, now := s.localizer(c), time.Now()
	for _, x := range list {
		d.Sessions = append(d.Sessions, newSessionRow(l, x, now))
	}
	_, d.Online = s.d.Livechat.Live.Online(v.ID)
	row, err := s.d.Livechat.VisitorRow(ctx, v.ID)
	if err != nil {
		return err
	}
	d.Chatting = row.OpenSession != ""
	if d.Online && !d.Chatting {
		if d.JoinChannel, err = s.d.Livechat.RequestJoins(ctx, userFrom(c), v.ID); err != nil {
			return err
		}
	}
	d.Name = livechat.VisitorLabel(l, v.Name, v.ID)
	p := s.newPage(c, d.Name, "visitors")
	p.Data = d
	return s.render(c, "visitor", p)
}

type offlineRow struct {
	model.OfflineMessage
	ChannelName string
}

// offlineMessages lists what visitors left while nobody was available,
// unhandled first.
func (s *Server) offlineMessages(c echo.Context) error {
	ctx := c.Request().Context()
	total, _, err := s.d.Livechat.CountOfflineMessages(ctx)
	if err != nil {
		return err
	}
	pg := newPager(c.Request().URL, pageParam(c), offlinePerPage, total)
	list, _, unhandled, err := s.d.Livechat.OfflineMessages(ctx, offlinePerPage, pg.Offset(offlinePerPage))
	if err != nil {
		return err
	}
	names, err := s.channelNames(c)
	if err != nil {
		return err
	}
	rows := make([]offlineRow, 0, len(list))
	for _, m := range list {
		rows = append(rows, offlineRow{OfflineMessage: m, ChannelName: names[m.ChannelID]})
	}
	p := s.newPage(c, s.localizer(c).T("Offline messages"), "sessions")
	p.Data = map[string]any{"Rows": rows, "Pager": pg, "Unhandled": unhandled}
	return s.render(c, "offline", p)
}

func (s *Server) channelNames(c echo.Context) (map[int64]string, error) {
	chans, err := s.d.Livechat.Channels(c.Request().Context())
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(chans))
	for _, ch := range chans {
		names[ch.ID] = ch.Name
	}
	return names, nil
}

// offlineHandled marks a message as dealt with; htmx swaps the row, a
// plain form comes back to the list. Marking twice is harmless.
func (s *Server) offlineHandled(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	m, err := s.d.Livechat.MarkOfflineHandled(ctx, id, userFrom(c).ID)
	if errors.Is(err, model.ErrNotFound) {
		return userErr(http.StatusNotFound, "not_found", "This message does not exist.")
	}
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		s.setFlash(c, "ok", s.localizer(c).T("The message was marked as handled."))
		return c.Redirect(http.StatusSeeOther, "/admin/offline")
	}
	names, err := s.channelNames(c)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_offline_row", offlineRow{OfflineMessage: m, ChannelName: names[m.ChannelID]})
}

// apiVisitorExport is a visitor's data, for their right of access.
func (s *Server) apiVisitorExport(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ex, err := s.d.Livechat.ExportVisitor(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="parley-visitor-%d.json"`, id))
	return c.JSON(http.StatusOK, ex)
}

// apiVisitorErase deletes a visitor and everything about them.
func (s *Server) apiVisitorErase(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	n, err := s.d.Livechat.EraseVisitor(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"erased": true, "conversations": n})
}

// flagEmoji draws a country's flag from its ISO code with regional
// indicator symbols; anything but two letters draws nothing.
func flagEmoji(code string) string {
	if len(code) != 2 {
		return ""
	}
	var out []rune
	for _, r := range strings.ToUpper(code) {
		if r < 'A' || r > 'Z' {
			return ""
		}
		out = append(out, 0x1F1E6+r-'A')
	}
	return string(out)
}

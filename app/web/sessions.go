package web

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/textfmt"
)

// Live Chat ▸ Sessions: the history of conversations (Odoo's "Sessions
// History", §7.4). Operators see their own sessions, admins everyone's.

const sessionsPerPage = 25

// pager is the state of a paginated list; its links keep the list's filters.
type pager struct {
	Page, Pages, Total int
	From, To           int // 1-based positions of the rows shown
	Prev, Next         string
}

// newPager computes paging for total rows with perPage rows per page; page
// is clamped into range. base is the list's URL with its filters.
func newPager(base *url.URL, page, perPage, total int) pager {
	p := pager{Page: page, Total: total, Pages: (total + perPage - 1) / perPage}
	if p.Pages < 1 {
		p.Pages = 1
	}
	if p.Page > p.Pages {
		p.Page = p.Pages
	}
	if p.Page < 1 {
		p.Page = 1
	}
	if total > 0 {
		p.From = (p.Page-1)*perPage + 1
		p.To = min(p.Page*perPage, total)
	}
	link := func(n int) string {
		u := *base
		q := u.Query()
		q.Del("page")
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		u.RawQuery = q.Encode()
		return u.RequestURI()
	}
	if p.Page > 1 {
		p.Prev = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = link(p.Page + 1)
	}
	return p
}

// Offset is the index of the first row of the page.
func (p pager) Offset(perPage int) int { return (p.Page - 1) * perPage }

func pageParam(c echo.Context) int {
	n, err := strconv.Atoi(c.QueryParam("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// sessionRow is one line of the Sessions list.
type sessionRow struct {
	*model.Session
	VisitorName string // the label in the viewer's language when the name is unknown
	CountryName string
	Duration    string
}

func newSessionRow(l *i18n.Localizer, x *model.Session, now time.Time) sessionRow {
	name := livechat.CountryName(l, x.Country)
	return sessionRow{Session: x, VisitorName: livechat.VisitorLabel(l, x.VisitorName, x.VisitorID),
		CountryName: name, Duration: formatDuration(l, x.Duration(now))}
}

// formatDuration writes a chat's length the way people say it: "45s",
// "3m 05s", "1h 02m".
func formatDuration(l *i18n.Localizer, d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return l.T("%dh %02dm", h, m)
	case m > 0:
		return l.T("%dm %02ds", m, s)
	}
	return l.T("%ds", s)
}

type sessionsData struct {
	Rows      []sessionRow
	Pager     pager
	Channels  []*model.Channel
	Operators []*model.User
	ChannelID int64
	Status    string
	Operator  int64
	Filtered  bool
	Offline   int // unhandled offline messages
}

// sessionsList is Live Chat ▸ Sessions.
func (s *Server) sessionsList(c echo.Context) error {
	ctx := c.Request().Context()
	u, l := userFrom(c), s.localizer(c)
	d := sessionsData{}
	f := model.SessionFilter{}
	d.ChannelID, _ = strconv.ParseInt(c.QueryParam("channel_id"), 10, 64)
	f.ChannelID = d.ChannelID
	if st := c.QueryParam("status"); st == "open" || st == "closed" {
		d.Status, f.Status = st, model.SessionStatus(st)
	}
	if u.IsAdmin() {
		d.Operator, _ = strconv.ParseInt(c.QueryParam("operator_id"), 10, 64)
		f.OperatorID = d.Operator
	} else {
		f.OperatorID = u.ID
	}
	d.Filtered = d.ChannelID != 0 || d.Status != "" || d.Operator != 0
	total, err := s.d.Livechat.CountSessions(ctx, u, f)
	if err != nil {
		return err
	}
	d.Pager = newPager(c.Request().URL, pageParam(c), sessionsPerPage, total)
	f.Limit, f.Offset = sessionsPerPage, d.Pager.Offset(sessionsPerPage)
	list, err := s.d.Livechat.Sessions(ctx, u, f)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, x := range list {
		d.Rows = append(d.Rows, newSessionRow(l, x, now))
	}
	if d.Channels, err = s.d.Livechat.Channels(ctx); err != nil {
		return err
	}
	if u.IsAdmin() {
		if d.Operators, err = s.d.Livechat.OperatorCandidates(ctx, "", 500); err != nil {
			return err
		}
	}
	if _, d.Offline, err = s.d.Livechat.CountOfflineMessages(ctx); err != nil {
		return err
	}
	p := s.newPage(c, l.T("Sessions"), "sessions")
	p.Data = d
	return s.render(c, "sessions", p)
}

type transcriptMessage struct {
	*model.Message
	AuthorName string // as the viewer reads it (visitor label, bot, operator)
	Body       string // notices rendered in the viewer's language
	Parts      []textfmt.Part
	Files      []livechat.AttachmentView
}

type transcriptData struct {
	Row       sessionRow
	Visitor   *model.Visitor
	Messages  []transcriptMessage
	PageViews []model.PageView
	Mine      bool
}

// sessionTranscript shows one session: its transcript and where the
// visitor went. Another operator's session is a 404, as in the API.
func (s *Server) sessionTranscript(c echo.Context) error {
	ctx := c.Request().Context()
	u, l := userFrom(c), s.localizer(c)
	x, err := s.d.Livechat.SessionFor(ctx, u, c.Param("id"))
	if err != nil {
		return err
	}
	d := transcriptData{Row: newSessionRow(l, x, time.Now()), Mine: x.OperatorID == u.ID}
	msgs, err := s.d.Livechat.Messages(ctx, x, 0)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		v := livechat.NewMessageView(l, x, m)
		d.Messages = append(d.Messages, transcriptMessage{Message: m, AuthorName: v.Author.Name, Body: v.Body, Parts: textfmt.Links(v.Body),
			Files: v.At(livechat.AdminAPI).Attachments})
	}
	v, err := s.d.Livechat.Visitor(ctx, x.VisitorID)
	switch {
	case errors.Is(err, model.ErrNotFound):
	case err != nil:
		return err
	default:
		d.Visitor = v
		if d.PageViews, err = s.d.Livechat.PageViews(ctx, v.ID, 15); err != nil {
			return err
		}
	}
	p := s.newPage(c, d.Row.VisitorName, "sessions")
	p.Data = d
	return s.render(c, "session", p)
}

package web

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/livechat"
	"parley/app/model"
	"parley/app/realtime"
)

// cors opens the visitor API to the websites that embed the widget. The
// visitor authenticates with a bearer token, never with cookies, so for a
// channel open to any site every answer is readable by any page ("*"). A
// channel limited to some sites narrows that to the page's own origin once
// the handler knows the channel (checkOrigin), and pages of other sites
// get a 403 they cannot read. A preflight names no channel, so it lets any
// page ask: the answer itself decides.
func cors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Add(echo.HeaderVary, echo.HeaderOrigin)
		if c.Request().Method == http.MethodOptions {
			// What a preflight asks; the answers to the requests
			// themselves need not repeat it (every visitor message).
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Max-Age", "86400")
			return c.NoContent(http.StatusNoContent)
		}
		h.Set("Access-Control-Expose-Headers", "Retry-After")
		return next(c)
	}
}

// checkOrigin refuses a request from a page of a site the channel does not
// allow (403 origin_not_allowed); for a channel limited to some sites, the
// answer is readable by the page's origin only.
func (s *Server) checkOrigin(c echo.Context, channelID int64) error {
	req := c.Request()
	origin := req.Header.Get(echo.HeaderOrigin)
	limited, err := s.d.Livechat.CheckOrigin(req.Context(), channelID, origin)
	if limited {
		h := c.Response().Header()
		if err == nil && origin != "" {
			h.Set(echo.HeaderAccessControlAllowOrigin, origin)
		} else {
			h.Del(echo.HeaderAccessControlAllowOrigin)
		}
	}
	return err
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
	if err := check(c, s.limits.initPerIP, ipKey(c)); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.QueryParam("channel_id"), 10, 64)
	if err != nil || id <= 0 {
		return userErr(http.StatusBadRequest, "invalid_channel_id", "channel_id must be a channel's number.")
	}
	if err := s.checkOrigin(c, id); err != nil {
		return err
	}
	res, err := s.d.Livechat.Init(c.Request().Context(), id, c.QueryParam("url"), s.country(c))
	if err != nil {
		return err
	}
	rule := initRule{Action: model.ActionShow}
	if r := res.Decision.Rule; r != nil {
		rule.Action, rule.AutoPopupTimer = r.Action, r.AutoPopupTimer
	}
	if id := res.Decision.Chatbot; id != 0 {
		rule.Chatbot = map[string]any{"id": id, "name": res.ChatbotName, "avatar_url": livechat.ChatbotAvatarURL(s.d.Config.PublicURL(), id)}
	}
	// The channel's texts in the visitor's language: the channel's default
	// language when it has one, else the browser's.
	l := s.channelLocalizer(c, &res.Channel)
	out := map[string]any{
		"channel": map[string]any{"id": res.Channel.ID, "name": res.Channel.Name,
			"image_url": livechat.ChannelImageURL(s.d.Config.PublicURL(), res.Channel.ID, res.Channel.ImageHash)},
		"available":        res.Decision.Available,
		"operators_online": res.OperatorsOnline,
		"rule":             rule,
		"language":         l.Lang(),
		"options":          livechat.OptionsIn(&res.Channel, l.Lang()),
		// Whether offline messages may promise an answer by mail.
		"mail": s.d.Mail.Configured(c.Request().Context()),
		// The pre-chat form the widget shows before the first message;
		// null when the channel asks nothing.
		"prechat": nil,
	}
	if res.Channel.Prechat.Enabled() {
		out["prechat"] = res.Channel.Prechat
	}
	if a := res.Availability; a.Closed {
		hours := map[string]any{"closed": true, "away_message": a.AwayMessage, "timezone": a.Timezone}
		if !a.NextOpening.IsZero() {
			hours["next_opening"] = a.NextOpening.Format(time.RFC3339)
		}
		out["office_hours"] = hours
	} else {
		out["office_hours"] = map[string]any{"closed": false}
	}
	if res.Channel.DefaultLanguage != "" {
		// A loader that did not know the channel (external_lib.js) set
		// the browser's UI texts; the channel's language replaces them.
		out["strings"] = widgetTexts(l)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, out)
}

// bearer returns the token of an Authorization: Bearer header.
func bearer(c echo.Context) string {
	t, _ := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	return strings.TrimSpace(t)
}

// The visitor API's answers to a missing or unknown token: the widget
// starts afresh on invalid_token.
var (
	errNoVisitorToken      = userErr(http.StatusUnauthorized, "unauthorized", "Send the visitor token as Authorization: Bearer <token>.")
	errUnknownVisitorToken = userErr(http.StatusUnauthorized, "invalid_token", "This visitor token is unknown; start a new conversation.")
)

// visitorSession loads the session in the path and checks it belongs to
// the visitor (another visitor's session is a plain 404, never a hint) and
// that the page may use its channel.
func (s *Server) visitorSession(c echo.Context) (*model.Session, error) {
	return s.visitorSessionBy(c, s.d.Livechat.VisitorSession)
}

// liveVisitorSession is visitorSession for messages, typing and catch-up
// reads: mostly from memory, the session's counters may lag behind.
func (s *Server) liveVisitorSession(c echo.Context) (*model.Session, error) {
	return s.visitorSessionBy(c, s.d.Livechat.LiveVisitorSession)
}

func (s *Server) visitorSessionBy(c echo.Context, lookup func(ctx context.Context, token, publicID string) (*model.Session, error)) (*model.Session, error) {
	token := bearer(c)
	if token == "" {
		return nil, errNoVisitorToken
	}
	x, err := lookup(c.Request().Context(), token, c.Param("id"))
	if errors.Is(err, model.ErrNotFound) {
		return nil, errUnknownVisitorToken
	}
	if err != nil {
		return nil, err
	}
	if x.ChannelID != 0 { // 0: the channel was deleted, its limits with it
		if err := s.checkOrigin(c, x.ChannelID); err != nil {
			return nil, err
		}
	}
	// The conversation goes on in the language it started in: the
	// channel's, when it sets one, else the browser's then. Usually the
	// browser still asks for it, and echo's c.Set would make a map for
	// every message only to say so.
	if l := s.d.I18n.Get(x.VisitorLanguage); l != nil && l != s.localizer(c) {
		c.Set(ctxL, l)
	}
	return x, nil
}

type startRequest struct {
	ChannelID    int64  `json:"channel_id"`
	URL          string `json:"url"`
	Title        string `json:"title"`
	VisitorToken string `json:"visitor_token"`
	VisitorName  string `json:"visitor_name"`
	VisitorEmail string `json:"visitor_email"`
	// VisitorPhone and Consent are the pre-chat form's phone and box.
	VisitorPhone string `json:"visitor_phone"`
	Consent      bool   `json:"consent"`
	// The signed identity of Parley.setVisitor({id, signature}).
	ExternalID string `json:"visitor_external_id"`
	Signature  string `json:"visitor_signature"`
}

// startSession is POST /im_livechat/sessions: the visitor's first message
// opens the chat with an available operator.
func (s *Server) startSession(c echo.Context) error {
	if err := check(c, s.limits.sessionsPerIP, ipKey(c)); err != nil {
		return err
	}
	var in startRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.ChannelID <= 0 {
		return userErr(http.StatusBadRequest, "invalid_channel_id", "channel_id must be a channel's number.")
	}
	if err := s.checkOrigin(c, in.ChannelID); err != nil {
		return err
	}
	ctx := c.Request().Context()
	token := in.VisitorToken
	if token == "" {
		token = bearer(c)
	}
	// The conversation speaks the channel's language when it has one.
	l := s.localizer(c)
	if info, err := s.d.Livechat.Info(ctx, in.ChannelID); err == nil {
		l = s.channelLocalizer(c, &info.Channel)
	}
	res, err := s.d.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: in.ChannelID, VisitorToken: token, Country: s.country(c),
		URL: in.URL, Title: in.Title, VisitorName: in.VisitorName, VisitorEmail: in.VisitorEmail, VisitorPhone: in.VisitorPhone, Consent: in.Consent, Language: l.Lang(),
		BrowserLanguage: firstLanguage(c.Request().Header.Get("Accept-Language")),
		ExternalID:      in.ExternalID, Signature: in.Signature})
	if errors.Is(err, livechat.ErrNoOperator) {
		return userErr(http.StatusConflict, "no_operator_available", "No operator is available right now. Leave us a message and we will answer by email.")
	}
	if err != nil {
		return err
	}
	token = res.Token
	// 201 whether the session was opened now or continued (reload, other
	// tab), as the contract says; the session id tells them apart.
	return c.JSON(http.StatusCreated, map[string]any{
		"visitor_token": token,
		"session":       livechat.NewSessionView(l, res.Session, s.d.Config.PublicURL()),
		"messages":      livechat.MessageViews(l, res.Session, res.Messages),
	})
}

func (s *Server) visitorGetSession(c echo.Context) error {
	x, err := s.visitorSession(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session": livechat.NewSessionView(s.localizer(c), x, s.d.Config.PublicURL())})
}

// afterParam parses ?after=<message id>.
func afterParam(c echo.Context) (int64, error) {
	q := c.QueryParam("after")
	if q == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(q, 10, 64)
	if err != nil || n < 0 {
		return 0, userErr(http.StatusBadRequest, "invalid_after", "after must be a message id (a whole number ≥ 0).")
	}
	return n, nil
}

func (s *Server) visitorMessages(c echo.Context) error {
	if err := check(c, s.limits.readsPerIP, ipKey(c)); err != nil {
		return err
	}
	x, err := s.liveVisitorSession(c)
	if err != nil {
		return err
	}
	after, err := afterParam(c)
	if err != nil {
		return err
	}
	msgs, err := s.d.Livechat.VisitorMessages(c.Request().Context(), x, after)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"messages": livechat.MessageViews(s.localizer(c), x, msgs)})
}

type bodyRequest struct {
	Body     string `json:"body"`
	ClientID string `json:"client_id"`
}

// visitorPost answers 201 with the message only once it is committed.
func (s *Server) visitorPost(c echo.Context) error {
	// Limits come before any lookup, so floods with forged tokens are
	// turned away without touching the database.
	if err := check(c, s.limits.messagesPerIP, ipKey(c), s.limits.messagesPerToken, bearer(c)); err != nil {
		return err
	}
	// The post only reads the session (PostVisitorInput hands it on to
	// the commit's event unchanged): no copy of it is needed.
	x, err := s.visitorSessionBy(c, s.d.Livechat.SharedVisitorSession)
	if err != nil {
		return err
	}
	var in struct {
		bodyRequest
		AnswerID int64  `json:"answer_id"`
		Tab      string `json:"tab"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.AnswerID < 0 {
		return userErr(http.StatusUnprocessableEntity, "invalid_answer_id", "This answer does not exist.")
	}
	m, err := s.d.Livechat.PostVisitorInput(c.Request().Context(), x, livechat.VisitorInput{Body: in.Body, ClientID: in.ClientID, AnswerID: in.AnswerID, Tab: in.Tab})
	if err != nil {
		return s.postError(c, err)
	}
	return messageAnswer(c, postedStatus(m), livechat.NewMessageView(s.localizer(c), x, m))
}

// postedStatus is 201 for a new message, 200 for a retried post that
// returns the message stored the first time.
func postedStatus(m *model.Message) int {
	if m.Replayed {
		return http.StatusOK
	}
	return http.StatusCreated
}

// postError maps the message path's errors: a full queue is a 503 with
// Retry-After, a closed session a 409.
func (s *Server) postError(c echo.Context, err error) error {
	switch {
	case errors.Is(err, livechat.ErrBusy):
		c.Response().Header().Set("Retry-After", "1")
		return userErr(http.StatusServiceUnavailable, "busy", "The server is busy; your message was not sent. Try again in a moment.")
	case errors.Is(err, livechat.ErrSessionClosed):
		return userErr(http.StatusConflict, "session_closed", "This conversation has ended.")
	}
	return err
}

type typingRequest struct {
	Typing bool `json:"typing"`
}

func (s *Server) visitorTyping(c echo.Context) error {
	if err := check(c, s.limits.typingPerIP, ipKey(c), s.limits.typingPerToken, bearer(c)); err != nil {
		return err
	}
	x, err := s.liveVisitorSession(c)
	if err != nil {
		return err
	}
	var in typingRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	s.d.Livechat.Typing(x, model.AuthorVisitor, "", in.Typing)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) visitorClose(c echo.Context) error {
	x, err := s.visitorSession(c)
	if err != nil {
		return err
	}
	x, err = s.d.Livechat.CloseByVisitor(c.Request().Context(), x)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session": livechat.NewSessionView(s.localizer(c), x, s.d.Config.PublicURL())})
}

type pageViewRequest struct {
	ChannelID int64  `json:"channel_id"` // optional: the widget's channel, whose allowed domains apply
	URL       string `json:"url"`
	Title     string `json:"title"`
	Language  string `json:"language"` // optional: the browser's language (navigator.language)
}

// pageView records a page view. Without a token it creates the visitor and
// answers 201 with its token (an extension of the contract, so visitors
// are known before they chat); with one it answers 204.
func (s *Server) pageView(c echo.Context) error {
	if err := check(c, s.limits.pageViewsPerIP, ipKey(c)); err != nil {
		return err
	}
	var in pageViewRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.ChannelID != 0 {
		if err := s.checkOrigin(c, in.ChannelID); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	_, newToken, err := s.d.Livechat.PageView(ctx, bearer(c), s.country(c), in.URL, in.Title, in.Language)
	if err != nil {
		return err
	}
	if newToken != "" {
		return c.JSON(http.StatusCreated, map[string]any{"visitor_token": newToken})
	}
	return c.NoContent(http.StatusNoContent)
}

type offlineRequest struct {
	ChannelID int64  `json:"channel_id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Body      string `json:"body"`
	URL       string `json:"url"`
}

// offlineMessage stores a message left while no operator was available.
func (s *Server) offlineMessage(c echo.Context) error {
	if err := check(c, s.limits.offlinePerIP, ipKey(c)); err != nil {
		return err
	}
	var in offlineRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.ChannelID > 0 {
		if err := s.checkOrigin(c, in.ChannelID); err != nil {
			return err
		}
	}
	m := &model.OfflineMessage{ChannelID: in.ChannelID, Name: in.Name, Email: in.Email, Body: in.Body, URL: in.URL}
	if token := bearer(c); token != "" {
		if v, err := s.d.Livechat.VisitorByToken(c.Request().Context(), token); err == nil {
			m.VisitorID = v.ID
		}
	}
	if err := s.d.Livechat.LeaveOfflineMessage(c.Request().Context(), m); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": m.ID})
}

// visitorSocket is GET /im_livechat/ws?token=&channel_id=: browsers cannot
// set headers on websockets, so the token rides in the query. The page's
// Origin must be allowed by the channel the widget names (by the channels
// of the visitor's open conversations when it names none).
func (s *Server) visitorSocket(c echo.Context) error {
	if err := check(c, s.limits.socketsPerIP, ipKey(c)); err != nil {
		return err
	}
	var channelID int64
	if q := c.QueryParam("channel_id"); q != "" {
		id, err := strconv.ParseInt(q, 10, 64)
		if err != nil || id <= 0 {
			return userErr(http.StatusBadRequest, "invalid_channel_id", "channel_id must be a channel's number.")
		}
		channelID = id
	}
	tab := c.QueryParam("tab")
	if err := livechat.CheckTab(tab); err != nil {
		return err // 422 invalid_tab, as for a post
	}
	req := c.Request()
	visitorID, err := s.d.Livechat.VisitorIDByToken(req.Context(), c.QueryParam("token"))
	if errors.Is(err, model.ErrNotFound) {
		return userErr(http.StatusUnauthorized, "invalid_token", "This visitor token is unknown.")
	}
	if err != nil {
		return err
	}
	if err := s.d.Livechat.CheckSocketOrigin(req.Context(), visitorID, channelID, req.Header.Get(echo.HeaderOrigin)); err != nil {
		return err
	}
	slot := "visitor:" + strconv.FormatInt(visitorID, 10)
	if !s.limits.sockets.take(slot, s.limits.socketsPerVisitor) {
		c.Response().Header().Set("Retry-After", "30")
		return userErr(http.StatusTooManyRequests, "too_many_sockets", "Too many open chat windows; close some tabs and try again.")
	}
	id := realtime.Identity{Kind: "visitor", ID: visitorID, Channel: channelID, Tab: tab, Topics: []string{livechat.VisitorTopic(visitorID)}}
	if err := s.hub.Serve(c.Response(), c.Request(), id, func() { s.limits.sockets.give(slot) }); err != nil {
		s.log.Debug("visitor socket", "error", err)
	}
	return nil
}

// visitorRestartBot is POST /im_livechat/sessions/{id}/chatbot/restart:
// the chatbot's script again from its first step.
func (s *Server) visitorRestartBot(c echo.Context) error {
	x, err := s.visitorSession(c)
	if err != nil {
		return err
	}
	x, err = s.d.Livechat.RestartBot(c.Request().Context(), x)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session": livechat.NewSessionView(s.localizer(c), x, s.d.Config.PublicURL())})
}

// chatbotAvatar serves a chatbot's uploaded picture, or draws its initials.
func (s *Server) chatbotAvatar(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	img, typ, name, err := s.d.Chatbots.Image(c.Request().Context(), id)
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
	if err == nil {
		c.Response().Header().Set("Content-Security-Policy", "default-src 'none'")
		return c.Blob(http.StatusOK, typ, img)
	}
	if name == "" {
		return err
	}
	return c.Blob(http.StatusOK, "image/svg+xml", []byte(avatarSVG(id*53+200, name)))
}

// avatarSVG draws a name's initials on a disc whose colour follows seed.
func avatarSVG(seed int64, name string) string {
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="32" fill="hsl(%d,45%%,32%%)"/>`+
		`<text x="32" y="41" font-family="system-ui,sans-serif" font-size="24" font-weight="600" fill="#fff" text-anchor="middle">%s</text></svg>`,
		seed%360, html.EscapeString(initials(name)))
}

// operatorAvatar draws an operator's initials, so the widget can show a
// face without uploads.
func (s *Server) operatorAvatar(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	u, err := s.d.Livechat.Operator(c.Request().Context(), id)
	if err != nil {
		return err
	}
	// An uploaded photo lives at its hashed address, cached for a year.
	if _, hash, err := s.d.Livechat.OperatorPhoto(c.Request().Context(), id); err == nil {
		c.Response().Header().Set(echo.HeaderCacheControl, faceRedirectCache)
		return c.Redirect(http.StatusFound, fmt.Sprintf("%s/im_livechat/operator/%d/avatar/%s", s.d.Config.PublicURL(), id, hash))
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	svg := avatarSVG(id*47, u.DisplayChatName())
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=3600")
	return c.Blob(http.StatusOK, "image/svg+xml", []byte(svg))
}

// firstLanguage is the first tag of an Accept-Language header ("es-AR"),
// "" for none or "*".
func firstLanguage(header string) string {
	tag, _, _ := strings.Cut(header, ",")
	tag, _, _ = strings.Cut(tag, ";")
	tag = strings.TrimSpace(tag)
	if tag == "*" || len(tag) > 35 {
		return ""
	}
	return tag
}

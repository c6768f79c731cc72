package web

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"parley/app/auth"
	"parley/app/config"
	"parley/app/i18n"
	"parley/app/model"
)

const (
	sessionCookie = "parley_session"
	csrfCookie    = "parley_csrf"
	flashCookie   = "parley_flash"
	ctxUser       = "user"
	ctxLogin      = "login"
	ctxCSRF       = "csrf"
	ctxL          = "l10n"
)

// logRequests logs every request once it is answered. It runs before
// routing, so requests refused there (414) are logged too.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		id := requestID()
		// The response header is where the error handler finds it too:
		// echo's c.Set would make a map for every request.
		c.Response().Header().Set(requestIDHeader, id)
		err := next(c)
		if err != nil {
			c.Error(err) // let the error handler write the response so the status below is real
		}
		req, res := c.Request(), c.Response()
		level := slog.LevelInfo
		if res.Status < 400 && quietPath(req) {
			level = slog.LevelDebug
		}
		if s.d.Observe != nil {
			s.d.Observe(c.Path(), req.Method, res.Status, time.Since(start))
		}
		if !s.log.Enabled(req.Context(), level) {
			return nil // the hot paths at info: build nothing to throw away
		}
		s.log.Log(req.Context(), level, "http", slog.String("request_id", id),
			slog.Group("request", slog.String("method", req.Method), slog.String("uri", logURI(req.URL, res.Status))),
			slog.Int("status", res.Status), slog.Int64("bytes", res.Size),
			slog.Duration("duration", time.Since(start)), slog.String("client_ip", c.RealIP()))
		return nil
	}
}

const requestIDHeader = "X-Request-Id"

// requestID names a request in the log and in the X-Request-Id header, so
// a user's report ("it said error 7f3a…") finds its log lines.
func requestID() string {
	var b [8]byte
	var x [16]byte
	_, _ = rand.Read(b[:])
	hex.Encode(x[:], b[:])
	return string(x[:])
}

// quietPath says whether a successful request is one of the public hot
// paths (every visitor's page load, message and page view, static files,
// probes) that would fill a small disk at info level; they log at debug.
// Errors and everything operators and admins do stay at info.
func quietPath(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case p == "/healthz", strings.HasPrefix(p, "/static/"), p == "/favicon.ico":
		return true
	case strings.HasPrefix(p, "/im_livechat/"):
		return true
	}
	return false
}

// maxLoggedURI bounds a URL in the log: a 900 KB query string used to be
// written whole for every request.
const maxLoggedURI = 512

// logURI is how a request's URL appears in the log: secrets redacted, the
// query of paths that are not ours (404, 414) dropped, at most
// maxLoggedURI bytes.
func logURI(u *url.URL, status int) string {
	var s string
	if status == http.StatusNotFound || status == http.StatusRequestURITooLong {
		s = u.EscapedPath()
		if u.RawQuery != "" {
			s += "?[dropped]"
		}
	} else {
		s = redactURI(u)
	}
	if len(s) <= maxLoggedURI {
		return s
	}
	cut := maxLoggedURI
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…[%d bytes]", s[:cut], len(s))
}

// redactURI hides secrets that ride in query strings: the visitor socket's
// token and the setup token, so logs never hand out access to chats, and
// the query and fragment of other sites' URLs passed as parameters (the
// widget's page URL), which carry those sites' own reset tokens and
// emails.
func redactURI(u *url.URL) string {
	rq := u.RawQuery
	mayHide := strings.Contains(rq, "token") || // a token parameter
		strings.Contains(rq, ":") || strings.Contains(rq, "%3A") || strings.Contains(rq, "%3a") // a URL's "://"
	if !mayHide {
		return u.RequestURI() // nothing to hide: the common case costs no parsing
	}
	q := u.Query()
	changed := false
	for k, vs := range q {
		for i, v := range vs {
			nv := v
			if k == "token" {
				nv = "REDACTED"
			} else {
				nv = withoutQuery(v)
			}
			if nv != v {
				vs[i], changed = nv, true
			}
		}
	}
	if !changed {
		return u.RequestURI()
	}
	r := *u
	r.RawQuery = q.Encode()
	return r.RequestURI()
}

// withoutQuery drops the query and fragment of an absolute URL, leaving
// anything else as it is.
func withoutQuery(v string) string {
	if !strings.Contains(v, "://") {
		return v
	}
	p, err := url.Parse(v)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return v
	}
	if p.RawQuery == "" && p.Fragment == "" && !p.ForceQuery {
		return v
	}
	dropped := p.RawQuery != "" || p.ForceQuery
	p.RawQuery, p.Fragment, p.RawFragment, p.ForceQuery = "", "", "", false
	if dropped {
		return p.String() + "?[dropped]"
	}
	return p.String()
}

// limitURL answers 414 before routing when the request target (path and
// query) is longer than http.max_url_length: matching and logging a
// 900 KB URL cost real CPU and log space.
func (s *Server) limitURL(next echo.HandlerFunc) echo.HandlerFunc {
	max := s.d.Config.HTTP.MaxURLLength
	return func(c echo.Context) error {
		if len(c.Request().RequestURI) > max {
			return userErr(http.StatusRequestURITooLong, "uri_too_long", "The address is too long: at most %d bytes are allowed.", max)
		}
		return next(c)
	}
}

// limitBody bounds request bodies to http.max_body_bytes (1 MiB unless
// configured): 413 whether the length is announced or the body comes
// chunked. Form bodies are parsed here, because c.FormValue drops read
// errors and would read a too large or stalled body as an empty form.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	max := s.d.Config.HTTP.MaxBodyBytes
	return func(c echo.Context) error {
		req := c.Request()
		if req.Body == nil || req.Body == http.NoBody {
			return next(c)
		}
		limit := max
		if isUpload(req) {
			// A file and its form fields; the part beyond max spills to disk.
			limit = s.d.Config.Attachments.MaxBytes + 64<<10
		}
		if req.ContentLength > limit {
			return tooLarge(limit)
		}
		req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, limit)
		var err error
		switch ct := req.Header.Get(echo.HeaderContentType); {
		case strings.HasPrefix(ct, echo.MIMEMultipartForm):
			err = req.ParseMultipartForm(max)
		case strings.HasPrefix(ct, echo.MIMEApplicationForm):
			err = req.ParseForm()
		}
		if err != nil {
			if e := bodyReadError(err); e != nil {
				return e
			}
		}
		return next(c)
	}
}

// securityHeaders sets the headers every response carries; admin HTML pages
// also get a strict CSP (scripts only from this origin, no framing).
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		p := c.Request().URL.Path
		if !strings.HasPrefix(p, "/im_livechat/") && !strings.HasPrefix(p, "/api/") {
			// Inline style attributes are allowed for per-record colours
			// (channel previews, avatars); scripts never run inline.
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")
			h.Set("X-Frame-Options", "DENY")
		}
		return next(c)
	}
}

// localizer is the viewer's language: the one a handler chose (a signed-in
// user's, a visitor's conversation's), else the browser's. Matching a
// header is a map look-up (i18n remembers them), cheaper than echo's
// per-request store, which would make a map for every request.
func (s *Server) localizer(c echo.Context) *i18n.Localizer {
	if l, ok := c.Get(ctxL).(*i18n.Localizer); ok {
		return l
	}
	return s.d.I18n.Match(c.Request().Header.Get("Accept-Language"))
}

// csrf protects every state-changing browser request with a token bound to
// the login session (before login, to a random anonymous cookie) by an
// HMAC under a server key: the page repeats it in a form field (_csrf) or,
// for htmx and fetch, the X-CSRF-Token header. A request that the browser
// marks as cross-site is refused outright. It runs after loadUser, which
// drops a login session that is no longer valid.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		binding := ""
		// The forms that come before a login session (login, setup) are
		// bound to the anonymous cookie whoever fills them.
		p := c.Request().URL.Path
		if ls := loginFrom(c); ls != nil && p != "/login" && p != "/setup" {
			if ck, err := c.Cookie(s.cookie(sessionCookie)); err == nil {
				binding = "session:" + ck.Value
			}
		}
		if binding == "" {
			anon := ""
			if ck, err := c.Cookie(s.cookie(csrfCookie)); err == nil && len(ck.Value) >= 32 {
				anon = ck.Value
			} else {
				anon = auth.RandomToken()
				c.SetCookie(&http.Cookie{Name: s.cookie(csrfCookie), Value: anon, Path: "/", HttpOnly: true,
					SameSite: http.SameSiteLaxMode, Secure: s.d.Config.SecureCookies()})
			}
			binding = "anon:" + anon
		}
		token, err := s.d.Auth.CSRFToken(c.Request().Context(), binding)
		if err != nil {
			return err
		}
		c.Set(ctxCSRF, token)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if c.Request().Header.Get("Sec-Fetch-Site") == "cross-site" {
			return userErr(http.StatusForbidden, "csrf", "This request came from another site and was refused.")
		}
		sent := c.Request().Header.Get("X-CSRF-Token")
		if sent == "" {
			sent = c.FormValue("_csrf")
		}
		if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
			if s.plainHTTPToSecureSite(c) {
				// The Secure cookie never came back over plain HTTP: reloading
				// would not help, the https address would.
				return userErr(http.StatusForbidden, "https_required", "Parley is set up for a secure address: open %s and log in there.", s.d.Config.PublicURL()+"/login")
			}
			return userErr(http.StatusForbidden, "csrf", "The form expired or was sent from another site. Reload the page and try again.")
		}
		return next(c)
	}
}

// cookie names a cookie: with an https base URL the __Host- prefix makes
// browsers refuse it unless this host set it, Secure, for every path, so a
// sibling subdomain cannot plant or shadow it.
func (s *Server) cookie(name string) string {
	if s.d.Config.SecureCookies() {
		return "__Host-" + name
	}
	return name
}

// loadUser attaches the signed-in user, if any.
func (s *Server) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(s.cookie(sessionCookie))
		if err != nil || ck.Value == "" {
			return next(c)
		}
		u, ls, err := s.d.Auth.Authenticate(c.Request().Context(), ck.Value)
		if errors.Is(err, auth.ErrNoSession) {
			s.clearSessionCookie(c)
			return next(c)
		}
		if err != nil {
			return err
		}
		c.Set(ctxUser, u)
		c.Set(ctxLogin, ls)
		// The language chosen in My Profile wins over the browser's.
		if l := s.d.I18n.Get(u.Language); l != nil {
			c.Set(ctxL, l)
		}
		// The server slid the session's expiry; slide the cookie's too, so
		// an operator working every day is not logged out after 14 days.
		if time.Since(ls.LastSeenAt) > time.Hour {
			s.setSessionCookie(c, ck.Value)
		}
		return next(c)
	}
}

// requireUser sends anonymous visitors of admin pages to the login page,
// and a user whose administrator required a new password to the password
// form, which is all they may use until they have chosen one.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := userFrom(c); u != nil {
			if u.MustChangePassword {
				return s.passwordFirst(c, next)
			}
			return next(c)
		}
		target := "/login?next=" + url.QueryEscape(c.Request().URL.RequestURI())
		if wantsJSON(c) {
			return userErr(http.StatusUnauthorized, "unauthorized", "Your session ended. Please log in again.")
		}
		if isHTMX(c) {
			c.Response().Header().Set("HX-Redirect", target)
			return c.NoContent(http.StatusUnauthorized)
		}
		if c.Request().Method != http.MethodGet {
			return userErr(http.StatusUnauthorized, "unauthorized", "Your session ended. Please log in again.")
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
}

// passwordFirst lets through only My Profile and the password change.
func (s *Server) passwordFirst(c echo.Context, next echo.HandlerFunc) error {
	p, m := c.Request().URL.Path, c.Request().Method
	if (p == "/admin/profile" && m == http.MethodGet) || (p == "/admin/profile/password" && m == http.MethodPost) {
		return next(c)
	}
	if wantsJSON(c) || m != http.MethodGet {
		return userErr(http.StatusForbidden, "password_change_required", "Choose a new password in My Profile first.")
	}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", "/admin/profile#password")
		return c.NoContent(http.StatusForbidden)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/profile#password")
}

// requireAdmin refuses operators with a 403 page.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := userFrom(c); u == nil || !u.IsAdmin() {
			return userErr(http.StatusForbidden, "forbidden", "Only administrators can do this.")
		}
		return next(c)
	}
}

// apiAuth authenticates /api/v1 with a bearer API token.
func (s *Server) apiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
			return userErr(http.StatusUnauthorized, "unauthorized", "Send an API token as Authorization: Bearer <token>.")
		}
		u, err := s.d.Auth.UserByAPIToken(c.Request().Context(), strings.TrimSpace(token))
		if errors.Is(err, auth.ErrNoSession) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="parley", error="invalid_token"`)
			return userErr(http.StatusUnauthorized, "invalid_token", "This API token is unknown or was revoked.")
		}
		if err != nil {
			return err
		}
		c.Set(ctxUser, u)
		return next(c)
	}
}

func userFrom(c echo.Context) *model.User {
	u, _ := c.Get(ctxUser).(*model.User)
	return u
}

func loginFrom(c echo.Context) *model.LoginSession {
	ls, _ := c.Get(ctxLogin).(*model.LoginSession)
	return ls
}

func csrfFrom(c echo.Context) string {
	t, _ := c.Get(ctxCSRF).(string)
	return t
}

func (s *Server) setSessionCookie(c echo.Context, value string) {
	c.SetCookie(&http.Cookie{Name: s.cookie(sessionCookie), Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.d.Config.SecureCookies(), MaxAge: 14 * 24 * 3600})
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: s.cookie(sessionCookie), Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.d.Config.SecureCookies(), MaxAge: -1})
}

// setFlash carries a message to the next page view.
func (s *Server) setFlash(c echo.Context, kind, msg string) {
	c.SetCookie(&http.Cookie{Name: s.cookie(flashCookie), Value: url.QueryEscape(kind + "|" + msg), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.d.Config.SecureCookies(), MaxAge: 60})
}

func (s *Server) takeFlash(c echo.Context) *Flash {
	ck, err := c.Cookie(s.cookie(flashCookie))
	if err != nil || ck.Value == "" {
		return nil
	}
	c.SetCookie(&http.Cookie{Name: s.cookie(flashCookie), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.d.Config.SecureCookies()})
	v, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return nil
	}
	kind, msg, ok := strings.Cut(v, "|")
	if !ok || (kind != "ok" && kind != "error" && kind != "info") {
		return nil
	}
	return &Flash{Kind: kind, Msg: msg}
}

// newPage prepares the data every page template receives.
func (s *Server) newPage(c echo.Context, title, nav string) *Page {
	p := &Page{
		Title:    title,
		Nav:      nav,
		User:     userFrom(c),
		CSRF:     csrfFrom(c),
		L:        s.localizer(c),
		Flash:    s.takeFlash(c),
		SiteName: s.d.Site.SiteName(),
		Version:  s.version(),
		BaseURL:  s.d.Config.PublicURL(),
	}
	if u := p.User; u != nil && u.IsAdmin() {
		if s.d.Site.RestartNeeded() {
			p.RestartFor = s.d.Site.Current().PublicURL()
		} else {
			p.AddressInUse = s.addressInUse(c)
		}
		p.MailOff = !s.d.Mail.Configured(c.Request().Context())
	}
	return p
}

// addressInUse is the scheme and host the browser used, when the public
// URL is loopback but this browser is elsewhere; "" otherwise.
func (s *Server) addressInUse(c echo.Context) string {
	if !s.d.Config.PublicURLIsLoopback() {
		return ""
	}
	host := c.Request().Host
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "" || config.IsLoopbackHost(strings.Trim(h, "[]")) {
		return ""
	}
	scheme := "http"
	if s.overHTTPS(c) {
		scheme = "https"
	}
	return scheme + "://" + host
}

// render writes a full page with status 200. Admin pages are never cached:
// they show live data and the CSRF token.
func (s *Server) render(c echo.Context, name string, p *Page) error {
	return s.renderStatus(c, http.StatusOK, name, p)
}

func (s *Server) renderStatus(c echo.Context, status int, name string, p *Page) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	var buf bytes.Buffer
	if err := s.r.page(&buf, name, p); err != nil {
		return err
	}
	return c.Blob(status, echo.MIMETextHTMLCharsetUTF8, buf.Bytes())
}

// fragment writes one partial for an htmx swap.
func (s *Server) fragment(c echo.Context, status int, name string, data any) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	var buf bytes.Buffer
	if err := s.r.fragment(&buf, name, &Fragment{User: userFrom(c), CSRF: csrfFrom(c), L: s.localizer(c), Data: data}); err != nil {
		return err
	}
	return c.Blob(status, echo.MIMETextHTMLCharsetUTF8, buf.Bytes())
}

package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"parley/app/auth"
	"parley/app/model"
	"parley/app/site"
)

// safeNext keeps post-login redirects on this site: a path with no scheme,
// no host, no backslash and no control character (browsers drop tabs and
// newlines, which turns "/\t/evil.com" into "//evil.com").
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\") ||
		strings.IndexFunc(next, unicode.IsControl) >= 0 {
		return "/admin"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || strings.HasPrefix(u.Path, "//") {
		return "/admin"
	}
	return next
}

type loginData struct {
	Email, Next, Error string
	NeedsSetup         bool
	// HTTPSURL is set when the public URL is https but this page came over
	// plain HTTP: the browser will not send the secure cookies back, so
	// logging in here cannot work; the page says where to go instead.
	HTTPSURL string
}

func (s *Server) loginForm(c echo.Context) error {
	if userFrom(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	needs, err := s.d.Auth.NeedsSetup(c.Request().Context())
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Log in"), "")
	p.BodyClass = "auth"
	d := loginData{Next: c.QueryParam("next"), NeedsSetup: needs}
	if s.plainHTTPToSecureSite(c) {
		d.HTTPSURL = s.d.Config.PublicURL() + "/login"
	}
	p.Data = d
	return s.render(c, "login", p)
}

// plainHTTPToSecureSite says whether a request reached an https site's
// server over plain HTTP (directly, not through a proxy that terminated
// TLS and says so): its secure cookies cannot work there.
func (s *Server) plainHTTPToSecureSite(c echo.Context) bool {
	return s.d.Config.SecureCookies() && !s.overHTTPS(c)
}

// overHTTPS says whether the browser's connection is encrypted: to this
// server, or to a trusted proxy that terminated TLS and says so.
func (s *Server) overHTTPS(c echo.Context) bool {
	return c.Request().TLS != nil || (c.Request().Header.Get("X-Forwarded-Proto") == "https" && s.fromTrustedProxy(c))
}

func (s *Server) login(c echo.Context) error {
	l := s.localizer(c)
	email, password := c.FormValue("email"), c.FormValue("password")
	next := c.FormValue("next")
	// Failures count per client address, IPv6 per /64 (ipKey): one host
	// owns a whole subnet and could otherwise try from each address.
	cookie, u, err := s.d.Auth.Login(c.Request().Context(), email, password, ipKey(c), c.Request().UserAgent())
	if err != nil {
		status, msg := http.StatusUnauthorized, l.T("Wrong email or password.")
		var te *auth.ThrottledError
		switch {
		case errors.As(err, &te):
			status = http.StatusTooManyRequests
			msg = l.T("Too many failed login attempts. Try again in %d minutes.", int(te.RetryAfter.Minutes())+1)
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(te.RetryAfter.Seconds())+1))
		case errors.Is(err, auth.ErrBadCredentials):
		case errors.Is(err, auth.ErrDeactivated):
			status, msg = http.StatusForbidden, l.T("This account is deactivated. Ask an administrator to reactivate it.")
		default:
			return err
		}
		p := s.newPage(c, l.T("Log in"), "")
		p.BodyClass = "auth"
		p.Data = loginData{Email: email, Next: next, Error: msg}
		return s.renderStatus(c, status, "login", p)
	}
	if err := s.d.Auth.RememberBrowserLanguage(c.Request().Context(), u.ID, s.d.I18n.Match(c.Request().Header.Get("Accept-Language")).Lang()); err != nil {
		s.log.Warn("remember browser language", "user_id", u.ID, "error", err)
	}
	s.d.Livechat.ForgetLanguage(u.ID)
	s.setSessionCookie(c, cookie)
	return c.Redirect(http.StatusSeeOther, safeNext(next))
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(s.cookie(sessionCookie)); err == nil {
		if err := s.d.Auth.Logout(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	if u := userFrom(c); u != nil {
		s.disconnectUser(u.ID)
	}
	s.clearSessionCookie(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}

type setupData struct {
	Token, Email, Name string
	SiteName, BaseURL  string
	Errors             map[string]string
}

// setupForm is the first-run page where the first admin is created with the
// one-time token printed in the server log.
func (s *Server) setupForm(c echo.Context) error {
	needs, err := s.d.Auth.NeedsSetup(c.Request().Context())
	if err != nil {
		return err
	}
	if !needs {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	token := c.QueryParam("token")
	if !s.d.Auth.CheckSetupToken(token) {
		return userErr(http.StatusForbidden, "bad_setup_token", "This setup link is invalid or was already used. Use the link printed in the server log.")
	}
	p := s.newPage(c, s.localizer(c).T("Set up Parley"), "")
	p.BodyClass = "auth"
	// The address this browser uses is the best guess of the public URL.
	scheme := "http"
	if s.overHTTPS(c) {
		scheme = "https"
	}
	p.Data = setupData{Token: token, SiteName: s.d.Site.SiteName(), BaseURL: scheme + "://" + c.Request().Host}
	return s.render(c, "setup", p)
}

func (s *Server) setup(c echo.Context) error {
	l := s.localizer(c)
	d := setupData{Token: c.FormValue("token"), Email: c.FormValue("email"), Name: c.FormValue("name"),
		SiteName: c.FormValue("site_name"), BaseURL: c.FormValue("base_url"), Errors: map[string]string{}}
	in := site.SetupInput{SiteName: d.SiteName, BaseURL: d.BaseURL}
	var sfe *model.FieldError
	if err := s.d.Site.CheckSetup(in); errors.As(err, &sfe) {
		d.Errors[sfe.Field] = l.T(sfe.Message, sfe.Args...)
	} else if err != nil {
		return err
	}
	if c.FormValue("password") != c.FormValue("password_confirm") {
		d.Errors["password_confirm"] = l.T("The passwords do not match.")
	} else if len(d.Errors) == 0 {
		ctx := c.Request().Context()
		u, err := s.d.Auth.CompleteSetup(ctx, d.Token, auth.NewUser{Email: d.Email, Name: d.Name, Password: c.FormValue("password")})
		var fe *auth.FieldError
		switch {
		case err == nil:
			restart, err := s.d.Site.CompleteSetup(ctx, u, in)
			if err != nil {
				return err
			}
			s.d.Livechat.InvalidateAll() // the new admin now staffs the default channel
			cookie, err := s.d.Auth.StartSession(ctx, u.ID, c.RealIP(), c.Request().UserAgent())
			if err != nil {
				return err
			}
			s.setSessionCookie(c, cookie)
			msg := l.T("Welcome to Parley! Your administrator account is ready.")
			if restart {
				msg += " " + l.T("Restart Parley to use the public URL you gave.")
			}
			s.setFlash(c, "ok", msg)
			return c.Redirect(http.StatusSeeOther, "/admin")
		case errors.Is(err, auth.ErrBadSetupToken):
			return userErr(http.StatusForbidden, "bad_setup_token", "This setup link is invalid or was already used. Use the link printed in the server log.")
		case errors.As(err, &fe):
			d.Errors[fe.Field] = l.T(fe.Message, fe.Args...)
		default:
			return err
		}
	}
	p := s.newPage(c, l.T("Set up Parley"), "")
	p.BodyClass = "auth"
	p.Data = d
	return s.renderStatus(c, http.StatusUnprocessableEntity, "setup", p)
}

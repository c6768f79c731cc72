package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"parley/app/mail"
	"parley/app/model"
)

// transcriptRequest is the body of POST /im_livechat/sessions/:id/transcript.
type transcriptRequest struct {
	Email string `json:"email"`
}

// visitorTranscript queues a copy of the visitor's own conversation for
// mail (202): another visitor's session is a 404, as everywhere.
func (s *Server) visitorTranscript(c echo.Context) error {
	x, err := s.visitorSession(c)
	if err != nil {
		return err
	}
	var in transcriptRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := check(c, s.limits.transcripts, "v"+strconv.FormatInt(x.VisitorID, 10)); err != nil {
		return err
	}
	if err := s.d.Mail.Transcript(c.Request().Context(), x, in.Email); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"queued": true})
}

type mailPage struct {
	Settings   *mail.Settings
	Outbox     []mail.OutboxEntry
	Errors     map[string]string
	TestAnswer string
	TestError  string
}

// outboxShown bounds the outbox table: the newest mails.
const outboxShown = 50

func (s *Server) mailPage(c echo.Context, status int, d *mailPage) error {
	ctx := c.Request().Context()
	var err error
	if d.Settings == nil {
		if d.Settings, err = s.d.Mail.Settings(ctx); err != nil {
			return err
		}
	}
	if d.Outbox, err = s.d.Mail.Outbox(ctx, outboxShown); err != nil {
		return err
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	p := s.newPage(c, s.localizer(c).T("Mail"), "config")
	p.Data = d
	return s.renderStatus(c, status, "mail", p)
}

// mailSettings is Configuration ▸ Mail: the SMTP server, a test mail and
// the outbox.
func (s *Server) mailSettings(c echo.Context) error {
	return s.mailPage(c, http.StatusOK, &mailPage{})
}

func (s *Server) saveMailSettings(c echo.Context) error {
	in := mail.SettingsInput{Host: c.FormValue("host"), Port: c.FormValue("port"), Username: c.FormValue("username"),
		Password: c.FormValue("password"), From: c.FormValue("from"), TLS: c.FormValue("tls"), ResetPassword: c.FormValue("reset_password") != ""}
	err := s.d.Mail.SaveSettings(c.Request().Context(), userFrom(c), in)
	var fe *model.FieldError
	if errors.As(err, &fe) {
		st, serr := s.d.Mail.Settings(c.Request().Context())
		if serr != nil {
			return serr
		}
		// Show what was typed (never the password) with the error.
		st.Host.Value, st.Port.Value, st.Username.Value, st.From.Value, st.TLS.Value = in.Host, in.Port, in.Username, in.From, in.TLS
		return s.mailPage(c, http.StatusUnprocessableEntity, &mailPage{Settings: st, Errors: map[string]string{fe.Field: s.localizer(c).T(fe.Message, fe.Args...)}})
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("The mail settings were saved."))
	return c.Redirect(http.StatusSeeOther, "/admin/config/mail")
}

// testMail sends a mail to the admin now and shows the server's answer, or
// its error (502: the mail server, not the request, failed).
func (s *Server) testMail(c echo.Context) error {
	answer, err := s.d.Mail.SendTest(c.Request().Context(), userFrom(c))
	var se *mail.SendError
	if errors.As(err, &se) {
		return s.mailPage(c, http.StatusBadGateway, &mailPage{TestError: se.Error()})
	}
	if err != nil {
		return err
	}
	return s.mailPage(c, http.StatusOK, &mailPage{TestAnswer: answer})
}

func (s *Server) retryMail(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.d.Mail.RetryNow(c.Request().Context(), id); err != nil {
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("The mail will be sent again now."))
	return c.Redirect(http.StatusSeeOther, "/admin/config/mail")
}

type inviteData struct {
	User  *model.User
	Token string
	Error string
}

// inviteForm is where an invited user chooses their password.
func (s *Server) inviteForm(c echo.Context) error {
	u, err := s.d.Auth.InvitedUser(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Choose your password"), "")
	p.Data = &inviteData{User: u, Token: c.Param("token")}
	return s.render(c, "invite", p)
}

// acceptInvite sets the password, spends the link and logs the user in.
func (s *Server) acceptInvite(c echo.Context) error {
	token := c.Param("token")
	cookie, _, err := s.d.Auth.AcceptInvite(c.Request().Context(), token, c.FormValue("password"), ipKey(c), c.Request().UserAgent())
	var fe *model.FieldError
	if errors.As(err, &fe) {
		u, uerr := s.d.Auth.InvitedUser(c.Request().Context(), token)
		if uerr != nil {
			return uerr
		}
		p := s.newPage(c, s.localizer(c).T("Choose your password"), "")
		p.Data = &inviteData{User: u, Token: token, Error: s.localizer(c).T(fe.Message, fe.Args...)}
		return s.renderStatus(c, http.StatusUnprocessableEntity, "invite", p)
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(c, cookie)
	return c.Redirect(http.StatusSeeOther, "/admin")
}

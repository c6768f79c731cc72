package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/auth"
	"parley/app/i18n"
	"parley/app/model"
)

type profileData struct {
	Form      *model.User
	Languages []languageOption
	Errors    map[string]string
	Tokens    []model.APIToken
	NewToken  string
	// TokensURL is where the token list posts: the user's own profile, or
	// an admin managing another user's tokens.
	TokensURL string
	ForUser   bool
	Inactive  bool // a deactivated user: no token can be created
	// MentionMail is the user's choice of a mail for each mention.
	MentionMail bool
	// DigestMail is an admin's choice of the weekly digest.
	DigestMail bool
}

func (s *Server) profilePage(c echo.Context, status int, d *profileData) error {
	u := userFrom(c)
	if d.Form == nil {
		d.Form = u
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	toks, err := s.d.Auth.APITokens(c.Request().Context(), u, u.ID)
	if err != nil {
		return err
	}
	d.Tokens, d.TokensURL = toks, "/admin/profile/tokens"
	if d.MentionMail, err = s.d.Livechat.MentionMail(c.Request().Context(), u); err != nil {
		return err
	}
	if d.DigestMail, err = s.d.Mail.DigestMail(c.Request().Context(), u); err != nil {
		return err
	}
	for _, tag := range s.d.I18n.Languages() {
		d.Languages = append(d.Languages, languageOption{Tag: tag, Name: i18n.LanguageName(tag)})
	}
	p := s.newPage(c, s.localizer(c).T("My Profile"), "profile")
	p.Data = d
	return s.renderStatus(c, status, "profile", p)
}

// languageOption is one choice of the Language select, named in its own
// language ("Español") so anyone finds theirs.
type languageOption struct{ Tag, Name string }

func (s *Server) profile(c echo.Context) error {
	return s.profilePage(c, http.StatusOK, &profileData{})
}

func (s *Server) saveProfile(c echo.Context) error {
	l := s.localizer(c)
	u := userFrom(c)
	in := auth.ProfileInput{Name: c.FormValue("name"), ChatName: c.FormValue("chat_name"), Email: c.FormValue("email")}
	if vals, _ := c.FormParams(); vals.Has("language") {
		lang := c.FormValue("language")
		in.Language = &lang
	}
	saved, err := s.d.Auth.UpdateProfile(c.Request().Context(), u, u.ID, in)
	var fe *auth.FieldError
	if errors.As(err, &fe) {
		form := *u
		form.Name, form.ChatName, form.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.ChatName), in.Email
		return s.profilePage(c, http.StatusUnprocessableEntity, &profileData{Form: &form, Errors: map[string]string{fe.Field: l.T(fe.Message, fe.Args...)}})
	}
	if err != nil {
		return err
	}
	s.d.Livechat.ForgetLanguage(saved.ID) // live pushes follow the new choice at once
	// The message is in the language just chosen.
	if nl := s.d.I18n.Get(saved.Language); nl != nil {
		l = nl
	} else if saved.Language == "" {
		l = s.d.I18n.Match(c.Request().Header.Get("Accept-Language"))
	}
	s.setFlash(c, "ok", l.T("Your profile was saved."))
	return c.Redirect(http.StatusSeeOther, "/admin/profile")
}

func (s *Server) changePassword(c echo.Context) error {
	l := s.localizer(c)
	errs := map[string]string{}
	next := c.FormValue("new_password")
	if next != c.FormValue("new_password_confirm") {
		errs["new_password_confirm"] = l.T("The passwords do not match.")
	} else {
		err := s.d.Auth.ChangePassword(c.Request().Context(), userFrom(c), loginFrom(c).ID, c.FormValue("current_password"), next, c.FormValue("revoke_tokens") != "")
		var fe *auth.FieldError
		if errors.As(err, &fe) {
			errs[fe.Field] = l.T(fe.Message, fe.Args...)
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return s.profilePage(c, http.StatusUnprocessableEntity, &profileData{Errors: errs})
	}
	s.disconnectUser(userFrom(c).ID)
	if c.FormValue("revoke_tokens") != "" {
		s.setFlash(c, "ok", l.T("Your password was changed. Other browsers were signed out and your API tokens revoked."))
	} else {
		s.setFlash(c, "ok", l.T("Your password was changed. Other browsers were signed out."))
	}
	return c.Redirect(http.StatusSeeOther, "/admin/profile")
}

// tokenOwner is whose tokens a request manages: the user themselves, or
// for /admin/config/users/:uid/tokens the user an admin is editing.
func tokenOwner(c echo.Context) (int64, string, error) {
	if c.Param("uid") == "" {
		return userFrom(c).ID, "/admin/profile/tokens", nil
	}
	id, err := idParam(c, "uid")
	if err != nil {
		return 0, "", err
	}
	return id, userPath(id) + "/tokens", nil
}

// createToken makes an API token and shows it once, in the token list.
func (s *Server) createToken(c echo.Context) error {
	ctx := c.Request().Context()
	owner, url, err := tokenOwner(c)
	if err != nil {
		return err
	}
	plain, _, err := s.d.Auth.CreateAPITokenFor(ctx, userFrom(c), owner, c.FormValue("name"))
	if err != nil {
		return err
	}
	toks, err := s.d.Auth.APITokens(ctx, userFrom(c), owner)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_tokens", &profileData{Tokens: toks, NewToken: plain, TokensURL: url})
}

func (s *Server) revokeToken(c echo.Context) error {
	ctx := c.Request().Context()
	owner, url, err := tokenOwner(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.d.Auth.RevokeAPIToken(ctx, userFrom(c), owner, id); err != nil {
		return err
	}
	s.disconnectUser(owner)
	toks, err := s.d.Auth.APITokens(ctx, userFrom(c), owner)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_tokens", &profileData{Tokens: toks, TokensURL: url})
}

// saveNotifications records whether the user wants a mail per mention.
func (s *Server) saveNotifications(c echo.Context) error {
	on := c.FormValue("mention_mail") != ""
	if err := s.d.Livechat.SetMentionMail(c.Request().Context(), userFrom(c), on); err != nil {
		return err
	}
	l := s.localizer(c)
	if u := userFrom(c); u.IsAdmin() {
		if err := s.d.Mail.SetDigestMail(c.Request().Context(), u, c.FormValue("digest_mail") != ""); err != nil {
			return err
		}
	}
	if on {
		s.setFlash(c, "ok", l.T("You will get a mail when someone mentions you."))
	} else {
		s.setFlash(c, "ok", l.T("Mentions will only show in your inbox."))
	}
	return c.Redirect(http.StatusSeeOther, "/admin/profile#notifications")
}

package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"parley/app/auth"
	"parley/app/model"
	"parley/app/store"
)

type profileData struct {
	Form     *model.User
	Errors   map[string]string
	Tokens   []model.APIToken
	NewToken string
}

func (s *Server) profilePage(c echo.Context, status int, d *profileData) error {
	u := userFrom(c)
	if d.Form == nil {
		d.Form = u
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	toks, err := s.d.Store.APITokens(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	d.Tokens = toks
	p := s.newPage(c, s.localizer(c).T("My Profile"), "profile")
	p.Data = d
	return s.renderStatus(c, status, "profile", p)
}

func (s *Server) profile(c echo.Context) error {
	return s.profilePage(c, http.StatusOK, &profileData{})
}

// validateProfile checks the fields a user edits about themselves.
func validateProfile(form *model.User) map[string]string {
	errs := map[string]string{}
	if form.Name == "" {
		errs["name"] = "The name is required."
	} else if utf8.RuneCountInString(form.Name) > 100 {
		errs["name"] = "The name must be at most 100 characters."
	}
	if utf8.RuneCountInString(form.ChatName) > 100 {
		errs["chat_name"] = "The online chat name must be at most 100 characters."
	}
	if email, err := auth.NormalizeEmail(form.Email); err != nil {
		errs["email"] = "Enter a valid email address."
	} else {
		form.Email = email
	}
	return errs
}

func (s *Server) saveProfile(c echo.Context) error {
	l := s.localizer(c)
	u := userFrom(c)
	form := *u
	form.Name = strings.TrimSpace(c.FormValue("name"))
	form.ChatName = strings.TrimSpace(c.FormValue("chat_name"))
	form.Email = c.FormValue("email")
	errs := validateProfile(&form)
	if len(errs) == 0 {
		err := s.d.Store.UpdateUserProfile(c.Request().Context(), &form)
		if errors.Is(err, store.ErrConflict) {
			errs["email"] = "A user with this email already exists."
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		for k, v := range errs {
			errs[k] = l.T(v)
		}
		return s.profilePage(c, http.StatusUnprocessableEntity, &profileData{Form: &form, Errors: errs})
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
		err := s.d.Auth.ChangePassword(c.Request().Context(), userFrom(c), loginFrom(c).ID, c.FormValue("current_password"), next)
		var fe *auth.FieldError
		if errors.As(err, &fe) {
			errs[fe.Field] = l.T(fe.Message)
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return s.profilePage(c, http.StatusUnprocessableEntity, &profileData{Errors: errs})
	}
	s.setFlash(c, "ok", l.T("Your password was changed. Other browsers were signed out."))
	return c.Redirect(http.StatusSeeOther, "/admin/profile")
}

// createToken makes an API token and shows it once, in the token list.
func (s *Server) createToken(c echo.Context) error {
	u := userFrom(c)
	plain, _, err := s.d.Auth.CreateAPIToken(c.Request().Context(), u.ID, c.FormValue("name"))
	if err != nil {
		return err
	}
	toks, err := s.d.Store.APITokens(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_tokens", &profileData{Tokens: toks, NewToken: plain})
}

func (s *Server) revokeToken(c echo.Context) error {
	u := userFrom(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	if err := s.d.Store.DeleteAPIToken(c.Request().Context(), u.ID, id); err != nil {
		return err
	}
	toks, err := s.d.Store.APITokens(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_tokens", &profileData{Tokens: toks})
}

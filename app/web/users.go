package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/auth"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/store"
)

type userForm struct {
	User      *model.User
	New       bool
	Errors    map[string]string
	TokenData *profileData // the user's API tokens, managed by the admin
	Channels  []model.ChannelSummary
}

// users is Configuration ▸ Users: who can log in, with which role.
func (s *Server) users(c echo.Context) error {
	list, err := s.d.Store.Users(c.Request().Context(), c.QueryParam("q"), 500)
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Users"), "config")
	p.Data = map[string]any{"Users": list, "Query": c.QueryParam("q")}
	return s.render(c, "users", p)
}

func (s *Server) userFormPage(c echo.Context, status int, f *userForm) error {
	l := s.localizer(c)
	title := l.T("New user")
	if !f.New {
		title = f.User.Name
	}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	if !f.New {
		toks, err := s.d.Store.APITokens(c.Request().Context(), f.User.ID)
		if err != nil {
			return err
		}
		f.TokenData = &profileData{Tokens: toks, ForUser: true, TokensURL: "/admin/config/users/" + strconv.FormatInt(f.User.ID, 10) + "/tokens"}
		if f.Channels, err = s.d.Store.ChannelSummaries(c.Request().Context(), f.User.ID); err != nil {
			return err
		}
	}
	p := s.newPage(c, title, "config")
	p.Data = f
	return s.renderStatus(c, status, "user_form", p)
}

func (s *Server) newUserForm(c echo.Context) error {
	return s.userFormPage(c, http.StatusOK, &userForm{User: &model.User{Role: model.RoleOperator}, New: true})
}

func (s *Server) createUser(c echo.Context) error {
	l := s.localizer(c)
	n := auth.NewUser{
		Email: c.FormValue("email"), Name: c.FormValue("name"), ChatName: c.FormValue("chat_name"),
		Role: model.Role(c.FormValue("role")), Password: c.FormValue("password"),
	}
	u, err := s.d.Auth.CreateUser(c.Request().Context(), n)
	var fe *auth.FieldError
	if errors.As(err, &fe) {
		form := &model.User{Email: n.Email, Name: n.Name, ChatName: n.ChatName, Role: n.Role}
		return s.userFormPage(c, http.StatusUnprocessableEntity, &userForm{User: form, New: true, Errors: map[string]string{fe.Field: l.T(fe.Message, fe.Args...)}})
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", l.T("User %s was created.", u.Name))
	return c.Redirect(http.StatusSeeOther, "/admin/config/users")
}

func (s *Server) userParam(c echo.Context) (*model.User, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, echo.ErrNotFound
	}
	return s.d.Store.User(c.Request().Context(), id)
}

func (s *Server) editUser(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	return s.userFormPage(c, http.StatusOK, &userForm{User: u})
}

// updateUser saves an admin's edit of a user; an empty password keeps the
// current one. The last admin cannot be demoted, so nobody is locked out.
func (s *Server) updateUser(c echo.Context) error {
	ctx := c.Request().Context()
	l := s.localizer(c)
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	form := *u
	form.Name = strings.TrimSpace(c.FormValue("name"))
	form.ChatName = strings.TrimSpace(c.FormValue("chat_name"))
	form.Email = c.FormValue("email")
	form.Role = model.Role(c.FormValue("role"))
	errs := validateProfile(&form)
	if !form.Role.Valid() {
		errs["role"] = "The role must be admin or operator."
	} else if u.IsAdmin() && form.Role != model.RoleAdmin {
		n, err := s.d.Store.CountAdmins(ctx)
		if err != nil {
			return err
		}
		if n <= 1 {
			errs["role"] = "This is the last administrator; make someone else an administrator first."
		}
	}
	pw := c.FormValue("password")
	if pw != "" {
		if err := auth.ValidatePassword(pw); err != nil {
			fe := err.(*auth.FieldError)
			errs["password"] = l.T(fe.Message, fe.Args...)
		}
	}
	if len(errs) == 0 {
		err := s.d.Store.UpdateUserProfile(ctx, &form)
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
		return s.userFormPage(c, http.StatusUnprocessableEntity, &userForm{User: &form, Errors: errs})
	}
	if pw != "" {
		if err := s.d.Auth.SetPassword(ctx, u.ID, pw); err != nil {
			return err
		}
		s.disconnectUser(u.ID)
	}
	s.setFlash(c, "ok", l.T("User %s was saved.", form.Name))
	return c.Redirect(http.StatusSeeOther, "/admin/config/users")
}

// saveUserChannels sets which channels a user operates, from the user's
// record: ticked channels are joined, unticked ones left. A channel that
// would lose its last operator keeps them, and the page says which.
func (s *Server) saveUserChannels(c echo.Context) error {
	ctx := c.Request().Context()
	l := s.localizer(c)
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return userErr(http.StatusBadRequest, "bad_request", "The form could not be read.")
	}
	want := map[int64]bool{}
	for _, v := range form["channel_id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return userErr(http.StatusBadRequest, "invalid_channel_id", "%q is not a channel.", v)
		}
		want[id] = true
	}
	channels, err := s.d.Store.ChannelSummaries(ctx, u.ID)
	if err != nil {
		return err
	}
	var kept []string
	for _, ch := range channels {
		switch {
		case want[ch.ID] && !ch.IsMember:
			err = s.d.Livechat.Join(ctx, ch.ID, u.ID)
		case !want[ch.ID] && ch.IsMember:
			err = s.d.Livechat.Leave(ctx, ch.ID, u.ID)
			if errors.Is(err, livechat.ErrLastOperator) {
				kept, err = append(kept, ch.Name), nil
			}
		}
		if err != nil {
			return err
		}
	}
	if len(kept) > 0 {
		s.setFlash(c, "error", l.T("%s stays an operator of %s: a channel needs at least one operator.", u.Name, strings.Join(kept, ", ")))
	} else {
		s.setFlash(c, "ok", l.T("The channels of %s were saved.", u.Name))
	}
	return c.Redirect(http.StatusSeeOther, "/admin/config/users/"+strconv.FormatInt(u.ID, 10))
}

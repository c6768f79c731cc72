package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/auth"
	"parley/app/livechat"
	"parley/app/model"
)

type userForm struct {
	User      *model.User
	New       bool
	Invite    bool // the new user is invited by mail rather than given a password
	Errors    map[string]string
	TokenData *profileData // the user's API tokens, managed by the admin
	Channels  []model.ChannelSummary
	// MaxChats is the user's own maximum of concurrent chats as the input
	// shows it ("" for none); nil loads the stored one.
	MaxChats *string
}

// users is Configuration ▸ Users: who can log in, with which role.
func (s *Server) users(c echo.Context) error {
	q, status := c.QueryParam("q"), auth.UserStatus(c.QueryParam("status"))
	list, err := s.d.Auth.ListUsers(c.Request().Context(), q, status)
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Users"), "config")
	p.Data = map[string]any{"Users": list, "Query": q, "Status": string(status)}
	return s.render(c, "users", p)
}

func (s *Server) userFormPage(c echo.Context, status int, f *userForm) error {
	ctx := c.Request().Context()
	l := s.localizer(c)
	title := l.T("New user")
	if !f.New {
		title = f.User.Name
	}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	if !f.New {
		toks, err := s.d.Auth.APITokens(ctx, userFrom(c), f.User.ID)
		if err != nil {
			return err
		}
		f.TokenData = &profileData{Tokens: toks, ForUser: true, TokensURL: userPath(f.User.ID) + "/tokens", Inactive: !f.User.Active}
		if f.Channels, err = s.d.Livechat.UserChannels(ctx, f.User.ID); err != nil {
			return err
		}
		if f.MaxChats == nil {
			n, err := s.d.Livechat.UserMaxChats(ctx, f.User.ID)
			if err != nil {
				return err
			}
			text := ""
			if n > 0 {
				text = strconv.Itoa(n)
			}
			f.MaxChats = &text
		}
	}
	p := s.newPage(c, title, "config")
	p.Data = f
	return s.renderStatus(c, status, "user_form", p)
}

func userPath(id int64) string { return "/admin/config/users/" + strconv.FormatInt(id, 10) }

func (s *Server) newUserForm(c echo.Context) error {
	return s.userFormPage(c, http.StatusOK, &userForm{User: &model.User{Role: model.RoleOperator, Active: true}, New: true})
}

func (s *Server) createUser(c echo.Context) error {
	l := s.localizer(c)
	n := auth.NewUser{
		Email: c.FormValue("email"), Name: c.FormValue("name"), ChatName: c.FormValue("chat_name"),
		Role: model.Role(c.FormValue("role")), Password: c.FormValue("password"),
	}
	// Inviting mails the user a link to choose their password instead of
	// the admin typing one.
	invite := c.FormValue("invite") != ""
	var u *model.User
	var err error
	if invite {
		u, err = s.d.Mail.Invite(c.Request().Context(), userFrom(c), n)
	} else {
		u, err = s.d.Auth.CreateUser(c.Request().Context(), n)
	}
	var fe *auth.FieldError
	if errors.As(err, &fe) {
		form := &model.User{Email: n.Email, Name: n.Name, ChatName: n.ChatName, Role: n.Role, Active: true}
		return s.userFormPage(c, http.StatusUnprocessableEntity, &userForm{User: form, New: true, Invite: invite, Errors: map[string]string{fe.Field: l.T(fe.Message, fe.Args...)}})
	}
	if err != nil {
		return err
	}
	if invite {
		s.setFlash(c, "ok", l.T("User %s was created; an invitation to choose a password was mailed to %s.", u.Name, u.Email))
		return c.Redirect(http.StatusSeeOther, "/admin/config/users")
	}
	s.setFlash(c, "ok", l.T("User %s was created.", u.Name))
	return c.Redirect(http.StatusSeeOther, "/admin/config/users")
}

func (s *Server) userParam(c echo.Context) (*model.User, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.d.Auth.User(c.Request().Context(), id)
}

func (s *Server) editUser(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	return s.userFormPage(c, http.StatusOK, &userForm{User: u})
}

// updateUser saves an admin's edit of a user; an empty password keeps the
// current one.
func (s *Server) updateUser(c echo.Context) error {
	l := s.localizer(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	in := auth.ProfileInput{Name: c.FormValue("name"), ChatName: c.FormValue("chat_name"), Email: c.FormValue("email"),
		Role: model.Role(c.FormValue("role")), Password: c.FormValue("password")}
	maxChats := c.FormValue("max_chats")
	_, err = livechat.ParseMaxChats("max_chats", maxChats) // checked first: a refusal saves nothing
	var mfe *model.FieldError
	if errors.As(err, &mfe) {
		form, ferr := s.d.Auth.User(c.Request().Context(), id)
		if ferr != nil {
			return ferr
		}
		return s.userFormPage(c, http.StatusUnprocessableEntity, &userForm{User: form, MaxChats: &maxChats, Errors: map[string]string{mfe.Field: l.T(mfe.Message, mfe.Args...)}})
	}
	u, err := s.d.Auth.UpdateProfile(c.Request().Context(), userFrom(c), id, in)
	if err == nil {
		err = s.d.Livechat.SetUserMaxChats(c.Request().Context(), id, maxChats)
	}
	var fe *auth.FieldError
	if errors.As(err, &fe) {
		form, ferr := s.d.Auth.User(c.Request().Context(), id)
		if ferr != nil {
			return ferr
		}
		form.Name, form.ChatName, form.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.ChatName), in.Email
		if in.Role != "" {
			form.Role = in.Role
		}
		return s.userFormPage(c, http.StatusUnprocessableEntity, &userForm{User: form, Errors: map[string]string{fe.Field: l.T(fe.Message, fe.Args...)}})
	}
	if err != nil {
		return err
	}
	if in.Password != "" {
		s.disconnectUser(u.ID)
	}
	s.setFlash(c, "ok", l.T("User %s was saved.", u.Name))
	return c.Redirect(http.StatusSeeOther, "/admin/config/users")
}

// deactivateUser is for someone who left (see auth.DeactivateUser), from
// the user's page or the JSON API.
func (s *Server) deactivateUser(c echo.Context) error {
	return s.userAction(c, s.d.Auth.DeactivateUser, "%s was deactivated: they can no longer log in or take chats.")
}

// reactivateUser lets a deactivated user log in again.
func (s *Server) reactivateUser(c echo.Context) error {
	return s.userAction(c, s.d.Auth.ReactivateUser, "%s was reactivated and can log in again.")
}

// requirePassword is an admin's forced reset: the user is signed out
// everywhere and must choose a new password at their next login.
func (s *Server) requirePassword(c echo.Context) error {
	return s.userAction(c, s.d.Auth.RequirePasswordChange, "%s was signed out and must choose a new password at their next login.")
}

// userAction runs an admin's action on the user in the path, applies it
// outside the database (the cached channel operators; the live sockets of
// a user who may no longer use them), then answers with the user for the
// API, or with done (a format taking the user's name) on the user's page.
func (s *Server) userAction(c echo.Context, act func(context.Context, *model.User, int64) (*model.User, error), done string) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	u, err := act(c.Request().Context(), userFrom(c), id)
	if err != nil {
		return err
	}
	s.d.Livechat.InvalidateAll()
	if !u.Active || u.MustChangePassword {
		s.disconnectUser(u.ID)
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"user": toAPIUser(u)})
	}
	s.setFlash(c, "ok", s.localizer(c).T(done, u.Name))
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", userPath(u.ID))
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, userPath(u.ID))
}

// saveUserChannels sets which channels a user operates, from the user's
// record: ticked channels are joined, unticked ones left. A channel that
// would lose its last operator keeps them, and the page says which.
func (s *Server) saveUserChannels(c echo.Context) error {
	l := s.localizer(c)
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return userErr(http.StatusBadRequest, "bad_request", "The form could not be read.")
	}
	var ids []int64
	for _, v := range form["channel_id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return userErr(http.StatusBadRequest, "invalid_channel_id", "%q is not a channel.", v)
		}
		ids = append(ids, id)
	}
	kept, err := s.d.Livechat.SetUserChannels(c.Request().Context(), u.ID, ids)
	if err != nil {
		return err
	}
	if len(kept) > 0 {
		s.setFlash(c, "error", l.T("%s stays an operator of %s: a channel needs at least one operator.", u.Name, strings.Join(kept, ", ")))
	} else {
		s.setFlash(c, "ok", l.T("The channels of %s were saved.", u.Name))
	}
	return c.Redirect(http.StatusSeeOther, userPath(u.ID))
}

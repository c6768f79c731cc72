package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/model"
)

type apiUser struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	ChatName  string    `json:"chat_name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	Active    bool      `json:"active"`
	// DeactivatedAt is null while the user is active.
	DeactivatedAt *time.Time `json:"deactivated_at"`
	// MustChangePassword is set until a forced reset is done.
	MustChangePassword bool `json:"must_change_password"`
}

func toAPIUser(u *model.User) apiUser {
	a := apiUser{ID: u.ID, Email: u.Email, Name: u.Name, ChatName: u.DisplayChatName(), Role: string(u.Role), CreatedAt: u.CreatedAt, Active: u.Active,
		MustChangePassword: u.MustChangePassword}
	if !u.DeactivatedAt.IsZero() {
		a.DeactivatedAt = &u.DeactivatedAt
	}
	return a
}

// apiMe tells an API client who its token acts as.
func (s *Server) apiMe(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"user": toAPIUser(userFrom(c))})
}

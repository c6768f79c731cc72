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
}

func toAPIUser(u *model.User) apiUser {
	return apiUser{ID: u.ID, Email: u.Email, Name: u.Name, ChatName: u.DisplayChatName(), Role: string(u.Role), CreatedAt: u.CreatedAt}
}

// apiMe tells an API client who its token acts as.
func (s *Server) apiMe(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"user": toAPIUser(userFrom(c))})
}

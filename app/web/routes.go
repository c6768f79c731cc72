package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes lists every route, grouped, top to bottom.
func (s *Server) routes() {
	e := s.e
	e.Use(middleware.Recover())
	e.Use(s.logRequests)
	e.Use(s.securityHeaders)
	e.Use(middleware.BodyLimit("1M"))
	e.Use(s.withLocale)

	// Probes and static files: no session, no CSRF.
	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	e.GET("/static/:hash/*", s.static)
	e.GET("/favicon.ico", s.favicon)

	// Browser pages: session + CSRF.
	web := e.Group("", s.csrf, s.loadUser)
	web.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/admin") })
	web.GET("/login", s.loginForm)
	web.POST("/login", s.login)
	web.POST("/logout", s.logout)
	web.GET("/setup", s.setupForm)
	web.POST("/setup", s.setup)

	admin := web.Group("/admin", s.requireUser)
	admin.GET("", s.dashboard)
	admin.GET("/profile", s.profile)
	admin.POST("/profile", s.saveProfile)
	admin.POST("/profile/password", s.changePassword)
	admin.POST("/profile/tokens", s.createToken)
	admin.DELETE("/profile/tokens/:id", s.revokeToken)

	cfg := admin.Group("/config", requireAdmin)
	cfg.GET("/users", s.users)
	cfg.GET("/users/new", s.newUserForm)
	cfg.POST("/users", s.createUser)
	cfg.GET("/users/:id", s.editUser)
	cfg.POST("/users/:id", s.updateUser)

	// Visitor API for the embedded widget: CORS, visitor bearer tokens.
	visitor := e.Group("/im_livechat", cors)
	visitor.GET("/init", s.visitorInit)
	visitor.OPTIONS("/*", func(c echo.Context) error { return nil })

	// JSON API for integrations: bearer token, no cookies, no CSRF.
	api := e.Group("/api/v1", s.apiAuth)
	api.GET("/me", s.apiMe)
	api.POST("/channels/:id/join", s.apiJoinChannel)
	api.POST("/channels/:id/leave", s.apiLeaveChannel)
	apiAdmin := api.Group("", requireAdmin)
	apiAdmin.GET("/channels", s.apiChannels)
	apiAdmin.GET("/channels/:id", s.apiChannel)
	apiAdmin.PATCH("/channels/:id", s.apiPatchChannel)
	apiAdmin.GET("/channels/:id/rules", s.apiRules)
	apiAdmin.PUT("/channels/:id/rules", s.apiPutRules)

	// Anything else is a 404 rendered by the error handler.
	e.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
}

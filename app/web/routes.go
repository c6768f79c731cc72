package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// operatorRoutes mounts the operator API on a group: /api/v1 (bearer
// token) and /admin/api (session cookie + CSRF) share these handlers.
func (s *Server) operatorRoutes(g *echo.Group) {
	g.GET("/ws", s.operatorSocket)
	g.GET("/sessions", s.opSessions)
	g.GET("/sessions/:id", s.opSession)
	g.GET("/sessions/:id/messages", s.opMessages)
	g.POST("/sessions/:id/messages", s.opPost)
	g.POST("/sessions/:id/attachments", s.opUpload)
	g.GET("/sessions/:id/attachments/:aid", s.opAttachment)
	g.GET("/sessions/:id/attachments/:aid/thumbnail", s.opAttachment)
	g.POST("/sessions/:id/typing", s.opTyping)
	g.POST("/sessions/:id/read", s.opRead)
	g.POST("/sessions/:id/close", s.opClose)
	g.POST("/sessions/:id/leave", s.opLeave)
	g.POST("/sessions/:id/transfer", s.opTransfer)
	g.GET("/sessions/:id/transfer", s.opTransferTargets)
	g.GET("/commands", s.opCommands)
	g.GET("/ratings", s.apiRatings)
	g.GET("/canned-responses", s.opCanned)
	g.GET("/mentionable", s.opMentionable)
	g.GET("/channel-links", s.opChannelLinks)
	g.GET("/inbox", s.opInbox)
	g.GET("/waiting", s.opWaiting)
	g.POST("/inbox/read", s.opInboxRead)
}

// routes lists every route, grouped, top to bottom.
func (s *Server) routes() {
	e := s.e
	// Before routing: log everything, refuse over-long URLs.
	e.Pre(s.logRequests, s.securityHeaders, s.limitURL)
	e.Use(middleware.Recover())
	// Pages and JSON go out gzipped; static files, the widget bundle and the
	// public rating pages are compressed once and served as they are;
	// sockets are not touched, and neither are a visitor's messages, typing
	// and page views, the requests of every chat: their answers (a message,
	// or nothing) are too small to gain from it.
	e.Use(gzipResponses(func(c echo.Context) bool {
		r := c.Request()
		p := r.URL.Path
		return strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/im_livechat/widget.") || strings.HasPrefix(p, "/livechat") || strings.HasSuffix(p, "/ws") ||
			r.Method == http.MethodPost && strings.HasPrefix(p, "/im_livechat/") &&
				(strings.HasSuffix(p, "/messages") || strings.HasSuffix(p, "/typing") || p == "/im_livechat/pageviews")
	}))
	e.Use(s.limitBody)

	// Probes and static files: no session, no CSRF.
	e.GET("/healthz", s.healthz)
	e.GET("/metrics", s.metrics)
	e.HEAD("/healthz", s.healthz)
	e.GET("/static/:hash/*", s.static)
	e.HEAD("/static/:hash/*", s.static)
	e.GET("/favicon.ico", s.favicon)

	// Browser pages: session + CSRF.
	web := e.Group("", s.loadUser, s.csrf)
	web.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/admin") })
	web.GET("/login", s.loginForm)
	web.POST("/login", s.login)
	web.POST("/logout", s.logout)
	web.GET("/setup", s.setupForm)
	web.POST("/setup", s.setup)
	web.GET("/invite/:token", s.inviteForm)
	web.POST("/invite/:token", s.acceptInvite)

	admin := web.Group("/admin", s.requireUser)
	admin.GET("", s.dashboard)
	admin.GET("/stats", s.dashboardStats)
	admin.POST("/firstrun/snippet", s.snippetCopied)
	admin.POST("/firstrun/dismiss", s.dismissChecklist, requireAdmin)
	s.operatorRoutes(admin.Group("/api"))
	admin.GET("/profile", s.profile)
	admin.POST("/profile", s.saveProfile)
	admin.POST("/profile/password", s.changePassword)
	admin.POST("/profile/photo", s.saveProfilePhoto)
	admin.POST("/profile/notifications", s.saveNotifications)
	admin.POST("/profile/tokens", s.createToken)
	admin.DELETE("/profile/tokens/:id", s.revokeToken)

	// Live conversations: operators see their own sessions, admins everyone's.
	admin.GET("/conversations", s.conversations)
	admin.GET("/conversations/waiting", s.waitingList)
	admin.GET("/sessions", s.sessionsList)
	admin.GET("/sessions/:id", s.sessionTranscript)
	admin.GET("/visitors", s.visitors)
	admin.GET("/visitors/online", s.onlineVisitors)
	admin.GET("/visitors/:id", s.visitor)
	admin.POST("/visitors/:id/chat", s.requestChat)
	admin.GET("/offline", s.offlineMessages)
	admin.POST("/offline/:id/handled", s.offlineHandled)

	// Channels: operators view them and join or leave; admins edit them.
	admin.GET("/channels", s.channels)
	admin.GET("/channels/new", s.newChannelForm, requireAdmin)
	admin.POST("/channels", s.createChannel, requireAdmin)
	admin.GET("/channels/:id", s.channel)
	admin.POST("/channels/:id", s.saveChannel, requireAdmin)
	admin.DELETE("/channels/:id", s.deleteChannel, requireAdmin)
	admin.POST("/channels/:id/identity_secret", s.regenerateIdentitySecret, requireAdmin)
	admin.POST("/channels/:id/availability", s.saveAvailability, requireAdmin)
	admin.POST("/channels/:id/image", s.saveChannelImage, requireAdmin)
	admin.POST("/channels/:id/join", s.joinChannel)
	admin.POST("/channels/:id/leave", s.leaveChannel)
	admin.GET("/channels/:id/operators/picker", s.operatorPicker, requireAdmin)
	admin.POST("/channels/:id/operators", s.addOperators, requireAdmin)
	admin.POST("/channels/:id/operators/new", s.createOperator, requireAdmin)
	admin.DELETE("/channels/:id/operators/:uid", s.removeOperator, requireAdmin)
	admin.GET("/channels/:id/rules/new", s.ruleNew, requireAdmin)
	admin.POST("/channels/:id/rules", s.ruleSave, requireAdmin)
	admin.GET("/channels/:id/rules/:rid", s.ruleEdit, requireAdmin)
	admin.POST("/channels/:id/rules/:rid", s.ruleSave, requireAdmin)
	admin.POST("/channels/:id/rules/:rid/move", s.ruleMove, requireAdmin)
	admin.DELETE("/channels/:id/rules/:rid", s.ruleDelete, requireAdmin)

	admin.GET("/reports", s.reports, requireAdmin)
	admin.GET("/reports/ratings", s.ratingsReport, requireAdmin)
	admin.GET("/reports/ratings/:id", s.ratingDetail, requireAdmin)
	admin.POST("/reports/ratings/:id", s.saveRating, requireAdmin)

	// Leads and Helpdesk: every user works them; admins set up the teams.
	admin.GET("/leads", s.leadsList)
	admin.GET("/leads/:id", s.lead)
	admin.POST("/leads/:id", s.saveLead)
	admin.POST("/leads/:id/stage", s.moveLead)
	admin.GET("/helpdesk", s.tickets)
	admin.GET("/helpdesk/tickets/:id", s.ticket)
	admin.POST("/helpdesk/tickets/:id", s.saveTicket)

	cfg := admin.Group("/config", requireAdmin)
	cfg.GET("/users", s.users)
	cfg.GET("/users/new", s.newUserForm)
	cfg.POST("/users", s.createUser)
	cfg.GET("/users/:id", s.editUser)
	cfg.POST("/users/:id", s.updateUser)
	cfg.POST("/users/:id/channels", s.saveUserChannels)
	cfg.POST("/users/:id/deactivate", s.deactivateUser)
	cfg.POST("/users/:id/require_password", s.requirePassword)
	cfg.POST("/users/:id/reactivate", s.reactivateUser)
	cfg.POST("/users/:uid/tokens", s.createToken)
	cfg.DELETE("/users/:uid/tokens/:id", s.revokeToken)
	cfg.GET("/settings", s.siteSettings)
	cfg.POST("/settings", s.saveSiteSettings)
	cfg.GET("/mail", s.mailSettings)
	cfg.POST("/mail", s.saveMailSettings)
	cfg.POST("/mail/test", s.testMail)
	cfg.POST("/mail/outbox/:id/retry", s.retryMail)
	cfg.GET("/chatbots", s.chatbots)
	cfg.POST("/chatbots", s.chatbotCreate)
	cfg.POST("/chatbots/import", s.chatbotImport)
	cfg.GET("/chatbots/:id", s.chatbot)
	cfg.POST("/chatbots/:id", s.chatbotSave)
	cfg.POST("/chatbots/:id/image", s.chatbotImage)
	cfg.POST("/chatbots/:id/active", s.chatbotArchive)
	cfg.POST("/chatbots/:id/delete", s.chatbotDelete)
	cfg.GET("/chatbots/:id/export", s.chatbotExport)
	cfg.GET("/chatbots/:id/steps/new", s.stepNew)
	cfg.POST("/chatbots/:id/steps", s.stepSave)
	cfg.GET("/chatbots/:id/steps/:sid", s.stepEdit)
	cfg.POST("/chatbots/:id/steps/:sid", s.stepSave)
	cfg.POST("/chatbots/:id/steps/:sid/move", s.stepMove)
	cfg.POST("/chatbots/:id/steps/:sid/delete", s.stepDelete)
	cfg.GET("/chatbots/:id/test", s.chatbotTest)
	cfg.POST("/chatbots/:id/test", s.chatbotTestStart)
	cfg.GET("/sales-teams", s.salesTeams)
	cfg.POST("/sales-teams", s.saveSalesTeam)
	cfg.GET("/sales-teams/:id", s.salesTeam)
	cfg.POST("/sales-teams/:id", s.saveSalesTeam)
	cfg.GET("/helpdesk-teams", s.helpdeskTeams)
	cfg.POST("/helpdesk-teams", s.saveHelpdeskTeam)
	cfg.GET("/helpdesk-teams/:id", s.helpdeskTeam)
	cfg.POST("/helpdesk-teams/:id", s.saveHelpdeskTeam)
	cfg.POST("/sales-teams/:id/webhook", s.saveWebhook)
	cfg.POST("/sales-teams/:id/webhook/secret", s.regenerateWebhookSecret)
	cfg.POST("/helpdesk-teams/:id/webhook", s.saveWebhook)
	cfg.POST("/helpdesk-teams/:id/webhook/secret", s.regenerateWebhookSecret)
	cfg.GET("/canned", s.cannedResponses)
	cfg.POST("/canned", s.saveCanned)
	cfg.GET("/canned/:id", s.editCanned)
	cfg.POST("/canned/:id", s.saveCanned)
	cfg.POST("/canned/:id/delete", s.deleteCanned)

	// Visitor API for the embedded widget: CORS, visitor bearer tokens.
	visitor := e.Group("/im_livechat", cors)
	visitor.GET("/init", s.visitorInit)
	visitor.POST("/sessions", s.startSession)
	visitor.GET("/sessions/:id", s.visitorGetSession)
	visitor.GET("/sessions/:id/messages", s.visitorMessages)
	visitor.POST("/sessions/:id/messages", s.visitorPost)
	visitor.POST("/sessions/:id/attachments", s.visitorUpload)
	visitor.GET("/sessions/:id/attachments/:aid", s.visitorAttachment)
	visitor.GET("/sessions/:id/attachments/:aid/thumbnail", s.visitorAttachment)
	visitor.GET("/files/:aid/:sig", s.signedAttachment)
	visitor.POST("/sessions/:id/transcript", s.visitorTranscript)
	visitor.POST("/sessions/:id/typing", s.visitorTyping)
	visitor.POST("/sessions/:id/close", s.visitorClose)
	visitor.POST("/sessions/:id/feedback", s.visitorFeedback)
	visitor.POST("/sessions/:id/chatbot/restart", s.visitorRestartBot)
	visitor.POST("/pageviews", s.pageView)
	visitor.POST("/offline_messages", s.offlineMessage)
	visitor.GET("/ws", s.visitorSocket)
	visitor.GET("/operator/:id/avatar", s.operatorAvatar)
	visitor.GET("/operator/:id/avatar/:hash", s.operatorPhoto)
	visitor.GET("/channel/:id/image/:hash", s.channelImage)
	visitor.GET("/chatbot/:id/avatar", s.chatbotAvatar)
	visitor.OPTIONS("/*", func(c echo.Context) error { return nil })

	// Embeddable widget (public, CORS): the snippet's loader and legacy
	// files, the content-hashed bundle and the direct chat page.
	wg := s.widget()
	e.GET("/im_livechat/loader/:channel_id", wg.loader)
	e.GET("/im_livechat/widget.:file", wg.bundle)
	e.GET("/im_livechat/external_lib.css", wg.externalCSS)
	e.GET("/im_livechat/external_lib.js", wg.externalJS)
	e.GET("/im_livechat/support/:channel_id", wg.support)

	// Published rating pages: public and cacheable; a logged-in admin may
	// preview an unpublished one (the user is read, no CSRF: nothing is posted).
	e.GET("/livechat", s.livechatIndex, s.loadUser)
	e.GET("/livechat/channel/:id", s.livechatChannel, s.loadUser)

	// JSON API for integrations: bearer token, no cookies, no CSRF.
	api := e.Group("/api/v1", s.apiAuth)
	api.GET("/me", s.apiMe)
	api.POST("/channels/:id/join", s.apiJoinChannel)
	api.POST("/channels/:id/leave", s.apiLeaveChannel)
	s.operatorRoutes(api)
	apiAdmin := api.Group("", requireAdmin)
	apiAdmin.GET("/channels", s.apiChannels)
	apiAdmin.GET("/channels/:id", s.apiChannel)
	apiAdmin.PATCH("/channels/:id", s.apiPatchChannel)
	apiAdmin.POST("/channels/:id/identity_secret", s.apiRegenerateIdentitySecret)
	apiAdmin.GET("/channels/:id/rules", s.apiRules)
	apiAdmin.PUT("/channels/:id/rules", s.apiPutRules)
	apiAdmin.GET("/chatbots", s.apiChatbots)
	apiAdmin.GET("/chatbots/:id/export", s.chatbotExport)
	apiAdmin.POST("/chatbots/import", s.apiChatbotImport)
	apiAdmin.POST("/users/:id/deactivate", s.deactivateUser)
	apiAdmin.POST("/users/:id/require_password", s.requirePassword)
	apiAdmin.GET("/visitors/:id/export", s.apiVisitorExport)
	apiAdmin.DELETE("/visitors/:id", s.apiVisitorErase)
	apiAdmin.POST("/users/:id/reactivate", s.reactivateUser)

	// Anything else is a 404 rendered by the error handler.
	e.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
}

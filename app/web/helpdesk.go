package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/model"
	"parley/app/webhooks"
)

// Helpdesk: the ticket list with search by number or keyword, a form per
// ticket; helpdesk teams under Configuration.

type ticketsPage struct {
	Query   string
	Tickets []*model.Ticket
}

func (s *Server) tickets(c echo.Context) error {
	q := c.QueryParam("q")
	list, err := s.d.Helpdesk.Search(c.Request().Context(), q, 200)
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Helpdesk"), "helpdesk")
	p.Data = ticketsPage{Query: q, Tickets: list}
	return s.render(c, "tickets", p)
}

type ticketForm struct {
	Ticket   *model.Ticket
	Teams    []*model.HelpdeskTeam
	Statuses []model.TicketStatus
	Errors   map[string]string
}

func (s *Server) ticketPage(c echo.Context, k *model.Ticket, errs map[string]string, status int) error {
	teams, err := s.d.Helpdesk.Teams(c.Request().Context())
	if err != nil {
		return err
	}
	p := s.newPage(c, k.Ref()+" "+k.Title, "helpdesk")
	p.Data = ticketForm{Ticket: k, Teams: teams, Statuses: model.TicketStatuses, Errors: errs}
	return s.renderStatus(c, status, "ticket", p)
}

func (s *Server) ticket(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	k, err := s.d.Helpdesk.Ticket(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.ticketPage(c, k, nil, http.StatusOK)
}

func (s *Server) saveTicket(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	k, err := s.d.Helpdesk.Ticket(ctx, id)
	if err != nil {
		return err
	}
	team, _ := strconv.ParseInt(c.FormValue("team_id"), 10, 64)
	k.Title, k.ContactName, k.Email, k.Phone = c.FormValue("title"), c.FormValue("contact_name"), c.FormValue("email"), c.FormValue("phone")
	k.TeamID, k.Status, k.Description = team, model.TicketStatus(c.FormValue("status")), c.FormValue("description")
	if err := s.d.Helpdesk.UpdateTicket(ctx, k); err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) {
			return s.ticketPage(c, k, map[string]string{fe.Field: s.localizer(c).T(fe.Message, fe.Args...)}, http.StatusUnprocessableEntity)
		}
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("Ticket %s was saved.", k.Ref()))
	return c.Redirect(http.StatusSeeOther, "/admin/helpdesk/tickets/"+strconv.FormatInt(k.ID, 10))
}

func (s *Server) helpdeskTeamsPage(c echo.Context, edit *model.HelpdeskTeam, errs map[string]string, status int) error {
	var wv *webhookView
	if edit.ID != 0 {
		wh, err := s.d.Webhooks.Of(c.Request().Context(), webhooks.Helpdesk, edit.ID)
		if err != nil {
			return err
		}
		wv = &webhookView{Webhook: wh}
	}
	return s.helpdeskTeamsPageWith(c, edit, errs, status, wv)
}

func (s *Server) helpdeskTeamsPageWith(c echo.Context, edit *model.HelpdeskTeam, errs map[string]string, status int, wv *webhookView) error {
	list, err := s.d.Helpdesk.Teams(c.Request().Context())
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Helpdesk Teams"), "config")
	p.Data = teamsPage{Kind: "helpdesk", Desk: list, Edit: edit, Errors: errs, Webhook: wv}
	return s.renderStatus(c, status, "teams", p)
}

func (s *Server) helpdeskTeams(c echo.Context) error {
	return s.helpdeskTeamsPage(c, &model.HelpdeskTeam{Sequence: 10}, nil, http.StatusOK)
}

func (s *Server) helpdeskTeam(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	t, err := s.d.Helpdesk.Team(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.helpdeskTeamsPage(c, t, nil, http.StatusOK)
}

func (s *Server) saveHelpdeskTeam(c echo.Context) error {
	t := &model.HelpdeskTeam{Name: c.FormValue("name"), LiveChat: c.FormValue("live_chat") != ""}
	seq, err := strconv.Atoi(c.FormValue("sequence"))
	if err != nil {
		seq = -1 // refused below with the range
	}
	t.Sequence = seq
	if c.Param("id") != "" {
		if t.ID, err = idParam(c, "id"); err != nil {
			return err
		}
	}
	if err := s.d.Helpdesk.SaveTeam(c.Request().Context(), t); err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) {
			return s.helpdeskTeamsPage(c, t, map[string]string{fe.Field: s.localizer(c).T(fe.Message, fe.Args...)}, http.StatusUnprocessableEntity)
		}
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("Team %s was saved.", t.Name))
	return c.Redirect(http.StatusSeeOther, "/admin/config/helpdesk-teams/"+strconv.FormatInt(t.ID, 10))
}

// teamKind maps the path's team kind to the webhooks' and the page's.
func teamKind(c echo.Context) (kind, path string) {
	if strings.HasPrefix(c.Path(), "/admin/config/helpdesk-teams") {
		return webhooks.Helpdesk, "/admin/config/helpdesk-teams/"
	}
	return webhooks.Sales, "/admin/config/sales-teams/"
}

// renderTeam shows a team's page: its form, webhook and deliveries, with
// a secret just made (shown this once) or an error on the webhook URL.
func (s *Server) renderTeam(c echo.Context, id int64, secret, urlValue string, errs map[string]string, status int) error {
	ctx := c.Request().Context()
	kind, _ := teamKind(c)
	wh, err := s.d.Webhooks.Of(ctx, kind, id)
	if err != nil {
		return err
	}
	if urlValue != "" || errs != nil {
		wh.URL = urlValue
	}
	wv := &webhookView{Webhook: wh, NewSecret: secret}
	if kind == webhooks.Helpdesk {
		t, err := s.d.Helpdesk.Team(ctx, id)
		if err != nil {
			return err
		}
		return s.helpdeskTeamsPageWith(c, t, errs, status, wv)
	}
	t, err := s.d.Leads.Team(ctx, id)
	if err != nil {
		return err
	}
	return s.salesTeamsPageWith(c, t, errs, status, wv)
}

// saveWebhook sets or removes a team's webhook URL; the first URL makes a
// secret, shown on the page this once.
func (s *Server) saveWebhook(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	kind, path := teamKind(c)
	raw := c.FormValue("webhook_url")
	secret, err := s.d.Webhooks.SetURL(c.Request().Context(), kind, id, raw)
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return s.renderTeam(c, id, "", raw, map[string]string{fe.Field: s.localizer(c).T(fe.Message, fe.Args...)}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	if secret != "" {
		return s.renderTeam(c, id, secret, "", nil, http.StatusOK)
	}
	s.setFlash(c, "ok", s.localizer(c).T("The webhook was saved."))
	return c.Redirect(http.StatusSeeOther, path+strconv.FormatInt(id, 10))
}

// regenerateWebhookSecret makes a new secret and shows it this once.
func (s *Server) regenerateWebhookSecret(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	kind, _ := teamKind(c)
	secret, err := s.d.Webhooks.RegenerateSecret(c.Request().Context(), kind, id)
	if err != nil {
		return err
	}
	return s.renderTeam(c, id, secret, "", nil, http.StatusOK)
}

package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"parley/app/model"
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
	list, err := s.d.Helpdesk.Teams(c.Request().Context())
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Helpdesk Teams"), "config")
	p.Nav2 = "helpdesk-teams"
	p.Data = teamsPage{Kind: "helpdesk", Desk: list, Edit: edit, Errors: errs}
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

package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"parley/app/model"
)

// Leads: a list and a kanban by stage, a form per lead; sales teams under
// Configuration.

type leadsPage struct {
	View    string // "kanban" or "list"
	Stage   model.LeadStage
	Query   string
	Leads   []*model.Lead
	Columns []leadColumn
	Stages  []model.LeadStage
}

type leadColumn struct {
	Stage model.LeadStage
	Leads []*model.Lead
}

func (s *Server) leadsList(c echo.Context) error {
	d := leadsPage{View: c.QueryParam("view"), Stage: model.LeadStage(c.QueryParam("stage")), Query: c.QueryParam("q"), Stages: model.LeadStages}
	if d.View != "list" {
		d.View = "kanban"
	}
	if d.Stage != "" && !validStage(d.Stage) {
		return userErr(http.StatusBadRequest, "invalid_stage", "Choose a stage from the list.")
	}
	list, err := s.d.Leads.Leads(c.Request().Context(), d.Stage, d.Query)
	if err != nil {
		return err
	}
	d.Leads = list
	for _, st := range model.LeadStages {
		col := leadColumn{Stage: st}
		for _, l := range list {
			if l.Stage == st {
				col.Leads = append(col.Leads, l)
			}
		}
		d.Columns = append(d.Columns, col)
	}
	p := s.newPage(c, s.localizer(c).T("Leads"), "leads")
	p.Data = d
	return s.render(c, "leads", p)
}

func validStage(st model.LeadStage) bool {
	for _, x := range model.LeadStages {
		if x == st {
			return true
		}
	}
	return false
}

type leadForm struct {
	Lead   *model.Lead
	Teams  []*model.SalesTeam
	Stages []model.LeadStage
	Errors map[string]string
}

func (s *Server) leadPage(c echo.Context, l *model.Lead, errs map[string]string, status int) error {
	teams, err := s.d.Leads.Teams(c.Request().Context(), true)
	if err != nil {
		return err
	}
	p := s.newPage(c, l.Title, "leads")
	p.Data = leadForm{Lead: l, Teams: teams, Stages: model.LeadStages, Errors: errs}
	return s.renderStatus(c, status, "lead", p)
}

func (s *Server) lead(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	l, err := s.d.Leads.Lead(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.leadPage(c, l, nil, http.StatusOK)
}

func (s *Server) saveLead(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	l, err := s.d.Leads.Lead(ctx, id)
	if err != nil {
		return err
	}
	team, _ := strconv.ParseInt(c.FormValue("team_id"), 10, 64)
	l.Title, l.ContactName, l.Email, l.Phone = c.FormValue("title"), c.FormValue("contact_name"), c.FormValue("email"), c.FormValue("phone")
	l.TeamID, l.Stage, l.Notes = team, model.LeadStage(c.FormValue("stage")), c.FormValue("notes")
	if err := s.d.Leads.UpdateLead(ctx, l); err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) {
			return s.leadPage(c, l, map[string]string{fe.Field: s.localizer(c).T(fe.Message, fe.Args...)}, http.StatusUnprocessableEntity)
		}
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("Lead %s was saved.", l.Title))
	return c.Redirect(http.StatusSeeOther, "/admin/leads/"+strconv.FormatInt(l.ID, 10))
}

// moveLead changes a lead's stage from the kanban (htmx): the board is
// rendered again.
func (s *Server) moveLead(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.d.Leads.SetStage(c.Request().Context(), id, model.LeadStage(c.FormValue("stage"))); err != nil {
		return err
	}
	c.Response().Header().Set("HX-Redirect", "/admin/leads")
	return c.NoContent(http.StatusNoContent)
}

// Sales teams (Configuration).

type teamsPage struct {
	Kind   string // "sales" or "helpdesk"
	Sales  []*model.SalesTeam
	Desk   []*model.HelpdeskTeam
	Edit   any // *model.SalesTeam or *model.HelpdeskTeam
	Errors map[string]string
}

func (s *Server) salesTeamsPage(c echo.Context, edit *model.SalesTeam, errs map[string]string, status int) error {
	list, err := s.d.Leads.Teams(c.Request().Context(), true)
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Sales Teams"), "config")
	p.Nav2 = "sales-teams"
	p.Data = teamsPage{Kind: "sales", Sales: list, Edit: edit, Errors: errs}
	return s.renderStatus(c, status, "teams", p)
}

func (s *Server) salesTeams(c echo.Context) error {
	return s.salesTeamsPage(c, &model.SalesTeam{Active: true}, nil, http.StatusOK)
}

func (s *Server) salesTeam(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	t, err := s.d.Leads.Team(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.salesTeamsPage(c, t, nil, http.StatusOK)
}

func (s *Server) saveSalesTeam(c echo.Context) error {
	t := &model.SalesTeam{Name: c.FormValue("name"), Active: c.FormValue("archived") == ""}
	if c.Param("id") != "" {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		t.ID = id
	}
	if err := s.d.Leads.SaveTeam(c.Request().Context(), t); err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) {
			return s.salesTeamsPage(c, t, map[string]string{fe.Field: s.localizer(c).T(fe.Message, fe.Args...)}, http.StatusUnprocessableEntity)
		}
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("Team %s was saved.", t.Name))
	return c.Redirect(http.StatusSeeOther, "/admin/config/sales-teams/"+strconv.FormatInt(t.ID, 10))
}

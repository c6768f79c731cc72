package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/model"
)

type cannedView struct {
	ID           int64             `json:"id"`
	Shortcut     string            `json:"shortcut"`
	Substitution string            `json:"substitution"` // in the reader's language
	Texts        map[string]string `json:"texts"`        // every language: "en" and the others given
}

// opCanned lists the canned responses for the composer's ":" picker and
// for integrations (GET /api/v1/canned-responses).
func (s *Server) opCanned(c echo.Context) error {
	list, err := s.d.Canned.List(c.Request().Context())
	if err != nil {
		return err
	}
	lang := s.localizer(c).Lang()
	out := make([]cannedView, 0, len(list))
	for _, r := range list {
		texts := map[string]string{"en": r.Substitution}
		for k, v := range r.Texts {
			texts[k] = v
		}
		out = append(out, cannedView{ID: r.ID, Shortcut: r.Shortcut, Substitution: r.In(lang), Texts: texts})
	}
	return c.JSON(http.StatusOK, map[string]any{"canned_responses": out})
}

// cannedPage is Configuration ▸ Canned Responses: the list, and the form
// of the one being edited (or a new one).
type cannedPage struct {
	List      []*model.CannedResponse
	Edit      *model.CannedResponse
	Languages []string
	Errors    map[string]string // field → message
}

func (s *Server) cannedResponses(c echo.Context) error {
	return s.renderCanned(c, &model.CannedResponse{}, nil, http.StatusOK)
}

func (s *Server) renderCanned(c echo.Context, edit *model.CannedResponse, errs map[string]string, status int) error {
	list, err := s.d.Canned.List(c.Request().Context())
	if err != nil {
		return err
	}
	l := s.localizer(c)
	p := s.newPage(c, l.T("Canned Responses"), "config")
	p.Nav2 = "canned"
	p.Data = cannedPage{List: list, Edit: edit, Languages: s.d.Canned.Languages(), Errors: errs}
	return s.renderStatus(c, status, "canned", p)
}

func (s *Server) editCanned(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	r, err := s.d.Canned.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.renderCanned(c, r, nil, http.StatusOK)
}

// saveCanned creates (POST /admin/config/canned) or updates
// (POST /admin/config/canned/:id) a canned response.
func (s *Server) saveCanned(c echo.Context) error {
	r := &model.CannedResponse{Shortcut: c.FormValue("shortcut"), Substitution: c.FormValue("substitution"), Texts: map[string]string{}}
	if c.Param("id") != "" {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		r.ID = id
	}
	for _, lang := range s.d.Canned.Languages() {
		if v := strings.TrimSpace(c.FormValue("text_" + lang)); v != "" {
			r.Texts[lang] = v
		}
	}
	if err := s.d.Canned.Save(c.Request().Context(), r); err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) {
			return s.renderCanned(c, r, map[string]string{fe.Field: s.localizer(c).T(fe.Message, fe.Args...)}, http.StatusUnprocessableEntity)
		}
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("Canned response %s was saved.", ":"+r.Shortcut))
	return c.Redirect(http.StatusSeeOther, "/admin/config/canned")
}

func (s *Server) deleteCanned(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.d.Canned.Delete(c.Request().Context(), id); err != nil {
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("The canned response was deleted."))
	c.Response().Header().Set("HX-Redirect", "/admin/config/canned")
	return c.NoContent(http.StatusNoContent)
}

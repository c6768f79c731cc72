package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/chatbot"
	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/model"
)

// Configuration ▸ Chatbots: the list, the chatbot page with its script,
// the step dialog, Test mode, export and import.

const chatbotsPath = "/admin/config/chatbots"

func chatbotPath(id int64) string { return chatbotsPath + "/" + strconv.FormatInt(id, 10) }

// importErrors is what an import refused, by line.
type importErrors struct {
	File   string
	Errors []chatbot.LineError
}

func (s *Server) chatbots(c echo.Context) error {
	return s.chatbotsPage(c, http.StatusOK, nil)
}

func (s *Server) chatbotsPage(c echo.Context, status int, ie *importErrors) error {
	list, err := s.d.Chatbots.List(c.Request().Context())
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Chatbots"), "config")
	p.Data = map[string]any{"Chatbots": list, "Import": ie, "BaseURL": s.d.Config.PublicURL()}
	return s.renderStatus(c, status, "chatbots", p)
}

// chatbotCreate makes an empty chatbot from the list's name field.
func (s *Server) chatbotCreate(c echo.Context) error {
	sc := &model.Chatbot{Name: c.FormValue("name"), Language: s.localizer(c).Lang()}
	if _, err := s.d.Chatbots.Save(c.Request().Context(), sc); err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) {
			s.setFlash(c, "error", s.localizer(c).T(fe.Message, fe.Args...))
			return c.Redirect(http.StatusSeeOther, chatbotsPath)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, chatbotPath(sc.ID))
}

// chatbotImport reads an uploaded YAML file into a new chatbot.
func (s *Server) chatbotImport(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return userErr(http.StatusBadRequest, "invalid_file", "Choose a YAML file to import.")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImportBytes+1))
	if err != nil {
		return err
	}
	if len(data) > maxImportBytes {
		return userErr(http.StatusRequestEntityTooLarge, "too_large", "The file is too large: at most %d KB.", maxImportBytes>>10)
	}
	sc, err := s.d.Chatbots.ImportYAML(c.Request().Context(), data)
	var ie *chatbot.ImportError
	if errors.As(err, &ie) {
		return s.chatbotsPage(c, http.StatusUnprocessableEntity, &importErrors{File: fh.Filename, Errors: ie.Errors})
	}
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return s.chatbotsPage(c, http.StatusUnprocessableEntity, &importErrors{File: fh.Filename,
			Errors: []chatbot.LineError{{Message: s.localizer(c).T(fe.Message, fe.Args...)}}})
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("Chatbot %s was imported.", sc.Name))
	return c.Redirect(http.StatusSeeOther, chatbotPath(sc.ID))
}

// maxImportBytes bounds an imported YAML file.
const maxImportBytes = 512 << 10

// stepRow is one line of the Script table.
type stepRow struct {
	N       int
	Step    model.ChatbotStep
	Message string
	Answers []string
	OnlyIf  []string
	First   bool
	Last    bool
}

type problemRow struct {
	Step int
	Text string
}

type chatbotView struct {
	Bot       *model.Chatbot
	Languages []string
	Steps     []stepRow
	Problems  []problemRow
	NProblems int
	Flow      template.HTML
	Rules     int
	Form      *stepForm // the dialog to open at once, after a refused save
}

func (s *Server) chatbotParam(c echo.Context) (*model.Chatbot, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.d.Chatbots.Get(c.Request().Context(), id)
}

func (s *Server) chatbot(c echo.Context) error {
	sc, err := s.chatbotParam(c)
	if err != nil {
		return err
	}
	return s.chatbotPage(c, http.StatusOK, sc, nil)
}

func (s *Server) chatbotPage(c echo.Context, status int, sc *model.Chatbot, form *stepForm) error {
	l := s.localizer(c)
	v := &chatbotView{Bot: sc, Languages: s.d.Chatbots.Languages(), Form: form}
	answer := map[int64]string{}
	for _, st := range sc.Steps {
		for _, a := range st.Answers {
			answer[a.ID] = a.Label.In(l.Lang(), sc.Language)
		}
	}
	for i, st := range sc.Steps {
		r := stepRow{N: i + 1, Step: st, Message: st.Message.In(l.Lang(), sc.Language), First: i == 0, Last: i == len(sc.Steps)-1}
		for _, a := range st.Answers {
			r.Answers = append(r.Answers, answer[a.ID])
		}
		for _, a := range st.OnlyIf {
			r.OnlyIf = append(r.OnlyIf, answer[a])
		}
		v.Steps = append(v.Steps, r)
	}
	for _, p := range s.d.Chatbots.Problems(sc) {
		v.Problems = append(v.Problems, problemRow{Step: p.Step + 1, Text: problemText(l, p, answer)})
	}
	v.NProblems = len(v.Problems)
	v.Flow = template.HTML(chatbot.FlowSVG(sc, l.Lang(), func(t model.StepType) string { return l.T(t.Label()) }, l.T("nobody available")))
	list, err := s.d.Chatbots.List(c.Request().Context())
	if err != nil {
		return err
	}
	for _, x := range list {
		if x.ID == sc.ID {
			v.Rules = x.Rules
		}
	}
	p := s.newPage(c, sc.Name, "config")
	p.Data = v
	return s.renderStatus(c, status, "chatbot", p)
}

func problemText(l *i18n.Localizer, p chatbot.Problem, answer map[int64]string) string {
	n := p.Step + 1
	switch p.Kind {
	case chatbot.DeadEnd:
		return l.T("Step %d: after the answer “%s” no step can play, so the conversation stops there.", n, answer[p.AnswerID])
	case chatbot.Unreachable:
		return l.T("Step %d can never play: no way through the script reaches it.", n)
	case chatbot.NoAnswers:
		return l.T("Step %d is a question without answers: the visitor cannot go on.", n)
	case chatbot.ForwardLast:
		return l.T("Step %d forwards to an operator, but no step follows for when nobody is available.", n)
	case chatbot.NoInteraction:
		return l.T("Step %d plays before the visitor said anything: at least one interaction (Question, Email, ...) is needed before the Bot can perform more complex actions (Forward to an Operator, ...).", n)
	}
	return string(p.Kind)
}

// chatbotSave saves the name and language.
func (s *Server) chatbotSave(c echo.Context) error {
	sc, err := s.chatbotParam(c)
	if err != nil {
		return err
	}
	err = s.d.Chatbots.Rename(c.Request().Context(), sc.ID, c.FormValue("name"), c.FormValue("language"))
	var fe *model.FieldError
	if errors.As(err, &fe) {
		s.setFlash(c, "error", s.localizer(c).T(fe.Message, fe.Args...))
	} else if err != nil {
		return err
	} else {
		s.setFlash(c, "ok", s.localizer(c).T("Saved"))
	}
	return c.Redirect(http.StatusSeeOther, chatbotPath(sc.ID))
}

// chatbotImage stores an uploaded picture, or goes back to the generated
// avatar ("remove").
func (s *Server) chatbotImage(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var img []byte
	if c.FormValue("remove") == "" {
		fh, err := c.FormFile("image")
		if err != nil {
			return userErr(http.StatusBadRequest, "invalid_image", "Choose a picture to upload.")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		if img, err = io.ReadAll(io.LimitReader(f, chatbot.MaxImageBytes+1)); err != nil {
			return err
		}
	}
	err = s.d.Chatbots.SetImage(c.Request().Context(), id, img)
	var fe *model.FieldError
	if errors.As(err, &fe) {
		s.setFlash(c, "error", s.localizer(c).T(fe.Message, fe.Args...))
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, chatbotPath(id))
}

func (s *Server) chatbotArchive(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.d.Chatbots.SetActive(c.Request().Context(), id, c.FormValue("active") == "1"); err != nil {
		return err
	}
	back := chatbotsPath
	if c.FormValue("back") == "chatbot" {
		back = chatbotPath(id)
	}
	return c.Redirect(http.StatusSeeOther, back)
}

func (s *Server) chatbotDelete(c echo.Context) error {
	sc, err := s.chatbotParam(c)
	if err != nil {
		return err
	}
	if err := s.d.Chatbots.Delete(c.Request().Context(), sc.ID); err != nil {
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("Chatbot %s was deleted.", sc.Name))
	return c.Redirect(http.StatusSeeOther, chatbotsPath)
}

// chatbotExport downloads the chatbot as YAML (admin page and API).
func (s *Server) chatbotExport(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	sc, data, err := s.d.Chatbots.ExportYAML(c.Request().Context(), id)
	if err != nil {
		return err
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(sc.Name))
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.yaml"`, name))
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", data)
}

// ---- The step dialog ----

// stepForm is the step dialog.
type stepForm struct {
	BotID     int64
	Language  string
	Languages []string
	Step      model.ChatbotStep
	Types     []model.StepType
	Answers   []answerField
	Earlier   []answerChoice // answers of earlier questions, for "Only If"
	Errors    map[string]string
	// The teams a Create Lead or Create Ticket step may send its record to.
	SalesTeams    []*model.SalesTeam
	HelpdeskTeams []*model.HelpdeskTeam
}

type answerField struct {
	ID       int64
	Label    model.Texts
	Redirect string
}

type answerChoice struct {
	ID       int64
	Question string
	Label    string
	Checked  bool
}

// blankAnswers is how many empty answer lines the dialog offers.
const blankAnswers = 3

func (s *Server) newStepForm(ctx context.Context, l *i18n.Localizer, sc *model.Chatbot, st model.ChatbotStep) (*stepForm, error) {
	f := newStepForm(l, s.d.Chatbots.Languages(), sc, st)
	var err error
	if f.SalesTeams, err = s.d.Leads.Teams(ctx, false); err != nil {
		return nil, err
	}
	if f.HelpdeskTeams, err = s.d.Helpdesk.Teams(ctx); err != nil {
		return nil, err
	}
	return f, nil
}

func newStepForm(l *i18n.Localizer, languages []string, sc *model.Chatbot, st model.ChatbotStep) *stepForm {
	f := &stepForm{BotID: sc.ID, Language: sc.Language, Languages: languages, Step: st, Types: model.StepTypes, Errors: map[string]string{}}
	for _, a := range st.Answers {
		f.Answers = append(f.Answers, answerField{ID: a.ID, Label: a.Label, Redirect: a.RedirectLink})
	}
	for range blankAnswers {
		f.Answers = append(f.Answers, answerField{Label: model.Texts{}})
	}
	checked := map[int64]bool{}
	for _, a := range st.OnlyIf {
		checked[a] = true
	}
	for _, q := range sc.Steps {
		if q.ID == st.ID {
			break // only earlier questions
		}
		for _, a := range q.Answers {
			f.Earlier = append(f.Earlier, answerChoice{ID: a.ID, Question: q.Message.In(l.Lang(), sc.Language),
				Label: a.Label.In(l.Lang(), sc.Language), Checked: checked[a.ID]})
		}
	}
	return f
}

func (s *Server) stepNew(c echo.Context) error {
	sc, err := s.chatbotParam(c)
	if err != nil {
		return err
	}
	f, err := s.newStepForm(c.Request().Context(), s.localizer(c), sc, model.ChatbotStep{Type: model.StepText, Message: model.Texts{}})
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_chatbot_step_form", f)
}

func (s *Server) stepEdit(c echo.Context) error {
	sc, err := s.chatbotParam(c)
	if err != nil {
		return err
	}
	sid, err := idParam(c, "sid")
	if err != nil {
		return err
	}
	st := chatbot.Step(sc, sid)
	if st == nil {
		return echo.ErrNotFound
	}
	f, err := s.newStepForm(c.Request().Context(), s.localizer(c), sc, *st)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_chatbot_step_form", f)
}

// stepFromForm reads the dialog: texts per language, answers (lines whose
// text in the chatbot's language is empty are left out), "Only If".
func (s *Server) stepFromForm(c echo.Context, sc *model.Chatbot, id int64) (model.ChatbotStep, error) {
	st := model.ChatbotStep{ID: id, Type: model.StepType(c.FormValue("type")), Message: model.Texts{}}
	vals, err := c.FormParams()
	if err != nil {
		return st, err
	}
	langs := s.d.Chatbots.Languages()
	for _, lang := range langs {
		st.Message[lang] = c.FormValue("message_" + lang)
	}
	ids := vals["answer_id"]
	for j := range ids {
		a := model.ChatbotAnswer{Label: model.Texts{}}
		if ids[j] != "" {
			if a.ID, err = strconv.ParseInt(ids[j], 10, 64); err != nil {
				return st, &model.FieldError{Field: "answers", Message: "This answer belongs to another step."}
			}
		}
		for _, lang := range langs {
			if l := vals["answer_label_"+lang]; j < len(l) {
				a.Label[lang] = l[j]
			}
		}
		if r := vals["answer_redirect"]; j < len(r) {
			a.RedirectLink = r[j]
		}
		if strings.TrimSpace(a.Label[sc.Language]) == "" {
			continue
		}
		st.Answers = append(st.Answers, a)
	}
	if st.Type != model.StepQuestion {
		st.Answers = nil
	}
	team := map[model.StepType]string{model.StepCreateLead: "sales_team_id", model.StepCreateTicket: "helpdesk_team_id"}[st.Type]
	if v := strings.TrimSpace(c.FormValue(team)); team != "" && v != "" && v != "0" {
		if st.TeamID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return st, &model.FieldError{Field: "team_id", Message: "This team does not exist."}
		}
	}
	for _, v := range vals["only_if"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return st, &model.FieldError{Field: "only_if", Message: "Step %d: \"Only If\" names an answer this script does not have.", Args: []any{len(sc.Steps)}}
		}
		st.OnlyIf = append(st.OnlyIf, n)
	}
	return st, nil
}

// stepSave adds (no :sid) or edits a step; the page reloads with the
// script, its checker and its picture up to date.
func (s *Server) stepSave(c echo.Context) error {
	sc, err := s.chatbotParam(c)
	if err != nil {
		return err
	}
	var sid int64
	if c.Param("sid") != "" {
		if sid, err = idParam(c, "sid"); err != nil {
			return err
		}
		if chatbot.Step(sc, sid) == nil {
			return echo.ErrNotFound
		}
	}
	l := s.localizer(c)
	st, err := s.stepFromForm(c, sc, sid)
	dropped := 0
	if err == nil {
		_, dropped, err = s.d.Chatbots.SaveStep(c.Request().Context(), sc.ID, st)
	}
	var fe *model.FieldError
	if errors.As(err, &fe) {
		f, ferr := s.newStepForm(c.Request().Context(), l, sc, st)
		if ferr != nil {
			return ferr
		}
		f.Errors[fe.Field] = l.T(fe.Message, fe.Args...)
		return s.fragment(c, http.StatusUnprocessableEntity, "_chatbot_step_form", f)
	}
	if err != nil {
		return err
	}
	s.droppedNotice(c, dropped)
	c.Response().Header().Set("HX-Refresh", "true")
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) droppedNotice(c echo.Context, n int) {
	if n > 0 {
		s.setFlash(c, "info", s.localizer(c).N(n, "%d “Only If” answer no longer belonged to an earlier question and was dropped.",
			"%d “Only If” answers no longer belonged to an earlier question and were dropped."))
	}
}

func (s *Server) stepMove(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	sid, err := idParam(c, "sid")
	if err != nil {
		return err
	}
	delta := -1
	if c.FormValue("dir") == "down" {
		delta = 1
	}
	n, err := s.d.Chatbots.MoveStep(c.Request().Context(), id, sid, delta)
	if err != nil {
		return err
	}
	s.droppedNotice(c, n)
	return c.Redirect(http.StatusSeeOther, chatbotPath(id)+"#script")
}

func (s *Server) stepDelete(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	sid, err := idParam(c, "sid")
	if err != nil {
		return err
	}
	if err := s.d.Chatbots.DeleteStep(c.Request().Context(), id, sid); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, chatbotPath(id)+"#script")
}

// ---- Test mode ----

func (s *Server) chatbotTest(c echo.Context) error {
	sc, err := s.chatbotParam(c)
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Test: %s", sc.Name), "config")
	p.Data = sc
	return s.render(c, "chatbot_test", p)
}

// chatbotTestStart opens the test conversation; the page then talks to
// it through the visitor API, as the widget does.
func (s *Server) chatbotTestStart(c echo.Context) error {
	sc, err := s.chatbotParam(c)
	if err != nil {
		return err
	}
	if len(sc.Steps) == 0 {
		return userErr(http.StatusConflict, "empty_script", "This chatbot has no step yet: add one to test it.")
	}
	l := s.localizer(c)
	res, err := s.d.Livechat.StartTestSession(c.Request().Context(), sc.ID, sc.Name, l.Lang())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{
		"visitor_token": res.Token,
		"session":       livechat.NewSessionView(l, res.Session, s.d.Config.PublicURL()),
		"messages":      livechat.MessageViews(l, res.Session, res.Messages),
	})
}

// ---- API ----

type apiChatbot struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Active bool   `json:"active"`
	Steps  int    `json:"steps"`
	Rules  int    `json:"rules"`
}

func (s *Server) apiChatbots(c echo.Context) error {
	list, err := s.d.Chatbots.List(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiChatbot, 0, len(list))
	for _, b := range list {
		out = append(out, apiChatbot{ID: b.ID, Name: b.Name, Active: b.Active, Steps: b.Steps, Rules: b.Rules})
	}
	return c.JSON(http.StatusOK, map[string]any{"chatbots": out})
}

// apiChatbotImport takes a YAML body: 201 with the new chatbot, or 422
// with every problem by line.
func (s *Server) apiChatbotImport(c echo.Context) error {
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, maxImportBytes+1))
	if err != nil {
		return err
	}
	if len(data) > maxImportBytes {
		return userErr(http.StatusRequestEntityTooLarge, "too_large", "The file is too large: at most %d KB.", maxImportBytes>>10)
	}
	sc, err := s.d.Chatbots.ImportYAML(c.Request().Context(), data)
	var ie *chatbot.ImportError
	if errors.As(err, &ie) {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": ie.Error(), "code": "invalid_yaml", "errors": ie.Errors})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"chatbot": map[string]any{"id": sc.ID, "name": sc.Name}})
}

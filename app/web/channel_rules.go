package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/geo"
	"parley/app/model"
)

// ruleRow is one line of the Channel Rules table.
type ruleRow struct {
	model.Rule
	CountryNames []string
	First, Last  bool
	Chatbot      chatbotRef
}

// chatbotRef is a rule's chatbot as forms show it: Gone when deleted
// since, Archived when archived (the rule works without it either way).
type chatbotRef struct {
	ID       int64
	Name     string
	Archived bool
	Gone     bool
}

// chatbotRefs names the chatbots of rules.
func (s *Server) chatbotRefs(ctx context.Context, rules []model.Rule) (map[int64]chatbotRef, error) {
	var ids []int64
	for _, r := range rules {
		if r.ChatbotID != 0 {
			ids = append(ids, r.ChatbotID)
		}
	}
	names, err := s.d.Chatbots.Names(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]chatbotRef{}
	for _, id := range ids {
		c, ok := names[id]
		out[id] = chatbotRef{ID: id, Name: c.Name, Archived: ok && !c.Active, Gone: !ok}
	}
	return out, nil
}

// ruleForm is the "Open: Rules" dialog.
type ruleForm struct {
	ChannelID int64
	Rule      model.Rule
	New       bool
	Actions   []model.RuleAction
	Countries []countryOption
	Selected  int
	Errors    map[string]string
	// Chatbots are the active chatbots to choose from; Chatbot is the
	// rule's own (which may be archived or deleted).
	Chatbots []model.ChatbotSummary
	Chatbot  chatbotRef
}

type countryOption struct {
	Code, Name string
	Selected   bool
}

// rulesView is the rules table as a fragment.
type rulesView struct {
	Channel *model.Channel
	Rules   []ruleRow
	CanEdit bool
	OOB     bool
}

func (s *Server) ruleRows(ctx context.Context, lang string, channelID int64) ([]ruleRow, error) {
	rules, err := s.d.Livechat.Rules(ctx, channelID)
	if err != nil {
		return nil, err
	}
	refs, err := s.chatbotRefs(ctx, rules)
	if err != nil {
		return nil, err
	}
	rows := make([]ruleRow, len(rules))
	for i, r := range rules {
		rows[i] = ruleRow{Rule: r, First: i == 0, Last: i == len(rules)-1, Chatbot: refs[r.ChatbotID]}
		for _, code := range r.Countries {
			name, ok := geo.CountryNameIn(lang, code)
			if !ok {
				name = code
			}
			rows[i].CountryNames = append(rows[i].CountryNames, name)
		}
	}
	return rows, nil
}

// ruleFormWithChatbots is the dialog with the chatbots to choose from.
func (s *Server) ruleFormWithChatbots(ctx context.Context, lang string, channelID int64, r model.Rule, isNew bool) (*ruleForm, error) {
	f := s.newRuleForm(lang, channelID, r, isNew)
	all, err := s.d.Chatbots.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if c.Active {
			f.Chatbots = append(f.Chatbots, c)
		}
	}
	if r.ChatbotID != 0 {
		refs, err := s.chatbotRefs(ctx, []model.Rule{r})
		if err != nil {
			return nil, err
		}
		f.Chatbot = refs[r.ChatbotID]
	}
	return f, nil
}

func (s *Server) newRuleForm(lang string, channelID int64, r model.Rule, isNew bool) *ruleForm {
	f := &ruleForm{ChannelID: channelID, Rule: r, New: isNew, Actions: model.RuleActions, Errors: map[string]string{}}
	sel := map[string]bool{}
	for _, c := range r.Countries {
		sel[c] = true
	}
	// Ticked countries first, so an edited rule shows its choice at once.
	var picked, rest []countryOption
	for _, c := range geo.CountriesIn(lang) {
		o := countryOption{Code: c.Code, Name: c.Name, Selected: sel[c.Code]}
		if o.Selected {
			picked = append(picked, o)
		} else {
			rest = append(rest, o)
		}
	}
	f.Countries, f.Selected = append(picked, rest...), len(picked)
	return f
}

// ruleIndex finds the rule named by the :rid path parameter in rules.
func ruleIndex(c echo.Context, rules []model.Rule) (int, error) {
	rid, err := idParam(c, "rid")
	if err != nil {
		return 0, err
	}
	i := slices.IndexFunc(rules, func(r model.Rule) bool { return r.ID == rid })
	if i < 0 {
		return 0, echo.ErrNotFound
	}
	return i, nil
}

// ruleNew opens the rule dialog for a new line.
func (s *Server) ruleNew(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	f, err := s.ruleFormWithChatbots(c.Request().Context(), s.localizer(c).Lang(), ch.ID, model.Rule{Action: model.ActionShow}, true)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_channel_rule_form", f)
}

// ruleEdit opens the rule dialog on an existing line.
func (s *Server) ruleEdit(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	rules, err := s.d.Livechat.Rules(c.Request().Context(), ch.ID)
	if err != nil {
		return err
	}
	i, err := ruleIndex(c, rules)
	if err != nil {
		return err
	}
	f, err := s.ruleFormWithChatbots(c.Request().Context(), s.localizer(c).Lang(), ch.ID, rules[i], false)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_channel_rule_form", f)
}

// ruleFromForm reads the dialog's fields; a field that is not even a
// number is reported here, everything else by SaveRules.
func ruleFromForm(c echo.Context, r *model.Rule) *model.FieldError {
	r.Action = model.RuleAction(c.FormValue("action"))
	r.RegexURL = c.FormValue("regex_url")
	r.ChatbotOnlyIfNoOperator = c.FormValue("chatbot_only_if_no_operator") != ""
	r.Countries = nil
	if vals, err := c.FormParams(); err == nil {
		r.Countries = vals["countries"]
	}
	r.AutoPopupTimer = 0
	if t := strings.TrimSpace(c.FormValue("auto_popup_timer")); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return &model.FieldError{Field: "auto_popup_timer", Message: "The timer must be a whole number of seconds."}
		}
		r.AutoPopupTimer = n
	}
	r.ChatbotID = 0
	if id := strings.TrimSpace(c.FormValue("chatbot_id")); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n < 0 {
			return &model.FieldError{Field: "chatbot_id", Message: "This chatbot does not exist."}
		}
		r.ChatbotID = n
	}
	return nil
}

// ruleSave adds a line (no :rid) or edits one, saving the whole list through
// SaveRules so the rules are validated exactly as the API validates them.
func (s *Server) ruleSave(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rules, err := s.d.Livechat.Rules(ctx, ch.ID)
	if err != nil {
		return err
	}
	i, isNew := len(rules), c.Param("rid") == ""
	r := model.Rule{ChannelID: ch.ID}
	if !isNew {
		if i, err = ruleIndex(c, rules); err != nil {
			return err
		}
		r = rules[i]
	}
	fe := ruleFromForm(c, &r)
	if fe == nil {
		if isNew {
			rules = append(rules, r)
		} else {
			rules[i] = r
		}
		_, err = s.d.Livechat.SaveRules(ctx, ch.ID, rules)
		if !errors.As(err, &fe) && err != nil {
			return err
		}
	}
	if fe != nil {
		f, err := s.ruleFormWithChatbots(ctx, s.localizer(c).Lang(), ch.ID, r, isNew)
		if err != nil {
			return err
		}
		// The dialog shows one rule: its number in the message is noise.
		shown := fe
		if inner, ok := lastArg(fe).(*model.FieldError); ok && fe.Message == "Rule %d: %s" {
			shown = inner
		}
		f.Errors[fe.Field] = s.localizer(c).T(shown.Message, shown.Args...)
		return s.fragment(c, http.StatusUnprocessableEntity, "_channel_rule_form", f)
	}
	c.Response().Header().Set("HX-Trigger-After-Settle", "parley:close-dialog")
	return s.rulesFragment(c, ch, true)
}

// ruleMove moves a line one step up or down in the matching order.
func (s *Server) ruleMove(c echo.Context) error {
	return s.editRules(c, func(rules []model.Rule, i int) ([]model.Rule, error) {
		j := i - 1
		if c.FormValue("dir") == "down" {
			j = i + 1
		}
		if j >= 0 && j < len(rules) {
			rules[i], rules[j] = rules[j], rules[i]
		}
		return rules, nil
	})
}

// ruleDelete removes a line.
func (s *Server) ruleDelete(c echo.Context) error {
	return s.editRules(c, func(rules []model.Rule, i int) ([]model.Rule, error) {
		return slices.Delete(rules, i, i+1), nil
	})
}

// editRules loads the list, applies fn to the line named by :rid, saves the
// whole list and answers with the refreshed table.
func (s *Server) editRules(c echo.Context, fn func([]model.Rule, int) ([]model.Rule, error)) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rules, err := s.d.Livechat.Rules(ctx, ch.ID)
	if err != nil {
		return err
	}
	i, err := ruleIndex(c, rules)
	if err != nil {
		return err
	}
	if rules, err = fn(rules, i); err != nil {
		return err
	}
	if _, err := s.d.Livechat.SaveRules(ctx, ch.ID, rules); err != nil {
		return err
	}
	return s.rulesFragment(c, ch, false)
}

func (s *Server) rulesFragment(c echo.Context, ch *model.Channel, oob bool) error {
	rows, err := s.ruleRows(c.Request().Context(), s.localizer(c).Lang(), ch.ID)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_channel_rules", &rulesView{Channel: ch, Rules: rows, CanEdit: userFrom(c).IsAdmin(), OOB: oob})
}

// lastArg is a field error's last value, or nil.
func lastArg(fe *model.FieldError) any {
	if len(fe.Args) == 0 {
		return nil
	}
	return fe.Args[len(fe.Args)-1]
}

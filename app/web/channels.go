package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/auth"
	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/model"
)

// The channel form's tabs, in display order; the first is the default.
var channelTabs = []string{"operators", "options", "rules", "availability", "widget"}

// channelView is what the channel form page and its fragments render. The
// page fills everything; a fragment fills what it shows.
type channelView struct {
	Channel    *model.Channel // as stored: title, breadcrumbs, links
	Form       *model.Channel // the inputs: Channel, or what was posted
	Preview    model.ChannelOptions
	Defaults   model.ChannelOptions
	Tab        string
	Tabs       []string
	Errors     map[string]string
	CanEdit    bool
	Sessions   int
	Operators  []operatorRow
	Picker     *pickerView
	NewUser    *newOperatorForm
	Rules      []ruleRow
	Routing    *model.ChannelRouting // the Office hours tab's inputs
	Snippet    string
	SupportURL string
	// Languages are the catalogue languages, for the Language select and
	// the texts of each language other than English.
	Languages []languageOption
	OOB       bool // render swappable parts with hx-swap-oob
}

// channelTextsRow is one "Texts in …" group of the Options tab.
type channelTextsRow struct {
	Tag, Name string
	Texts     model.ChannelTexts
}

// Field is the input name of one of the row's texts ("texts.es.button_text").
func (r channelTextsRow) Field(name string) string { return livechat.TextsField(r.Tag, name) }

// TextRows are the texts of each catalogue language other than English,
// as the form shows them.
func (v *channelView) TextRows() []channelTextsRow {
	var rows []channelTextsRow
	for _, l := range v.Languages {
		if l.Tag == "en" {
			continue
		}
		rows = append(rows, channelTextsRow{Tag: l.Tag, Name: l.Name, Texts: v.Form.Texts[l.Tag]})
	}
	return rows
}

// channelLanguages lists the catalogue languages, named in their own.
func (s *Server) channelLanguages() []languageOption {
	var out []languageOption
	for _, tag := range s.d.I18n.Languages() {
		out = append(out, languageOption{Tag: tag, Name: i18n.LanguageName(tag)})
	}
	return out
}

// DomainsText is the allowed-domains textarea: one entry per line.
func (v *channelView) DomainsText() string { return strings.Join(v.Form.AllowedDomains, "\n") }

// SignatureExample is hex(HMAC-SHA256(secret, "42")), for the Widget
// tab's example: the admin can check their own code against it.
func (v *channelView) SignatureExample() string {
	if v.Channel.IdentitySecret == "" {
		return ""
	}
	return livechat.IdentitySignature(v.Channel.IdentitySecret, "42")
}

// operatorRow is one operator in the Operators tab, with their presence.
type operatorRow struct {
	User   *model.User
	Status livechat.Status
}

// StatusLabel is the English presence label for the dot's title.
func (o operatorRow) StatusLabel() string {
	switch o.Status {
	case livechat.Online:
		return "Online"
	case livechat.Away:
		return "Away"
	}
	return "Offline"
}

// pickerView is the result list of the "Add: Operators" dialog.
type pickerView struct {
	ChannelID int64
	Query     string
	Users     []*model.User
	Selected  map[int64]bool
	More      bool
	OOB       bool
}

// Picker limits: how many users the search looks at and how many it shows.
const (
	pickerScan = 500
	pickerShow = 50
)

// newOperatorForm is the "New user" part of the operator dialog.
type newOperatorForm struct {
	ChannelID int64
	User      model.User
	Errors    map[string]string
	Notice    string
}

func (s *Server) channelParam(c echo.Context) (*model.Channel, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.d.Livechat.Channel(c.Request().Context(), id)
}

// channelSummary returns one channel's dashboard card data for viewerID.
func (s *Server) channelSummary(ctx context.Context, channelID, viewerID int64) (*model.ChannelSummary, error) {
	list, err := s.d.Livechat.ChannelSummaries(ctx, viewerID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == channelID {
			return &list[i], nil
		}
	}
	return nil, echo.ErrNotFound
}

// channels is Live Chat ▸ Channels: one card per channel with JOIN / LEAVE.
func (s *Server) channels(c echo.Context) error {
	list, err := s.d.Livechat.ChannelSummaries(c.Request().Context(), userFrom(c).ID)
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Channels"), "channels")
	p.Data = map[string]any{"Channels": list}
	return s.render(c, "channels", p)
}

// joinChannel and leaveChannel add or remove the viewer as an operator and
// answer with the channel's refreshed card.
func (s *Server) joinChannel(c echo.Context) error { return s.joinOrLeave(c, true) }
func (s *Server) leaveChannel(c echo.Context) error {
	return s.joinOrLeave(c, false)
}

func (s *Server) joinOrLeave(c echo.Context, join bool) error {
	ctx := c.Request().Context()
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	u := userFrom(c)
	if join {
		err = s.d.Livechat.Join(ctx, ch.ID, u.ID)
	} else {
		err = s.d.Livechat.Leave(ctx, ch.ID, u.ID)
	}
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/admin/channels")
	}
	sum, err := s.channelSummary(ctx, ch.ID, u.ID)
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_channel_card", sum)
}

// newChannelForm asks for the name of a new channel.
func (s *Server) newChannelForm(c echo.Context) error {
	return s.newChannelPage(c, http.StatusOK, "", nil)
}

func (s *Server) newChannelPage(c echo.Context, status int, name string, errs map[string]string) error {
	p := s.newPage(c, s.localizer(c).T("New channel"), "channels")
	if errs == nil {
		errs = map[string]string{}
	}
	p.Data = map[string]any{"New": true, "Name": name, "Errors": errs}
	return s.renderStatus(c, status, "channels", p)
}

// createChannel makes a channel with the default options; its creator is
// its first operator, as in Odoo.
func (s *Server) createChannel(c echo.Context) error {
	l := s.localizer(c)
	ch := &model.Channel{Name: c.FormValue("name"), Options: model.DefaultChannelOptions()}
	err := s.d.Livechat.CreateChannel(c.Request().Context(), ch, userFrom(c).ID)
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return s.newChannelPage(c, http.StatusUnprocessableEntity, c.FormValue("name"), map[string]string{"name": l.T(fe.Message, fe.Args...)})
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", l.T("Channel %s was created.", ch.Name))
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/channels/%d", ch.ID))
}

// loadChannelView gathers everything the channel form shows about ch.
func (s *Server) loadChannelView(c echo.Context, ch *model.Channel) (*channelView, error) {
	ctx := c.Request().Context()
	u := userFrom(c)
	v := &channelView{Channel: ch, Form: ch, Preview: ch.Options, Defaults: model.DefaultChannelOptions(),
		Tab: channelTab(c.QueryParam("tab")), Tabs: channelTabs, Errors: map[string]string{}, CanEdit: u.IsAdmin(),
		Languages: s.channelLanguages()}
	sum, err := s.channelSummary(ctx, ch.ID, u.ID)
	if err != nil {
		return nil, err
	}
	v.Sessions = sum.SessionCount
	if v.Operators, err = s.operatorRows(ctx, ch.ID); err != nil {
		return nil, err
	}
	if v.Rules, err = s.ruleRows(ctx, s.localizer(c).Lang(), ch.ID); err != nil {
		return nil, err
	}
	if v.Routing, err = s.d.Livechat.Routing(ctx, ch.ID); err != nil {
		return nil, err
	}
	if v.CanEdit {
		if v.Picker, err = s.picker(ctx, ch.ID, "", nil); err != nil {
			return nil, err
		}
		v.NewUser = &newOperatorForm{ChannelID: ch.ID, User: model.User{Role: model.RoleOperator}, Errors: map[string]string{}}
	}
	base := s.d.Config.PublicURL()
	v.Snippet = fmt.Sprintf(`<link rel="stylesheet" href="%s/im_livechat/external_lib.css"/>`+"\n"+
		`<script type="text/javascript" src="%s/im_livechat/loader/%d"></script>`, base, base, ch.ID)
	v.SupportURL = fmt.Sprintf("%s/im_livechat/support/%d", base, ch.ID)
	return v, nil
}

func channelTab(t string) string {
	for _, name := range channelTabs {
		if t == name {
			return t
		}
	}
	return channelTabs[0]
}

func (s *Server) channelPage(c echo.Context, status int, v *channelView) error {
	p := s.newPage(c, v.Channel.Name, "channels")
	p.Data = v
	return s.renderStatus(c, status, "channel", p)
}

// channel is the channel form: Operators, Options, Channel Rules, Widget.
func (s *Server) channel(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	v, err := s.loadChannelView(c, ch)
	if err != nil {
		return err
	}
	return s.channelPage(c, http.StatusOK, v)
}

// saveChannel saves the name and the Options tab in one go; on an invalid
// field nothing is saved and the form comes back with the message.
func (s *Server) saveChannel(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	l := s.localizer(c)
	form := *ch
	form.Name = c.FormValue("name")
	o := &form.Options
	o.ButtonText = c.FormValue("button_text")
	o.ButtonBackgroundColor = c.FormValue("button_background_color")
	o.ButtonTextColor = c.FormValue("button_text_color")
	o.HeaderBackgroundColor = c.FormValue("header_background_color")
	o.TitleColor = c.FormValue("title_color")
	o.DefaultMessage = c.FormValue("default_message")
	o.InputPlaceholder = c.FormValue("input_placeholder")
	form.DefaultLanguage = c.FormValue("default_language")
	// The form shows the texts of every language but English; texts the
	// API gave in English stay as they are.
	form.Texts = map[string]model.ChannelTexts{}
	if t, ok := ch.Texts["en"]; ok {
		form.Texts["en"] = t
	}
	for _, tag := range s.d.I18n.Languages() {
		if tag == "en" {
			continue
		}
		f := func(name string) string { return c.FormValue(livechat.TextsField(tag, name)) }
		if t := (model.ChannelTexts{ButtonText: f("button_text"), DefaultMessage: f("default_message"),
			InputPlaceholder: f("input_placeholder")}); !t.IsZero() {
			form.Texts[tag] = t
		}
	}
	form.Published = c.FormValue("published") != ""
	form.WebsiteDescription = strings.TrimSpace(c.FormValue("website_description"))
	form.NotifyEmail = c.FormValue("notify_email")
	form.Prechat = model.PrechatForm{Name: model.FieldMode(c.FormValue("prechat_name")), Email: model.FieldMode(c.FormValue("prechat_email")),
		Phone: model.FieldMode(c.FormValue("prechat_phone")), Consent: c.FormValue("prechat_consent") != "", PrivacyURL: c.FormValue("prechat_privacy_url")}
	form.PreferLanguage = c.FormValue("prefer_language") != ""
	if c.FormValue("embed") != "" { // the Widget tab's fields were part of the form
		form.AllowedDomains = strings.Split(strings.ReplaceAll(c.FormValue("allowed_domains"), "\r\n", "\n"), "\n")
		form.IdentityEnforce = c.FormValue("identity_enforce") != ""
	}
	tab := channelTab(c.FormValue("tab"))

	err = s.d.Livechat.UpdateChannel(c.Request().Context(), &form)
	var fe *model.FieldError
	if errors.As(err, &fe) {
		v, err := s.loadChannelView(c, ch)
		if err != nil {
			return err
		}
		v.Form, v.Tab = &form, tab
		switch fe.Field {
		case "name":
		case "allowed_domains", "identity_enforce":
			v.Tab = "widget"
		default:
			v.Tab = "options"
		}
		v.Preview = previewOptions(form.Options, ch.Options)
		v.Errors[fe.Field] = l.T(fe.Message, fe.Args...)
		return s.channelPage(c, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", l.T("Saved"))
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/channels/%d?tab=%s", ch.ID, url.QueryEscape(tab)))
}

// regenerateIdentitySecret gives the channel a new identity secret and
// shows it in the Widget tab.
func (s *Server) regenerateIdentitySecret(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	if ch.IdentitySecret, err = s.d.Livechat.RegenerateIdentitySecret(c.Request().Context(), ch.ID); err != nil {
		return err
	}
	if !isHTMX(c) {
		s.setFlash(c, "ok", s.localizer(c).T("The identity secret was regenerated."))
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/channels/%d?tab=widget", ch.ID))
	}
	return s.fragment(c, http.StatusOK, "_channel_identity", &channelView{Channel: ch, Form: ch, CanEdit: true})
}

// previewOptions shows the posted colours that are valid and the stored
// ones in place of the others, so the preview never shows garbage.
func previewOptions(posted, stored model.ChannelOptions) model.ChannelOptions {
	p := posted
	for _, f := range []struct{ dst, fallback *string }{
		{&p.ButtonBackgroundColor, &stored.ButtonBackgroundColor},
		{&p.ButtonTextColor, &stored.ButtonTextColor},
		{&p.HeaderBackgroundColor, &stored.HeaderBackgroundColor},
		{&p.TitleColor, &stored.TitleColor},
	} {
		if norm, err := livechat.NormalizeColor(*f.dst); err == nil {
			*f.dst = norm
		} else {
			*f.dst = *f.fallback
		}
	}
	return p
}

// deleteChannel removes the channel and goes back to the dashboard.
func (s *Server) deleteChannel(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	if err := s.d.Livechat.DeleteChannel(c.Request().Context(), ch.ID); err != nil {
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("Channel %s was deleted.", ch.Name))
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", "/admin/channels")
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/channels")
}

// ---- Operators tab ---------------------------------------------------------

func (s *Server) operatorRows(ctx context.Context, channelID int64) ([]operatorRow, error) {
	users, err := s.d.Livechat.ChannelOperators(ctx, channelID)
	if err != nil {
		return nil, err
	}
	rows := make([]operatorRow, len(users))
	for i, u := range users {
		rows[i] = operatorRow{User: u, Status: s.d.Livechat.Presence.Status(u.ID)}
	}
	return rows, nil
}

// picker lists users who are not operators of the channel yet and match q,
// keeping the ones already ticked (selected) at the top.
func (s *Server) picker(ctx context.Context, channelID int64, q string, selected []int64) (*pickerView, error) {
	ids, err := s.d.Livechat.ChannelOperatorIDs(ctx, channelID)
	if err != nil {
		return nil, err
	}
	skip := map[int64]bool{}
	for _, id := range ids {
		skip[id] = true
	}
	v := &pickerView{ChannelID: channelID, Query: q, Selected: map[int64]bool{}}
	for _, id := range selected {
		if skip[id] || v.Selected[id] {
			continue
		}
		u, err := s.d.Livechat.Operator(ctx, id)
		if err != nil {
			continue // deleted meanwhile: drop it from the selection
		}
		v.Selected[id] = true
		v.Users = append(v.Users, u)
	}
	users, err := s.d.Livechat.OperatorCandidates(ctx, q, pickerScan)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if skip[u.ID] || v.Selected[u.ID] {
			continue
		}
		if len(v.Users) >= pickerShow {
			v.More = true
			break
		}
		v.Users = append(v.Users, u)
	}
	return v, nil
}

func formIDs(c echo.Context, name string) []int64 {
	var ids []int64
	vals, err := c.FormParams() // the body and, for GET, the query
	if err != nil {
		return nil
	}
	for _, raw := range vals[name] {
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// operatorPicker answers the dialog's search box.
func (s *Server) operatorPicker(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	v, err := s.picker(c.Request().Context(), ch.ID, c.QueryParam("q"), formIDs(c, "user_id"))
	if err != nil {
		return err
	}
	return s.fragment(c, http.StatusOK, "_channel_picker", v)
}

// operatorsChanged answers any change of the operator list: the list and
// the picker, both swapped out of band.
func (s *Server) operatorsChanged(c echo.Context, ch *model.Channel, closeDialog bool) error {
	v, err := s.operatorsView(c, ch)
	if err != nil {
		return err
	}
	if closeDialog {
		c.Response().Header().Set("HX-Trigger-After-Settle", "parley:close-dialog")
	}
	return s.fragment(c, http.StatusOK, "_channel_operators_changed", v)
}

func (s *Server) operatorsView(c echo.Context, ch *model.Channel) (*channelView, error) {
	ctx := c.Request().Context()
	v := &channelView{Channel: ch, CanEdit: userFrom(c).IsAdmin(), OOB: true}
	var err error
	if v.Operators, err = s.operatorRows(ctx, ch.ID); err != nil {
		return nil, err
	}
	if v.Picker, err = s.picker(ctx, ch.ID, "", nil); err != nil {
		return nil, err
	}
	v.Picker.OOB = true
	return v, nil
}

// addOperators adds the users ticked in the picker.
func (s *Server) addOperators(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	ids := formIDs(c, "user_id")
	if len(ids) == 0 {
		return userErr(http.StatusUnprocessableEntity, "invalid_user_id", "Select at least one user to add.")
	}
	if err := s.d.Livechat.AddOperators(c.Request().Context(), ch.ID, ids); err != nil {
		return err
	}
	return s.operatorsChanged(c, ch, true)
}

// removeOperator takes a user off the channel, never the last operator.
func (s *Server) removeOperator(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	uid, err := idParam(c, "uid")
	if err != nil {
		return err
	}
	if err := s.d.Livechat.Leave(c.Request().Context(), ch.ID, uid); err != nil {
		return err
	}
	return s.operatorsChanged(c, ch, false)
}

// createOperator creates a user from the operator dialog and adds them to
// the channel. "Save & New" keeps the dialog open on an empty form.
func (s *Server) createOperator(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	l := s.localizer(c)
	n := auth.NewUser{Name: c.FormValue("name"), Email: c.FormValue("email"), ChatName: c.FormValue("chat_name"),
		Role: model.Role(c.FormValue("role")), Password: c.FormValue("password")}
	if n.Role == "" {
		n.Role = model.RoleOperator
	}
	u, err := s.d.Auth.CreateUser(ctx, n)
	var fe *model.FieldError
	if errors.As(err, &fe) {
		f := &newOperatorForm{ChannelID: ch.ID, User: model.User{Name: n.Name, Email: n.Email, ChatName: n.ChatName, Role: n.Role},
			Errors: map[string]string{fe.Field: l.T(fe.Message, fe.Args...)}}
		return s.fragment(c, http.StatusUnprocessableEntity, "_channel_new_user", f)
	}
	if err != nil {
		return err
	}
	if err := s.d.Livechat.AddOperators(ctx, ch.ID, []int64{u.ID}); err != nil {
		return err
	}
	v, err := s.operatorsView(c, ch)
	if err != nil {
		return err
	}
	v.NewUser = &newOperatorForm{ChannelID: ch.ID, User: model.User{Role: model.RoleOperator}, Errors: map[string]string{},
		Notice: l.T("%s was created and added to the operators.", u.Name)}
	if c.FormValue("then") != "new" {
		c.Response().Header().Set("HX-Trigger-After-Settle", "parley:close-dialog")
	}
	return s.fragment(c, http.StatusOK, "_channel_new_user_saved", v)
}

// saveAvailability saves the Office hours tab: the schedule, holidays, away
// message and the operators' default maximum of concurrent chats. On an
// invalid field nothing is saved and the tab comes back with the message.
func (s *Server) saveAvailability(c echo.Context) error {
	ch, err := s.channelParam(c)
	if err != nil {
		return err
	}
	l := s.localizer(c)
	form := &model.ChannelRouting{ChannelID: ch.ID, HoursEnabled: c.FormValue("hours_enabled") != "",
		Timezone: c.FormValue("timezone"), Hours: c.FormValue("hours"), Holidays: c.FormValue("holidays"),
		AwayMessage: c.FormValue("away_message")}
	form.MaxChats, err = livechat.ParseMaxChats("max_chats", c.FormValue("max_chats"))
	if err == nil {
		err = s.d.Livechat.SaveRouting(c.Request().Context(), form)
	}
	var fe *model.FieldError
	if errors.As(err, &fe) {
		v, err := s.loadChannelView(c, ch)
		if err != nil {
			return err
		}
		v.Routing, v.Tab = form, "availability"
		v.Errors[fe.Field] = l.T(fe.Message, fe.Args...)
		return s.channelPage(c, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", l.T("Saved"))
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/channels/%d?tab=availability", ch.ID))
}

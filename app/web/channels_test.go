package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// hx sends a form as htmx does: HX-Request, the CSRF header, urlencoded.
func hx(t *testing.T, c *apptest.Client, method, path string, v url.Values) (*http.Response, string) {
	t.Helper()
	return c.Do(method, path, strings.NewReader(v.Encode()), map[string]string{
		"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"})
}

// expect fails the test unless res has status and body holds every want.
func expect(t *testing.T, what string, res *http.Response, body string, status int, wants ...string) {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf(`%s: status %d, want %d; body: %.1500s`, what, res.StatusCode, status, body)
	}
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf(`%s: body lacks %q; body: %.3000s`, what, w, body)
		}
	}
}

// channelsSetup starts a server with an admin (the default channel's only
// operator) and returns the admin's client and the default channel.
func channelsSetup(t *testing.T) (*apptest.Server, *apptest.Client, *model.User, *model.Channel) {
	t.Helper()
	s := apptest.NewServer(t)
	c, admin := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	list, err := s.Store.Channels(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf(`channels: %v, %d`, err, len(list))
	}
	return s, c, admin, list[0]
}

func operatorIDs(t *testing.T, s *apptest.Server, channelID int64) []int64 {
	t.Helper()
	ids, err := s.Store.ChannelOperatorIDs(context.Background(), channelID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

func TestChannelsDashboardJoinLeave(t *testing.T) {
	s, c, admin, ch := channelsSetup(t)
	cardPath := fmt.Sprintf("/admin/channels/%d", ch.ID)

	res, body := c.Get("/admin/channels")
	expect(t, "dashboard", res, body, http.StatusOK, "YourWebsite.com", "1 operator", "0 sessions",
		`href="`+cardPath+`"`, `hx-post="`+cardPath+`/leave"`, `href="/admin/channels/new"`, `href="/admin/sessions?channel_id=`)

	op, opUser := s.LoggedIn(t, "otto@example.com", model.RoleOperator)
	res, body = op.Get("/admin/channels")
	expect(t, "operator dashboard", res, body, http.StatusOK, `hx-post="`+cardPath+`/join"`)
	if strings.Contains(body, `href="/admin/channels/new"`) {
		t.Errorf(`an operator sees the NEW button`)
	}

	res, body = hx(t, op, http.MethodPost, cardPath+"/join", nil)
	expect(t, "join", res, body, http.StatusOK, `id="channel-card-`, "2 operators", `hx-post="`+cardPath+`/leave"`, "Joined")
	if strings.Contains(body, "<html") {
		t.Errorf(`join answered a full page, want the card`)
	}
	if got := operatorIDs(t, s, ch.ID); !slices.Equal(got, []int64{admin.ID, opUser.ID}) {
		t.Fatalf(`operators after join = %v`, got)
	}

	res, body = hx(t, op, http.MethodPost, cardPath+"/leave", nil)
	expect(t, "leave", res, body, http.StatusOK, "1 operator", `hx-post="`+cardPath+`/join"`)

	// The last operator cannot leave: the htmx error fragment feeds the toast.
	res, body = hx(t, c, http.MethodPost, cardPath+"/leave", nil)
	expect(t, "last operator leaves", res, body, http.StatusUnprocessableEntity, "data-error-message", "A channel needs at least one operator")
	if got := operatorIDs(t, s, ch.ID); !slices.Equal(got, []int64{admin.ID}) {
		t.Fatalf(`operators after refused leave = %v`, got)
	}

	// Without htmx, JOIN is a plain form post that comes back to the dashboard.
	res, _ = op.PostForm(cardPath+"/join", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/channels" {
		t.Fatalf(`plain join: %d %s`, res.StatusCode, res.Header.Get("Location"))
	}

	res, body = hx(t, op, http.MethodPost, "/admin/channels/999/join", nil)
	expect(t, "join unknown channel", res, body, http.StatusNotFound)

	// The home dashboard links its channel cards to the channel form.
	res, body = c.Get("/admin")
	expect(t, "home", res, body, http.StatusOK, `href="`+cardPath+`"`)
}

func TestChannelCreate(t *testing.T) {
	s, c, admin, _ := channelsSetup(t)

	res, body := c.Get("/admin/channels/new")
	expect(t, "new form", res, body, http.StatusOK, `action="/admin/channels"`, "Channel Name")

	for _, tc := range []struct{ name, want string }{
		{"   ", "The channel name is required."},
		{"yourwebsite.COM", "already exists"},
		{strings.Repeat("x", 101), "at most 100 characters"},
	} {
		res, body := c.PostForm("/admin/channels", url.Values{"name": {tc.name}})
		expect(t, "create "+tc.name, res, body, http.StatusUnprocessableEntity, html.EscapeString(tc.want), `class="error"`)
	}
	if n, _ := s.Store.CountChannels(context.Background()); n != 1 {
		t.Fatalf(`channels after refused creations = %d, want 1`, n)
	}

	res, _ = c.PostForm("/admin/channels", url.Values{"name": {"  Support  "}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`create: status %d`, res.StatusCode)
	}
	var id int64
	if _, err := fmt.Sscanf(res.Header.Get("Location"), "/admin/channels/%d", &id); err != nil {
		t.Fatalf(`create redirect %q: %v`, res.Header.Get("Location"), err)
	}
	ch, err := s.Store.Channel(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name != "Support" || ch.Options != model.DefaultChannelOptions() {
		t.Errorf(`created channel = %q %+v`, ch.Name, ch.Options)
	}
	if got := operatorIDs(t, s, id); !slices.Equal(got, []int64{admin.ID}) {
		t.Errorf(`operators of the new channel = %v, want the creator`, got)
	}
	res, body = c.Get(res.Header.Get("Location"))
	expect(t, "channel form", res, body, http.StatusOK, "Channel Support was created.", `value="Support"`, "Operators", "Options", "Channel Rules", "Widget")
}

// optionsForm is a full, valid Options tab post.
func optionsForm(ch *model.Channel) url.Values {
	o := ch.Options
	return url.Values{
		"name": {ch.Name}, "tab": {"options"},
		"button_text": {o.ButtonText}, "default_message": {o.DefaultMessage}, "input_placeholder": {o.InputPlaceholder},
		"button_background_color": {o.ButtonBackgroundColor}, "button_text_color": {o.ButtonTextColor},
		"header_background_color": {o.HeaderBackgroundColor}, "title_color": {o.TitleColor},
		"website_description": {ch.WebsiteDescription},
	}
}

func TestChannelOptions(t *testing.T) {
	s, c, _, ch := channelsSetup(t)
	path := fmt.Sprintf("/admin/channels/%d", ch.ID)

	res, body := c.Get(path + "?tab=options")
	expect(t, "options tab", res, body, http.StatusOK, `id="channel-form"`, `data-default="#875A7B"`, `data-default="#FFFFFF"`,
		`type="color"`, `data-reset-colors="button_background_color button_text_color"`, `data-preview="button"`, "channel.js")

	v := optionsForm(ch)
	v.Set("name", "Main site")
	v.Set("button_text", "Talk to us")
	v.Set("button_background_color", "hsl(120, 100%, 25%)")
	v.Set("button_text_color", "rgb(255, 255, 0)")
	v.Set("header_background_color", "#abc")
	v.Set("default_message", "Hi there!")
	v.Set("input_placeholder", "Your question…")
	v.Set("published", "1")
	v.Set("website_description", "Our support team")
	res, _ = c.PostForm(path, v)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?tab=options" {
		t.Fatalf(`save: %d %s`, res.StatusCode, res.Header.Get("Location"))
	}
	got, _ := s.Store.Channel(context.Background(), ch.ID)
	want := model.ChannelOptions{ButtonText: "Talk to us", ButtonBackgroundColor: "#008000", ButtonTextColor: "#FFFF00",
		HeaderBackgroundColor: "#AABBCC", TitleColor: "#FFFFFF", DefaultMessage: "Hi there!", InputPlaceholder: "Your question…"}
	if got.Name != "Main site" || got.Options != want || !got.Published || got.WebsiteDescription != "Our support team" {
		t.Fatalf(`saved = %q %+v published=%v %q`, got.Name, got.Options, got.Published, got.WebsiteDescription)
	}
	res, body = c.Get(res.Header.Get("Location"))
	expect(t, "after save", res, body, http.StatusOK, "Saved", `value="#008000"`, "background:#008000", "Talk to us")

	// An invalid colour saves nothing, not even the valid fields.
	v = optionsForm(got)
	v.Set("name", "Renamed")
	v.Set("title_color", "rgb(1, 2, 300)")
	res, body = c.PostForm(path, v)
	expect(t, "invalid colour", res, body, http.StatusUnprocessableEntity,
		html.EscapeString(`"rgb(1, 2, 300)" is not a colour`), `value="rgb(1, 2, 300)"`, `value="Renamed"`)
	if after, _ := s.Store.Channel(context.Background(), ch.ID); after.Name != "Main site" || after.Options.TitleColor != "#FFFFFF" {
		t.Fatalf(`refused save changed the channel: %q %+v`, after.Name, after.Options)
	}
	// The error shows on the Options tab, whichever tab was open.
	if !regexp.MustCompile(`id="tab-options" role="tabpanel"\s*>`).MatchString(body) {
		t.Errorf(`the Options tab is not the visible one after an options error`)
	}

	v = optionsForm(got)
	v.Set("button_text", "")
	res, body = c.PostForm(path, v)
	expect(t, "empty button text", res, body, http.StatusUnprocessableEntity, "The button text is required.")
}

func TestChannelRules(t *testing.T) {
	s, c, _, ch := channelsSetup(t)
	base := fmt.Sprintf("/admin/channels/%d/rules", ch.ID)
	rules := func() []model.Rule {
		t.Helper()
		r, err := s.Store.Rules(context.Background(), ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	res, body := hx(t, c, http.MethodGet, base+"/new", nil)
	expect(t, "new rule form", res, body, http.StatusOK, `hx-post="`+base+`"`, "Open automatically", "Show with notification",
		`value="BE"`, "Belgium", `<option value="0" selected>None</option>`, ">Welcome Bot</option>", "The chatbot greets visitors on the pages of this rule.",
		"Searched anywhere in the page URL")

	res, body = hx(t, c, http.MethodPost, base, url.Values{"action": {"auto_popup"}, "regex_url": {"/contact"},
		"auto_popup_timer": {"3"}, "countries": {"be", "FR"}, "chatbot_id": {"0"}})
	expect(t, "add rule", res, body, http.StatusOK, `id="channel-rules"`, `hx-swap-oob="true"`, "Open automatically", "/contact", "Belgium", "France", "3 s")
	if res.Header.Get("HX-Trigger-After-Settle") != "parley:close-dialog" {
		t.Errorf(`add rule: no close-dialog trigger`)
	}
	res, body = hx(t, c, http.MethodPost, base, url.Values{"action": {"display_button"}, "regex_url": {""}})
	expect(t, "add second rule", res, body, http.StatusOK, "Every page")

	r := rules()
	if len(r) != 2 || r[0].Action != model.ActionAutoPopup || r[0].RegexURL != "/contact" || r[0].AutoPopupTimer != 3 ||
		!slices.Equal(r[0].Countries, []string{"BE", "FR"}) || r[1].Action != model.ActionShow {
		t.Fatalf(`rules = %+v`, r)
	}
	first, second := r[0].ID, r[1].ID

	res, body = hx(t, c, http.MethodGet, fmt.Sprintf("%s/%d", base, first), nil)
	expect(t, "edit form", res, body, http.StatusOK, `value="/contact"`, `value="BE" checked`, fmt.Sprintf(`hx-post="%s/%d"`, base, first))

	res, _ = hx(t, c, http.MethodPost, fmt.Sprintf("%s/%d", base, first), url.Values{"action": {"auto_popup"},
		"regex_url": {"/contactus"}, "auto_popup_timer": {"5"}, "countries": {"BE"}})
	expect(t, "edit rule", res, "", http.StatusOK)
	if r := rules(); r[0].ID != first || r[0].RegexURL != "/contactus" || r[0].AutoPopupTimer != 5 || !slices.Equal(r[0].Countries, []string{"BE"}) {
		t.Fatalf(`after edit = %+v`, r[0])
	}

	// Invalid input: the dialog comes back with the message next to the field; nothing is saved.
	before := rules()
	for _, tc := range []struct {
		name string
		v    url.Values
		want string
	}{
		{"invalid regex", url.Values{"action": {"display_button"}, "regex_url": {"/contact("}}, "Invalid URL regex: error parsing regexp: missing closing )"},
		{"unknown country", url.Values{"action": {"display_button"}, "countries": {"XX"}}, html.EscapeString(`unknown country "XX"`)},
		{"negative timer", url.Values{"action": {"auto_popup"}, "auto_popup_timer": {"-1"}}, "auto-open timer must be 0 or more seconds"},
		{"timer not a number", url.Values{"action": {"auto_popup"}, "auto_popup_timer": {"soon"}}, "The timer must be a whole number of seconds."},
		{"unknown action", url.Values{"action": {"popup"}}, "Unknown action"},
		{"unknown chatbot", url.Values{"action": {"display_button"}, "chatbot_id": {"7"}}, "This chatbot does not exist."},
	} {
		for _, path := range []string{base, fmt.Sprintf("%s/%d", base, second)} {
			res, body := hx(t, c, http.MethodPost, path, tc.v)
			expect(t, tc.name, res, body, http.StatusUnprocessableEntity, tc.want, `class="error"`, "data-swap-422")
			if strings.Contains(body, "Rule 2:") || strings.Contains(body, "Rule 3:") {
				t.Errorf(`%s: the dialog message keeps the rule number: %s`, tc.name, body)
			}
		}
	}
	if after := rules(); !slices.EqualFunc(before, after, func(a, b model.Rule) bool {
		return a.ID == b.ID && a.RegexURL == b.RegexURL && a.Action == b.Action && slices.Equal(a.Countries, b.Countries)
	}) {
		t.Fatalf(`refused saves changed the rules: %+v → %+v`, before, after)
	}

	// Reorder: the second line moves up and becomes the first to match.
	res, body = hx(t, c, http.MethodPost, fmt.Sprintf("%s/%d/move", base, second), url.Values{"dir": {"up"}})
	expect(t, "move up", res, body, http.StatusOK, `id="channel-rules"`)
	if strings.Contains(body, "hx-swap-oob") {
		t.Errorf(`move: the table should be the main swap, not out of band`)
	}
	if r := rules(); r[0].ID != second || r[1].ID != first || r[0].Sequence >= r[1].Sequence {
		t.Fatalf(`after move up = %+v`, r)
	}
	res, _ = hx(t, c, http.MethodPost, fmt.Sprintf("%s/%d/move", base, second), url.Values{"dir": {"down"}})
	expect(t, "move down", res, "", http.StatusOK)
	if r := rules(); r[0].ID != first {
		t.Fatalf(`after move down = %+v`, r)
	}
	// Moving past the end is a no-op.
	res, _ = hx(t, c, http.MethodPost, fmt.Sprintf("%s/%d/move", base, first), url.Values{"dir": {"up"}})
	expect(t, "move first up", res, "", http.StatusOK)
	if r := rules(); r[0].ID != first {
		t.Fatalf(`after moving the first up = %+v`, r)
	}

	res, _ = hx(t, c, http.MethodDelete, fmt.Sprintf("%s/%d", base, first), nil)
	expect(t, "delete", res, "", http.StatusOK)
	if r := rules(); len(r) != 1 || r[0].ID != second {
		t.Fatalf(`after delete = %+v`, r)
	}

	// A rule of another channel is not reachable through this one.
	other := &model.Channel{Name: "Other", Options: model.DefaultChannelOptions()}
	if err := s.Livechat.CreateChannel(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	res, _ = hx(t, c, http.MethodGet, fmt.Sprintf("/admin/channels/%d/rules/%d", other.ID, second), nil)
	expect(t, "foreign rule", res, "", http.StatusNotFound)
	res, _ = hx(t, c, http.MethodDelete, fmt.Sprintf("/admin/channels/%d/rules/%d", other.ID, second), nil)
	expect(t, "delete foreign rule", res, "", http.StatusNotFound)

	res, body = c.Get(fmt.Sprintf("/admin/channels/%d?tab=rules", ch.ID))
	expect(t, "rules tab", res, body, http.StatusOK, `id="channel-rules"`, "Show", `id="rule-dialog"`)
}

func TestChannelOperators(t *testing.T) {
	s, c, admin, ch := channelsSetup(t)
	bob := s.CreateUser(t, "bob@example.com", "Bob Builder", model.RoleOperator)
	base := fmt.Sprintf("/admin/channels/%d/operators", ch.ID)

	res, body := c.Get(fmt.Sprintf("/admin/channels/%d", ch.ID))
	expect(t, "operators tab", res, body, http.StatusOK, `id="operator-dialog"`, "Bob Builder", `data-presence-user="`,
		"Operators that do not show any activity for more than 30 minutes will be considered as disconnected.")

	res, body = hx(t, c, http.MethodGet, base+"/picker?q=bob", nil)
	expect(t, "picker", res, body, http.StatusOK, `id="operator-picker"`, "Bob Builder", fmt.Sprintf(`value="%d"`, bob.ID))
	res, body = hx(t, c, http.MethodGet, base+"/picker?q=ada", nil)
	expect(t, "picker excludes operators", res, body, http.StatusOK, "No user matches")
	// Ticked users stay in the list whatever the search.
	res, body = hx(t, c, http.MethodGet, fmt.Sprintf("%s/picker?q=zzz&user_id=%d", base, bob.ID), nil)
	expect(t, "picker keeps selection", res, body, http.StatusOK, fmt.Sprintf(`value="%d" checked`, bob.ID))

	res, body = hx(t, c, http.MethodPost, base, url.Values{"user_id": {fmt.Sprint(bob.ID)}})
	expect(t, "add", res, body, http.StatusOK, `id="channel-operators"`, `hx-swap-oob="true"`, "Bob Builder",
		fmt.Sprintf(`data-presence-user="%d"`, bob.ID), `title="Offline"`)
	if res.Header.Get("HX-Trigger-After-Settle") != "parley:close-dialog" {
		t.Errorf(`add: no close-dialog trigger`)
	}
	if got := operatorIDs(t, s, ch.ID); !slices.Equal(got, []int64{admin.ID, bob.ID}) {
		t.Fatalf(`operators = %v`, got)
	}
	res, body = hx(t, c, http.MethodGet, base+"/picker?q=bob", nil)
	expect(t, "picker after add", res, body, http.StatusOK, "No user matches")
	res, body = hx(t, c, http.MethodPost, base, nil)
	expect(t, "add nobody", res, body, http.StatusUnprocessableEntity, "Select at least one user to add.")

	// New user: field errors come back inline; nothing is created.
	for _, tc := range []struct {
		v    url.Values
		want string
	}{
		{url.Values{"name": {"Cleo"}, "email": {"not-an-email"}, "password": {"long enough pw"}}, "Enter a valid email address"},
		{url.Values{"name": {""}, "email": {"cleo@example.com"}, "password": {"long enough pw"}}, "The name is required."},
		{url.Values{"name": {"Cleo"}, "email": {"cleo@example.com"}, "password": {"short"}}, "at least 10 characters"},
		{url.Values{"name": {"Cleo"}, "email": {"BOB@example.com"}, "password": {"long enough pw"}}, "A user with this email already exists."},
	} {
		tc.v.Set("then", "close")
		res, body := hx(t, c, http.MethodPost, base+"/new", tc.v)
		expect(t, "new user "+tc.want, res, body, http.StatusUnprocessableEntity, tc.want, `id="operator-new-form"`, `value="`+tc.v.Get("name")+`"`)
	}
	if _, err := s.Store.UserByEmail(context.Background(), "cleo@example.com"); err == nil {
		t.Fatalf(`a refused new user was created`)
	}

	res, body = hx(t, c, http.MethodPost, base+"/new", url.Values{"name": {"Cleo Patra"}, "email": {"cleo@example.com"},
		"chat_name": {"Cleo"}, "password": {"long enough pw"}, "then": {"new"}})
	expect(t, "save & new", res, body, http.StatusOK, "Cleo Patra was created and added to the operators.", `id="operator-new-form"`,
		`id="channel-operators" class="operator-list" hx-swap-oob="true"`, "Chats as Cleo")
	if res.Header.Get("HX-Trigger-After-Settle") != "" {
		t.Errorf(`save & new closes the dialog`)
	}
	cleo, err := s.Store.UserByEmail(context.Background(), "cleo@example.com")
	if err != nil || cleo.Role != model.RoleOperator {
		t.Fatalf(`new user: %v %+v`, err, cleo)
	}
	if _, _, err := s.Auth.Login(context.Background(), "cleo@example.com", "long enough pw", "127.0.0.1", "test"); err != nil {
		t.Errorf(`the new user cannot log in with the initial password: %v`, err)
	}
	res, _ = hx(t, c, http.MethodPost, base+"/new", url.Values{"name": {"Dan"}, "email": {"dan@example.com"},
		"password": {"long enough pw"}, "then": {"close"}})
	expect(t, "save & close", res, "", http.StatusOK)
	if res.Header.Get("HX-Trigger-After-Settle") != "parley:close-dialog" {
		t.Errorf(`save & close: no close-dialog trigger`)
	}
	dan, _ := s.Store.UserByEmail(context.Background(), "dan@example.com")
	if got := operatorIDs(t, s, ch.ID); !slices.Equal(got, []int64{admin.ID, bob.ID, cleo.ID, dan.ID}) {
		t.Fatalf(`operators = %v`, got)
	}

	for _, u := range []*model.User{bob, cleo, dan} {
		res, body := hx(t, c, http.MethodDelete, fmt.Sprintf("%s/%d", base, u.ID), nil)
		expect(t, "remove "+u.Name, res, body, http.StatusOK, `id="channel-operators"`)
		if strings.Contains(body, fmt.Sprintf(`data-presence-user="%d"`, u.ID)) {
			t.Errorf(`%s still listed after removal`, u.Name)
		}
	}
	res, body = hx(t, c, http.MethodDelete, fmt.Sprintf("%s/%d", base, admin.ID), nil)
	expect(t, "remove the last operator", res, body, http.StatusUnprocessableEntity, "A channel needs at least one operator", "data-error-message")
	if got := operatorIDs(t, s, ch.ID); !slices.Equal(got, []int64{admin.ID}) {
		t.Fatalf(`operators = %v`, got)
	}
}

func TestChannelOperatorPermissions(t *testing.T) {
	s, _, _, ch := channelsSetup(t)
	op, opUser := s.LoggedIn(t, "otto@example.com", model.RoleOperator)
	id := fmt.Sprint(ch.ID)

	res, body := op.Get("/admin/channels/" + id)
	expect(t, "operator views the channel", res, body, http.StatusOK, "YourWebsite.com", `id="tab-widget"`, "/im_livechat/loader/"+id)
	for _, admin := range []string{`id="operator-dialog"`, `hx-delete="/admin/channels/` + id + `"`, `id="rule-dialog"`, `data-reset-colors`} {
		if strings.Contains(body, admin) {
			t.Errorf(`operator page shows the admin control %s`, admin)
		}
	}

	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/admin/channels/new"},
		{http.MethodPost, "/admin/channels"},
		{http.MethodPost, "/admin/channels/" + id},
		{http.MethodDelete, "/admin/channels/" + id},
		{http.MethodGet, "/admin/channels/" + id + "/operators/picker"},
		{http.MethodPost, "/admin/channels/" + id + "/operators"},
		{http.MethodPost, "/admin/channels/" + id + "/operators/new"},
		{http.MethodDelete, "/admin/channels/" + id + "/operators/1"},
		{http.MethodGet, "/admin/channels/" + id + "/rules/new"},
		{http.MethodPost, "/admin/channels/" + id + "/rules"},
	} {
		v := url.Values{"name": {"Hijack"}, "user_id": {fmt.Sprint(opUser.ID)}, "email": {"x@example.com"}, "password": {"long enough pw"}, "action": {"hide_button"}}
		res, body := hx(t, op, tc.method, tc.path, v)
		expect(t, tc.method+" "+tc.path, res, body, http.StatusForbidden, "Only administrators can do this.")
	}
	res, body = op.PostForm("/admin/channels", url.Values{"name": {"Hijack"}})
	expect(t, "plain create", res, body, http.StatusForbidden, "Only administrators can do this.")
	if n, _ := s.Store.CountChannels(context.Background()); n != 1 {
		t.Errorf(`channels = %d after refused creations`, n)
	}
	if r, _ := s.Store.Rules(context.Background(), ch.ID); len(r) != 0 {
		t.Errorf(`an operator added a rule`)
	}

	res, _ = hx(t, op, http.MethodPost, "/admin/channels/"+id+"/join", nil)
	expect(t, "operator joins", res, "", http.StatusOK)
	res, _ = hx(t, op, http.MethodPost, "/admin/channels/"+id+"/leave", nil)
	expect(t, "operator leaves", res, "", http.StatusOK)
}

var snippetRe = regexp.MustCompile(`(?s)<pre class="snippet" id="widget-snippet">(.*?)</pre>`)

func TestChannelWidgetAndDelete(t *testing.T) {
	s, c, _, ch := channelsSetup(t)
	path := fmt.Sprintf("/admin/channels/%d", ch.ID)

	res, body := c.Get(path + "?tab=widget")
	expect(t, "widget tab", res, body, http.StatusOK, `data-copy="widget-snippet"`, `data-copy="widget-link"`,
		fmt.Sprintf("%s/im_livechat/support/%d", s.URL, ch.ID), "within the &lt;head&gt; tag")
	m := snippetRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf(`no snippet in %s`, body)
	}
	want := fmt.Sprintf(`<link rel="stylesheet" href="%s/im_livechat/external_lib.css"/>`+"\n"+
		`<script type="text/javascript" src="%s/im_livechat/loader/%d"></script>`, s.URL, s.URL, ch.ID)
	if got := html.UnescapeString(m[1]); got != want {
		t.Errorf("snippet =\n%s\nwant\n%s", got, want)
	}
	if !regexp.MustCompile(`id="tab-widget" role="tabpanel"\s*>`).MatchString(body) {
		t.Errorf(`?tab=widget does not show the Widget tab`)
	}

	res, body = c.Get(path + "?tab=nonsense")
	expect(t, "unknown tab", res, body, http.StatusOK)
	if !regexp.MustCompile(`id="tab-operators" role="tabpanel"\s*>`).MatchString(body) {
		t.Errorf(`an unknown tab does not fall back to Operators`)
	}
	res, _ = c.Get("/admin/channels/999")
	expect(t, "unknown channel", res, "", http.StatusNotFound)

	res, _ = hx(t, c, http.MethodDelete, path, nil)
	expect(t, "delete", res, "", http.StatusOK)
	if res.Header.Get("HX-Redirect") != "/admin/channels" {
		t.Errorf(`delete: HX-Redirect = %q`, res.Header.Get("HX-Redirect"))
	}
	if _, err := s.Store.Channel(context.Background(), ch.ID); err == nil {
		t.Fatalf(`channel still exists after delete`)
	}
	res, body = c.Get("/admin/channels")
	expect(t, "dashboard after delete", res, body, http.StatusOK, "Channel YourWebsite.com was deleted.", "No channel yet")
}

package web

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"html/template"
	"io"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"parley/app/chatbot"
	"parley/app/geo"
	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/mail"
	"parley/app/model"
	"parley/app/pivot"
	"parley/app/rating"
	"parley/app/site"
	"parley/app/textfmt"
	"parley/app/webhooks"
	"parley/assets"
)

// TestTemplates executes every page template and every partial a handler
// renders on its own as an htmx fragment, with the data type the handler
// passes filled with representative values and with the empty cases a page
// really gets, as GoatCounter's tests do with each of its templates. A
// template that breaks for some data (a renamed field, a nil pointer, a
// function called with the wrong arguments) fails go test instead of a user.
//
// Each case also checks that its data reached the output and that the HTML
// is well formed, and the test fails when a page or a fragment has no case:
// a new template gets one here, with the data its handler passes.
func TestTemplates(t *testing.T) {
	r, err := newRenderer(assets.FS(false, ""), false)
	if err != nil {
		t.Fatalf(`newRenderer: %v`, err)
	}
	fx := newTplFixtures(i18n.New(nil).English())
	pages, frags := fx.pageCases(), fx.fragmentCases()

	t.Run("coverage", func(t *testing.T) { checkTemplateCoverage(t, r, pages, frags) })

	for _, c := range pages {
		t.Run("page/"+c.page+"/"+c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := r.page(&buf, c.page, c.p); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.HasPrefix(out, "<!doctype html>") || !strings.HasSuffix(strings.TrimSpace(out), "</html>") {
				t.Errorf(`page is not one whole document from <!doctype html> to </html>`)
			}
			checkRendered(t, out, c.want, c.not)
		})
	}
	for _, c := range frags {
		t.Run("fragment/"+c.tpl+"/"+c.name, func(t *testing.T) {
			var buf bytes.Buffer
			f := &Fragment{User: c.user, CSRF: tplCSRF, L: fx.l, Data: c.data}
			if err := r.fragment(&buf, c.tpl, f); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if strings.Contains(out, "<html") || strings.Contains(out, "<body") {
				t.Errorf(`a fragment must not carry the page layout`)
			}
			checkRendered(t, out, c.want, c.not)
		})
	}
}

// pageCase renders page through the base layout with p.
type pageCase struct {
	page, name string
	p          *Page
	want, not  []string // must, and must not, appear in the output
}

// fragmentCase renders the partial tpl alone, as Server.fragment does.
type fragmentCase struct {
	tpl, name string
	user      *model.User
	data      any
	want, not []string
}

// includedPartials are the partials no handler renders alone: they are
// executed, and so tested, through the pages and fragments that include
// them. A new partial goes either here, with the templates that include it,
// or, when a handler renders it, into fragmentCases.
var includedPartials = map[string]string{
	"_channel_icon":      "channel, _channel_card",
	"_channel_new":       "channels (new)",
	"_channel_operators": "channel, _channel_operators_changed",
	"_chat_shell":        "base, on every page of a signed-in user",
	"_conv_item":         "conversations",
	"_conv_info":         "conversations",
	"_config_nav":        "users, mail, canned, teams, chatbots",
	"_crumbs":            "the pages below a menu entry: channel, channels (new), session, visitor, offline, lead, ticket, rating, ratings_report, user_form, chatbot, chatbot_test, teams (a team)",
	"_dashboard_stats":   "dashboard",
	"_field_error":       "forms: setup, channel, channels (new), profile, user_form, _channel_new_user, _channel_rule_form",
	"_list_pager":        "sessions, visitors, offline",
	"_token_section":     "profile, user_form",
}

// checkTemplateCoverage fails for a page without a case, for a fragment a
// handler renders without a case, and for a partial nobody renders alone
// that is missing from includedPartials.
func checkTemplateCoverage(t *testing.T, r *renderer, pages []pageCase, frags []fragmentCase) {
	files, err := fs.Glob(r.fsys, "templates/pages/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf(`no page templates found (%v)`, err)
	}
	pageCovered := map[string]bool{}
	for _, c := range pages {
		pageCovered[c.page] = true
	}
	var pageNames []string
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		pageNames = append(pageNames, name)
		if !pageCovered[name] {
			t.Errorf(`page %s has no case: add one to pageCases in templates_test.go with the Data its handler passes`, f)
		}
	}

	rendered, rendersPages := renderCallsInPackage(t)
	for _, name := range rendersPages {
		if !slices.Contains(pageNames, name) {
			t.Errorf(`a handler renders page %q, which is not in templates/pages/`, name)
		}
	}
	fragCovered := map[string]bool{}
	for _, c := range frags {
		fragCovered[c.tpl] = true
	}
	for _, name := range rendered {
		if !fragCovered[name] {
			t.Errorf(`handlers render %q as an htmx fragment but it has no case: add one to fragmentCases in templates_test.go with the data the handler passes`, name)
		}
		if _, ok := includedPartials[name]; ok {
			t.Errorf(`%q is rendered alone by a handler: remove it from includedPartials, fragmentCases covers it`, name)
		}
	}
	for name := range fragCovered {
		if !slices.Contains(rendered, name) {
			t.Errorf(`fragmentCases has %q but no handler renders it: remove the case or list the partial in includedPartials`, name)
		}
	}

	// Every partial is either a fragment or included by some template.
	var all strings.Builder
	matches, _ := fs.Glob(r.fsys, "templates/*/*.html")
	for _, f := range matches {
		b, err := fs.ReadFile(r.fsys, f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, tpl := range r.parts.Templates() {
		name := tpl.Name()
		if !strings.HasPrefix(name, "_") || strings.HasSuffix(name, ".html") || fragCovered[name] {
			continue
		}
		if _, ok := includedPartials[name]; !ok {
			t.Errorf(`partial %q is neither rendered by a handler nor listed in includedPartials: add a case to fragmentCases if a handler renders it alone, or list it in includedPartials with the templates that include it`, name)
			continue
		}
		if !strings.Contains(all.String(), `{{template "`+name+`"`) {
			t.Errorf(`includedPartials lists %q but no template includes it`, name)
		}
	}
}

// renderCallsInPackage finds, in this package's non-test sources, the
// template names handlers pass to fragment (a partial rendered alone) and
// to render, renderStatus and page. A name must be a string literal, so this
// test sees every template a handler can render; only the Server methods
// that forward their caller's name are exempt.
func renderCallsInPackage(t *testing.T) (fragments, pages []string) {
	t.Helper()
	forwarders := map[string]bool{"render": true, "renderStatus": true, "fragment": true}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			forwarder := fd.Recv != nil && forwarders[fd.Name.Name]
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				var arg int // the index of the template name
				switch sel.Sel.Name {
				case "fragment": // s.fragment(c, status, name, data) or s.r.fragment(w, name, f)
					arg = 2
					if len(call.Args) == 3 {
						arg = 1
					}
				case "renderStatus": // s.renderStatus(c, status, name, p)
					arg = 2
				case "render", "page": // s.render(c, name, p), s.r.page(w, name, p)
					arg = 1
				default:
					return true
				}
				if arg >= len(call.Args) {
					return true
				}
				lit, ok := call.Args[arg].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					if !forwarder {
						t.Errorf(`%s: %s is called with a computed template name; pass a string literal so TestTemplates can check the template has a case`, fset.Position(call.Pos()), sel.Sel.Name)
					}
					return true
				}
				name, _ := strconv.Unquote(lit.Value)
				list := &pages
				if sel.Sel.Name == "fragment" {
					list = &fragments
				}
				if !slices.Contains(*list, name) {
					*list = append(*list, name)
				}
				return true
			})
		}
	}
	if len(fragments) == 0 || len(pages) == 0 {
		t.Fatalf(`found no fragment or page render call in the package sources`)
	}
	return fragments, pages
}

// checkRendered asserts the data reached the output, the output is well
// formed, and html/template left none of its failure marks in it.
func checkRendered(t *testing.T, out string, want, not []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal(`a case must name at least one string that proves its data reached the output`)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf(`output lacks %q`, w)
		}
	}
	for _, n := range not {
		if strings.Contains(out, n) {
			t.Errorf(`output has %q`, n)
		}
	}
	// ZgotmplZ replaces a value html/template refused in a URL, CSS or
	// attribute; %! is fmt's mark for a translation given the wrong
	// arguments (a missing map key arrives as nil: %!d(<nil>)).
	for _, bad := range []string{"ZgotmplZ", "%!", "&lt;nil&gt;"} {
		if strings.Contains(out, bad) {
			t.Errorf(`output has %q`, bad)
		}
	}
	if err := checkHTML(out); err != nil {
		t.Errorf(`malformed HTML: %v`, err)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// checkHTML reports an element closed without being open, closed out of
// order or left open (the templates close every element they open, even
// where HTML would allow leaving it open: p, li, td, option), and an id used
// twice.
func checkHTML(s string) error {
	z := html.NewTokenizer(strings.NewReader(s))
	var open []string
	ids := map[string]bool{}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if !errors.Is(z.Err(), io.EOF) {
				return z.Err()
			}
			if len(open) > 0 {
				return fmt.Errorf(`<%s> is never closed (open: %s)`, open[len(open)-1], strings.Join(open, " > "))
			}
			return nil
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				if string(k) == "id" {
					if ids[string(v)] {
						return fmt.Errorf(`id %q is used twice`, v)
					}
					ids[string(v)] = true
				}
			}
			if tt == html.StartTagToken && !voidElements[string(name)] {
				open = append(open, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if voidElements[string(name)] {
				return fmt.Errorf(`</%s> closes a void element`, name)
			}
			if len(open) == 0 || open[len(open)-1] != string(name) {
				return fmt.Errorf(`</%s> does not close the last open element (open: %s)`, name, strings.Join(open, " > "))
			}
			open = open[:len(open)-1]
		}
	}
}

// ---- data -----------------------------------------------------------------

const (
	tplCSRF    = "csrf-token-for-templates"
	tplBaseURL = "https://chat.example.com"
)

// tplFixtures are the model values the cases share: users of both roles
// and a deactivated one, channels with options and rules, a named and an
// anonymous visitor, open and closed sessions, messages of every author,
// page views, API tokens and offline messages.
type tplFixtures struct {
	l   *i18n.Localizer
	now time.Time

	admin, operator, deactivated *model.User
	support, sales               *model.Channel
	rules                        []model.Rule
	named, anonymous             *model.Visitor
	open, closed, unanswered     *model.Session
	messages                     []*model.Message
	pageViews                    []model.PageView
	tokens                       []model.APIToken
	offline                      []model.OfflineMessage
}

func newTplFixtures(l *i18n.Localizer) *tplFixtures {
	now := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	fx := &tplFixtures{l: l, now: now}
	fx.admin = &model.User{ID: 1, Email: "ada@example.com", Name: "Ada Lovelace", ChatName: "Ada", Role: model.RoleAdmin,
		CreatedAt: now.AddDate(0, -6, 0), LastLoginAt: now.Add(-time.Hour), Active: true}
	fx.operator = &model.User{ID: 2, Email: "bob@example.com", Name: "Bob Marley", Role: model.RoleOperator,
		CreatedAt: now.AddDate(0, -2, 0), Active: true} // never logged in
	fx.deactivated = &model.User{ID: 3, Email: "cleo@example.com", Name: "Cleo Dupont", ChatName: "Cleo", Role: model.RoleOperator,
		CreatedAt: now.AddDate(-1, 0, 0), LastLoginAt: now.AddDate(0, -1, 0), DeactivatedAt: now.AddDate(0, 0, -3)}

	opts := model.DefaultChannelOptions()
	opts.ButtonText = "Questions? Talk to us"
	opts.DefaultMessage = "Hi there, how can we help?"
	opts.InputPlaceholder = "Type your question"
	fx.support = &model.Channel{ID: 7, Name: "Support Desk", Options: opts, Published: true,
		WebsiteDescription: "Our support team answers within minutes.", CreatedAt: now.AddDate(0, -6, 0), UpdatedAt: now.AddDate(0, 0, -1)}
	sales := model.DefaultChannelOptions()
	sales.ButtonBackgroundColor, sales.HeaderBackgroundColor = "#1F6FEB", "#1F6FEB"
	sales.DefaultMessage, sales.InputPlaceholder = "", "" // the preview falls back to its own texts
	fx.sales = &model.Channel{ID: 8, Name: "Sales Team", Options: sales, CreatedAt: now.AddDate(0, -1, 0), UpdatedAt: now.AddDate(0, -1, 0)}
	fx.rules = []model.Rule{
		{ID: 11, ChannelID: 7, Sequence: 1, Action: model.ActionAutoPopup, RegexURL: "^/pricing", AutoPopupTimer: 15, Countries: []string{"BE", "FR"}},
		{ID: 12, ChannelID: 7, Sequence: 2, Action: model.ActionHide, RegexURL: "/checkout"},
		{ID: 13, ChannelID: 7, Sequence: 3, Action: model.ActionShowWithText, ChatbotOnlyIfNoOperator: true},
	}

	fx.named = &model.Visitor{ID: 42, Name: "Grace Hopper", Email: "grace@example.org", Country: "BE", LastOperatorID: 1,
		CurrentURL: "https://shop.example.com/pricing", CurrentTitle: "Pricing", CreatedAt: now.AddDate(0, 0, -10), LastSeenAt: now.Add(-time.Minute)}
	fx.anonymous = &model.Visitor{ID: 43, CreatedAt: now.Add(-3 * time.Hour), LastSeenAt: now.Add(-2 * time.Hour)}

	fx.open = &model.Session{ID: 100, PublicID: "s-open-100", ChannelID: 7, ChannelName: "Support Desk", VisitorID: 42, VisitorName: "Grace Hopper",
		Country: "BE", OperatorID: 1, OperatorName: "Ada", Status: model.SessionOpen, URL: "https://shop.example.com/pricing", Title: "Pricing",
		CreatedAt: now.Add(-20 * time.Minute), LastMessageAt: now.Add(-2 * time.Minute), MessageCount: 6}
	fx.closed = &model.Session{ID: 101, PublicID: "s-closed-101", ChannelID: 8, ChannelName: "Sales Team", VisitorID: 43,
		OperatorID: 2, OperatorName: "Bob Marley", Status: model.SessionClosed, URL: "https://shop.example.com/",
		CreatedAt: now.Add(-3 * time.Hour), ClosedAt: now.Add(-150 * time.Minute), LastMessageAt: now.Add(-160 * time.Minute), MessageCount: 1}
	fx.unanswered = &model.Session{ID: 102, PublicID: "s-closed-102", ChannelID: 7, ChannelName: "Support Desk", VisitorID: 43,
		Status: model.SessionClosed, CreatedAt: now.Add(-26 * time.Hour), ClosedAt: now.Add(-25 * time.Hour)}

	at := func(min int) time.Time { return fx.open.CreatedAt.Add(time.Duration(min) * time.Minute) }
	fx.messages = []*model.Message{
		{ID: 1, SessionID: 100, AuthorKind: model.AuthorBot, AuthorName: "Support Desk", Body: "Hi there, how can we help?", CreatedAt: at(0)},
		{ID: 2, SessionID: 100, AuthorKind: model.AuthorVisitor, AuthorName: "Grace Hopper", Body: "Is there a discount for schools?", ClientID: "c1", CreatedAt: at(1)},
		{ID: 3, SessionID: 100, AuthorKind: model.AuthorOperator, AuthorID: 1, AuthorName: "Ada", Body: "Yes: see https://shop.example.com/schools. It is 30% off.", CreatedAt: at(2)},
		{ID: 4, SessionID: 100, AuthorKind: model.AuthorSystem, Notice: &model.Notice{Code: livechat.NoticeTransferred,
			Args: map[string]string{"from": "Ada", "to": "Bob Marley", "channel": "Sales Team"}}, CreatedAt: at(3)},
		{ID: 5, SessionID: 100, AuthorKind: model.AuthorSystem, Notice: &model.Notice{Code: livechat.NoticeVisitorLeft,
			Args: map[string]string{"visitor": "Grace Hopper", "visitor_id": "42"}}, CreatedAt: at(4)},
		{ID: 6, SessionID: 100, AuthorKind: model.AuthorSystem, Notice: &model.Notice{Code: livechat.NoticeVerbatim,
			Args: map[string]string{"text": "Kept from an older version."}}, CreatedAt: at(5)},
	}
	fx.pageViews = []model.PageView{
		{ID: 1, VisitorID: 42, URL: "https://shop.example.com/pricing", Title: "Pricing", CreatedAt: now.Add(-time.Minute)},
		{ID: 2, VisitorID: 42, URL: "https://shop.example.com/", CreatedAt: now.Add(-25 * time.Minute)}, // no title: the URL shows
	}
	fx.tokens = []model.APIToken{
		{ID: 5, UserID: 1, Name: "CRM integration", Hint: "x9Qz", CreatedAt: now.AddDate(0, 0, -30), LastUsedAt: now.Add(-time.Hour)},
		{ID: 6, UserID: 1, Name: "Backup script", Hint: "a1B2", CreatedAt: now.AddDate(0, 0, -2)}, // never used
	}
	fx.offline = []model.OfflineMessage{
		{ID: 21, ChannelID: 7, VisitorID: 43, Name: "Linus", Email: "linus@example.net", Body: "Please call me back about the invoice.",
			URL: "https://shop.example.com/contact", CreatedAt: now.Add(-5 * time.Hour)},
		{ID: 22, ChannelID: 99, Email: "anon@example.net", Body: "Do you ship abroad?", // no name, a deleted channel
			CreatedAt: now.AddDate(0, 0, -2), HandledAt: now.AddDate(0, 0, -1)},
	}
	return fx
}

// page is what Server.newPage returns for u, with data.
func (fx *tplFixtures) page(u *model.User, title, nav string, data any) *Page {
	return &Page{Title: title, Nav: nav, User: u, CSRF: tplCSRF, L: fx.l, SiteName: "Parley", Version: "1.2.3",
		BaseURL: tplBaseURL, Data: data}
}

// chatbot is the Welcome Bot with ids, plus a question without answers.
func (fx *tplFixtures) chatbot() *model.Chatbot {
	bots, err := chatbot.DefaultChatbots()
	if err != nil {
		panic(err)
	}
	sc := bots[0]
	sc.ID = 1
	ids := map[int64]int64{}
	next := int64(100)
	for i := range sc.Steps {
		sc.Steps[i].ID = int64(i + 1)
		for j := range sc.Steps[i].Answers {
			next++
			ids[sc.Steps[i].Answers[j].ID] = next
			sc.Steps[i].Answers[j].ID = next
		}
	}
	for i := range sc.Steps {
		for k, a := range sc.Steps[i].OnlyIf {
			sc.Steps[i].OnlyIf[k] = ids[a]
		}
	}
	// A last question without answers, for the checker.
	sc.Steps = append(sc.Steps, model.ChatbotStep{ID: 10, Type: model.StepQuestion, Message: model.Texts{"en": "Anything else?"}})
	return sc
}

func (fx *tplFixtures) chatbotView(sc *model.Chatbot) *chatbotView {
	v := &chatbotView{Bot: sc, Languages: []string{"en", "es"}, Rules: 1}
	for i, st := range sc.Steps {
		r := stepRow{N: i + 1, Step: st, Message: st.Message["en"], First: i == 0, Last: i == len(sc.Steps)-1}
		for _, a := range st.Answers {
			r.Answers = append(r.Answers, a.Label["en"])
		}
		v.Steps = append(v.Steps, r)
	}
	answers := map[int64]string{}
	for _, p := range chatbot.CheckScript(sc) {
		v.Problems = append(v.Problems, problemRow{Step: p.Step + 1, Text: problemText(fx.l, p, answers)})
	}
	v.NProblems = len(v.Problems)
	v.Flow = template.HTML(chatbot.FlowSVG(sc, "en", func(t model.StepType) string { return t.Label() }, "nobody available"))
	return v
}

func (fx *tplFixtures) summaries() []model.ChannelSummary {
	return []model.ChannelSummary{
		{Channel: *fx.support, OperatorCount: 2, SessionCount: 12, IsMember: true},
		{Channel: *fx.sales, OperatorCount: 1, SessionCount: 1},
	}
}

// ruleRows is Server.ruleRows for fx.rules.
func (fx *tplFixtures) ruleRows() []ruleRow {
	rows := make([]ruleRow, len(fx.rules))
	for i, r := range fx.rules {
		rows[i] = ruleRow{Rule: r, First: i == 0, Last: i == len(fx.rules)-1}
		for _, code := range r.Countries {
			name, _ := geo.CountryName(code)
			rows[i].CountryNames = append(rows[i].CountryNames, name)
		}
	}
	return rows
}

func (fx *tplFixtures) operatorRows() []operatorRow {
	return []operatorRow{{User: fx.admin, Status: livechat.Online}, {User: fx.operator, Status: livechat.Away},
		{User: fx.deactivated, Status: livechat.Offline}}
}

// picker is the operator dialog's list with one user ticked.
func (fx *tplFixtures) picker() *pickerView {
	u := &model.User{ID: 4, Email: "dan@example.com", Name: "Dan Brown", Role: model.RoleAdmin, Active: true}
	return &pickerView{ChannelID: 7, Users: []*model.User{u, fx.deactivated}, Selected: map[int64]bool{4: true}, More: true}
}

// channelView is Server.loadChannelView of the support channel for an admin.
func (fx *tplFixtures) channelView(tab string) *channelView {
	ch := fx.support
	return &channelView{Channel: ch, Form: ch, Preview: ch.Options, Defaults: model.DefaultChannelOptions(), Tab: tab, Tabs: channelTabs,
		Errors: map[string]string{}, CanEdit: true, Sessions: 12, Operators: fx.operatorRows(), Picker: fx.picker(),
		Routing: &model.ChannelRouting{ChannelID: ch.ID, HoursEnabled: true, Timezone: "Europe/Brussels", Hours: "Mon-Fri 09:00-17:00", AwayMessage: "Back at nine."},
		NewUser: &newOperatorForm{ChannelID: ch.ID, User: model.User{Role: model.RoleOperator}, Errors: map[string]string{}},
		Rules:   fx.ruleRows(),
		Snippet: fmt.Sprintf(`<link rel="stylesheet" href="%s/im_livechat/external_lib.css"/>`+"\n"+
			`<script type="text/javascript" src="%s/im_livechat/loader/%d"></script>`, tplBaseURL, tplBaseURL, ch.ID),
		SupportURL: fmt.Sprintf("%s/im_livechat/support/%d", tplBaseURL, ch.ID),
		Languages:  []languageOption{{Tag: "en", Name: "English"}, {Tag: "es", Name: "Español"}}}
}

// withSecret is the channel view after Regenerate: the secret and the
// signature example it gives.
func (fx *tplFixtures) withSecret() *channelView {
	ch := *fx.support
	ch.IdentitySecret = "0123456789abcdef0123456789abcdef"
	return &channelView{Channel: &ch, Form: &ch, CanEdit: true}
}

// operatorsView is Server.operatorsView: the list and picker, out of band.
func (fx *tplFixtures) operatorsView() *channelView {
	p := fx.picker()
	p.OOB = true
	return &channelView{Channel: fx.support, CanEdit: true, OOB: true, Operators: fx.operatorRows(), Picker: p}
}

func (fx *tplFixtures) sessionRows(list ...*model.Session) []sessionRow {
	var rows []sessionRow
	for _, x := range list {
		rows = append(rows, newSessionRow(fx.l, x, fx.now))
	}
	return rows
}

func (fx *tplFixtures) sessionView(x *model.Session, v *model.Visitor, unread int, last *model.Message) livechat.OperatorSessionView {
	o := livechat.NewOperatorSessionView(fx.l, x, v, tplBaseURL)
	o.Unread = unread
	if last != nil {
		mv := livechat.NewMessageView(fx.l, x, last)
		o.LastMessage = &mv
	}
	return o
}

// transcript is Server.sessionTranscript's data for x.
func (fx *tplFixtures) transcript(x *model.Session, v *model.Visitor, msgs []*model.Message, views []model.PageView, mine bool) transcriptData {
	d := transcriptData{Row: newSessionRow(fx.l, x, fx.now), Visitor: v, PageViews: views, Mine: mine}
	for _, m := range msgs {
		mv := livechat.NewMessageView(fx.l, x, m)
		d.Messages = append(d.Messages, transcriptMessage{Message: m, AuthorName: mv.Author.Name, Body: mv.Body, Parts: textfmt.Links(mv.Body)})
	}
	return d
}

func (fx *tplFixtures) pager(rawURL string, page, perPage, total int) pager {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	return newPager(u, page, perPage, total)
}

func (fx *tplFixtures) offlineRows() []offlineRow {
	names := map[int64]string{7: fx.support.Name, 8: fx.sales.Name}
	var rows []offlineRow
	for _, m := range fx.offline {
		rows = append(rows, offlineRow{OfflineMessage: m, ChannelName: names[m.ChannelID]})
	}
	return rows
}

func (fx *tplFixtures) report() *model.Report {
	fig := func(n, unanswered int, dur, reply time.Duration, msgs float64) model.SessionFigures {
		return model.SessionFigures{Sessions: n, Unanswered: unanswered, AvgDuration: dur, AvgTimeToReply: reply, AvgMessages: msgs}
	}
	rep := &model.Report{
		Total: fig(14, 2, 7*time.Minute+5*time.Second, 42*time.Second, 6.5),
		ByChannel: []model.ReportRow{
			{Key: "Support Desk", ID: 7, Figures: fig(11, 1, 8*time.Minute, 40*time.Second, 7)},
			{Key: "", ID: 0, Figures: fig(3, 1, 70*time.Minute, 0, 4)}, // a deleted channel
		},
		ByOperator: []model.ReportRow{
			{Key: "Ada Lovelace", ID: 1, Figures: fig(9, 0, 6*time.Minute, 30*time.Second, 7.2)},
			{Key: "Bob Marley", ID: 2, Figures: fig(5, 2, 500*time.Millisecond, 0, 1)},
		},
	}
	// One row per day as the handler fills it, quiet days included.
	for i := range 7 {
		day := fx.now.AddDate(0, 0, i-6).Format("2006-01-02")
		rep.ByDay = append(rep.ByDay, model.ReportRow{Key: day, Figures: fig(i*i%5, 0, time.Minute, 0, 2)})
	}
	return rep
}

func (fx *tplFixtures) pageCases() []pageCase {
	l := fx.l
	admin, op := fx.admin, fx.operator
	var cases []pageCase
	add := func(c ...pageCase) { cases = append(cases, c...) }

	// ---- auth
	login := fx.page(nil, l.T("Log in"), "", loginData{Next: "/admin/sessions?status=open", NeedsSetup: true})
	login.BodyClass = "auth"
	loginErr := fx.page(nil, l.T("Log in"), "", loginData{Email: "ada@example.com", Next: "/admin", Error: "Wrong email or password."})
	loginErr.BodyClass = "auth"
	add(pageCase{page: "login", name: "needs setup", p: login,
		want: []string{`value="/admin/sessions?status=open"`, "Parley has no administrator yet", `value="` + tplCSRF + `"`},
		not:  []string{`id="chat-dock"`}},
		pageCase{page: "login", name: "wrong password", p: loginErr,
			want: []string{`value="ada@example.com"`, "Wrong email or password."}})
	setup := fx.page(nil, l.T("Set up Parley"), "", setupData{Token: "setup-token-123", SiteName: "YourWebsite.com", BaseURL: "http://203.0.113.5:8080"})
	setup.BodyClass = "auth"
	setupErr := fx.page(nil, l.T("Set up Parley"), "", setupData{Token: "setup-token-123", Email: "ada@example.com", Name: "Ada Lovelace",
		Errors: map[string]string{"password_confirm": "The passwords do not match."}})
	setupErr.BodyClass = "auth"
	setupURLErr := fx.page(nil, l.T("Set up Parley"), "", setupData{Token: "setup-token-123", SiteName: "Acme", BaseURL: "chat.example.com",
		Errors: map[string]string{"base_url": "The public URL must be a full http:// or https:// address, such as https://chat.example.com."}})
	setupURLErr.BodyClass = "auth"
	add(pageCase{page: "setup", name: "first visit", p: setup, want: []string{`value="setup-token-123"`, `value="YourWebsite.com"`, `value="http://203.0.113.5:8080"`}},
		pageCase{page: "setup", name: "passwords differ", p: setupErr, want: []string{`value="Ada Lovelace"`, "The passwords do not match."}},
		pageCase{page: "setup", name: "bad public URL", p: setupURLErr, want: []string{`value="chat.example.com"`, `value="Acme"`, "The public URL must be a full http:// or https:// address"}})

	// ---- dashboard
	add(pageCase{page: "dashboard", name: "admin with channels",
		p: fx.page(admin, l.T("Dashboard"), "dashboard", dashboardData{Channels: fx.summaries(), MyOpen: 1, AllOpen: 4, OperatorsOnline: 1,
			Offline: 2, MyStatus: string(livechat.Online), Joined: 1}),
		want: []string{"Welcome, Ada Lovelace", "Support Desk", "2 operators · 12 sessions", "1 operator · 1 session", "operator online"},
		not:  []string{"not an operator of any channel"}},
		pageCase{page: "dashboard", name: "admin with the first-run checklist",
			p: fx.page(admin, l.T("Dashboard"), "dashboard", dashboardData{Channels: fx.summaries(), Joined: 1,
				Checklist: &site.Checklist{PublicURL: true, PublicURLPending: true, SavedURL: "https://chat.example.com", TestChat: true, ChannelID: 7}}),
			want: []string{`id="firstrun-checklist"`, `data-step="public-url" data-done="true"`, "https://chat.example.com is saved: restart Parley to use it.",
				`data-step="snippet" data-done="false"`, "/admin/channels/7?tab=widget", `data-step="operators" data-done="false"`, "/admin/config/users/new",
				`data-step="test-chat" data-done="true"`, "/im_livechat/support/7", `action="/admin/firstrun/dismiss"`}},
		pageCase{page: "dashboard", name: "admin, loopback public URL, no channel",
			p:    fx.page(admin, l.T("Dashboard"), "dashboard", dashboardData{Checklist: &site.Checklist{SavedURL: "http://localhost:8080"}}),
			want: []string{"Parley&#39;s address is http://localhost:8080, which only this server can open.", `data-step="public-url" data-done="false"`, `href="/admin/channels">Start a test chat`}},
		pageCase{page: "dashboard", name: "operator without channel",
			p:    fx.page(op, l.T("Dashboard"), "dashboard", dashboardData{MyStatus: string(livechat.Offline)}),
			want: []string{"Welcome, Bob Marley", "not an operator of any channel", "No channel yet."},
			not:  []string{"/admin/reports"}})

	// ---- channels
	errs := map[string]string{}
	add(pageCase{page: "channels", name: "admin list", p: fx.page(admin, l.T("Channels"), "channels", map[string]any{"Channels": fx.summaries()}),
		want: []string{`id="channel-card-7"`, `id="channel-card-8"`, "Sales Team", "/admin/channels/7/leave", "/admin/channels/8/join", "Configure"}},
		pageCase{page: "channels", name: "operator, none yet",
			p:    fx.page(op, l.T("Channels"), "channels", map[string]any{"Channels": []model.ChannelSummary(nil)}),
			want: []string{"No channel yet"}, not: []string{"/admin/channels/new"}},
		pageCase{page: "channels", name: "new", p: fx.page(admin, l.T("New channel"), "channels", map[string]any{"New": true, "Name": "", "Errors": errs}),
			want: []string{`action="/admin/channels"`, "New channel"}},
		pageCase{page: "channels", name: "new with error",
			p: fx.page(admin, l.T("New channel"), "channels", map[string]any{"New": true, "Name": "Support Desk",
				"Errors": map[string]string{"name": "A channel with this name already exists."}}),
			want: []string{`value="Support Desk"`, "A channel with this name already exists.", `aria-invalid="true"`}})

	// ---- channel: each tab for an admin, a form with errors, an operator's read-only view
	for _, tab := range channelTabs {
		p := fx.page(admin, fx.support.Name, "channels", fx.channelView(tab))
		add(pageCase{page: "channel", name: "admin, " + tab + " tab", p: p,
			want: []string{`aria-selected="true" aria-controls="tab-` + tab + `"`, `<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/admin/channels">Channels</a><span aria-current="page">Support Desk</span></nav>`, "Bob Marley", "Chats as Cleo",
				"Belgium", "France", "<code>^/pricing</code>", "15 s", "/im_livechat/loader/7", `id="operator-dialog"`, "Dan Brown",
				"More users match", `value="Questions? Talk to us"`, "12</strong><span>Sessions"}})
	}
	bad := fx.channelView("options")
	form := *fx.support
	form.Name = "Support Desk 2"
	form.Options.ButtonBackgroundColor = "#12"
	bad.Form, bad.Preview = &form, previewOptions(form.Options, fx.support.Options)
	bad.Errors["button_background_color"] = "Use a colour such as #875A7B."
	add(pageCase{page: "channel", name: "admin, invalid colour", p: fx.page(admin, fx.support.Name, "channels", bad),
		want: []string{`value="Support Desk 2"`, `name="button_background_color" value="#12"`, "Use a colour such as #875A7B."}})
	// The channel speaks Spanish, with a Spanish button text; a too long
	// Spanish welcome message comes back with its message.
	es := fx.channelView("options")
	esForm := *fx.support
	esForm.DefaultLanguage = "es"
	esForm.Texts = map[string]model.ChannelTexts{"es": {ButtonText: "¿Preguntas? Hable con nosotros", DefaultMessage: strings.Repeat("x", 501)}}
	es.Form = &esForm
	es.Errors["texts.es.default_message"] = "The welcome message must be at most 500 characters."
	add(pageCase{page: "channel", name: "admin, Spanish texts with an error", p: fx.page(admin, fx.support.Name, "channels", es),
		want: []string{`<option value="es" lang="es" selected>Español</option>`, "Texts in Español", `name="texts.es.button_text" maxlength="120" value="¿Preguntas? Hable con nosotros"`,
			`name="texts.es.input_placeholder" maxlength="120" value=""`, "The welcome message must be at most 500 characters.", "From the visitor&#39;s browser"},
		not: []string{"Texts in English"}})
	ro := &channelView{Channel: fx.sales, Form: fx.sales, Preview: fx.sales.Options, Defaults: model.DefaultChannelOptions(), Tab: "operators",
		Tabs: channelTabs, Errors: map[string]string{}, Sessions: 1, Routing: &model.ChannelRouting{ChannelID: fx.sales.ID},
		Snippet: "<script></script>", SupportURL: tplBaseURL + "/im_livechat/support/8"}
	add(pageCase{page: "channel", name: "operator, no operator and no rule", p: fx.page(op, fx.sales.Name, "channels", ro),
		want: []string{`<h1 id="channel-name">Sales Team</h1>`, "1</strong><span>Session<", "No operator: visitors cannot reach anyone",
			"No rule", "Only administrators can change the options.", "Say something..."},
		not: []string{`id="operator-dialog"`, `hx-delete="/admin/channels/8"`}})

	// ---- conversations
	open := []livechat.OperatorSessionView{
		fx.sessionView(fx.open, fx.named, 2, fx.messages[2]),
		fx.sessionView(&model.Session{ID: 103, PublicID: "s-open-103", ChannelID: 8, ChannelName: "Sales Team", VisitorID: 43,
			OperatorID: 1, OperatorName: "Ada", Status: model.SessionOpen, CreatedAt: fx.now.Add(-time.Minute)}, fx.anonymous, 0, nil),
	}
	closed := []livechat.OperatorSessionView{fx.sessionView(fx.closed, fx.anonymous, 0, &model.Message{ID: 9, SessionID: 101,
		AuthorKind: model.AuthorVisitor, Body: "Thanks, bye!", CreatedAt: fx.closed.LastMessageAt})}
	sel := conversationsData{Open: open, Closed: closed}
	sel.Selected = &sel.Open[0]
	other := fx.sessionView(fx.unanswered, nil, 0, nil) // an admin opening someone else's old chat
	add(pageCase{page: "conversations", name: "selected open chat", p: fx.page(admin, l.T("Conversations"), "conversations", sel),
		want: []string{`data-selected="s-open-100"`, "You: Yes: see https://shop.example.com/schools", "Website Visitor #43", "Thanks, bye!",
			`href="mailto:grace@example.org"`, "/admin/visitors/42", `conv-item unread active`, `id="conv-item-tpl"`, "data-empty-open hidden>"}},
		pageCase{page: "conversations", name: "selected chat not in the lists",
			p:    fx.page(admin, l.T("Conversations"), "conversations", conversationsData{Open: open, Selected: &other}),
			want: []string{`data-selected="s-closed-102"`, "/admin/sessions/s-closed-102", "data-empty-closed>Nothing yet."}},
		pageCase{page: "conversations", name: "empty",
			p:    fx.page(op, l.T("Conversations"), "conversations", conversationsData{}),
			want: []string{`data-selected=""`, "data-empty-open>No open conversation.", `class="conv-placeholder">`, `id="conv-info" aria-label="Visitor" hidden`}})

	// ---- sessions
	add(pageCase{page: "sessions", name: "admin, filtered, second page",
		p: fx.page(admin, l.T("Sessions"), "sessions", sessionsData{Rows: fx.sessionRows(fx.open, fx.closed, fx.unanswered),
			Pager:    fx.pager("/admin/sessions?status=closed&channel_id=7&page=2", 2, sessionsPerPage, 60),
			Channels: []*model.Channel{fx.support, fx.sales}, Operators: []*model.User{fx.admin, fx.operator},
			ChannelID: 7, Status: "closed", Operator: 2, Filtered: true, Offline: 3}),
		want: []string{"/admin/sessions/s-open-100", "Grace Hopper", "(Belgium)", "Website Visitor #43", "Bob Marley", "26–50 of 60",
			`value="7" selected`, `value="2" selected`, `value="closed" selected`, `data-offline-count>3<`, `rel="prev"`, `rel="next"`}},
		pageCase{page: "sessions", name: "operator, none yet",
			p:    fx.page(op, l.T("Sessions"), "sessions", sessionsData{Pager: fx.pager("/admin/sessions", 1, sessionsPerPage, 0)}),
			want: []string{"No session yet"}, not: []string{`name="operator_id"`}},
		pageCase{page: "sessions", name: "nothing matches",
			p: fx.page(admin, l.T("Sessions"), "sessions", sessionsData{Pager: fx.pager("/admin/sessions?status=open", 1, sessionsPerPage, 0),
				Channels: []*model.Channel{fx.support}, Status: "open", Filtered: true}),
			want: []string{"No session matches these filters."}})

	// ---- session transcript
	add(pageCase{page: "session", name: "open, every kind of message",
		p: fx.page(admin, "Grace Hopper", "sessions", fx.transcript(fx.open, fx.named, fx.messages, fx.pageViews, true)),
		want: []string{"<h1>Grace Hopper", "(Belgium)", "Is there a discount for schools?", `href="https://shop.example.com/schools"`,
			"t-msg t-bot", "t-msg t-operator", "t-msg t-visitor",
			"Ada transferred the conversation to Bob Marley (Sales Team).", "Grace Hopper has left the conversation.", "Kept from an older version.",
			"/admin/conversations?session=s-open-100", "/admin/visitors/42", ">Pricing</a>", ">https://shop.example.com/</a>"}},
		pageCase{page: "session", name: "closed, nothing said, visitor deleted",
			p:    fx.page(op, "Website Visitor #43", "sessions", fx.transcript(fx.unanswered, nil, nil, nil, false)),
			want: []string{"<h1>Website Visitor #43", "Nothing was said in this session.", "No page view recorded.", "Closed"},
			not:  []string{`href="/admin/conversations?session=`, `href="/admin/visitors/`}})

	// ---- visitors
	rows := []visitorRow{
		newVisitorRow(fx.l, model.VisitorRow{Visitor: *fx.named, SessionCount: 3, PageViews: 17}, fx.now),
		newVisitorRow(fx.l, model.VisitorRow{Visitor: *fx.anonymous, SessionCount: 0, PageViews: 1}, fx.now),
	}
	add(pageCase{page: "visitors", name: "two pages",
		p: fx.page(admin, l.T("Visitors"), "visitors", map[string]any{"Rows": rows, "Pager": fx.pager("/admin/visitors", 1, visitorsPerPage, 31)}),
		want: []string{"/admin/visitors/42", "<strong>Grace Hopper</strong>", "<strong>Website Visitor #43</strong>", "Belgium", ">Pricing</a>",
			"1–30 of 31", `rel="next"`}},
		pageCase{page: "visitors", name: "none yet",
			p:    fx.page(op, l.T("Visitors"), "visitors", map[string]any{"Rows": []visitorRow{}, "Pager": fx.pager("/admin/visitors", 1, visitorsPerPage, 0)}),
			want: []string{"No visitor yet"}})
	named := visitorData{Visitor: fx.named, Name: "Grace Hopper", CountryName: "Belgium", Online: true, PageViews: fx.pageViews,
		Sessions: fx.sessionRows(fx.open, fx.closed)}
	invitable := named
	invitable.Online, invitable.Sessions = true, nil
	joining := invitable
	joining.JoinChannel = "Sales Team"
	anon := visitorData{Visitor: fx.anonymous, Name: livechat.VisitorLabel(l, "", fx.anonymous.ID)}
	add(pageCase{page: "visitor", name: "named, on the site, with sessions", p: fx.page(admin, named.Name, "visitors", named),
		want: []string{"<h1>Grace Hopper <span class=\"muted\">(Belgium)</span>", "On the website now", "mailto:grace@example.org",
			"/admin/sessions/s-open-100", "6 messages", "1 message ·", "Bob Marley"}},
		pageCase{page: "visitor", name: "online, not chatting: start a chat", p: fx.page(op, invitable.Name, "visitors", invitable),
			want: []string{`action="/admin/visitors/42/chat"`, "Your first message", "data-start-chat", tplCSRF}, not: []string{"data-join-channel"}},
		pageCase{page: "visitor", name: "start a chat on a channel not joined", p: fx.page(op, invitable.Name, "visitors", joining),
			want: []string{"data-start-chat", "You are not an operator of Sales Team: starting this chat adds you to its operators."}},
		pageCase{page: "visitor", name: "anonymous, nothing recorded", p: fx.page(op, anon.Name, "visitors", anon),
			want: []string{"<h1>Website Visitor #43</h1>", "Last seen", "No page view recorded.", "No conversation yet."}})

	// ---- offline messages
	add(pageCase{page: "offline", name: "handled and not",
		p: fx.page(admin, l.T("Offline messages"), "sessions", map[string]any{"Rows": fx.offlineRows(),
			"Pager": fx.pager("/admin/offline", 1, offlinePerPage, 2), "Unhandled": 1}),
		want: []string{"1 to handle", `id="offline-21"`, "Please call me back about the invoice.", "Support Desk", "/admin/offline/21/handled",
			`id="offline-22" class="offline-row handled"`, "Handled"},
		not: []string{"/admin/offline/22/handled"}},
		pageCase{page: "offline", name: "none",
			p: fx.page(op, l.T("Offline messages"), "sessions", map[string]any{"Rows": []offlineRow{},
				"Pager": fx.pager("/admin/offline", 1, offlinePerPage, 0), "Unhandled": 0}),
			want: []string{"No offline message"}, not: []string{"to handle"}})

	// ---- reports
	rep := fx.report()
	add(pageCase{page: "reports", name: "a channel's month",
		p: fx.page(admin, l.T("Reports"), "reports", reportData{Days: 30, Periods: reportPeriods, View: "summary", Filter: model.ReportFilter{ChannelID: 7},
			Channels: []*model.Channel{fx.support, fx.sales}, Report: rep, MaxDay: 4}),
		want: []string{`value="30" selected`, `value="7" selected`, "<strong>14</strong>", "7 min 05 s", "42 s", "6.5", "Ada Lovelace",
			"/admin/sessions?operator_id=2", "Deleted channel", "1 h 10 min", "&lt; 1 s", fx.now.Format("2006-01-02"), "height:100%"}},
		pageCase{page: "reports", name: "no session",
			p: fx.page(admin, l.T("Reports"), "reports", reportData{Days: 7, Periods: reportPeriods, Channels: []*model.Channel{fx.support},
				Report: &model.Report{ByDay: []model.ReportRow{{Key: fx.now.Format("2006-01-02")}}}}),
			want: []string{`value="7" selected`, "No session with messages in this period."}})

	// ---- profile
	withToken := &profileData{Form: admin, Errors: map[string]string{}, Tokens: fx.tokens, TokensURL: "/admin/profile/tokens"}
	profileErr := *op
	profileErr.Email = "not-an-email"
	noToken := &profileData{Form: &profileErr, Errors: map[string]string{"email": "Enter a valid email address."}, TokensURL: "/admin/profile/tokens"}
	flashed := fx.page(admin, l.T("My Profile"), "profile", withToken)
	flashed.Flash = &Flash{Kind: "ok", Msg: "Your profile was saved."}
	add(pageCase{page: "profile", name: "tokens and a flash", p: flashed,
		want: []string{`value="Ada Lovelace"`, "CRM integration", "…x9Qz", "Never", `hx-delete="/admin/profile/tokens/5"`,
			`flash flash-ok`, "Your profile was saved.", "as you, with your role"}},
		pageCase{page: "profile", name: "invalid email, no token", p: fx.page(op, l.T("My Profile"), "profile", noToken),
			want: []string{`value="not-an-email"`, "Enter a valid email address.", "No API token yet."}})

	// ---- chatbots
	bot := fx.chatbot()
	add(pageCase{page: "chatbots", name: "list with an import refused",
		p: fx.page(admin, l.T("Chatbots"), "config", map[string]any{"Chatbots": []model.ChatbotSummary{{ID: 1, Name: "Welcome Bot", Active: true, Steps: 9, Rules: 1},
			{ID: 2, Name: "Old Bot", Steps: 2}}, "Import": &importErrors{File: "bot.yaml", Errors: []chatbot.LineError{{Line: 3, Message: `unknown field "mesage"`}}}}),
		want: []string{"/admin/config/chatbots/1", "Welcome Bot", "Archived", "Unarchive", "bot.yaml was not imported:", `Line 3: unknown field &#34;mesage&#34;`, "/admin/config/chatbots/import"}},
		pageCase{page: "chatbot", name: "script, problems and flow",
			p: fx.page(admin, bot.Name, "config", fx.chatbotView(bot)),
			want: []string{`id="step-2"`, "What are you looking for?", "Question", "I have a pricing question", `href="#step-10"`, "is a question without answers",
				"<svg", "Tip: Plan further steps", "/admin/config/chatbots/1/test", "/admin/config/chatbots/1/export", `id="step-dialog"`}},
		pageCase{page: "chatbot_test", name: "test mode",
			p:    fx.page(admin, l.T("Test: %s", bot.Name), "config", bot),
			want: []string{`data-bot-test="1"`, "Back to edit mode", "Conversation ended...", "Restart"}})

	// ---- users
	add(pageCase{page: "users", name: "everyone",
		p:    fx.page(admin, l.T("Users"), "config", map[string]any{"Users": []*model.User{fx.admin, fx.operator, fx.deactivated}, "Query": "", "Status": ""}),
		want: []string{"/admin/config/users/1", "Ada Lovelace", "(Ada)", "bob@example.com", "Cleo Dupont", "data-deactivated", "Never", "Administrator"}},
		pageCase{page: "users", name: "no match",
			p:    fx.page(admin, l.T("Users"), "config", map[string]any{"Users": []*model.User(nil), "Query": "zed", "Status": "deactivated"}),
			want: []string{`value="zed"`, `value="deactivated" selected`, "No user matches."}})

	// ---- Configuration ▸ Mail: defaults only (mail off), saved settings with a
	// test answer and the outbox, a field error, a failed test
	off := fx.page(admin, l.T("Mail"), "config", &mailPage{Settings: &mail.Settings{
		Host: mail.Field{Key: "smtp.host"}, Port: mail.Field{Key: "smtp.port", Value: "587", Default: "587"},
		Username: mail.Field{Key: "smtp.username"}, Password: mail.Field{Key: "smtp.password", Secret: true},
		From: mail.Field{Key: "smtp.from"}, TLS: mail.Field{Key: "smtp.tls", Value: "starttls", Default: "starttls"}}, Errors: map[string]string{}})
	off.MailOff = true
	saved := &mail.Settings{Configured: true,
		Host:     mail.Field{Key: "smtp.host", Value: "smtp.example.com", Default: "mx.example.com", Overridden: true},
		Port:     mail.Field{Key: "smtp.port", Value: "2525", Default: "587", Overridden: true},
		Username: mail.Field{Key: "smtp.username", Value: "parley", Default: "parley"},
		Password: mail.Field{Key: "smtp.password", Secret: true, Overridden: true, HasValue: true},
		From:     mail.Field{Key: "smtp.from", Value: "Support <chat@example.com>", Default: "Support <chat@example.com>"},
		TLS:      mail.Field{Key: "smtp.tls", Value: "tls", Default: "starttls", Overridden: true}}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	outbox := []mail.OutboxEntry{
		{OutboxItem: model.OutboxItem{ID: 2, Kind: "mail", Status: model.OutboxFailed, Attempts: 1, LastError: "550 5.1.1 No such user", CreatedAt: now}, To: "bo@example.com", Subject: "Your <conversation>"},
		{OutboxItem: model.OutboxItem{ID: 1, Kind: "mail", Status: model.OutboxSent, Attempts: 1, CreatedAt: now, DoneAt: now}, To: "ada@example.com", Subject: "Offline message from Bo"}}
	add(pageCase{page: "mail", name: "defaults only, mail off", p: off,
		want: []string{"data-mail-off", "No default: the configuration file sets no host.", `placeholder="587"`, "No password is set.", "No mail yet.", `disabled`},
		not:  []string{"data-test-answer", "reset_password"}},
		pageCase{page: "mail", name: "saved, with a test answer and the outbox",
			p: fx.page(admin, l.T("Mail"), "config", &mailPage{Settings: saved, Outbox: outbox, Errors: map[string]string{}, TestAnswer: "2.0.0 OK: queued"}),
			want: []string{`value="smtp.example.com"`, "Default (configuration file or environment): mx.example.com", `value="tls" selected`,
				"A password is saved here; it is never shown.", `name="reset_password"`, "The server accepted the mail: 2.0.0 OK: queued",
				`data-status="failed"`, "550 5.1.1 No such user", "/admin/config/mail/outbox/2/retry", "Your &lt;conversation&gt;", `data-status="sent"`},
			not: []string{"/admin/config/mail/outbox/1/retry", "data-mail-off"}},
		pageCase{page: "mail", name: "a field error and a failed test",
			p: fx.page(admin, l.T("Mail"), "config", &mailPage{Settings: saved, Errors: map[string]string{"port": "The port must be a number between 1 and 65535."},
				TestError: "127.0.0.1:25: dial tcp: connection refused"}),
			want: []string{"The port must be a number between 1 and 65535.", "data-test-error", "connection refused"}})

	// ---- Configuration ▸ Settings: defaults only, saved overrides waiting
	// for a restart, a field error
	siteDefaults := &site.Settings{Languages: []string{"en", "es"}, RunningURL: "http://127.0.0.1:8080",
		SiteName: site.Field{Key: "site_name", Name: "site_name", Value: "YourWebsite.com", Default: "YourWebsite.com"},
		BaseURL:  site.Field{Key: "base_url", Name: "base_url"}, GeoIP: site.Field{Key: "geoip.database", Name: "geoip_database"},
		Language:      site.Field{Key: "default_language", Name: "default_language", Value: "en", Default: "en"},
		RetentionDays: site.Field{Key: "retention.days", Name: "retention_days", Value: "0", Default: "0"},
		RetentionMode: site.Field{Key: "retention.mode", Name: "retention_mode", Value: "anonymise", Default: "anonymise"}}
	siteSaved := &site.Settings{Languages: []string{"en", "es"}, RunningURL: "http://127.0.0.1:8080", RestartNeeded: true,
		SiteName:      site.Field{Key: "site_name", Name: "site_name", Value: "Acme Shop", Default: "YourWebsite.com", Overridden: true},
		BaseURL:       site.Field{Key: "base_url", Name: "base_url", Value: "https://chat.acme.example", Overridden: true},
		GeoIP:         site.Field{Key: "geoip.database", Name: "geoip_database", Value: "/var/lib/geo.mmdb", Default: "/etc/geo.mmdb", Overridden: true},
		Language:      site.Field{Key: "default_language", Name: "default_language", Value: "es", Default: "en", Overridden: true},
		RetentionDays: site.Field{Key: "retention.days", Name: "retention_days", Value: "30", Default: "0", Overridden: true},
		RetentionMode: site.Field{Key: "retention.mode", Name: "retention_mode", Value: "delete", Default: "anonymise", Overridden: true}}
	add(pageCase{page: "settings", name: "defaults only", p: fx.page(admin, l.T("Settings"), "config", &sitePage{Settings: siteDefaults, Errors: map[string]string{}}),
		want: []string{`placeholder="YourWebsite.com"`, "No default: the configuration file sets no public URL.", "Changing it needs a restart of Parley",
			"Default (configuration file or environment): English", "Default (configuration file or environment): anonymised", `aria-current="page">Settings`},
		not: []string{`name="reset"`, "data-restart-note"}},
		pageCase{page: "settings", name: "saved, restart needed", p: fx.page(admin, l.T("Settings"), "config", &sitePage{Settings: siteSaved, Errors: map[string]string{}}),
			want: []string{`value="Acme Shop"`, `value="https://chat.acme.example"`, `value="/var/lib/geo.mmdb"`, `value="es" selected`, `value="30"`, `value="delete" selected`,
				"Parley still uses http://127.0.0.1:8080", `name="reset" value="site_name"`, `name="reset" value="retention_days"`, "Default (configuration file or environment): /etc/geo.mmdb"}},
		pageCase{page: "settings", name: "a field error", p: fx.page(admin, l.T("Settings"), "config", &sitePage{Settings: siteSaved,
			Errors: map[string]string{"retention_days": "The retention must be a whole number of days from 0 (keep everything) to 36500."}}),
			want: []string{"The retention must be a whole number of days from 0 (keep everything) to 36500."}})

	// ---- invitation: choosing a password, and with an error
	invited := &model.User{ID: 4, Email: "dee@example.com", Name: "Dee"}
	add(pageCase{page: "invite", name: "first visit", p: fx.page(nil, l.T("Choose your password"), "", &inviteData{User: invited, Token: "tok-123"}),
		want: []string{`action="/invite/tok-123"`, "dee@example.com", "Welcome, Dee."}},
		pageCase{page: "invite", name: "weak password", p: fx.page(nil, l.T("Choose your password"), "", &inviteData{User: invited, Token: "tok-123", Error: "The password must have at least 10 characters."}),
			want: []string{"The password must have at least 10 characters."}})

	// ---- user form: new with an error, an operator, a deactivated user, oneself
	newForm := &userForm{User: &model.User{Email: "new@", Name: "Newcomer", Role: model.RoleOperator, Active: true}, New: true,
		Errors: map[string]string{"email": "Enter a valid email address."}}
	bobForm := &userForm{User: fx.operator, Errors: map[string]string{}, Channels: fx.summaries(),
		TokenData: &profileData{Tokens: fx.tokens[1:], ForUser: true, TokensURL: userPath(2) + "/tokens"}}
	cleoForm := &userForm{User: fx.deactivated, Errors: map[string]string{},
		TokenData: &profileData{ForUser: true, TokensURL: userPath(3) + "/tokens", Inactive: true}}
	selfForm := &userForm{User: fx.admin, Errors: map[string]string{}, Channels: fx.summaries()[:1],
		TokenData: &profileData{Tokens: fx.tokens, ForUser: true, TokensURL: userPath(1) + "/tokens"}}
	add(pageCase{page: "user_form", name: "new with an error", p: fx.page(admin, l.T("New user"), "config", newForm),
		want: []string{`action="/admin/config/users"`, `value="Newcomer"`, "Enter a valid email address.", "Initial password"},
		not:  []string{"API tokens", `id="user-status"`}},
		pageCase{page: "user_form", name: "operator with channels and a token", p: fx.page(admin, fx.operator.Name, "config", bobForm),
			want: []string{`action="/admin/config/users/2"`, "Bob Marley", `name="channel_id" value="7" checked`, "2 operators",
				"Backup script", `hx-post="/admin/config/users/2/tokens"`, "/admin/config/users/2/deactivate", "as this user"}},
		pageCase{page: "user_form", name: "deactivated", p: fx.page(admin, fx.deactivated.Name, "config", cleoForm),
			want: []string{"Cleo Dupont", "data-deactivated", "Deactivated on " + fx.deactivated.DeactivatedAt.Format("2006-01-02 15:04 UTC"),
				"/admin/config/users/3/reactivate", "No channel yet.", "A deactivated user has no API token"},
			not: []string{`hx-post="/admin/config/users/3/tokens"`}},
		pageCase{page: "user_form", name: "oneself", p: fx.page(admin, fx.admin.Name, "config", selfForm),
			want: []string{"You cannot deactivate your own account"}, not: []string{"/admin/config/users/1/deactivate"}})

	// ---- support: the public direct chat page
	support := fx.page(nil, l.T("%s · Live chat support", fx.support.Name), "", map[string]any{"Channel": fx.support, "Available": true,
		"LoaderURL": "/im_livechat/loader/7?open=1"})
	support.BodyClass = "support"
	away := fx.page(nil, l.T("%s · Live chat support", fx.sales.Name), "", map[string]any{"Channel": fx.sales, "Available": false,
		"LoaderURL": "/im_livechat/loader/8?open=1"})
	away.BodyClass = "support"
	add(pageCase{page: "support", name: "available", p: support,
		want: []string{"<h1>Support Desk</h1>", `src="/im_livechat/loader/7?open=1"`, `class=" support"`},
		not:  []string{"Nobody is available", `id="chat-dock"`}},
		pageCase{page: "support", name: "nobody available", p: away,
			want: []string{"<h1>Sales Team</h1>", "Nobody is available to chat right now."}})

	// ---- the published rating pages and the Customer Ratings report
	pubIdx := fx.page(nil, l.T("Live chat support channels"), "", publicIndexData{Channels: []*model.Channel{fx.support}})
	pubIdx.BodyClass = "public"
	pubNone := fx.page(nil, l.T("Live chat support channels"), "", publicIndexData{})
	pubCh := fx.page(nil, l.T("%s · Customer ratings", fx.support.Name), "", publicChannelData{Faces: model.RatingValues,
		ChannelPage: &rating.ChannelPage{Channel: fx.support, Counts: model.RatingCounts{Satisfied: 3, Neutral: 1, Dissatisfied: 1},
			Team: []rating.TeamMember{{ID: 2, ChatName: "Ada", Counts: model.RatingCounts{Satisfied: 1}}, {ID: 3, ChatName: "Bob"}}, Last: []int{5, 1, 3, 5, 5}}})
	pubEmpty := fx.page(admin, l.T("%s · Customer ratings", fx.sales.Name), "", publicChannelData{Faces: model.RatingValues, Preview: true,
		ChannelPage: &rating.ChannelPage{Channel: fx.sales}})
	add(pageCase{page: "livechat_index", name: "a channel", p: pubIdx, want: []string{`href="/livechat/channel/7"`, "Support Desk", `name="description"`}},
		pageCase{page: "livechat_index", name: "none", p: pubNone, want: []string{"There are no public live chat channels to show."}},
		pageCase{page: "livechat_channel", name: "rated", p: pubCh,
			want: []string{"60.0 %", "20.0 %", "The 5 last feedbacks", "Ada", "100.0 %", "Not rated yet", `href="#face-1"`}, not: []string{"Preview"}},
		pageCase{page: "livechat_channel", name: "preview without ratings", p: pubEmpty,
			want: []string{"Preview", "There are no ratings for this channel for now."}})
	rt := &model.Rating{ID: 4, SessionPublicID: "s-abc", ChannelID: 7, ChannelName: "Support Desk", OperatorName: "Ada", VisitorID: 12,
		Value: 1, Reason: "Too <slow>", Internal: true, UpdatedAt: fx.now}
	add(pageCase{page: "rating", name: "internal", p: fx.page(admin, "Rating", "reports", ratingPage{Rating: rt}),
		want: []string{"Dissatisfied", "s-abc", "Website Visitor #12", "Too &lt;slow&gt;", `name="internal" value="1" checked`,
			`<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/admin/reports">Reports</a><a href="/admin/reports/ratings">Customer Ratings</a><span aria-current="page">Support Desk / s-abc</span></nav>`}})
	q := url.Values{"days": {"30"}}
	base := ratingsReport{Days: 30, Dims: rating.Dimensions, Channels: []*model.Channel{fx.support}, Operators: []pivot.Key{{ID: "2", Label: "Ada"}}, Query: q, Page: 1, Pages: 2}
	kanban, list, piv, graph, empty := base, base, base, base, base
	kanban.View, kanban.Ratings, kanban.Total = "kanban", []*model.Rating{rt}, 61
	list.View, list.Ratings = "list", []*model.Rating{rt}
	piv.View, piv.Rows, piv.Cols = "pivot", "operator", "rating"
	piv.Pivot = pivot.Build([]pivot.Cell{{Row: pivot.Key{ID: "2", Label: "Ada"}, Col: pivot.Key{ID: "5", Label: "Satisfied"}, Value: 3}}, nil, nil)
	graph.View, graph.By, graph.Kind, graph.Chart = "graph", "week", "line", "<svg class=\"chart\"></svg>"
	empty.View, empty.Pages = "list", 1
	add(pageCase{page: "ratings_report", name: "kanban", p: fx.page(admin, "Customer Ratings", "reports", kanban),
		want: []string{"rating-card", "Ada for Support Desk / s-abc", "Too &lt;slow&gt;", "Page 1 of 2", "days=30&amp;page=2&amp;view=kanban"}},
		pageCase{page: "ratings_report", name: "list", p: fx.page(admin, "Customer Ratings", "reports", list), want: []string{`<tr data-rating-id="4">`}},
		pageCase{page: "ratings_report", name: "pivot", p: fx.page(admin, "Customer Ratings", "reports", piv), want: []string{"3 <span class=\"muted\">(100.0 %)</span>"}},
		pageCase{page: "ratings_report", name: "graph", p: fx.page(admin, "Customer Ratings", "reports", graph), want: []string{`<svg class="chart">`, `value="week" selected`}},
		pageCase{page: "ratings_report", name: "nothing", p: fx.page(admin, "Customer Ratings", "reports", empty), want: []string{"No rating matches these filters."}})

	// ---- operator tools: canned responses, leads, helpdesk, teams
	toolsAt := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	canned := []*model.CannedResponse{{ID: 1, Shortcut: "hello", Substitution: "Hello, how may I help you?", Texts: map[string]string{"es": "Hola"}}}
	cannedP := fx.page(admin, l.T("Canned Responses"), "config", cannedPage{List: canned, Edit: &model.CannedResponse{Shortcut: "hello"}, Languages: []string{"es"},
		Errors: map[string]string{"shortcut": "Another canned response already uses the shortcut \"hello\"."}})
	lead := &model.Lead{ID: 7, Title: "Forty chairs", ContactName: "Ann", Email: "ann@example.com", Stage: model.StageQualified, Notes: "Ann: I need 40 chairs",
		Source: "Live Chat", SessionPub: "abc", Referrer: "Bob", TeamID: 2, TeamName: "Europe", CreatedAt: toolsAt}
	teams := []*model.SalesTeam{{ID: 2, Name: "Europe", Active: true}, {ID: 3, Name: "Old", Active: false}}
	ticket := &model.Ticket{ID: 4, Number: 3, Title: "Broken chair", Status: model.TicketInProgress, Description: "Ann: it broke", TeamID: 1, TeamName: "Support", SessionPub: "abc", CreatedAt: toolsAt}
	desk := []*model.HelpdeskTeam{{ID: 1, Name: "Support", Sequence: 1, LiveChat: true}}
	salesP := fx.page(admin, l.T("Sales Teams"), "config", teamsPage{Kind: "sales", Sales: teams, Edit: teams[1], Errors: map[string]string{},
		Webhook: &webhookView{NewSecret: "s3cr3t", Webhook: &webhooks.Webhook{URL: "https://crm.example.com/hook", HasSecret: true, Deliveries: []model.OutboxItem{
			{ID: 9, Status: model.OutboxQueued, Attempts: 2, LastError: "HTTP 500: oops", CreatedAt: toolsAt, NextAttemptAt: toolsAt}}}}})
	deskP := fx.page(admin, l.T("Helpdesk Teams"), "config", teamsPage{Kind: "helpdesk", Desk: desk, Edit: &model.HelpdeskTeam{Sequence: -1}, Errors: map[string]string{"sequence": "The priority is a number from 0 to 1000000."}})
	add(pageCase{page: "canned", name: "list and an error", p: cannedP,
		want: []string{"<code>:hello</code>", "es: Hola", `name="text_es"`, "already uses the shortcut", `aria-current="page">Canned Responses`}},
		pageCase{page: "leads", name: "kanban", p: fx.page(op, l.T("Leads"), "leads", leadsPage{View: "kanban", Stages: model.LeadStages,
			Columns: []leadColumn{{Stage: model.StageNew}, {Stage: model.StageQualified, Leads: []*model.Lead{lead}}, {Stage: model.StageWon}, {Stage: model.StageLost}}}),
			want: []string{`data-stage="qualified"`, "Forty chairs", `hx-post="/admin/leads/7/stage"`, `value="qualified" selected`}},
		pageCase{page: "leads", name: "list", p: fx.page(op, l.T("Leads"), "leads", leadsPage{View: "list", Stages: model.LeadStages, Leads: []*model.Lead{lead}, Stage: model.StageQualified}),
			want: []string{`id="leads-list"`, "ann@example.com", "Europe", "Qualified"}},
		pageCase{page: "lead", name: "form", p: fx.page(op, lead.Title, "leads", leadForm{Lead: lead, Teams: teams, Stages: model.LeadStages, Errors: map[string]string{"title": "Give the lead a title."}}),
			want: []string{"Ann: I need 40 chairs", `href="/admin/sessions/abc"`, "Referred by Bob", "Give the lead a title.", `value="2" selected`}, not: []string{">Old<"}},
		pageCase{page: "tickets", name: "search", p: fx.page(op, l.T("Helpdesk"), "helpdesk", ticketsPage{Query: "#03", Tickets: []*model.Ticket{ticket}}),
			want: []string{`data-ticket="#03"`, "Broken chair", "In progress", `value="#03"`}},
		pageCase{page: "tickets", name: "none", p: fx.page(op, l.T("Helpdesk"), "helpdesk", ticketsPage{Query: "zzz"}), want: []string{"No ticket matches."}},
		pageCase{page: "ticket", name: "form", p: fx.page(op, ticket.Ref(), "helpdesk", ticketForm{Ticket: ticket, Teams: desk, Statuses: model.TicketStatuses, Errors: map[string]string{}}),
			want: []string{"#03 Broken chair", "Ann: it broke", `value="in_progress" selected`, `href="/admin/sessions/abc"`}},
		pageCase{page: "teams", name: "sales", p: salesP, want: []string{"Europe", "Archived", `name="archived" value="1" checked`,
			`action="/admin/config/sales-teams/3/webhook"`, "<code>s3cr3t</code>", "HTTP 500: oops", `data-outbox-id="9"`, "Regenerate the secret"}},
		pageCase{page: "teams", name: "helpdesk", p: deskP, want: []string{"Support", "Enabled", "The priority is a number from 0 to 1000000."}})

	// ---- error, signed in or not
	e404 := fx.page(nil, l.T("Error"), "", map[string]any{"Status": 404, "Message": "This visitor does not exist."})
	e404.BodyClass = "error"
	e403 := fx.page(op, l.T("Error"), "", map[string]any{"Status": 403, "Message": "Only administrators can do this."})
	e403.BodyClass = "error"
	add(pageCase{page: "error", name: "signed out", p: e404,
		want: []string{`<p class="code">404</p>`, "This visitor does not exist.", `href="/login"`}},
		pageCase{page: "error", name: "signed in", p: e403,
			want: []string{`<p class="code">403</p>`, "Only administrators can do this.", "Back to the dashboard", `id="chat-dock"`}})
	return cases
}

func (fx *tplFixtures) fragmentCases() []fragmentCase {
	admin, op := fx.admin, fx.operator
	sums := fx.summaries()
	var s *Server // newRuleForm reads no server state
	editRule := s.newRuleForm("en", 7, fx.rules[0], false)
	badRule := s.newRuleForm("en", 7, model.Rule{Action: model.ActionShow, RegexURL: "(unclosed"}, true)
	badRule.Errors["regex_url"] = "Invalid URL regex: missing closing )"
	saved := fx.operatorsView()
	saved.NewUser = &newOperatorForm{ChannelID: 7, User: model.User{Role: model.RoleOperator}, Errors: map[string]string{},
		Notice: "Dan Brown was created and added to the operators."}
	emptyPicker := &pickerView{ChannelID: 8, Query: "zed", Selected: map[int64]bool{}}
	rows := fx.offlineRows()

	bot := fx.chatbot()
	stepForm := newStepForm(fx.l, []string{"en", "es"}, bot, bot.Steps[5])
	badStep := newStepForm(fx.l, []string{"en", "es"}, bot, model.ChatbotStep{Type: model.StepQuestion, Message: model.Texts{}})
	badStep.Errors["message"] = "Step 10: the message is required."

	return []fragmentCase{
		{tpl: "_chatbot_step_form", name: "email step with only-if", user: admin, data: stepForm,
			want: []string{`hx-post="/admin/config/chatbots/1/steps/6"`, `value="question_email" selected`, `name="message_es"`, "¿Le importaría",
				`value="101" checked`, "What are you looking for?:</span> I have a pricing question"}},
		{tpl: "_chatbot_step_form", name: "new question refused", user: admin, data: badStep,
			want: []string{`hx-post="/admin/config/chatbots/1/steps"`, "Step 10: the message is required.", `name="answer_label_en"`}},
		{tpl: "_channel_identity", name: "no secret yet", user: admin, data: &channelView{Channel: fx.support, Form: fx.support, CanEdit: true},
			want: []string{`id="identity-secret"`, "Generate a secret", "/admin/channels/7/identity_secret"}, not: []string{"Regenerate"}},
		{tpl: "_channel_identity", name: "regenerated", user: admin, data: fx.withSecret(),
			want: []string{"Regenerate", "0123456789abcdef", livechat.IdentitySignature("0123456789abcdef0123456789abcdef", "42")}},
		{tpl: "_channel_card", name: "joined, admin", user: admin, data: &sums[0],
			want: []string{`id="channel-card-7"`, "Support Desk", "Joined", "2 operators", "12 sessions", "/admin/channels/7/leave", tplCSRF, "Configure"}},
		{tpl: "_channel_card", name: "not joined, operator", user: op, data: &sums[1],
			want: []string{`id="channel-card-8"`, "1 operator", "1 session", "/admin/channels/8/join", "View"}, not: []string{"Joined"}},
		{tpl: "_channel_picker", name: "users to add", user: admin, data: fx.picker(),
			want: []string{`id="operator-picker"`, `value="4" checked`, "Dan Brown", "Cleo Dupont", "More users match"}, not: []string{"hx-swap-oob"}},
		{tpl: "_channel_picker", name: "nothing matches", user: admin, data: emptyPicker,
			want: []string{"No user matches “zed”."}},
		{tpl: "_channel_operators_changed", name: "list and picker out of band", user: admin, data: fx.operatorsView(),
			want: []string{`id="channel-operators" class="operator-list" hx-swap-oob="true"`, `id="operator-picker" class="picker" hx-swap-oob="true"`,
				`hx-delete="/admin/channels/7/operators/2"`, "Chats as Ada", "bob@example.com"}},
		{tpl: "_channel_new_user", name: "invalid email", user: admin,
			data: &newOperatorForm{ChannelID: 7, User: model.User{Name: "Dan Brown", Email: "dan@", Role: model.RoleAdmin},
				Errors: map[string]string{"email": "Enter a valid email address."}},
			want: []string{`hx-post="/admin/channels/7/operators/new"`, `value="Dan Brown"`, "Enter a valid email address.", `value="admin" selected`}},
		{tpl: "_channel_new_user_saved", name: "fresh form, list and picker", user: admin, data: saved,
			want: []string{"Dan Brown was created and added to the operators.", `id="operator-new-form"`, `id="channel-operators"`, `id="operator-picker"`}},
		{tpl: "_channel_rule_form", name: "new rule", user: admin, data: s.newRuleForm("en", 7, model.Rule{Action: model.ActionShow}, true),
			want: []string{`hx-post="/admin/channels/7/rules"`, "Create Rules", `value="display_button" selected`, "Belgium"}},
		{tpl: "_channel_rule_form", name: "existing rule with countries", user: admin, data: editRule,
			want: []string{`hx-post="/admin/channels/7/rules/11"`, "Open: Rules", `value="BE" checked`, `value="FR" checked`, "(2)", `value="^/pricing"`}},
		{tpl: "_channel_rule_form", name: "invalid regex", user: admin, data: badRule,
			want: []string{`value="(unclosed"`, "Invalid URL regex: missing closing )"}},
		{tpl: "_channel_rules", name: "table out of band", user: admin, data: &rulesView{Channel: fx.support, Rules: fx.ruleRows(), CanEdit: true, OOB: true},
			want: []string{`id="channel-rules" class="rules" hx-swap-oob="true"`, `id="rule-11"`, "Open automatically", "Belgium", "/admin/channels/7/rules/13/move",
				"Every page", "+ Add a line"}},
		{tpl: "_channel_rules", name: "no rule, read-only", user: op, data: &rulesView{Channel: fx.sales},
			want: []string{"No rule"}, not: []string{"Add a line"}},
		{tpl: "_tokens", name: "just created", user: admin,
			data: &profileData{Tokens: fx.tokens, NewToken: "pk_live_0123456789abcdef", TokensURL: "/admin/profile/tokens"},
			want: []string{`<pre class="snippet" id="new-token">pk_live_0123456789abcdef</pre>`, "CRM integration", `hx-delete="/admin/profile/tokens/6"`}},
		{tpl: "_tokens", name: "all revoked, another user", user: admin, data: &profileData{TokensURL: userPath(2) + "/tokens"},
			want: []string{"No API token yet."}},
		{tpl: "_visitors_online", name: "two on the site", user: op, data: liveRows(fx),
			want: []string{`data-live-visitor="42"`, "Grace Hopper", "🇧🇪", "Returning", "With Bob Marley", "/admin/conversations?session=s-open-100",
				"New", `/admin/visitors/43#start-chat`, "Español", `hx-trigger="parley:visitors from:body`}},
		{tpl: "_visitors_online", name: "nobody", user: op, data: []visitorRow(nil),
			want: []string{"Nobody is on the website right now.", `data-online-count>0<`}},
		{tpl: "_offline_row", name: "marked as handled", user: admin, data: rows[1],
			want: []string{`id="offline-22" class="offline-row handled"`, "Do you ship abroad?", "anon@example.net", "Handled"}},
		{tpl: "_offline_row", name: "to handle", user: admin, data: rows[0],
			want: []string{`hx-post="/admin/offline/21/handled"`, "Linus", "Support Desk", tplCSRF}},
		{tpl: "_dashboard_figures", name: "admin", user: admin, data: dashboardData{MyOpen: 2, AllOpen: 7, OperatorsOnline: 1, Offline: 3},
			want: []string{`<strong data-stat="online">1</strong><span>operator online</span>`, "Open conversations", `<strong>3</strong>`}},
		{tpl: "_dashboard_figures", name: "operator", user: op, data: dashboardData{MyOpen: 1, OperatorsOnline: 4},
			want: []string{"operators online"}, not: []string{"Open conversations", `data-stat="waiting"`}},
		{tpl: "_dashboard_figures", name: "visitors waiting", user: op, data: dashboardData{Waiting: 1},
			want: []string{`data-stat="waiting"><strong>1</strong><span>visitor waiting</span>`}},
		{tpl: "_waiting", name: "two in line", user: op, data: []livechat.WaitingView{
			{SessionID: "s-w-1", ChannelName: "Support Desk", VisitorID: 43, VisitorName: "Website Visitor #43", Country: "BE", WaitingFrom: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC), Position: 1},
			{SessionID: "s-w-2", ChannelName: "Sales Team", VisitorID: 44, VisitorName: "Cy <b>", Position: 2}},
			want: []string{`data-waiting-count>2<`, `data-waiting="s-w-1"`, "Website Visitor #43", "#1 in line", "Support Desk · waiting since",
				`datetime="2025-03-01T09:30:00Z"`, "Cy &lt;b&gt;", "#2 in line"}},
		{tpl: "_error", name: "message", data: "This message does not exist.",
			want: []string{`<div class="flash flash-error" role="alert" data-error-message>This message does not exist.</div>`}},
	}
}

// liveRows are two visitors on the site: a returning one chatting with
// Bob, and a new one.
func liveRows(fx *tplFixtures) []visitorRow {
	named, anon := *fx.named, *fx.anonymous
	named.Country, named.Visits, named.Language, named.PageSince = "BE", 3, "es", fx.now.Add(-2*time.Minute)
	anon.Visits = 1
	return []visitorRow{
		newVisitorRow(fx.l, model.VisitorRow{Visitor: named, PageViews: 17, OpenSession: "s-open-100", OpenOperator: "Bob Marley"}, fx.now),
		newVisitorRow(fx.l, model.VisitorRow{Visitor: anon, PageViews: 1}, fx.now),
	}
}

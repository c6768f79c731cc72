package livechat

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"parley/app/model"
)

func mustCompile(t testing.TB, rules []model.Rule) *RuleSet {
	t.Helper()
	rs, err := CompileRules(rules)
	if err != nil {
		t.Fatalf("CompileRules: %v", err)
	}
	return rs
}

func ruleID(r *model.Rule) int64 {
	if r == nil {
		return 0
	}
	return r.ID
}

func TestMatch(t *testing.T) {
	show := model.ActionShow
	tests := []struct {
		name    string
		rules   []model.Rule
		url     string
		country string
		want    int64 // matched rule ID, 0 for none
	}{
		{
			name: "lowest sequence wins",
			rules: []model.Rule{
				{ID: 1, Sequence: 20, Action: show},
				{ID: 2, Sequence: 10, Action: show},
			},
			url: "https://example.com/", want: 2,
		},
		{
			name:  "anchored literal is not a substring match",
			rules: []model.Rule{{ID: 1, Sequence: 1, Action: show, RegexURL: "^https://shop\\.example\\.com/$"}},
			url:   "https://other.org/?ref=https://shop.example.com/", want: 0,
		},
		{
			name:  "anchored literal matches the exact URL",
			rules: []model.Rule{{ID: 1, Sequence: 1, Action: show, RegexURL: "^https://shop\\.example\\.com/$"}},
			url:   "https://shop.example.com/", want: 1,
		},
		{
			name:  "end anchor",
			rules: []model.Rule{{ID: 1, Sequence: 1, Action: show, RegexURL: "/contactus$"}},
			url:   "https://example.com/contactus/extra", want: 0,
		},
		{
			name:  "escaped literal still found anywhere",
			rules: []model.Rule{{ID: 1, Sequence: 1, Action: show, RegexURL: "/contact\\.html"}},
			url:   "https://example.com/en/contact.html?x=1", want: 1,
		},
		{
			name: "sequence tie goes to lowest ID",
			rules: []model.Rule{
				{ID: 7, Sequence: 10, Action: show},
				{ID: 3, Sequence: 10, Action: show},
				{ID: 5, Sequence: 10, Action: show},
			},
			url: "https://example.com/", want: 3,
		},
		{
			name: "first matching regex wins, not the first rule",
			rules: []model.Rule{
				{ID: 1, Sequence: 1, Action: show, RegexURL: "/shop"},
				{ID: 2, Sequence: 2, Action: show, RegexURL: "/contactus"},
				{ID: 3, Sequence: 3, Action: show},
			},
			url: "https://example.com/contactus?x=1", want: 2,
		},
		{
			name: "regex is unanchored",
			rules: []model.Rule{
				{ID: 1, Action: show, RegexURL: `contact(us)?$`},
			},
			url: "https://example.com/page/contact", want: 1,
		},
		{
			name: "regex is case-sensitive",
			rules: []model.Rule{
				{ID: 1, Action: show, RegexURL: "/Shop"},
			},
			url: "https://example.com/shop", want: 0,
		},
		{
			name: "anchor on whole URL",
			rules: []model.Rule{
				{ID: 1, Action: show, RegexURL: `^https://shop\.example\.com/`},
				{ID: 2, Action: show, Sequence: 1},
			},
			url: "https://www.example.com/?next=https://shop.example.com/", want: 2,
		},
		{
			name: "empty regex matches everything",
			rules: []model.Rule{
				{ID: 1, Action: show, RegexURL: ""},
			},
			url: "https://example.com/anything", want: 1,
		},
		{
			name: "no match gives nil",
			rules: []model.Rule{
				{ID: 1, Action: show, RegexURL: "/shop"},
			},
			url: "https://example.com/blog", want: 0,
		},
		{
			name:  "no rules",
			rules: nil,
			url:   "https://example.com/", want: 0,
		},
		{
			name: "empty url skips regexes that need text",
			rules: []model.Rule{
				{ID: 1, Sequence: 1, Action: show, RegexURL: "/shop"},
				{ID: 2, Sequence: 2, Action: show, RegexURL: "^$"},
				{ID: 3, Sequence: 3, Action: show, RegexURL: ""},
			},
			url: "", want: 2,
		},
		{
			name: "empty url matches empty regex",
			rules: []model.Rule{
				{ID: 1, Sequence: 1, Action: show, RegexURL: "."},
				{ID: 2, Sequence: 2, Action: show},
			},
			url: "", want: 2,
		},
		{
			name: "empty url matches optional regex",
			rules: []model.Rule{
				{ID: 1, Action: show, RegexURL: "(/shop)?"},
			},
			url: "", want: 1,
		},
		{
			name: "country rule beats earlier country-less rule",
			rules: []model.Rule{
				{ID: 1, Sequence: 1, Action: show},
				{ID: 2, Sequence: 99, Action: model.ActionHide, Countries: []string{"FR", "BE"}},
			},
			url: "https://example.com/", country: "BE", want: 2,
		},
		{
			name: "country rules in sequence order",
			rules: []model.Rule{
				{ID: 1, Sequence: 5, Action: show, Countries: []string{"BE"}},
				{ID: 2, Sequence: 1, Action: show, Countries: []string{"BE", "NL"}},
			},
			url: "https://example.com/", country: "BE", want: 2,
		},
		{
			name: "country rule whose regex fails falls back to country-less",
			rules: []model.Rule{
				{ID: 1, Sequence: 1, Action: show, RegexURL: "/shop", Countries: []string{"BE"}},
				{ID: 2, Sequence: 2, Action: show, RegexURL: "/blog"},
			},
			url: "https://example.com/blog", country: "BE", want: 2,
		},
		{
			name: "other country's rule never considered",
			rules: []model.Rule{
				{ID: 1, Sequence: 1, Action: show, Countries: []string{"FR"}},
				{ID: 2, Sequence: 2, Action: show, RegexURL: "/blog"},
			},
			url: "https://example.com/", country: "BE", want: 0,
		},
		{
			name: "unknown country uses only country-less rules",
			rules: []model.Rule{
				{ID: 1, Sequence: 1, Action: show, Countries: []string{"BE"}},
				{ID: 2, Sequence: 2, Action: model.ActionAutoPopup, AutoPopupTimer: 3},
			},
			url: "https://example.com/", country: "", want: 2,
		},
		{
			name: "unknown country and only country rules",
			rules: []model.Rule{
				{ID: 1, Action: show, Countries: []string{"BE"}},
			},
			url: "https://example.com/", country: "", want: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := mustCompile(t, tt.rules)
			if got := ruleID(rs.Match(tt.url, tt.country)); got != tt.want {
				t.Errorf("Match(%q, %q) = rule %d, want rule %d", tt.url, tt.country, got, tt.want)
			}
		})
	}
}

func TestMatchReturnsRuleFields(t *testing.T) {
	rs := mustCompile(t, []model.Rule{
		{ID: 4, ChannelID: 9, Sequence: 5, Action: model.ActionAutoPopup, RegexURL: "/contactus", AutoPopupTimer: 2},
	})
	r := rs.Match("https://example.com/contactus", "")
	if r == nil {
		t.Fatal("Match = nil")
	}
	if r.Action != model.ActionAutoPopup || r.AutoPopupTimer != 2 || r.ChannelID != 9 {
		t.Errorf("Match = %+v, want the auto_popup rule with timer 2", *r)
	}
}

func TestNilRuleSet(t *testing.T) {
	var rs *RuleSet
	if r := rs.Match("https://example.com/", "BE"); r != nil {
		t.Errorf("nil RuleSet Match = %+v, want nil", r)
	}
}

func TestCompileRulesCopies(t *testing.T) {
	rules := []model.Rule{{ID: 1, Action: model.ActionShow, Countries: []string{"BE"}}}
	rs := mustCompile(t, rules)
	rules[0].Countries[0] = "FR"
	rules[0].Action = model.ActionHide
	r := rs.Match("https://example.com/", "BE")
	if r == nil || r.Action != model.ActionShow {
		t.Errorf("RuleSet changed with its input: %+v", r)
	}
}

func TestCompileRulesRejectsInvalid(t *testing.T) {
	_, err := CompileRules([]model.Rule{
		{ID: 1, Action: model.ActionShow},
		{ID: 42, Action: model.ActionShow, RegexURL: "("},
	})
	var re *RuleError
	if !errors.As(err, &re) || re.Field != "regex_url" {
		t.Fatalf("CompileRules error = %v, want a regex_url *RuleError", err)
	}
	if !strings.HasPrefix(err.Error(), "livechat: compile rule 42: ") {
		t.Errorf("error %q should name the rule", err)
	}
}

func TestDecide(t *testing.T) {
	const bot = 77
	usable := func(id int64) bool { return id == bot }
	unusable := func(int64) bool { return false }
	tests := []struct {
		name      string
		rule      *model.Rule // the only rule, matching every URL; nil for none
		operators int
		usable    func(int64) bool
		want      Decision // Rule compared by ID only
	}{
		{
			name: "no rule, operators online", operators: 2,
			want: Decision{Available: true},
		},
		{
			name: "no rule, nobody online",
			want: Decision{Available: false},
		},
		{
			name: "show rule, operators online", operators: 1,
			rule: &model.Rule{ID: 1, Action: model.ActionShow},
			want: Decision{Available: true, Rule: &model.Rule{ID: 1}},
		},
		{
			name: "hide rule, operators online", operators: 3,
			rule: &model.Rule{ID: 1, Action: model.ActionHide},
			want: Decision{Available: false, Rule: &model.Rule{ID: 1}},
		},
		{
			name: "hide rule, nobody online",
			rule: &model.Rule{ID: 1, Action: model.ActionHide},
			want: Decision{Available: false, Rule: &model.Rule{ID: 1}},
		},
		{
			name: "hide rule with usable chatbot is available", operators: 1, usable: usable,
			rule: &model.Rule{ID: 1, Action: model.ActionHide, ChatbotID: bot},
			want: Decision{Available: true, Rule: &model.Rule{ID: 1}, Chatbot: bot},
		},
		{
			name: "chatbot makes available with nobody online", usable: usable,
			rule: &model.Rule{ID: 1, Action: model.ActionShow, ChatbotID: bot},
			want: Decision{Available: true, Rule: &model.Rule{ID: 1}, Chatbot: bot},
		},
		{
			name: "chatbot runs alongside operators by default", operators: 2, usable: usable,
			rule: &model.Rule{ID: 1, Action: model.ActionShow, ChatbotID: bot},
			want: Decision{Available: true, Rule: &model.Rule{ID: 1}, Chatbot: bot},
		},
		{
			name: "only-if-no-operator chatbot dropped when operators online", operators: 1, usable: usable,
			rule: &model.Rule{ID: 1, Action: model.ActionAutoPopup, ChatbotID: bot, ChatbotOnlyIfNoOperator: true},
			want: Decision{Available: true, Rule: &model.Rule{ID: 1}},
		},
		{
			name: "only-if-no-operator chatbot kept when nobody online", usable: usable,
			rule: &model.Rule{ID: 1, Action: model.ActionAutoPopup, ChatbotID: bot, ChatbotOnlyIfNoOperator: true},
			want: Decision{Available: true, Rule: &model.Rule{ID: 1}, Chatbot: bot},
		},
		{
			name: "only-if-no-operator on hide rule, operators online", operators: 1, usable: usable,
			rule: &model.Rule{ID: 1, Action: model.ActionHide, ChatbotID: bot, ChatbotOnlyIfNoOperator: true},
			want: Decision{Available: false, Rule: &model.Rule{ID: 1}},
		},
		{
			name: "unusable chatbot keeps rule without chatbot", operators: 1, usable: unusable,
			rule: &model.Rule{ID: 1, Action: model.ActionShow, ChatbotID: bot},
			want: Decision{Available: true, Rule: &model.Rule{ID: 1}},
		},
		{
			name: "unusable chatbot on hide rule still hides", operators: 1, usable: unusable,
			rule: &model.Rule{ID: 1, Action: model.ActionHide, ChatbotID: bot},
			want: Decision{Available: false, Rule: &model.Rule{ID: 1}},
		},
		{
			name: "unusable chatbot, nobody online",
			rule: &model.Rule{ID: 1, Action: model.ActionShow, ChatbotID: bot}, usable: unusable,
			want: Decision{Available: false, Rule: &model.Rule{ID: 1}},
		},
		{
			name: "nil usable func means no chatbot", operators: 0, usable: nil,
			rule: &model.Rule{ID: 1, Action: model.ActionShow, ChatbotID: bot},
			want: Decision{Available: false, Rule: &model.Rule{ID: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rules []model.Rule
			if tt.rule != nil {
				rules = []model.Rule{*tt.rule}
			}
			got := Decide(mustCompile(t, rules), "https://example.com/", "", tt.operators, tt.usable)
			if got.Available != tt.want.Available || ruleID(got.Rule) != ruleID(tt.want.Rule) || got.Chatbot != tt.want.Chatbot {
				t.Errorf("Decide = {Available:%v Rule:%d Chatbot:%d}, want {Available:%v Rule:%d Chatbot:%d}",
					got.Available, ruleID(got.Rule), got.Chatbot, tt.want.Available, ruleID(tt.want.Rule), tt.want.Chatbot)
			}
		})
	}
}

func TestDecideNilRuleSet(t *testing.T) {
	got := Decide(nil, "https://example.com/", "BE", 1, nil)
	if !got.Available || got.Rule != nil || got.Chatbot != 0 {
		t.Errorf("Decide(nil RuleSet) = %+v, want available default", got)
	}
}

func TestDecideAutoPopupTimer(t *testing.T) {
	rs := mustCompile(t, []model.Rule{
		{ID: 1, Sequence: 5, Action: model.ActionAutoPopup, RegexURL: "/contactus", AutoPopupTimer: 2},
		{ID: 2, Sequence: 10, Action: model.ActionShow},
	})
	got := Decide(rs, "https://example.com/contactus", "", 1, nil)
	if got.Rule == nil || got.Rule.Action != model.ActionAutoPopup || got.Rule.AutoPopupTimer != 2 {
		t.Errorf("Decide rule = %+v, want auto_popup after 2 s", got.Rule)
	}
}

func TestValidateRule(t *testing.T) {
	valid := model.Rule{ID: 1, Action: model.ActionAutoPopup, RegexURL: `/contact(us)?`, AutoPopupTimer: 2, Countries: []string{"BE", "FR"}}
	with := func(f func(*model.Rule)) model.Rule {
		r := valid
		f(&r)
		return r
	}
	tests := []struct {
		name      string
		rule      model.Rule
		field     string // "" for no error
		msgPrefix string
		msgHas    string
	}{
		{name: "valid", rule: valid},
		{name: "valid minimal", rule: model.Rule{Action: model.ActionHide}},
		{name: "zero timer", rule: with(func(r *model.Rule) { r.AutoPopupTimer = 0 })},
		{name: "empty action", rule: with(func(r *model.Rule) { r.Action = "" }),
			field: "action", msgPrefix: `Unknown action ""`, msgHas: "display_button, display_button_and_text, auto_popup, hide_button"},
		{name: "unknown action", rule: with(func(r *model.Rule) { r.Action = "popup" }),
			field: "action", msgPrefix: `Unknown action "popup"`},
		{name: "negative timer", rule: with(func(r *model.Rule) { r.AutoPopupTimer = -1 }),
			field: "auto_popup_timer", msgHas: "-1"},
		{name: "timer over a day", rule: with(func(r *model.Rule) { r.AutoPopupTimer = 99999999999 }),
			field: "auto_popup_timer", msgHas: "at most 86400"},
		{name: "timer of a day", rule: with(func(r *model.Rule) { r.AutoPopupTimer = MaxAutoPopupTimer })},
		{name: "unclosed group", rule: with(func(r *model.Rule) { r.RegexURL = "/shop(" }),
			field: "regex_url", msgPrefix: "Invalid URL regex: error parsing regexp: missing closing ): "},
		{name: "python-only lookahead", rule: with(func(r *model.Rule) { r.RegexURL = "/shop(?!/cart)" }),
			field: "regex_url", msgPrefix: "Invalid URL regex: error parsing regexp: "},
		{name: "unknown country", rule: with(func(r *model.Rule) { r.Countries = []string{"BE", "XX"} }),
			field: "countries", msgPrefix: `Unknown country code "XX"`},
		{name: "lower-case country", rule: with(func(r *model.Rule) { r.Countries = []string{"be"} }),
			field: "countries", msgPrefix: `Unknown country code "be"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRule(tt.rule)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("ValidateRule = %v, want nil", err)
				}
				return
			}
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("ValidateRule = %v (%T), want *RuleError", err, err)
			}
			if re.Field != tt.field {
				t.Errorf("Field = %q, want %q (message %q)", re.Field, tt.field, re.Message)
			}
			if text := re.Text(); !strings.HasPrefix(text, tt.msgPrefix) || !strings.Contains(text, tt.msgHas) {
				t.Errorf("Text() = %q, want prefix %q containing %q", text, tt.msgPrefix, tt.msgHas)
			}
			if want := re.Field + ": " + re.Text(); err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestRuleActions(t *testing.T) {
	want := []struct {
		action model.RuleAction
		label  string
	}{
		{model.ActionShow, "Show"},
		{model.ActionShowWithText, "Show with notification"},
		{model.ActionAutoPopup, "Open automatically"},
		{model.ActionHide, "Hide"},
	}
	if len(model.RuleActions) != len(want) {
		t.Fatalf("RuleActions has %d entries, want %d", len(model.RuleActions), len(want))
	}
	for i, w := range want {
		a := model.RuleActions[i]
		if a != w.action || !a.Valid() || a.Label() != w.label {
			t.Errorf("RuleActions[%d] = %q (valid %v, label %q), want %q labelled %q", i, a, a.Valid(), a.Label(), w.action, w.label)
		}
	}
	if bad := model.RuleAction("show"); bad.Valid() || bad.Label() != "" {
		t.Errorf("RuleAction(%q) valid=%v label=%q, want invalid without label", bad, bad.Valid(), bad.Label())
	}
}

// benchRules is a plausible busy channel: 20 rules, country rules first, and
// the page view only matches near the end.
func benchRules() []model.Rule {
	var rules []model.Rule
	for i := range 8 {
		rules = append(rules, model.Rule{
			ID: int64(i + 1), Sequence: i, Action: model.ActionShow,
			RegexURL:  fmt.Sprintf(`^https://shop\.example\.com/category/%d(/|$)`, i),
			Countries: []string{"FR", "DE", "BE"},
		})
	}
	for i := range 11 {
		rules = append(rules, model.Rule{
			ID: int64(i + 20), Sequence: i, Action: model.ActionAutoPopup, AutoPopupTimer: 5,
			RegexURL: fmt.Sprintf(`/(en|fr|nl)/landing-%d\?utm_source=`, i),
		})
	}
	rules = append(rules, model.Rule{ID: 99, Sequence: 100, Action: model.ActionShow, RegexURL: "/contactus"})
	return rules
}

func BenchmarkMatch(b *testing.B) {
	rs := mustCompile(b, benchRules())
	url := "https://www.example.com/fr/contactus?utm_source=newsletter&utm_medium=email"
	if r := rs.Match(url, "BE"); ruleID(r) != 99 {
		b.Fatalf("Match = rule %d, want 99", ruleID(r))
	}
	b.ReportAllocs()
	for b.Loop() {
		rs.Match(url, "BE")
	}
}

// Rules see only the first MaxPageURL characters of a page URL: a 900 KB
// URL matched against every rule used to cost half a second of CPU.
func TestDecideClipsLongURLs(t *testing.T) {
	rs := mustCompile(t, []model.Rule{
		{ID: 1, Sequence: 1, Action: model.ActionHide, RegexURL: "tail-marker"},
		{ID: 2, Sequence: 2, Action: model.ActionAutoPopup, RegexURL: "/shop"},
	})
	head := "https://example.com/shop?q="
	long := head + strings.Repeat("é", MaxPageURL) + "tail-marker" + strings.Repeat("x", 900_000)
	if got := Decide(rs, long, "", 1, nil); ruleID(got.Rule) != 2 {
		t.Fatalf(`Decide on a 900 KB URL matched rule %d, want 2: what lies past %d characters is not matched`, ruleID(got.Rule), MaxPageURL)
	}
	short := head + "tail-marker"
	if got := Decide(rs, short, "", 1, nil); ruleID(got.Rule) != 1 {
		t.Fatalf(`Decide on a short URL matched rule %d, want 1`, ruleID(got.Rule))
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"ééé", 3, "ééé"}, // 6 bytes, 3 characters
		{"éééé", 2, "éé"},
		{"a€b", 2, "a€"},
		{"", 2, ""},
	}
	for _, tt := range tests {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf(`clip(%q, %d) = %q, want %q`, tt.in, tt.n, got, tt.want)
		}
	}
}

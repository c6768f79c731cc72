package livechat

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"parley/app/geo"
	"parley/app/model"
)

// RuleError reports why a channel rule cannot be saved. Field is the rule's
// API field name (action, auto_popup_timer, regex_url, countries) so that
// forms and the admin API can show the message next to the right input.
type RuleError = model.FieldError

// MaxAutoPopupTimer bounds the "Open automatically" delay, in seconds.
const MaxAutoPopupTimer = 86400

// ValidateRule checks a rule before it is saved. It normalizes nothing:
// country codes must already be upper case (see geo.NormalizeCountry).
func ValidateRule(r model.Rule) error {
	_, err := checkRule(r)
	return err
}

// checkRule validates r and returns its compiled regexp (nil when RegexURL is
// empty), so that CompileRules does not compile twice.
func checkRule(r model.Rule) (*regexp.Regexp, error) {
	if !r.Action.Valid() {
		names := make([]string, len(model.RuleActions))
		for i, a := range model.RuleActions {
			names[i] = string(a)
		}
		return nil, &RuleError{Field: "action", Message: "Unknown action %q; use one of %s.", Args: []any{string(r.Action), strings.Join(names, ", ")}}
	}
	if r.AutoPopupTimer > MaxAutoPopupTimer {
		// Browsers' timers overflow past about 24 days and fire at once;
		// a day is far beyond any useful delay.
		return nil, &RuleError{Field: "auto_popup_timer", Message: "The auto-open timer must be at most %d seconds (a day), not %d.", Args: []any{MaxAutoPopupTimer, r.AutoPopupTimer}}
	}
	if r.AutoPopupTimer < 0 {
		return nil, &RuleError{Field: "auto_popup_timer", Message: "The auto-open timer must be 0 or more seconds, not %d.", Args: []any{r.AutoPopupTimer}}
	}
	var re *regexp.Regexp
	if r.RegexURL != "" {
		var err error
		if re, err = regexp.Compile(r.RegexURL); err != nil {
			// Odoo only fails at match time; refusing at save time with the
			// parser's own words tells the admin what to fix.
			return nil, &RuleError{Field: "regex_url", Message: "Invalid URL regex: %s", Args: []any{err.Error()}}
		}
	}
	for _, c := range r.Countries {
		if !geo.ValidCountry(c) {
			return nil, &RuleError{Field: "countries", Message: "Unknown country code %q; use an upper-case ISO 3166-1 alpha-2 code such as BE.", Args: []any{c}}
		}
	}
	return re, nil
}

// RuleSet is the compiled, ordered rule list of one channel. It is built once
// when the rules change and read on every visitor page view, so matching
// neither compiles nor allocates. A RuleSet is immutable and safe for
// concurrent use; a nil *RuleSet matches nothing.
type RuleSet struct {
	// Odoo looks at the rules for the visitor's country before the others,
	// so the two groups are kept apart, each in matching order.
	byCountry  []compiledRule
	anyCountry []compiledRule
}

type compiledRule struct {
	rule model.Rule
	// re is nil for an empty regex (matches every URL) and for a plain
	// literal, which literal then matches with strings.Contains.
	re      *regexp.Regexp
	literal string
}

func (c *compiledRule) matchURL(url string) bool {
	if c.re == nil {
		return strings.Contains(url, c.literal)
	}
	return c.re.MatchString(url)
}

// CompileRules validates and compiles rules into a RuleSet ordered by
// (Sequence, ID). The rules are copied; later changes to them have no effect.
func CompileRules(rules []model.Rule) (*RuleSet, error) {
	rs := &RuleSet{}
	for _, r := range rules {
		re, err := checkRule(r)
		if err != nil {
			return nil, fmt.Errorf("livechat: compile rule %d: %w", r.ID, err)
		}
		r.Countries = slices.Clone(r.Countries)
		c := compiledRule{rule: r, re: re}
		if re != nil {
			// LiteralPrefix also calls ^/contactus$ "complete", dropping
			// its anchors; only a pattern that is nothing but the quoted
			// literal may be matched with strings.Contains.
			if lit, complete := re.LiteralPrefix(); complete && r.RegexURL == regexp.QuoteMeta(lit) {
				c.re, c.literal = nil, lit
			}
		}
		if len(r.Countries) > 0 {
			rs.byCountry = append(rs.byCountry, c)
		} else {
			rs.anyCountry = append(rs.anyCountry, c)
		}
	}
	byOrder := func(a, b compiledRule) int {
		return cmp.Or(cmp.Compare(a.rule.Sequence, b.rule.Sequence), cmp.Compare(a.rule.ID, b.rule.ID))
	}
	slices.SortFunc(rs.byCountry, byOrder)
	slices.SortFunc(rs.anyCountry, byOrder)
	return rs, nil
}

// Match returns the first rule, in (Sequence, ID) order, whose regex is found
// anywhere in url, looking first at the rules listing country and then at the
// rules without countries. Rules for other countries are never considered, and
// with country "" only country-less rules are. It returns nil when no rule
// matches. The returned rule belongs to the RuleSet and must not be modified.
func (rs *RuleSet) Match(url, country string) *model.Rule {
	if rs == nil {
		return nil
	}
	if country != "" {
		for i := range rs.byCountry {
			c := &rs.byCountry[i]
			if slices.Contains(c.rule.Countries, country) && c.matchURL(url) {
				return &c.rule
			}
		}
	}
	for i := range rs.anyCountry {
		c := &rs.anyCountry[i]
		if c.matchURL(url) {
			return &c.rule
		}
	}
	return nil
}

// Decision is what the widget is told for one page view.
type Decision struct {
	// Available says whether the widget is offered at all.
	Available bool
	// Rule is the matched rule, nil for the default behaviour (show the
	// button when an operator is online). It belongs to the RuleSet.
	Rule *model.Rule
	// Chatbot is the chatbot script to start, 0 for none.
	Chatbot int64
}

// Decide applies a channel's rules to a page view: the rule matched for url
// and country, the chatbot it brings if that chatbot is usable now, and
// whether the widget is available. chatbotUsable reports whether a chatbot
// script can run (active, with steps); nil means no chatbot is usable.
//
// A rule whose chatbot cannot run, or whose chatbot is only for when no
// operator is online while some are, still applies without the chatbot,
// rather than being skipped for the next rule. A usable chatbot makes the
// widget available even with no operator online and even on a hide rule.
//
// Rules see at most the first MaxPageURL characters of url, as much as a
// session keeps: matching every rule against a 900 KB URL used to cost
// half a second of CPU.
func Decide(rs *RuleSet, url, country string, operatorsOnline int, chatbotUsable func(id int64) bool) Decision {
	rule := rs.Match(clip(url, MaxPageURL), country)
	var bot int64
	if rule != nil && rule.ChatbotID != 0 && chatbotUsable != nil &&
		!(rule.ChatbotOnlyIfNoOperator && operatorsOnline > 0) &&
		chatbotUsable(rule.ChatbotID) {
		bot = rule.ChatbotID
	}
	return Decision{
		Available: bot != 0 || (operatorsOnline > 0 && (rule == nil || rule.Action != model.ActionHide)),
		Rule:      rule,
		Chatbot:   bot,
	}
}

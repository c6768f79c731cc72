// Package model holds the plain data types shared by Parley's packages.
package model

// RuleAction is what the widget does on pages matched by a channel rule.
// The values are Odoo's, so exported rule lists read the same in both.
type RuleAction string

// The rule actions, in the order the rule form lists them.
const (
	ActionShow         RuleAction = "display_button"          // "Show"
	ActionShowWithText RuleAction = "display_button_and_text" // "Show with notification"
	ActionAutoPopup    RuleAction = "auto_popup"              // "Open automatically"
	ActionHide         RuleAction = "hide_button"             // "Hide"
)

// RuleActions lists every valid action in UI order.
var RuleActions = []RuleAction{ActionShow, ActionShowWithText, ActionAutoPopup, ActionHide}

// Valid reports whether a is one of RuleActions.
func (a RuleAction) Valid() bool {
	switch a {
	case ActionShow, ActionShowWithText, ActionAutoPopup, ActionHide:
		return true
	}
	return false
}

// Label returns the English UI label ("Show", "Show with notification",
// "Open automatically", "Hide"), or "" for an invalid action.
func (a RuleAction) Label() string {
	switch a {
	case ActionShow:
		return "Show"
	case ActionShowWithText:
		return "Show with notification"
	case ActionAutoPopup:
		return "Open automatically"
	case ActionHide:
		return "Hide"
	}
	return ""
}

// Rule decides how a channel's widget behaves on the pages whose URL it
// matches, optionally only for visitors from some countries.
type Rule struct {
	ID        int64
	ChannelID int64
	// Sequence is the matching order, lowest first; ties go to the lower ID.
	Sequence int
	Action   RuleAction
	// RegexURL is a Go (RE2) regexp searched anywhere in the page URL;
	// "" matches every URL.
	RegexURL string
	// AutoPopupTimer is the delay in seconds (>= 0) before the chat window
	// opens; only ActionAutoPopup uses it.
	AutoPopupTimer int
	// ChatbotID is the chatbot script started by this rule, 0 for none.
	ChatbotID int64
	// ChatbotOnlyIfNoOperator runs the chatbot only while no operator of the
	// channel is online.
	ChatbotOnlyIfNoOperator bool
	// Countries holds upper-case ISO 3166-1 alpha-2 codes; empty means the
	// rule applies whatever the visitor's country.
	Countries []string
}

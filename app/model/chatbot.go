package model

import "time"

// StepType is what a chatbot script step does. The values are Odoo's, so
// exported scripts read the same in both.
type StepType string

// The step types, in the order the step dialog lists them.
const (
	StepText           StepType = "text"
	StepQuestion       StepType = "question_selection"
	StepEmail          StepType = "question_email"
	StepPhone          StepType = "question_phone"
	StepForward        StepType = "forward_operator"
	StepFreeInput      StepType = "free_input_single"
	StepFreeInputMulti StepType = "free_input_multi"
	StepCreateLead     StepType = "create_lead"
	StepCreateTicket   StepType = "create_ticket"
)

// StepTypes lists every step type in UI order.
var StepTypes = []StepType{StepText, StepQuestion, StepEmail, StepPhone, StepForward, StepFreeInput, StepFreeInputMulti, StepCreateLead, StepCreateTicket}

// Valid reports whether t is one of StepTypes.
func (t StepType) Valid() bool {
	for _, v := range StepTypes {
		if v == t {
			return true
		}
	}
	return false
}

// Label returns the English UI label of a step type.
func (t StepType) Label() string {
	switch t {
	case StepText:
		return "Text"
	case StepQuestion:
		return "Question"
	case StepEmail:
		return "Email"
	case StepPhone:
		return "Phone"
	case StepForward:
		return "Forward to Operator"
	case StepFreeInput:
		return "Free Input"
	case StepFreeInputMulti:
		return "Free Input (Multi-Line)"
	case StepCreateLead:
		return "Create Lead"
	case StepCreateTicket:
		return "Create Ticket"
	}
	return ""
}

// Waits reports whether a step of this type waits for the visitor.
func (t StepType) Waits() bool {
	switch t {
	case StepQuestion, StepEmail, StepPhone, StepFreeInput, StepFreeInputMulti:
		return true
	}
	return false
}

// Texts holds one text per language tag ("en", "es"); the chatbot's
// default language is the one every text must have.
type Texts map[string]string

// In returns the text in lang, else in fallback.
func (t Texts) In(lang, fallback string) string {
	if s := t[lang]; s != "" {
		return s
	}
	return t[fallback]
}

// Chatbot is a script a bot plays to visitors on the pages of the rules
// that name it.
type Chatbot struct {
	ID       int64
	Name     string
	Active   bool
	Language string // default language: every text has it
	// ImageType is the uploaded image's content type, "" for the
	// generated avatar.
	ImageType string
	Steps     []ChatbotStep
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ChatbotStep is one step of a script, in script order.
type ChatbotStep struct {
	ID      int64
	Type    StepType
	Message Texts
	Answers []ChatbotAnswer // questions only
	// OnlyIf holds answer IDs of earlier questions: the step plays only
	// when, for every question they belong to, one of them was chosen.
	OnlyIf []int64
	// TeamID is the sales team (create_lead) or helpdesk team
	// (create_ticket) the record goes to; 0 for none.
	TeamID int64
}

// ChatbotAnswer is one answer a visitor may click on a question step.
type ChatbotAnswer struct {
	ID           int64
	Label        Texts
	RedirectLink string // the visitor's page goes there when clicked
}

// ChatbotSummary is a chatbot as lists show it.
type ChatbotSummary struct {
	ID        int64
	Name      string
	Active    bool
	Steps     int
	Rules     int // rules that name it
	ImageType string
}

// StepView is the step a bot message asks, as the widget renders it
// (answers in the visitor's language, fixed when the message was said).
type StepView struct {
	Type    StepType     `json:"type"`
	Answers []AnswerView `json:"answers"`
}

// AnswerView is one clickable answer of a question message.
type AnswerView struct {
	ID           int64  `json:"id"`
	Label        string `json:"label"`
	RedirectLink string `json:"redirect_link"`
}

// ChatbotState is where a session stands in its chatbot script.
type ChatbotState string

// Chatbot states of a session.
const (
	BotNone      ChatbotState = ""          // no chatbot
	BotRunning   ChatbotState = "running"   // waiting on StepID
	BotEnded     ChatbotState = "ended"     // no step left: the widget offers Restart
	BotForwarded ChatbotState = "forwarded" // an operator took over
)

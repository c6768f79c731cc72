// Package chatbot owns chatbot scripts: the step engine (script + answers
// so far → the steps to play), the script checker, YAML export and import,
// and the runtime that plays scripts to visitors behind livechat's bot seam.
package chatbot

import (
	"errors"
	"net/mail"
	"strings"

	"parley/app/model"
)

// Position is where a session stands in its script; it is stored, so a
// restart resumes mid-script.
type Position struct {
	State   model.ChatbotState
	StepID  int64   // the step waiting for the visitor, while running
	Answers []int64 // answers chosen since the start or the last restart
	Email   string  // the address given at the last Email step
	Phone   string  // the number given at the last Phone step
}

// Runner carries out what the script says, in script order.
type Runner interface {
	// Say posts a step's message (with its answers, for a question).
	Say(step *model.ChatbotStep) error
	// Forward hands the conversation to an available operator (posting the
	// step's message when one takes it); false: nobody is available.
	Forward(step *model.ChatbotStep) (bool, error)
	// Create makes the lead or ticket of a create step, after Say, with
	// the email and phone collected so far.
	Create(step *model.ChatbotStep, pos Position) error
	// Retry tells the visitor their input does not fit the step (an email
	// that is not an address); the step stays current.
	Retry(step *model.ChatbotStep, input string) error
}

// Input is what a visitor sent while the bot waits: an answer's id for a
// question, text otherwise.
type Input struct {
	AnswerID int64
	Text     string
}

// Refusals of visitor input, for the request path: the message is not
// stored and the visitor is told why.
var (
	ErrNotCurrent    = errors.New("chatbot: this answer belongs to an earlier question")
	ErrUnknownAnswer = errors.New("chatbot: unknown answer")
	ErrChooseAnswer  = errors.New("chatbot: choose one of the answers")
	ErrTextExpected  = errors.New("chatbot: this step takes typed text, not an answer")
	ErrEnded         = errors.New("chatbot: the conversation ended")
)

// Start plays a script from its first step until a step waits for the
// visitor (the welcome steps), an operator takes over or the script ends.
func Start(sc *model.Chatbot, r Runner) (Position, error) {
	return play(sc, Position{State: model.BotRunning}, -1, r)
}

// Check vets a visitor's input against the step waiting for it, without
// changing anything. It returns the answer for a question.
func Check(sc *model.Chatbot, pos Position, in Input) (*model.ChatbotAnswer, error) {
	if pos.State != model.BotRunning {
		if in.AnswerID != 0 {
			return nil, ErrNotCurrent
		}
		return nil, ErrEnded
	}
	i := stepIndex(sc, pos.StepID)
	if i < 0 {
		return nil, ErrEnded
	}
	st := &sc.Steps[i]
	if in.AnswerID == 0 {
		if st.Type == model.StepQuestion {
			return nil, ErrChooseAnswer
		}
		return nil, nil
	}
	for j := range st.Answers {
		if st.Answers[j].ID == in.AnswerID {
			return &st.Answers[j], nil
		}
	}
	for _, o := range sc.Steps {
		for _, a := range o.Answers {
			if a.ID == in.AnswerID {
				return nil, ErrNotCurrent
			}
		}
	}
	if st.Type != model.StepQuestion {
		return nil, ErrTextExpected
	}
	return nil, ErrUnknownAnswer
}

// Reply takes the visitor's input to the waiting step and plays on: the
// next steps whose "Only If" the answers so far satisfy. An email that is
// not an address is answered by Retry and the step stays current.
func Reply(sc *model.Chatbot, pos Position, in Input, r Runner) (Position, error) {
	a, err := Check(sc, pos, in)
	if err != nil {
		return pos, err
	}
	i := stepIndex(sc, pos.StepID)
	st := &sc.Steps[i]
	switch st.Type {
	case model.StepEmail:
		email, ok := ValidEmail(in.Text)
		if !ok {
			return pos, r.Retry(st, in.Text)
		}
		pos.Email = email
	case model.StepPhone:
		pos.Phone = strings.TrimSpace(in.Text)
	}
	if a != nil {
		pos.Answers = append(append([]int64(nil), pos.Answers...), a.ID)
	}
	return play(sc, pos, i, r)
}

// play runs the steps after index from until one waits or none is left.
func play(sc *model.Chatbot, pos Position, from int, r Runner) (Position, error) {
	for {
		i := Next(sc, from, pos.Answers)
		if i < 0 {
			pos.State, pos.StepID = model.BotEnded, 0
			return pos, nil
		}
		st := &sc.Steps[i]
		pos.StepID = st.ID
		switch {
		case st.Type == model.StepForward:
			found, err := r.Forward(st)
			if err != nil {
				return pos, err
			}
			if found {
				pos.State = model.BotForwarded
				return pos, nil
			}
		case st.Type == model.StepCreateLead || st.Type == model.StepCreateTicket:
			if err := r.Say(st); err != nil {
				return pos, err
			}
			if err := r.Create(st, pos); err != nil {
				return pos, err
			}
		default:
			if err := r.Say(st); err != nil {
				return pos, err
			}
			if st.Type.Waits() {
				return pos, nil
			}
		}
		from = i
	}
}

// Next returns the index of the first step after index after whose "Only
// If" is satisfied by chosen, or -1. "Only If" answers are grouped by the
// question they belong to: one answer of a group suffices (OR), and every
// group must be satisfied (AND), as Odoo really behaves.
func Next(sc *model.Chatbot, after int, chosen []int64) int {
	questionOf := map[int64]int{}
	for i, st := range sc.Steps {
		for _, a := range st.Answers {
			questionOf[a.ID] = i
		}
	}
	picked := map[int64]bool{}
	for _, id := range chosen {
		picked[id] = true
	}
	for i := after + 1; i < len(sc.Steps); i++ {
		if satisfied(sc.Steps[i].OnlyIf, questionOf, picked) {
			return i
		}
	}
	return -1
}

func satisfied(onlyIf []int64, questionOf map[int64]int, picked map[int64]bool) bool {
	groups := map[int]bool{}
	for _, a := range onlyIf {
		q, ok := questionOf[a]
		if !ok {
			continue // an answer that no longer exists constrains nothing
		}
		groups[q] = groups[q] || picked[a]
	}
	for _, ok := range groups {
		if !ok {
			return false
		}
	}
	return true
}

func stepIndex(sc *model.Chatbot, id int64) int {
	for i := range sc.Steps {
		if sc.Steps[i].ID == id {
			return i
		}
	}
	return -1
}

// Step returns the step with that id, or nil.
func Step(sc *model.Chatbot, id int64) *model.ChatbotStep {
	if i := stepIndex(sc, id); i >= 0 {
		return &sc.Steps[i]
	}
	return nil
}

// ValidEmail returns the address in s ("Name <a@b.example>" gives
// "a@b.example"), lower-cased, when s is exactly one address whose domain
// has a dot.
func ValidEmail(s string) (string, bool) {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil {
		return "", false
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 {
		return "", false
	}
	domain := a.Address[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", false
	}
	return strings.ToLower(a.Address), true
}

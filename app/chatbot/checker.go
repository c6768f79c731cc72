package chatbot

import (
	"fmt"
	"slices"

	"parley/app/model"
)

// ProblemKind names what the script checker found.
type ProblemKind string

// What the checker looks for, before visitors run into it.
const (
	// DeadEnd: after this answer no step can ever play, so the
	// conversation stops with the visitor's click.
	DeadEnd ProblemKind = "dead_end"
	// Unreachable: no way through the script reaches this step.
	Unreachable ProblemKind = "unreachable"
	// NoAnswers: a question the visitor cannot answer.
	NoAnswers ProblemKind = "no_answers"
	// ForwardLast: when nobody is available, nothing follows the forward.
	ForwardLast ProblemKind = "forward_last"
	// NoInteraction: the script forwards (or creates a record) before the
	// visitor said anything.
	NoInteraction ProblemKind = "no_interaction"
)

// Problem is one thing the checker found, at a step (and an answer).
type Problem struct {
	Kind     ProblemKind
	Step     int // index in the script
	StepID   int64
	AnswerID int64 // DeadEnd only
}

// maxWalks bounds the checker on scripts with very many question
// combinations; every script a person writes is far below it.
const maxWalks = 20000

// CheckScript lists the script's problems in script order. It walks every
// way a visitor can go through the script (each answer of each question,
// and both outcomes of each forward) with the engine itself, so it flags
// exactly what visitors would meet.
func CheckScript(sc *model.Chatbot) []Problem {
	var out []Problem
	seen := map[string]bool{}
	add := func(p Problem) {
		key := fmt.Sprintf("%s/%d/%d", p.Kind, p.Step, p.AnswerID)
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	for i, st := range sc.Steps {
		if st.Type == model.StepQuestion && len(st.Answers) == 0 {
			add(Problem{Kind: NoAnswers, Step: i, StepID: st.ID})
		}
	}
	reached := make([]bool, len(sc.Steps))
	walks := 0
	var walk func(from int, chosen []int64, interacted bool)
	walk = func(from int, chosen []int64, interacted bool) {
		if walks++; walks > maxWalks {
			return
		}
		for {
			i := Next(sc, from, chosen)
			if i < 0 {
				return
			}
			reached[i] = true
			st := &sc.Steps[i]
			switch st.Type {
			case model.StepQuestion:
				for _, a := range st.Answers {
					next := append(slices.Clone(chosen), a.ID)
					if Next(sc, i, next) < 0 {
						add(Problem{Kind: DeadEnd, Step: i, StepID: st.ID, AnswerID: a.ID})
					}
					walk(i, next, true)
				}
				return
			case model.StepForward, model.StepCreateLead, model.StepCreateTicket:
				if !interacted {
					add(Problem{Kind: NoInteraction, Step: i, StepID: st.ID})
				}
				if st.Type == model.StepForward && Next(sc, i, chosen) < 0 {
					add(Problem{Kind: ForwardLast, Step: i, StepID: st.ID})
				}
			}
			if st.Type.Waits() {
				interacted = true
			}
			from = i
		}
	}
	walk(-1, nil, false)
	if walks <= maxWalks {
		for i, ok := range reached {
			if !ok {
				add(Problem{Kind: Unreachable, Step: i, StepID: sc.Steps[i].ID})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Problem) int { return a.Step - b.Step })
	return out
}

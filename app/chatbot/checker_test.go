package chatbot

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"parley/app/model"
)

func text(id int64, msg string, onlyIf ...int64) model.ChatbotStep {
	return model.ChatbotStep{ID: id, Type: model.StepText, Message: model.Texts{"en": msg}, OnlyIf: onlyIf}
}

func question(id int64, answers ...int64) model.ChatbotStep {
	st := model.ChatbotStep{ID: id, Type: model.StepQuestion, Message: model.Texts{"en": "?"}}
	for _, a := range answers {
		st.Answers = append(st.Answers, model.ChatbotAnswer{ID: a, Label: model.Texts{"en": fmt.Sprint(a)}})
	}
	return st
}

func step(id int64, typ model.StepType) model.ChatbotStep {
	return model.ChatbotStep{ID: id, Type: typ, Message: model.Texts{"en": string(typ)}}
}

func TestCheckerFlagsEachProblemKind(t *testing.T) {
	cases := []struct {
		name  string
		steps []model.ChatbotStep
		want  []string // kind@step index(/answer)
	}{
		{"the welcome bot is clean", welcomeBot(t).Steps, nil},
		{"dead end after an answer",
			[]model.ChatbotStep{question(1, 11, 12), text(2, "only for 11", 11)},
			[]string{"dead_end@0/12"}},
		{"unreachable step",
			// Question 2 is asked only after 12, so 11 and 21 never meet;
			// and after 21 nothing can follow.
			[]model.ChatbotStep{question(1, 11, 12), withOnlyIf(question(2, 21), 12), text(3, "never", 11, 21)},
			[]string{"dead_end@0/11", "dead_end@1/21", "unreachable@2"}},
		{"question without answers",
			[]model.ChatbotStep{text(1, "hi"), question(2), text(3, "bye")},
			[]string{"no_answers@1", "unreachable@2"}},
		{"forward with nothing after it",
			[]model.ChatbotStep{step(1, model.StepEmail), step(2, model.StepForward)},
			[]string{"forward_last@1"}},
		{"forward before any interaction",
			[]model.ChatbotStep{text(1, "hi"), step(2, model.StepForward), step(3, model.StepEmail)},
			[]string{"no_interaction@1"}},
		{"create lead before any interaction",
			[]model.ChatbotStep{step(1, model.StepCreateLead), step(2, model.StepEmail)},
			[]string{"no_interaction@0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, p := range CheckScript(&model.Chatbot{Language: "en", Steps: c.steps}) {
				s := fmt.Sprintf("%s@%d", p.Kind, p.Step)
				if p.AnswerID != 0 {
					s += fmt.Sprintf("/%d", p.AnswerID)
				}
				got = append(got, s)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("problems %q, want %q", got, c.want)
			}
		})
	}
}

func withOnlyIf(st model.ChatbotStep, ids ...int64) model.ChatbotStep {
	st.OnlyIf = ids
	return st
}

func TestEdgesOfTheWelcomeBot(t *testing.T) {
	sc := welcomeBot(t)
	var got []string
	for _, e := range Edges(sc) {
		s := fmt.Sprintf("%d>%d", e.From+1, e.To+1)
		if e.AnswerID != 0 {
			s += "/answer"
		}
		if e.NoOperator {
			s += "/none"
		}
		got = append(got, s)
	}
	want := []string{"1>2", "2>3/answer", "2>7/answer", "2>9/answer", "3>4", "4>5/none", "5>6", "7>8"}
	if !slices.Equal(got, want) {
		t.Fatalf("edges %q, want %q", got, want)
	}
	svg := FlowSVG(sc, "es", func(t model.StepType) string { return t.Label() }, "nadie")
	for _, w := range []string{`href="#step-9"`, "¿Qué está buscando?", "Tengo una pregunta sobre precios", "nadie"} {
		if !strings.Contains(svg, w) {
			t.Errorf("the flow picture lacks %q", w)
		}
	}
}

package chatbot

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"parley/app/model"
)

// recorder is the test's side of the script: it notes what the engine
// asks for and answers Forward as the case says.
type recorder struct {
	said      []string
	operator  bool
	forwarded int
	created   []model.StepType
	email     string
	retries   []string
}

func (r *recorder) Say(st *model.ChatbotStep) error {
	r.said = append(r.said, st.Message["en"])
	return nil
}

func (r *recorder) Forward(st *model.ChatbotStep) (bool, error) {
	r.forwarded++
	return r.operator, nil
}

func (r *recorder) Create(st *model.ChatbotStep, pos Position) error {
	r.created = append(r.created, st.Type)
	r.email = pos.Email
	return nil
}

func (r *recorder) Retry(st *model.ChatbotStep, input string) error {
	r.retries = append(r.retries, input)
	return nil
}

func welcomeBot(t *testing.T) *model.Chatbot {
	t.Helper()
	bots, err := DefaultChatbots()
	if err != nil {
		t.Fatal(err)
	}
	return bots[0]
}

func answerID(t *testing.T, sc *model.Chatbot, label string) int64 {
	t.Helper()
	for _, st := range sc.Steps {
		for _, a := range st.Answers {
			if a.Label["en"] == label {
				return a.ID
			}
		}
	}
	t.Fatalf("no answer %q", label)
	return 0
}

func TestWelcomeBotWalkThroughs(t *testing.T) {
	const (
		welcome   = "Welcome to CompanyName! 👋"
		dispatch  = "What are you looking for?"
		checking  = "Hmmm, let me check if I can find someone that could help you with that..."
		noone     = "Hu-ho, it looks like none of our operators are available 🙁"
		email     = "Would you mind leaving your email address so that we can reach you back?"
		tada      = "And tadaaaa here you go! 🌟"
		exit      = "If you need anything else, feel free to get back in touch"
		justLook  = "Please do! If there is anything we can help with, let us know"
		pricing   = "I have a pricing question"
		docs      = "I am looking for your documentation"
		looking   = "I am just looking around"
		visitorAt = "visitor@example.com"
	)
	cases := []struct {
		name      string
		answer    string
		operator  bool
		thenEmail string // typed at the email step, when the script asks
		said      []string
		state     model.ChatbotState
		forwarded int
	}{
		{"pricing, operator available", pricing, true, "", []string{checking}, model.BotForwarded, 1},
		{"pricing, nobody available", pricing, false, visitorAt, []string{checking, noone, email}, model.BotEnded, 1},
		{"documentation, operator available", docs, true, "", []string{tada, exit}, model.BotEnded, 0},
		{"documentation, nobody available", docs, false, "", []string{tada, exit}, model.BotEnded, 0},
		{"just looking, operator available", looking, true, "", []string{justLook}, model.BotEnded, 0},
		{"just looking, nobody available", looking, false, "", []string{justLook}, model.BotEnded, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := welcomeBot(t)
			r := &recorder{operator: c.operator}
			pos, err := Start(sc, r)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.said, []string{welcome, dispatch}) || pos.State != model.BotRunning || pos.StepID != sc.Steps[1].ID {
				t.Fatalf("welcome steps: said %q, position %+v", r.said, pos)
			}
			r.said = nil
			pos, err = Reply(sc, pos, Input{AnswerID: answerID(t, sc, c.answer)}, r)
			if err != nil {
				t.Fatal(err)
			}
			if c.thenEmail != "" {
				if pos.State != model.BotRunning || Step(sc, pos.StepID).Type != model.StepEmail {
					t.Fatalf("want the email step waiting, got %+v", pos)
				}
				pos, err = Reply(sc, pos, Input{Text: c.thenEmail}, r)
				if err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(r.said, c.said) {
				t.Errorf("said %q, want %q", r.said, c.said)
			}
			if pos.State != c.state || r.forwarded != c.forwarded {
				t.Errorf("state %q after %d forwards, want %q after %d", pos.State, r.forwarded, c.state, c.forwarded)
			}
		})
	}
}

func TestEmailStepRetriesUntilAnAddress(t *testing.T) {
	sc := welcomeBot(t)
	r := &recorder{}
	pos, _ := Start(sc, r)
	pos, _ = Reply(sc, pos, Input{AnswerID: answerID(t, sc, "I have a pricing question")}, r)
	emailStep := pos.StepID
	for _, bad := range []string{"not an email", "a@b", "two@x.com, three@y.com", "@example.com"} {
		var err error
		pos, err = Reply(sc, pos, Input{Text: bad}, r)
		if err != nil || pos.StepID != emailStep || pos.State != model.BotRunning {
			t.Fatalf("%q: position %+v, err %v; want the email step still waiting", bad, pos, err)
		}
	}
	if len(r.retries) != 4 {
		t.Fatalf("retries %q", r.retries)
	}
	pos, _ = Reply(sc, pos, Input{Text: "Ana <Ana@Example.com>"}, r)
	if pos.State != model.BotEnded {
		t.Fatalf("a valid address ends the script, got %+v", pos)
	}
	if got, ok := ValidEmail("Ana <Ana@Example.com>"); !ok || got != "ana@example.com" {
		t.Fatalf("ValidEmail = %q, %v", got, ok)
	}
}

func TestOnlyIfIsOrWithinAQuestionAndAcrossQuestions(t *testing.T) {
	// Q1 (a1, a2), Q2 (b1, b2), then steps conditioned on them.
	sc := &model.Chatbot{Language: "en", Steps: []model.ChatbotStep{
		{ID: 1, Type: model.StepQuestion, Message: model.Texts{"en": "Q1"}, Answers: []model.ChatbotAnswer{{ID: 11}, {ID: 12}}},
		{ID: 2, Type: model.StepQuestion, Message: model.Texts{"en": "Q2"}, Answers: []model.ChatbotAnswer{{ID: 21}, {ID: 22}}},
		{ID: 3, Type: model.StepText, Message: model.Texts{"en": "a1 and b1"}, OnlyIf: []int64{11, 21}},
		{ID: 4, Type: model.StepText, Message: model.Texts{"en": "a1 or a2"}, OnlyIf: []int64{11, 12}},
		{ID: 5, Type: model.StepText, Message: model.Texts{"en": "(a2) and (b1 or b2)"}, OnlyIf: []int64{12, 21, 22}},
	}}
	cases := []struct {
		a, b int64
		said []string
	}{
		{11, 21, []string{"a1 and b1", "a1 or a2"}},
		{11, 22, []string{"a1 or a2"}},
		{12, 21, []string{"a1 or a2", "(a2) and (b1 or b2)"}},
		{12, 22, []string{"a1 or a2", "(a2) and (b1 or b2)"}},
	}
	for _, c := range cases {
		r := &recorder{}
		pos, _ := Start(sc, r)
		pos, _ = Reply(sc, pos, Input{AnswerID: c.a}, r)
		r.said = nil
		pos, err := Reply(sc, pos, Input{AnswerID: c.b}, r)
		if err != nil || !slices.Equal(r.said, c.said) || pos.State != model.BotEnded {
			t.Errorf("%d,%d: said %q (%v, %+v), want %q", c.a, c.b, r.said, err, pos, c.said)
		}
	}
}

func TestCheckRefusesInputThatDoesNotFit(t *testing.T) {
	sc := welcomeBot(t)
	r := &recorder{}
	pos, _ := Start(sc, r)
	pricing := answerID(t, sc, "I have a pricing question")
	cases := []struct {
		name string
		pos  Position
		in   Input
		want error
	}{
		{"text where a choice is expected", pos, Input{Text: "hello"}, ErrChooseAnswer},
		{"unknown answer", pos, Input{AnswerID: 99999}, ErrUnknownAnswer},
		{"ended", Position{State: model.BotEnded}, Input{Text: "hi"}, ErrEnded},
		{"answer after the end", Position{State: model.BotEnded}, Input{AnswerID: pricing}, ErrNotCurrent},
	}
	emailPos, _ := Reply(sc, pos, Input{AnswerID: pricing}, r)
	cases = append(cases,
		struct {
			name string
			pos  Position
			in   Input
			want error
		}{"answer to an earlier question", emailPos, Input{AnswerID: pricing}, ErrNotCurrent},
		struct {
			name string
			pos  Position
			in   Input
			want error
		}{"answer where text is expected", emailPos, Input{AnswerID: 99999}, ErrTextExpected})
	for _, c := range cases {
		if _, err := Check(sc, c.pos, c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if a, err := Check(sc, pos, Input{AnswerID: pricing}); err != nil || a.ID != pricing {
		t.Errorf("the current question's answer: %v, %v", a, err)
	}
}

func TestCreateStepsSayThenCreate(t *testing.T) {
	bots, _ := DefaultChatbots()
	sc := bots[1]
	r := &recorder{}
	pos, _ := Start(sc, r)
	if pos.State != model.BotRunning || Step(sc, pos.StepID).Type != model.StepFreeInputMulti {
		t.Fatalf("lead bot waits on the free input first, got %+v", pos)
	}
	pos, _ = Reply(sc, pos, Input{Text: "I want a quote"}, r)
	pos, _ = Reply(sc, pos, Input{Text: "Me <ME@example.com>"}, r)
	if pos.State != model.BotEnded || !slices.Equal(r.created, []model.StepType{model.StepCreateLead}) || r.email != "me@example.com" {
		t.Fatalf("state %q, created %v with %q", pos.State, r.created, r.email)
	}
	if last := r.said[len(r.said)-1]; !strings.HasPrefix(last, "Thank you") {
		t.Fatalf("the lead step's message comes last, got %q", last)
	}
}

func TestReorderDropsOnlyIfPointingLater(t *testing.T) {
	sc := welcomeBot(t)
	// Move the question (index 1) below the pricing text (index 2): the
	// text's "Only If" would point at a later step.
	if n := Reorder(sc, 1, 2); n != 1 {
		t.Fatalf("dropped %d, want 1", n)
	}
	if len(sc.Steps[1].OnlyIf) != 0 || sc.Steps[2].Type != model.StepQuestion {
		t.Fatalf("steps after reorder: %+v", sc.Steps[:3])
	}
}

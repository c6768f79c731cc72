package chatbot

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"parley/app/model"
)

var langs = []string{"en", "es"}

func TestYAMLRoundTripIsLossless(t *testing.T) {
	sc := welcomeBot(t)
	// Exercise what the defaults lack: a team, a shared label, a redirect
	// to another site, a step with a text in one language only.
	sc.Steps = append(sc.Steps,
		model.ChatbotStep{ID: -100, Type: model.StepQuestion, Message: model.Texts{"en": "Again?"}, Answers: []model.ChatbotAnswer{
			{ID: -101, Label: model.Texts{"en": "I am just looking around"}, RedirectLink: "https://docs.example.com/a?b=c"}}},
		model.ChatbotStep{ID: -102, Type: model.StepCreateTicket, Message: model.Texts{"en": "Ticket: done"}, TeamID: 7, OnlyIf: []int64{-101}},
	)
	data, err := Export(sc)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Import(data, langs)
	if err != nil {
		t.Fatalf("import of the export: %v\n%s", err, data)
	}
	again, err := Export(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Fatalf("export changed on a round trip:\n%s\n---\n%s", data, again)
	}
	if !sameScript(sc, back) {
		t.Fatalf("script changed on a round trip:\n%+v\n%+v", sc, back)
	}
	if !strings.Contains(string(data), `"#10: I am just looking around"`) && !strings.Contains(string(data), `'#10: I am just looking around'`) {
		t.Fatalf("a shared label is qualified by its step:\n%s", data)
	}
}

// sameScript compares scripts with answers matched by position, since ids
// differ between a stored script and an imported one.
func sameScript(a, b *model.Chatbot) bool {
	if a.Name != b.Name || a.Language != b.Language || len(a.Steps) != len(b.Steps) {
		return false
	}
	pos := func(sc *model.Chatbot) map[int64][2]int {
		m := map[int64][2]int{}
		for i, st := range sc.Steps {
			for j, an := range st.Answers {
				m[an.ID] = [2]int{i, j}
			}
		}
		return m
	}
	pa, pb := pos(a), pos(b)
	for i := range a.Steps {
		x, y := a.Steps[i], b.Steps[i]
		if x.Type != y.Type || !reflect.DeepEqual(x.Message, y.Message) || x.TeamID != y.TeamID || len(x.Answers) != len(y.Answers) || len(x.OnlyIf) != len(y.OnlyIf) {
			return false
		}
		for j := range x.Answers {
			if !reflect.DeepEqual(x.Answers[j].Label, y.Answers[j].Label) || x.Answers[j].RedirectLink != y.Answers[j].RedirectLink {
				return false
			}
		}
		for j := range x.OnlyIf {
			if pa[x.OnlyIf[j]] != pb[y.OnlyIf[j]] {
				return false
			}
		}
	}
	return true
}

func TestYAMLImportReportsErrorsByLine(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string
	}{
		{"syntax", "name: x\nsteps: [\n", []string{"line 2"}},
		{"no name and unknown type", "name: ''\nsteps:\n  - type: banana\n    message: hi\n", []string{"line 1: the chatbot needs a name", `line 3: step 1: unknown type "banana"`}},
		{"unknown field", "name: x\nsteps:\n  - type: text\n    mesage: hi\n", []string{`line 4: unknown field "mesage"`, "step 1: message: a text in en is required"}},
		{"only_if to a later or missing answer", "name: x\nsteps:\n  - type: text\n    message: hi\n    only_if: [Yes]\n  - type: question_selection\n    message: Sure?\n    answers:\n      - label: 'Yes'\n", []string{`line 5: step 1: only_if "Yes": no earlier question has this answer`}},
		{"bad redirect and language", "name: x\nlanguage: fr\nsteps:\n  - type: question_selection\n    message: {fr: Q}\n    answers:\n      - label: {fr: A}\n        redirect_link: javascript:alert(1)\n", []string{`line 2: unknown language "fr"`, "line 8: step 1: answer 1: The redirect link must be"}},
		{"answers on a text step", "name: x\nsteps:\n  - type: text\n    message: hi\n    answers:\n      - label: A\n", []string{"line 6: step 1: only questions have answers"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Import([]byte(c.file), langs)
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an ImportError", err)
			}
			msg := ie.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("errors %q lack %q", msg, w)
				}
			}
		})
	}
}

func TestYAMLPlainStringIsTheChatbotLanguage(t *testing.T) {
	sc, err := Import([]byte("name: Bot\nlanguage: es\nsteps:\n  - type: text\n    message: Hola\n"), langs)
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Steps[0].Message; !reflect.DeepEqual(got, model.Texts{"es": "Hola"}) {
		t.Fatalf("message %v", got)
	}
}

package chatbot

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"parley/app/model"
)

// Limits of what a script holds, generous but bounded so a form or an
// import cannot fill the database or break the widget.
const (
	MaxNameLen     = 100
	MaxTextLen     = 2000
	MaxSteps       = 200
	MaxAnswers     = 20
	MaxRedirectLen = 2000
)

// CheckRedirect accepts a path on the visitor's site ("/pricing") or an
// http(s) URL.
func CheckRedirect(link string) error {
	if utf8.RuneCountInString(link) > MaxRedirectLen {
		return fieldErr("answers", "The redirect link is longer than %d characters.", MaxRedirectLen)
	}
	if strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//") {
		return nil
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fieldErr("answers", "The redirect link must be a path starting with / or an http(s) address.")
	}
	return nil
}

func fieldErr(field, msg string, args ...any) error {
	return &model.FieldError{Field: field, Message: msg, Args: args}
}

// Validate checks a script before it is stored, and tidies it: texts
// trimmed and empty languages dropped. languages are the tags texts may
// use.
func Validate(sc *model.Chatbot, languages []string) error {
	sc.Name = strings.TrimSpace(sc.Name)
	switch {
	case sc.Name == "":
		return fieldErr("name", "The chatbot needs a name.")
	case utf8.RuneCountInString(sc.Name) > MaxNameLen:
		return fieldErr("name", "The name is too long: at most %d characters.", MaxNameLen)
	case !slices.Contains(languages, sc.Language):
		return fieldErr("language", "Unknown language %q.", sc.Language)
	case len(sc.Steps) > MaxSteps:
		return fieldErr("steps", "A script has at most %d steps.", MaxSteps)
	}
	answerStep := map[int64]int{}
	stepIDs := map[int64]bool{}
	for i := range sc.Steps {
		st := &sc.Steps[i]
		if st.ID != 0 && stepIDs[st.ID] {
			return fieldErr("steps", "Step %d repeats another step's id.", i+1)
		}
		stepIDs[st.ID] = true
		if !st.Type.Valid() {
			return fieldErr("step_type", "Step %d: unknown step type %q.", i+1, string(st.Type))
		}
		if err := tidyTexts(&st.Message, languages); err != nil {
			return fieldErr("message", "Step %d: %s", i+1, err)
		}
		if st.Type != model.StepForward && st.Message[sc.Language] == "" {
			return fieldErr("message", "Step %d: the message is required.", i+1)
		}
		if st.Type != model.StepQuestion && len(st.Answers) > 0 {
			return fieldErr("answers", "Step %d: only questions have answers.", i+1)
		}
		if len(st.Answers) > MaxAnswers {
			return fieldErr("answers", "Step %d: a question has at most %d answers.", i+1, MaxAnswers)
		}
		if st.Type != model.StepCreateLead && st.Type != model.StepCreateTicket {
			st.TeamID = 0
		}
		for _, a := range st.OnlyIf {
			q, ok := answerStep[a]
			if !ok || q >= i {
				return fieldErr("only_if", "Step %d: \"Only If\" may only name answers of earlier questions.", i+1)
			}
		}
		for j := range st.Answers {
			a := &st.Answers[j]
			if err := tidyTexts(&a.Label, languages); err != nil {
				return fieldErr("answers", "Step %d, answer %d: %s", i+1, j+1, err)
			}
			if a.Label[sc.Language] == "" {
				return fieldErr("answers", "Step %d, answer %d: the answer needs a text.", i+1, j+1)
			}
			a.RedirectLink = strings.TrimSpace(a.RedirectLink)
			if a.RedirectLink != "" {
				if err := CheckRedirect(a.RedirectLink); err != nil {
					return fieldErr("answers", "Step %d, answer %d: %s", i+1, j+1, err)
				}
			}
			if _, dup := answerStep[a.ID]; dup && a.ID != 0 {
				return fieldErr("answers", "Step %d, answer %d repeats another answer's id.", i+1, j+1)
			}
			answerStep[a.ID] = i
		}
	}
	return nil
}

func tidyTexts(t *model.Texts, languages []string) error {
	out := model.Texts{}
	for k, v := range *t {
		if !slices.Contains(languages, k) {
			return fieldErr("message", "Unknown language %q.", k)
		}
		v = strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
		if utf8.RuneCountInString(v) > MaxTextLen {
			return fieldErr("message", "A text is too long: at most %d characters.", MaxTextLen)
		}
		if v != "" {
			out[k] = v
		}
	}
	*t = out
	return nil
}

// Reorder moves the step at index from to index to. "Only If" answers
// that would no longer belong to an earlier question are dropped; it
// returns how many were.
func Reorder(sc *model.Chatbot, from, to int) int {
	if from < 0 || from >= len(sc.Steps) || to < 0 || to >= len(sc.Steps) || from == to {
		return 0
	}
	st := sc.Steps[from]
	sc.Steps = slices.Delete(sc.Steps, from, from+1)
	sc.Steps = slices.Insert(sc.Steps, to, st)
	return DropLaterOnlyIf(sc)
}

// DropLaterOnlyIf removes "Only If" answers that are not answers of an
// earlier question, and reports how many it removed.
func DropLaterOnlyIf(sc *model.Chatbot) int {
	seen := map[int64]bool{}
	dropped := 0
	for i := range sc.Steps {
		st := &sc.Steps[i]
		kept := st.OnlyIf[:0]
		for _, a := range st.OnlyIf {
			if seen[a] {
				kept = append(kept, a)
			} else {
				dropped++
			}
		}
		st.OnlyIf = kept
		for _, a := range st.Answers {
			seen[a.ID] = true
		}
	}
	return dropped
}

package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"parley/app/model"
	"parley/app/store"
)

// Canned owns canned responses: texts an operator inserts by typing
// ":shortcut" (the composer's picker) and that a ":shortcut" left in a
// message becomes when it is posted.
type Canned struct {
	st        *store.Store
	languages []string // catalogue languages a substitution may be given in
}

// NewCanned returns the service; languages are the catalogue tags ("en"
// first), the ones a canned response may have texts in.
func NewCanned(st *store.Store, languages []string) *Canned {
	return &Canned{st: st, languages: languages}
}

// Limits.
const (
	MaxShortcut     = 40
	MaxSubstitution = 4000 // a message's length
)

// List returns every canned response by shortcut.
func (c *Canned) List(ctx context.Context) ([]*model.CannedResponse, error) {
	return c.st.CannedResponses(ctx)
}

// Get returns one canned response.
func (c *Canned) Get(ctx context.Context, id int64) (*model.CannedResponse, error) {
	return c.st.CannedResponse(ctx, id)
}

// Languages are the languages besides English a substitution may be
// given in, for the form.
func (c *Canned) Languages() []string {
	var out []string
	for _, l := range c.languages {
		if l != "en" {
			out = append(out, l)
		}
	}
	return out
}

// Save creates (ID 0) or updates a canned response: a shortcut of
// letters, digits, "_" or "-" that no other one uses (in any letter
// case), and its text, with optional texts in other languages.
func (c *Canned) Save(ctx context.Context, r *model.CannedResponse) error {
	r.Shortcut = strings.TrimLeft(strings.TrimSpace(r.Shortcut), ":")
	r.Substitution = strings.TrimSpace(r.Substitution)
	switch {
	case r.Shortcut == "":
		return &model.FieldError{Field: "shortcut", Message: "Give the canned response a shortcut."}
	case utf8.RuneCountInString(r.Shortcut) > MaxShortcut:
		return &model.FieldError{Field: "shortcut", Message: "The shortcut is too long: at most %d characters.", Args: []any{MaxShortcut}}
	case strings.IndexFunc(r.Shortcut, func(c rune) bool { return !shortcutRune(c) }) >= 0:
		return &model.FieldError{Field: "shortcut", Message: "A shortcut is one word: letters, digits, \"_\" or \"-\"."}
	case r.Substitution == "":
		return &model.FieldError{Field: "substitution", Message: "Write the text the shortcut inserts."}
	case utf8.RuneCountInString(r.Substitution) > MaxSubstitution:
		return &model.FieldError{Field: "substitution", Message: "The text is too long: at most %d characters.", Args: []any{MaxSubstitution}}
	}
	texts := map[string]string{}
	for lang, s := range r.Texts {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !contains(c.Languages(), lang) {
			return &model.FieldError{Field: "texts", Message: "Parley has no catalogue for the language %q.", Args: []any{lang}}
		}
		if utf8.RuneCountInString(s) > MaxSubstitution {
			return &model.FieldError{Field: "texts." + lang, Message: "The text is too long: at most %d characters.", Args: []any{MaxSubstitution}}
		}
		texts[lang] = s
	}
	r.Texts = texts
	err := c.st.SaveCannedResponse(ctx, r)
	if errors.Is(err, model.ErrConflict) {
		return &model.FieldError{Field: "shortcut", Message: "Another canned response already uses the shortcut %q.", Args: []any{r.Shortcut}}
	}
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func shortcutRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-'
}

// Delete deletes one.
func (c *Canned) Delete(ctx context.Context, id int64) error {
	return c.st.DeleteCannedResponse(ctx, id)
}

const shippedKey = "canned_responses_shipped"

// EnsureShipped creates the shipped hello and bye, in English and Spanish,
// once in the database's life: deleting them later is the admin's choice.
func (c *Canned) EnsureShipped(ctx context.Context) error {
	done, err := c.st.Setting(ctx, shippedKey)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return err
	}
	if done != "" {
		return nil
	}
	for _, r := range []*model.CannedResponse{
		{Shortcut: "hello", Substitution: "Hello, how may I help you?", Texts: map[string]string{"es": "Hola, ¿en qué puedo ayudarle?"}},
		{Shortcut: "bye", Substitution: "Thanks for your feedback. Good bye!", Texts: map[string]string{"es": "Gracias por sus comentarios. ¡Adiós!"}},
	} {
		if !contains(c.languages, "es") {
			r.Texts = nil
		}
		if err := c.Save(ctx, r); err != nil && !isTaken(err) {
			return fmt.Errorf("canned response %s: %w", r.Shortcut, err)
		}
	}
	return c.st.SetSetting(ctx, shippedKey, "1")
}

func isTaken(err error) bool {
	var fe *model.FieldError
	return errors.As(err, &fe) && fe.Field == "shortcut"
}

// Expand replaces each ":shortcut" (or "::shortcut") standing at the start
// of body or after a space with its text in language lang; a word that is
// no shortcut stays as typed ("see: 10:30").
func (c *Canned) Expand(ctx context.Context, lang, body string) (string, error) {
	if !strings.Contains(body, ":") {
		return body, nil
	}
	list, err := c.st.CannedResponses(ctx)
	if err != nil || len(list) == 0 {
		return body, err
	}
	by := map[string]*model.CannedResponse{}
	for _, r := range list {
		by[strings.ToLower(r.Shortcut)] = r
	}
	var b strings.Builder
	rs := []rune(body)
	for i := 0; i < len(rs); {
		if rs[i] == ':' && (i == 0 || unicode.IsSpace(rs[i-1])) {
			j := i + 1
			if j < len(rs) && rs[j] == ':' {
				j++
			}
			k := j
			for k < len(rs) && shortcutRune(rs[k]) {
				k++
			}
			if r, ok := by[strings.ToLower(string(rs[j:k]))]; ok && k > j {
				b.WriteString(r.In(lang))
				i = k
				continue
			}
		}
		b.WriteRune(rs[i])
		i++
	}
	return b.String(), nil
}

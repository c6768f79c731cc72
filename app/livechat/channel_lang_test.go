package livechat

import (
	"errors"
	"strings"
	"testing"

	"parley/app/model"
)

func langChannel() *model.Channel {
	return &model.Channel{Name: "Support", Options: model.DefaultChannelOptions()}
}

func TestNormalizeChannelLanguages(t *testing.T) {
	langs := []string{"en", "es"}
	c := langChannel()
	c.DefaultLanguage = " ES "
	c.Texts = map[string]model.ChannelTexts{
		"ES": {ButtonText: "  ¿Preguntas?  ", InputPlaceholder: "Escriba aquí"},
		"en": {}, // nothing to say: dropped
	}
	if err := NormalizeChannel(c, langs); err != nil {
		t.Fatal(err)
	}
	if c.DefaultLanguage != "es" {
		t.Errorf("default language %q, want es", c.DefaultLanguage)
	}
	want := map[string]model.ChannelTexts{"es": {ButtonText: "¿Preguntas?", InputPlaceholder: "Escriba aquí"}}
	if len(c.Texts) != 1 || c.Texts["es"] != want["es"] {
		t.Errorf("texts %+v, want %+v", c.Texts, want)
	}

	for _, tc := range []struct {
		name  string
		edit  func(c *model.Channel)
		field string
	}{
		{"unknown default language", func(c *model.Channel) { c.DefaultLanguage = "fr" }, "default_language"},
		{"texts in an unknown language", func(c *model.Channel) {
			c.Texts = map[string]model.ChannelTexts{"fr": {ButtonText: "Bonjour"}}
		}, "texts"},
		{"button text too long", func(c *model.Channel) {
			c.Texts = map[string]model.ChannelTexts{"es": {ButtonText: strings.Repeat("b", maxButtonText+1)}}
		}, "texts.es.button_text"},
		{"welcome message too long", func(c *model.Channel) {
			c.Texts = map[string]model.ChannelTexts{"es": {DefaultMessage: strings.Repeat("m", maxWelcomeMessage+1)}}
		}, "texts.es.default_message"},
		{"placeholder too long", func(c *model.Channel) {
			c.Texts = map[string]model.ChannelTexts{"es": {InputPlaceholder: strings.Repeat("p", maxPlaceholder+1)}}
		}, "texts.es.input_placeholder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := langChannel()
			tc.edit(c)
			err := NormalizeChannel(c, langs)
			var fe *model.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a field error on %s", err, tc.field)
			}
		})
	}

	// The limits count characters, not bytes: 120 "ñ" fit.
	c = langChannel()
	c.Texts = map[string]model.ChannelTexts{"es": {ButtonText: strings.Repeat("ñ", maxButtonText)}}
	if err := NormalizeChannel(c, langs); err != nil {
		t.Errorf("120 characters: %v", err)
	}
	// Without catalogues only English may be named.
	c = langChannel()
	c.DefaultLanguage = "es"
	if err := NormalizeChannel(c, nil); err == nil {
		t.Error("es accepted without its catalogue")
	}
}

func TestOptionsInFallsBackToTheMainTexts(t *testing.T) {
	c := langChannel()
	c.Options.InputPlaceholder = "Type here"
	c.Texts = map[string]model.ChannelTexts{"es": {ButtonText: "¿Preguntas?", DefaultMessage: "¿En qué puedo ayudarle?"}}

	es := OptionsIn(c, "es")
	if es.ButtonText != "¿Preguntas?" || es.DefaultMessage != "¿En qué puedo ayudarle?" {
		t.Errorf("Spanish texts not used: %+v", es)
	}
	if es.InputPlaceholder != "Type here" {
		t.Errorf("empty Spanish placeholder: %q, want the main one", es.InputPlaceholder)
	}
	if es.ButtonBackgroundColor != c.Options.ButtonBackgroundColor {
		t.Error("colours changed with the language")
	}
	if en := OptionsIn(c, "en"); en != c.Options {
		t.Errorf("English without texts: %+v, want the main options", en)
	}

	if got := VisitorLanguage(c, "en"); got != "en" {
		t.Errorf("no default language: %q, want the browser's", got)
	}
	c.DefaultLanguage = "es"
	if got := VisitorLanguage(c, "en"); got != "es" {
		t.Errorf("default language es: %q", got)
	}
}

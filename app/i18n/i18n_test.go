package i18n

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"testing/fstest"
)

func TestMatchAndTranslate(t *testing.T) {
	b := New(map[string]Catalog{"es": {"Log in": "Iniciar sesión", "%d sessions": "%d sesiones"}})
	tests := []struct {
		accept, lang, msg, want string
	}{
		{"", "en", "Log in", "Log in"},
		{"es-ES,es;q=0.9,en;q=0.8", "es", "Log in", "Iniciar sesión"},
		{"fr-FR, en;q=0.5", "en", "Log in", "Log in"},
		{"de, es;q=0.3", "es", "Untranslated", "Untranslated"},
		{"en;q=0.9, es;q=0.2", "en", "Log in", "Log in"},
	}
	for _, tt := range tests {
		l := b.Match(tt.accept)
		if l.Lang() != tt.lang || l.T(tt.msg) != tt.want {
			t.Errorf(`Match(%q) = %s %q, want %s %q`, tt.accept, l.Lang(), l.T(tt.msg), tt.lang, tt.want)
		}
	}
	es := b.Match("es")
	if got := es.N(3, "%d session", "%d sessions"); got != "3 sesiones" {
		t.Errorf(`N = %q`, got)
	}
	if got := b.English().N(1, "%d session", "%d sessions"); got != "1 session" {
		t.Errorf(`N = %q`, got)
	}
}

func TestPluralFormsFromFile(t *testing.T) {
	b, err := LoadFS(fstest.MapFS{
		"l/es.json": {Data: []byte(`{"%d session": {"one": "%d sesión", "other": "%d sesiones"}, "Log in": "Iniciar sesión"}`)},
		"l/pl.json": {Data: []byte(`{"%d session": {"one": "%d sesja", "few": "%d sesje", "many": "%d sesji", "other": "%d sesji"}}`)},
	}, "l")
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Languages(); strings.Join(got, " ") != "en es pl" {
		t.Errorf("Languages = %v", got)
	}
	es, pl := b.Get("es"), b.Match("pl-PL, en;q=0.5")
	for _, tt := range []struct {
		l    *Localizer
		n    int
		want string
	}{
		{es, 1, "1 sesión"}, {es, 0, "0 sesiones"}, {es, 5, "5 sesiones"},
		{pl, 1, "1 sesja"}, {pl, 3, "3 sesje"}, {pl, 5, "5 sesji"}, {pl, 22, "22 sesje"},
		{b.English(), 0, "0 sessions"},
	} {
		if got := tt.l.N(tt.n, "%d session", "%d sessions"); got != tt.want {
			t.Errorf("%s N(%d) = %q, want %q", tt.l.Lang(), tt.n, got, tt.want)
		}
	}
	if got := b.MatchStrings("es-MX", "en").T("Log in"); got != "Iniciar sesión" {
		t.Errorf("MatchStrings(es-MX) = %q", got)
	}
	if b.Get("fr") != nil || b.Get("es") == nil {
		t.Error("Get: wrong languages")
	}
	if got := LanguageName("es"); got != "Español" {
		t.Errorf("LanguageName(es) = %q", got)
	}
}

type nested struct{ f string }

func (n nested) I18nFormat() (string, []any) { return n.f, nil }
func (n nested) String() string              { return n.f }

func TestNestedArgument(t *testing.T) {
	es := New(map[string]Catalog{"es": {"Rule %d: %s": "Regla %d: %s", "Bad regex.": "Expresión no válida."}}).Get("es")
	args := []any{2, nested{"Bad regex."}}
	if got := es.T("Rule %d: %s", args...); got != "Regla 2: Expresión no válida." {
		t.Errorf("T = %q", got)
	}
	if _, ok := args[1].(nested); !ok {
		t.Error("T changed the caller's arguments")
	}
}

func TestEmbeddedCataloguesLoad(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if b.Get("es") == nil {
		t.Error("no Spanish catalogue")
	}
}

func TestDecimal(t *testing.T) {
	b := New(map[string]Catalog{"es": {}})
	if got := b.English().Decimal(1.25, 1); got != "1.2" && got != "1.3" {
		t.Errorf("English 1.25 = %q", got)
	}
	if got := b.Match("es").Decimal(3.5, 1); got != "3,5" {
		t.Errorf("Spanish 3.5 = %q, want 3,5", got)
	}
}

func TestCatalogueParts(t *testing.T) {
	b, err := LoadFS(fstest.MapFS{
		"l/es.json":      {Data: []byte(`{"Log in": "Iniciar sesión"}`)},
		"l/es/mail.json": {Data: []byte(`{"Send": "Enviar"}`)},
	}, "l")
	if err != nil {
		t.Fatal(err)
	}
	es := b.Get("es")
	if es.T("Log in") != "Iniciar sesión" || es.T("Send") != "Enviar" {
		t.Errorf("parts not merged: %q %q", es.T("Log in"), es.T("Send"))
	}
	_, err = LoadFS(fstest.MapFS{
		"l/es.json":      {Data: []byte(`{"Send": "Enviar"}`)},
		"l/es/mail.json": {Data: []byte(`{"Send": "Mandar"}`)},
	}, "l")
	if err == nil || !strings.Contains(err.Error(), `"Send"`) {
		t.Errorf("a text translated twice: err = %v", err)
	}
}

// TestFallback: the default language answers when nothing the reader says
// is spoken here, and only then.
func TestFallback(t *testing.T) {
	b := New(map[string]Catalog{"es": {"Log in": "Iniciar sesión"}})
	if err := b.SetFallback("de"); err == nil {
		t.Fatal(`SetFallback accepted a language without a catalogue`)
	}
	if err := b.SetFallback("es"); err != nil {
		t.Fatal(err)
	}
	for accept, want := range map[string]string{"": "es", "de-DE,de;q=0.9": "es", "en-US,en;q=0.8": "en", "fr, en;q=0.1": "en", "es": "es"} {
		if got := b.Match(accept).Lang(); got != want {
			t.Errorf(`Match(%q) = %s, want %s`, accept, got, want)
		}
	}
	if got := b.MatchStrings("pt-BR").Lang(); got != "es" {
		t.Errorf(`MatchStrings(pt-BR) = %s, want the fallback es`, got)
	}
	if b.English().Lang() != "en" || b.Fallback().Lang() != "es" {
		t.Errorf(`English() = %s, Fallback() = %s`, b.English().Lang(), b.Fallback().Lang())
	}
	// Match remembers headers, those that fell back as such: a new default
	// language answers at once for a header asked before.
	if err := b.SetFallback("en"); err != nil {
		t.Fatal(err)
	}
	for accept, want := range map[string]string{"de-DE,de;q=0.9": "en", "es": "es", "en-US,en;q=0.8": "en"} {
		if got := b.Match(accept).Lang(); got != want {
			t.Errorf(`after the fallback became en: Match(%q) = %s, want %s`, accept, got, want)
		}
	}
}

// A message with one %d of an integer skips fmt, and says exactly what fmt
// says; anything else still goes through fmt.
func TestOneIntIsSprintf(t *testing.T) {
	loc := New(nil).English()
	formats := []string{"Website Visitor #%d", "Visitante del sitio web n.º %d", "%d", "%d visitors", "x %d y",
		"%s", "%v", "%5d", "%d%%", "100%% of %d", "%", "no verb", "#%d and %d", "%x", "%D"}
	args := []any{12, int64(-5), 0, int64(math.MaxInt64), int64(math.MinInt64), "text", 3.5, int32(7), uint(9), nil}
	fast := 0
	for _, f := range formats {
		for _, a := range args {
			want := fmt.Sprintf(f, a)
			if got := loc.T(f, a); got != want {
				t.Errorf("T(%q, %#v) = %q, want %q", f, a, got, want)
			}
			if s, ok := oneInt(f, a); ok {
				fast++
				if s != want {
					t.Errorf("oneInt(%q, %#v) = %q, want %q", f, a, s, want)
				}
			}
		}
	}
	if fast != 5*5 { // five formats with one %d, five integers of int or int64
		t.Errorf("%d formats took the fast path, want 25", fast)
	}
	// T takes that path: fmt.Sprintf allocated three or four times.
	id := int64(1000)
	if n := testing.AllocsPerRun(100, func() { _ = loc.T("Website Visitor #%d", id) }); n > 2 {
		t.Errorf("a visitor's label took %.0f allocations", n)
	}
}

func BenchmarkVisitorLabel(b *testing.B) {
	loc := New(nil).English()
	for i := 0; b.Loop(); i++ {
		_ = loc.T("Website Visitor #%d", int64(i))
	}
}

package i18n

import "testing"

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

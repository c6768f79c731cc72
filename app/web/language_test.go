package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// The admin speaks the language chosen in My Profile whatever the browser
// asks for; "Browser default" follows Accept-Language again.
func TestProfileLanguage(t *testing.T) {
	s := apptest.NewServer(t)
	c, u := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	_, body := c.Do(http.MethodGet, "/admin/profile", nil, map[string]string{"Accept-Language": "es-MX,es;q=0.9"})
	wantBody(t, "browser asks for Spanish", body, `lang="es"`, "Mi perfil", `<option value="es">Español</option>`)
	_, body = c.Get("/admin/profile")
	wantBody(t, "no preference, English browser", body, `lang="en"`, "My Profile", "Browser default")

	res, body := c.PostForm("/admin/profile", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "language": {"es"}})
	wantStatus(t, "choose Spanish", res, body, http.StatusSeeOther)
	got, err := s.Store.User(bg, u.ID)
	if err != nil || got.Language != "es" {
		t.Fatalf("saved language = %q, %v", got.Language, err)
	}
	_, body = c.Get("/admin/profile")
	wantBody(t, "flash in the new language", body, "Se guardó su perfil.", `<option value="es" selected>Español</option>`)
	_, body = c.Get("/admin")
	wantBody(t, "Spanish preference, English browser", body, `lang="es"`, "Conversaciones", "Canales")

	res, body = c.PostForm("/admin/profile", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "language": {"xx"}})
	wantStatus(t, "unknown language", res, body, http.StatusUnprocessableEntity)
	wantBody(t, "unknown language", body, "Este idioma no está disponible.")

	// A form without the field (an older page) keeps the choice.
	res, body = c.PostForm("/admin/profile", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}})
	wantStatus(t, "no language field", res, body, http.StatusSeeOther)
	if got, _ := s.Store.User(bg, u.ID); got.Language != "es" {
		t.Fatalf("language after a form without it = %q", got.Language)
	}
	res, body = c.PostForm("/admin/profile", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "language": {""}})
	wantStatus(t, "back to the browser's", res, body, http.StatusSeeOther)
	_, body = c.Get("/admin")
	wantBody(t, "browser default again", body, `lang="en"`, "Conversations")
}

// TestCountryNamesInTheReadersLanguage: the rule dialog's country list is
// named and sorted in the admin's language.
func TestCountryNamesInTheReadersLanguage(t *testing.T) {
	s := apptest.NewServer(t)
	c, _ := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	_, body := c.Do(http.MethodGet, "/admin/channels/1/rules/new", nil, map[string]string{"Accept-Language": "es", "HX-Request": "true"})
	wantBody(t, "Spanish rule dialog", body, "Alemania", "Países Bajos")
	_, body = c.Do(http.MethodGet, "/admin/channels/1/rules/new", nil, map[string]string{"Accept-Language": "en", "HX-Request": "true"})
	wantBody(t, "English rule dialog", body, "Germany", "Netherlands")
}

package web_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// spanishBrowser is Chromium set up for a Spanish speaker: it sends
// Accept-Language: es and reports navigator.language "es-ES".
func spanishBrowser(t *testing.T) (ctx context.Context) {
	return apptest.NewBrowser(t, chromedp.Flag("lang", "es-ES"), chromedp.Flag("accept-lang", "es-ES,es"))
}

// A visitor whose browser speaks Spanish gets the widget in Spanish.
func TestWidgetBrowserSpanish(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	id := defaultChannelID(t, srv)
	site := thirdPartySite(t, srv, id)
	browser := spanishBrowser(t)
	if !waitWidget(t, browser, site.URL+"/") {
		t.Fatalf(`widget not available with an operator online`)
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.launcher').click()`))
	widgetPoll(t, browser, "the open window", widgetIsOpen)
	widgetPoll(t, browser, "Spanish texts", `pl('.pl').getAttribute('lang') === 'es' && pl('.send').getAttribute('aria-label') === 'Enviar' && navigator.language === 'es-ES' && ParleyConfig.strings['Chat with us'] === 'Chatee con nosotros'`)
	apptest.AssertNoConsoleErrors(t, browser)
}

// An administrator who chose Español in My Profile reads the navigation in
// Spanish even from an English browser.
func TestAdminBrowserSpanishPreference(t *testing.T) {
	srv := apptest.NewServer(t)
	c, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	c.Get("/admin/profile")
	res, body := c.PostForm("/admin/profile", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "language": {"es"}})
	wantStatus(t, "choose Spanish", res, body, 303)
	browser := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, browser, srv.URL, "ada@example.com")
	nav := apptest.Run(t, browser, chromedp.Evaluate[string](`document.documentElement.lang + ' ' + document.querySelector('.mainnav').innerText.replace(/\s+/g, ' ').trim()`))
	if nav != "es Conversaciones Canales Sesiones Visitantes Reportes Configuración" {
		t.Fatalf("navigation = %q", nav)
	}
	apptest.AssertNoConsoleErrors(t, browser)
}

package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
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
	// Every text the widget can show is in Spanish, not only the first ones.
	if untranslated := widgetEval[[]string](t, browser, `Object.keys(ParleyConfig.strings).filter(function (k) { return !ParleyConfig.strings[k] || (ParleyConfig.strings[k] === k && k.length > 8); })`); len(untranslated) > 0 {
		t.Errorf("widget texts not in Spanish: %q", untranslated)
	}

	// The visitor writes; the operator, English profile and English
	// browser, reads the conversation in English, the visitor's notices too.
	tok := token(t, srv, admin)
	op := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + tok}})
	waitOnline(t, srv, admin.ID)
	apptest.Do(t, browser, chromedp.KeyEvent("Hola, ¿tienen envío a Madrid?"), apptest.PressEnter())
	widgetPoll(t, browser, "the message to be sent", `!!pl('.m.me') && !pl('.m.me.sending')`)
	f := op.next("message")
	if name := f["author"].(map[string]any)["name"].(string); !strings.HasPrefix(name, "Website Visitor #") || f["body"] != "Hola, ¿tienen envío a Madrid?" {
		t.Fatalf("the English operator reads %q from %q", f["body"], name)
	}
	sid := f["session_id"].(string)
	vtok := widgetEval[string](t, browser, `(function () { for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (/\.token$/.test(k)) return localStorage.getItem(k); } return ''; })()`)
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/close", vtok, ""); code != http.StatusOK {
		t.Fatalf("the visitor closes: %d %v", code, body)
	}
	if f := op.next("message"); !strings.HasSuffix(f["body"].(string), "has left the conversation.") || !strings.HasPrefix(f["body"].(string), "Website Visitor #") {
		t.Fatalf("the English operator's notice: %q", f["body"])
	}
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
	if nav != "es Conversaciones Canales Sesiones Visitantes Iniciativas Servicio de asistencia Reportes Configuración" {
		t.Fatalf("navigation = %q", nav)
	}
	// The channel form, and an error page, in Spanish too.
	apptest.Do(t, browser, chromedp.Navigate(srv.URL+"/admin/channels/1"), chromedp.WaitVisible(chromedp.CSS(`[data-tab="rules"]`)))
	tabs := apptest.Run(t, browser, chromedp.Evaluate[string](`Array.prototype.map.call(document.querySelectorAll('[data-tab]'), function (a) { return a.textContent.trim(); }).join(' | ')`))
	if tabs != "Operadores | Opciones | Reglas del canal | Horario de atención | Widget" {
		t.Fatalf("channel form tabs = %q", tabs)
	}
	// Times are written in Spanish although the browser is English.
	apptest.Do(t, browser, chromedp.Navigate(srv.URL+"/admin/config/users"), chromedp.WaitVisible(chromedp.CSS(`time[data-relative]`)))
	when := apptest.Run(t, browser, chromedp.Evaluate[string](`document.querySelector('time[data-relative]').textContent`))
	if !strings.Contains(when, "hace") && !strings.Contains(when, "ahora") {
		t.Fatalf("last login time = %q, want it in Spanish", when)
	}
	apptest.Do(t, browser, chromedp.Navigate(srv.URL+"/admin/sessions/no-such-conversation"), chromedp.WaitReady(chromedp.CSS("body")))
	if page := apptest.Run(t, browser, chromedp.Evaluate[string](`document.body.innerText`)); !strings.Contains(page, "Esta conversación no existe.") {
		t.Fatalf("error page: %.300q", page)
	}
}

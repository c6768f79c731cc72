package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/apptest/mailtest"
	"parley/app/model"
)

// An admin finds the banner, opens Configuration ▸ Mail, saves the server
// and sends a test mail in a real browser; the banner goes and the
// server's answer shows.
func TestBrowserMailSettings(t *testing.T) {
	smtp := mailtest.Start(t)
	s := apptest.NewServer(t)
	s.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	browser := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, browser, s.URL, "ada@example.com")

	apptest.Do(t, browser,
		chromedp.Navigate(s.URL+"/admin/conversations"),
		chromedp.WaitVisible(chromedp.CSS(`[data-mail-off] a[href="/admin/config/mail"]`)),
		chromedp.Click(chromedp.CSS(`[data-mail-off] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#mail-settings`)),
		chromedp.SendKeys(chromedp.CSS(`#host`), smtp.Host()),
		chromedp.SendKeys(chromedp.CSS(`#port`), fmt.Sprint(smtp.Port())),
		chromedp.SendKeys(chromedp.CSS(`#from`), "Support <chat@example.com>"),
		chromedp.SetValue(chromedp.CSS(`#tls`), "none"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "s3cret-Passw0rd"),
		chromedp.Click(chromedp.CSS(`#mail-settings button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	html := apptest.Run(t, browser, chromedp.OuterHTML(chromedp.CSS(`html`)))
	if strings.Contains(html, "data-mail-off") || strings.Contains(html, "s3cret-Passw0rd") {
		t.Fatal(`after saving: the banner stays or the password is shown back`)
	}
	apptest.Do(t, browser,
		chromedp.Click(chromedp.CSS(`#mail-test button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-test-answer]`)),
	)
	if answer := apptest.Run(t, browser, chromedp.Text(chromedp.CSS(`[data-test-answer]`))); !strings.Contains(answer, "OK: queued") {
		t.Errorf(`test answer = %q`, answer)
	}
	if got := smtp.Wait(1)[0]; got.To[0] != "ada@example.com" {
		t.Errorf(`test mail to %v`, got.To)
	}
	apptest.Screenshot(t, browser, "mail-settings")
	apptest.AssertNoConsoleErrors(t, browser)
}

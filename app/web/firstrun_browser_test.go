package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
)

// A new owner follows the setup link in a real browser: names the site,
// creates the administrator, keeps the public URL filled in from the
// address in use after changing it, lands on the dashboard's checklist,
// copies the widget snippet from the Widget tab the checklist links to,
// and sees that step done.
func TestBrowserFirstRunLeadsToTheChecklist(t *testing.T) {
	s := apptest.NewServer(t)
	browser := apptest.NewBrowser(t)
	token := s.Auth.SetupToken()

	apptest.Do(t, browser,
		chromedp.Navigate(s.URL+"/setup?token="+url.QueryEscape(token)),
		chromedp.WaitVisible(chromedp.ID("site_name")),
	)
	if got := apptest.Run(t, browser, chromedp.Value(chromedp.ID("base_url"))); got != s.URL {
		t.Fatalf(`the public URL is filled in with %q, want the address in use %q`, got, s.URL)
	}
	apptest.Do(t, browser,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('site_name').value = ''; document.getElementById('base_url').value = ''`),
		chromedp.SendKeys(chromedp.ID("site_name"), "Acme Bikes"),
		chromedp.SendKeys(chromedp.ID("base_url"), "https://chat.acme.example"),
		chromedp.SendKeys(chromedp.ID("name"), "Grace Hopper"),
		chromedp.SendKeys(chromedp.ID("email"), "grace@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "a long password"),
		chromedp.SendKeys(chromedp.ID("password_confirm"), "a long password"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("firstrun-checklist")),
	)
	steps := `Array.from(document.querySelectorAll('#firstrun-checklist [data-step]')).map(e => e.dataset.step + '=' + e.dataset.done).join(' ')`
	if got := apptest.Run(t, browser, chromedp.Evaluate[string](steps)); got != "public-url=true snippet=false operators=false test-chat=false" {
		t.Fatalf(`checklist after setup: %s`, got)
	}
	if h1 := apptest.Run(t, browser, chromedp.Text(chromedp.CSS(`.page-head h1`))); !strings.Contains(h1, "Grace Hopper") {
		t.Errorf(`dashboard heading %q`, h1)
	}
	if title := apptest.Run(t, browser, chromedp.Title()); !strings.Contains(title, "Acme Bikes") {
		t.Errorf(`title %q lacks the site name`, title)
	}
	note := apptest.Run(t, browser, chromedp.Text(chromedp.CSS(`[data-restart-needed]`)))
	if !strings.Contains(note, "https://chat.acme.example") || !strings.Contains(note, "restart Parley") {
		t.Errorf(`restart note %q`, note)
	}
	apptest.Screenshot(t, browser, "firstrun-checklist")

	// The checklist links to the Widget tab; its Copy button counts.
	apptest.Do(t, browser,
		chromedp.Click(chromedp.CSS(`[data-step="snippet"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#tab-widget button[data-copy="widget-snippet"]`)),
	)
	if snippet := apptest.Run(t, browser, chromedp.Text(chromedp.ID("widget-snippet"))); !strings.Contains(snippet, s.URL) {
		t.Errorf(`the snippet %q does not use the running address before a restart`, snippet)
	}
	apptest.Do(t, browser,
		chromedp.Click(chromedp.CSS(`#tab-widget button[data-copy="widget-snippet"]`)),
		// The button says when the server has recorded the copy.
		chromedp.WaitVisible(chromedp.CSS(`#tab-widget button[data-copy="widget-snippet"][data-copy-reported]`)),
		chromedp.Navigate(s.URL+"/admin"),
		chromedp.WaitVisible(chromedp.ID("firstrun-checklist")),
	)
	if got := apptest.Run(t, browser, chromedp.Evaluate[string](steps)); got != "public-url=true snippet=true operators=false test-chat=false" {
		t.Fatalf(`checklist after copying the snippet: %s`, got)
	}
	apptest.AssertNoConsoleErrors(t, browser)
}

package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// TestBrowserLogin logs in through a real browser: the login form, the
// dashboard, the user menu, and that the CSP lets our scripts and htmx run.
func TestBrowserLogin(t *testing.T) {
	s := apptest.NewServer(t)
	s.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	browser := apptest.NewBrowser(t)

	apptest.Do(t, browser,
		chromedp.Navigate(s.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
	apptest.Screenshot(t, browser, "login")
	apptest.Do(t, browser,
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), apptest.Password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)),
	)

	if h1 := apptest.Run(t, browser, chromedp.Text(chromedp.CSS(`.page-head h1`))); !strings.Contains(h1, "Welcome") {
		t.Errorf(`dashboard h1 = %q, want it to contain "Welcome"`, h1)
	}
	if url := apptest.Run(t, browser, chromedp.Location()); url != s.URL+"/admin" {
		t.Errorf(`after login URL = %q, want %q`, url, s.URL+"/admin")
	}
	if nav := apptest.Run(t, browser, chromedp.Text(chromedp.CSS(`nav.mainnav`))); !strings.Contains(nav, "Channels") {
		t.Errorf(`main nav = %q, want it to contain "Channels"`, nav)
	}
	// Our scripts ran: the CSP allows script-src 'self'.
	if ok := apptest.Run(t, browser, chromedp.Evaluate[bool](
		`typeof htmx === "object" && typeof window.Parley === "object" && typeof Parley.csrfToken === "function"`)); !ok {
		t.Errorf(`htmx or admin.js did not load`)
	}
	apptest.Screenshot(t, browser, "dashboard")

	apptest.Do(t, browser,
		chromedp.Click(chromedp.CSS(`details.usermenu summary`)),
		chromedp.WaitVisible(chromedp.CSS(`details.usermenu .menu a[href="/admin/profile"]`)),
	)
	menu := apptest.Run(t, browser, chromedp.Text(chromedp.CSS(`details.usermenu .menu`)))
	for _, want := range []string{"My Profile", "Log out"} {
		if !strings.Contains(menu, want) {
			t.Errorf(`user menu = %q, want it to contain %q`, menu, want)
		}
	}
	apptest.Screenshot(t, browser, "usermenu")
	apptest.AssertNoConsoleErrors(t, browser)

	// A fresh browser context has no session and sees the error.
	tab := apptest.NewTab(t, browser)
	apptest.Do(t, tab,
		chromedp.Navigate(s.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "not the password"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-error`)),
	)
	if msg := apptest.Run(t, tab, chromedp.Text(chromedp.CSS(`.flash-error`))); strings.TrimSpace(msg) != "Wrong email or password." {
		t.Errorf(`login error = %q, want "Wrong email or password."`, msg)
	}
	apptest.Screenshot(t, tab, "login-error")
}

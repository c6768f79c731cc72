package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// An admin deactivates and reactivates a user from the user's page in a
// real browser: the confirmation, the htmx post with its CSRF header, the
// page coming back with the badge and the flash.
func TestBrowserDeactivateUser(t *testing.T) {
	s := apptest.NewServer(t)
	s.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	olga := s.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	browser := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, browser, s.URL, "ada@example.com")

	// The confirmation is the browser's own dialog: accept it, and keep
	// its question across the reload that follows.
	const accept = `window.confirm = function (m) { sessionStorage.setItem('asked', m); return true; }`
	deactivate, reactivate := `#user-status button[hx-post$="/deactivate"]`, `#user-status button[hx-post$="/reactivate"]`
	apptest.Do(t, browser,
		chromedp.Navigate(fmt.Sprintf("%s/admin/config/users/%d", s.URL, olga.ID)),
		chromedp.WaitVisible(chromedp.CSS(deactivate)),
		chromedp.Evaluate[chromedp.Void](accept),
		chromedp.Click(chromedp.CSS(deactivate)),
		chromedp.WaitVisible(chromedp.CSS(`h1 [data-deactivated]`)),
		chromedp.WaitVisible(chromedp.CSS(reactivate)),
	)
	if asked := apptest.Run(t, browser, chromedp.Evaluate[string](`sessionStorage.getItem('asked') || ''`)); !strings.HasPrefix(asked, "Deactivate Olga?") {
		t.Errorf(`confirmation = %q, want it to name Olga`, asked)
	}
	if flash := apptest.Run(t, browser, chromedp.Text(chromedp.CSS(`.flash`))); !strings.Contains(flash, "Olga was deactivated") {
		t.Errorf(`flash = %q`, flash)
	}
	apptest.Screenshot(t, browser, "user-deactivated")
	if u := userByEmail(t, s, "olga@example.com"); u.Active {
		t.Fatalf(`olga is still active`)
	}

	apptest.Do(t, browser,
		chromedp.Evaluate[chromedp.Void](accept),
		chromedp.Click(chromedp.CSS(reactivate)),
		chromedp.WaitVisible(chromedp.CSS(deactivate)),
	)
	if n := apptest.Run(t, browser, chromedp.Evaluate[int](`document.querySelectorAll('h1 [data-deactivated]').length`)); n != 0 {
		t.Errorf(`the reactivated user still shows the badge`)
	}
	if u := userByEmail(t, s, "olga@example.com"); !u.Active {
		t.Fatalf(`olga is still deactivated`)
	}
	apptest.AssertNoConsoleErrors(t, browser)
}

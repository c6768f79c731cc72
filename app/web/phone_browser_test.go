package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// TestPhoneNavigation opens the admin on a phone-sized screen: the main
// navigation folds into a Menu button whose list shows every entry inside
// the screen (none scrolled away), and Escape folds it again.
func TestPhoneNavigation(t *testing.T) {
	srv := apptest.NewServer(t)
	srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	phone := apptest.NewBrowser(t)
	apptest.Do(t, phone, chromedp.EmulateViewport(390, 800, chromedp.EmulateMobile, chromedp.EmulateTouch))
	apptest.BrowserLogin(t, phone, srv.URL, "ada@example.com")
	if w := apptest.Run(t, phone, chromedp.Evaluate[int](`window.innerWidth`)); w > 400 {
		t.Fatalf("viewport is %d px wide, want a phone's", w)
	}
	if apptest.Run(t, phone, chromedp.Evaluate[bool](`document.getElementById('mainnav').offsetParent !== null`)) {
		t.Error("the navigation shows before the menu is opened")
	}
	apptest.Do(t, phone, chromedp.Click(chromedp.CSS(`[data-nav-toggle]`)), chromedp.WaitVisible(chromedp.ID("mainnav")))
	if got := apptest.Run(t, phone, chromedp.Evaluate[string](`document.querySelector('[data-nav-toggle]').getAttribute('aria-expanded')`)); got != "true" {
		t.Errorf("aria-expanded = %q once open", got)
	}
	// Every entry is inside the screen and is what a tap there hits.
	outside := apptest.Run(t, phone, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#mainnav a')).filter(function (a) {
		var r = a.getBoundingClientRect();
		var hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return r.width === 0 || r.right > window.innerWidth || r.bottom > window.innerHeight || !(hit === a || a.contains(hit));
	}).map(function (a) { return a.textContent.trim(); })`))
	if len(outside) > 0 {
		t.Errorf("navigation entries out of reach on a phone: %v", outside)
	}
	if n := apptest.Run(t, phone, chromedp.Evaluate[int](`document.querySelectorAll('#mainnav a').length`)); n < 6 {
		t.Errorf("an admin's phone menu has %d entries, want every one (at least 6)", n)
	}
	apptest.Screenshot(t, phone, "menu-open")
	apptest.AssertAccessible(t, phone, "phone menu open")
	apptest.Do(t, phone, chromedp.Click(chromedp.CSS(`#mainnav a[href="/admin/reports"]`)), chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)))
	if loc := apptest.Run(t, phone, chromedp.Location()); loc != srv.URL+"/admin/reports" {
		t.Errorf("tapping Reports went to %s", loc)
	}
	apptest.Do(t, phone, chromedp.Click(chromedp.CSS(`[data-nav-toggle]`)), chromedp.WaitVisible(chromedp.ID("mainnav")),
		chromedp.KeyEvent("\x1b"))
	if apptest.Run(t, phone, chromedp.Evaluate[bool](`document.getElementById('mainnav').offsetParent !== null`)) {
		t.Error("Escape did not fold the menu")
	}
	apptest.AssertNoConsoleErrors(t, phone)
}

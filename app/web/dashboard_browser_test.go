package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// TestDashboardLive keeps the dashboard open: its own socket makes the
// operator count 1 without a reload, and a chat that arrives raises the
// open-conversation figures.
func TestDashboardLive(t *testing.T) {
	srv := apptest.NewServer(t)
	srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	b := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, b, srv.URL, "ada@example.com")
	stat := func(i int) string {
		return `(document.querySelectorAll('#dashboard-stats .stat strong')[` + itoa(int64(i)) + `] || {}).textContent`
	}
	poll := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(b, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v (figures: %s)", what, err,
				apptest.Run(t, b, chromedp.Evaluate[string](`document.getElementById('dashboard-stats').innerText`)))
		}
	}
	poll("the operator count to include me", stat(2)+` === '1'`)
	cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	poll("the new chat in my open conversations", stat(0)+` === '1' && `+stat(1)+` === '1'`)
	apptest.AssertNoConsoleErrors(t, b)
}

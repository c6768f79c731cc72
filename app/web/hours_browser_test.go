package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// Outside office hours the widget shows the away message and when the
// channel opens, above the form to leave a message, though an operator
// is online.
func TestWidgetBrowserOutsideOfficeHours(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	id := defaultChannelID(t, srv)
	today := time.Now().UTC()
	// Open every day, but today and tomorrow are holidays: closed whatever
	// the hour the test runs at.
	holidays := today.Format(time.DateOnly) + "\n" + today.AddDate(0, 0, 1).Format(time.DateOnly)
	if err := srv.Livechat.SaveRouting(context.Background(), &model.ChannelRouting{ChannelID: id, HoursEnabled: true,
		Timezone: "UTC", Hours: "Mon-Sun 09:00-17:00", Holidays: holidays, AwayMessage: "Back after the holidays!"}); err != nil {
		t.Fatal(err)
	}
	site := thirdPartySite(t, srv, id)
	browser := apptest.NewBrowser(t)
	if waitWidget(t, browser, site.URL+"/") {
		t.Fatal("the widget says an operator is available outside office hours")
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`Parley.open()`))
	widgetPoll(t, browser, "the open window", widgetIsOpen)
	widgetPoll(t, browser, "the away message", `!pl('.offline').hidden && !pl('.offline .away').hidden`)
	text := widgetEval[string](t, browser, `plText('.offline')`)
	if !strings.Contains(text, "We are closed right now.") || !strings.Contains(text, "Back after the holidays!") || !strings.Contains(text, "We open again on") {
		t.Errorf(`offline panel outside office hours = %q`, text)
	}
	if strings.Contains(text, "Nobody is available right now.") {
		t.Errorf(`offline panel says nobody is available instead of closed: %q`, text)
	}
	widgetShot(t, browser, "office-hours-closed")
	apptest.AssertNoConsoleErrors(t, browser)
}

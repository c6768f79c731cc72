package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// TestWidgetBrowserSameTextTwice: two messages with the same text sent at
// once are two messages, each bubble settled by its own client_id (the
// widget used to match bubbles by text), and each stored once.
func TestWidgetBrowserSameTextTwice(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	id := defaultChannelID(t, srv)
	site := thirdPartySite(t, srv, id)
	browser := apptest.NewBrowser(t)
	if !waitWidget(t, browser, site.URL+"/") {
		t.Fatalf(`widget not available with an operator online`)
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.launcher').click()`))
	widgetPoll(t, browser, "the open window", widgetIsOpen)
	apptest.Do(t, browser, chromedp.KeyEvent("first"), apptest.PressEnter())
	widgetPoll(t, browser, "the first message to be sent", `!!pl('.m.me') && !pl('.m.me.sending')`)
	apptest.Do(t, browser, chromedp.KeyEvent("same"), apptest.PressEnter(), chromedp.KeyEvent("same"), apptest.PressEnter())
	widgetPoll(t, browser, "both to be sent", `(function () {
		var n = 0, ms = pl('.pl').parentNode.querySelectorAll('.m.me');
		for (var i = 0; i < ms.length; i++) { if (ms[i].classList.contains('sending') || ms[i].classList.contains('failed')) return false; if (ms[i].textContent.indexOf('same') >= 0) n++; }
		return n === 2;
	})()`)
	list, err := srv.Store.Sessions(context.Background(), model.SessionFilter{Limit: 1})
	if err != nil || len(list) != 1 {
		t.Fatalf("sessions: %v %d", err, len(list))
	}
	msgs, err := srv.Store.Messages(context.Background(), list[0].ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	same := 0
	for _, m := range msgs {
		if m.Body == "same" {
			same++
		}
		if m.ClientID == "" || ids[m.ClientID] {
			t.Errorf("message %q has client_id %q (empty or repeated)", m.Body, m.ClientID)
		}
		ids[m.ClientID] = true
	}
	if same != 2 {
		t.Fatalf("%d messages \"same\" stored, want 2", same)
	}
	apptest.AssertNoConsoleErrors(t, browser)
}

package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/livechat"
	"parley/app/model"
)

// An operator at their maximum watches the Conversations page: a visitor
// who comes then shows up in the Waiting section without a reload, and
// leaves it when the operator frees up and gets them.
func TestConversationsBrowserWaiting(t *testing.T) {
	srv := apptest.NewServer(t)
	ctx := context.Background()
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	id := defaultChannelID(t, srv)
	if err := srv.Livechat.SetUserMaxChats(ctx, admin.ID, "1"); err != nil {
		t.Fatal(err)
	}

	op := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/conversations"), chromedp.WaitVisible(chromedp.CSS(`#conv-open`)))
	lcWait(t, op, "the operator's socket", `Parley.chat && Parley.chat.connected()`, `document.body`)
	waitOnline(t, srv, admin.ID)
	if n := lcEval[int](t, op, `document.querySelectorAll('[data-waiting]').length`); n != 0 {
		t.Fatalf("%d visitors waiting before anyone came", n)
	}
	start := func(name string) *livechat.StartResult {
		t.Helper()
		res, err := srv.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: id, VisitorName: name})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	served := start("Bo")
	waiting := start("Cy Waits")
	if !waiting.Session.Waiting() {
		t.Fatalf("second chat = %+v, want it waiting", waiting.Session)
	}
	item := `document.querySelector('[data-waiting="` + waiting.Session.PublicID + `"]')`
	lcWait(t, op, "the waiting visitor listed", item+` && `+item+`.innerText.indexOf('Cy Waits') >= 0 && `+item+`.innerText.indexOf('#1 in line') >= 0`, `document.querySelector('#conv-waiting')`)
	apptest.Screenshot(t, op, "conversations-waiting")

	if _, err := srv.Livechat.EndSession(ctx, served.Session, admin); err != nil {
		t.Fatal(err)
	}
	lcWait(t, op, "the served visitor gone from the waiting list", `!`+item+` && document.querySelector('#conv-open').innerText.indexOf('Cy Waits') >= 0`, `document.body`)
	apptest.AssertNoConsoleErrors(t, op)
}

package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// TestVisitorsBrowserChatRequest: an operator watches Live Chat ▸ Visitors,
// a visitor opens a third-party page and appears there without a reload,
// the operator invites them to chat, and the visitor's widget opens with
// the operator's first message, the operator holding the conversation.
func TestVisitorsBrowserChatRequest(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	id := defaultChannelID(t, srv)
	site := thirdPartySite(t, srv, id)

	op := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/visitors"), chromedp.WaitVisible(chromedp.CSS(`#visitors-online`)))
	lcWait(t, op, "the operator's socket", `Parley.chat && Parley.chat.connected()`, `document.body`)
	waitOnline(t, srv, admin.ID)
	if n := lcEval[int](t, op, `document.querySelectorAll('[data-live-visitor]').length`); n != 0 {
		t.Fatalf(`%d visitors online before anyone opened the site`, n)
	}

	visitor := apptest.NewTab(t, op)
	if !waitWidget(t, visitor, site.URL+"/tents") {
		t.Fatalf(`widget not available with an operator online`)
	}
	row := `document.querySelector('[data-live-visitor]')`
	lcWait(t, op, "the visitor in the live list", row+` && `+row+`.innerText.indexOf('Acme Outdoor · Tents') >= 0`, `document.querySelector('#visitors-online')`)
	if got := lcEval[string](t, op, row+`.innerText`); !strings.Contains(got, "New") || !strings.Contains(got, "Start a chat") {
		t.Errorf(`live row = %q, want a new visitor one can invite`, got)
	}
	apptest.Screenshot(t, op, "live-visitors")

	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`[data-live-visitor] a.btn`)), chromedp.WaitVisible(chromedp.CSS(`#start-chat textarea`)))
	const first = "Hello from Ada! The Trailstar 2 is on sale today."
	apptest.Do(t, op,
		chromedp.SetValue(chromedp.CSS(`#start-chat textarea`), first),
		chromedp.Click(chromedp.CSS(`[data-start-chat]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conv-open`)),
	)
	if loc := lcEval[string](t, op, `location.pathname + location.search`); !strings.HasPrefix(loc, "/admin/conversations?session=") {
		t.Errorf(`after the invitation the operator is at %q, want the conversation`, loc)
	}

	widgetPoll(t, visitor, "the widget to open with the operator's message", widgetIsOpen+` && plText('.log').indexOf('`+first+`') >= 0`)
	if title := widgetEval[string](t, visitor, `plText('.title')`); !strings.Contains(title, "Ada") {
		t.Errorf(`widget title = %q, want the operator who invited`, title)
	}
	widgetShot(t, visitor, "chat-request")
	apptest.AssertNoConsoleErrors(t, visitor)

	list, err := srv.Store.Sessions(context.Background(), model.SessionFilter{OperatorID: admin.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Status != model.SessionOpen {
		t.Fatalf(`the operator holds %d sessions (%+v), want the one open chat they started`, len(list), list)
	}

	// The visitor answers in the same conversation.
	widgetSend(t, visitor, "Great, I'll take one!")
	widgetPoll(t, visitor, "the answer sent", `plText('.log').indexOf("Great, I'll take one!") >= 0 && !pl('.m.me.failed')`)
	lcWait(t, op, "the visitor's answer", `document.body.innerText.indexOf("Great, I'll take one!") >= 0`, `document.body`)
	apptest.AssertNoConsoleErrors(t, op)
}

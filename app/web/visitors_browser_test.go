package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
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

// TestVisitorsBrowserVisitorPageLive: a visitor's page follows them over the
// operator's socket without a reload: the page they open appears in its
// history (the first message being written to them kept), the conversation
// they start is listed (and the invitation goes), and their leaving shows.
func TestVisitorsBrowserVisitorPageLive(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	site := thirdPartySite(t, srv, defaultChannelID(t, srv))

	op := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/visitors"), chromedp.WaitVisible(chromedp.CSS(`#visitors-online`)))
	lcWait(t, op, "the operator's socket", `Parley.chat && Parley.chat.connected()`, `document.body`)
	waitOnline(t, srv, admin.ID)

	visitor := apptest.NewTab(t, op)
	if !waitWidget(t, visitor, site.URL+"/tents") {
		t.Fatalf(`widget not available with an operator online`)
	}
	lcWait(t, op, "the visitor in the live list", `!!document.querySelector('[data-live-visitor] a.btn')`, `document.querySelector('#visitors-online')`)
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`[data-live-visitor] a.btn`)), chromedp.WaitVisible(chromedp.CSS(`#start-chat textarea`)))
	lcWait(t, op, "the operator's socket on the visitor page", `Parley.chat && Parley.chat.connected()`, `document.body`)
	const draft = "Good evening! The Ridge UL 1 is in stock."
	apptest.Do(t, op, chromedp.SetValue(chromedp.CSS(`#start-chat textarea`), draft),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	pages := `document.querySelector('.pageviews').innerText`
	if got := lcEval[string](t, op, pages); strings.Contains(got, "/ridge-ul-1") || !strings.Contains(got, "/tents") {
		t.Fatalf(`page views before = %q`, got)
	}

	// The visitor opens another page of the site.
	if !waitWidget(t, visitor, site.URL+"/tents/ridge-ul-1") {
		t.Fatalf(`widget not available on the second page`)
	}
	lcWait(t, op, "the new page in the history", `!!document.querySelector('.pageviews') && `+pages+`.indexOf('/tents/ridge-ul-1') >= 0`, `document.querySelector('#visitor-live')`)
	if !lcEval[bool](t, op, `window.notReloaded === true`) {
		t.Errorf(`the visitor page was reloaded`)
	}
	if got := lcEval[string](t, op, `document.querySelector('#start-chat textarea').value`); got != draft {
		t.Errorf(`the first message being written = %q, want it kept: %q`, got, draft)
	}

	if n := lcEval[int](t, op, `document.querySelectorAll('.mini-sessions li').length`); n != 0 {
		t.Fatalf(`%d conversations before the visitor wrote`, n)
	}
	widgetChat(t, srv, visitor, site.URL+"/tents", "Do you ship to Portugal?")
	lcWait(t, op, "the conversation listed", `document.querySelectorAll('.mini-sessions li').length === 1`, `document.querySelector('#visitor-live')`)
	if got := lcEval[string](t, op, `document.querySelector('.mini-sessions li').innerText`); !strings.Contains(got, "Ada") || !strings.Contains(got, "Open") {
		t.Errorf(`conversation = %q, want Ada's open one`, got)
	}
	if !lcEval[bool](t, op, `window.notReloaded === true && !document.querySelector('#start-chat') && !!document.querySelector('[data-online]')`) {
		t.Errorf(`the page was reloaded, or offers to start a chat with a visitor who is chatting`)
	}

	// The visitor closes their tab.
	if _, err := chromedp.Call(visitor, page.Close, cdp.Empty{}); err != nil {
		t.Fatalf(`close the visitor's tab: %v`, err)
	}
	lcWait(t, op, "the visitor gone", `!document.querySelector('[data-online]') && document.querySelector('#visitor-live').innerText.indexOf('Last seen') >= 0`, `document.querySelector('#visitor-live')`)
	if !lcEval[bool](t, op, `window.notReloaded === true`) {
		t.Errorf(`the visitor page was reloaded`)
	}
	apptest.AssertNoConsoleErrors(t, op)
}

package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// lcShadow reaches into the widget's shadow root on the customer's page.
const lcShadow = `document.querySelector('#parley-livechat').shadowRoot`

// lcCustomerSite serves a customer's website on its own port (its own
// origin) with nothing but the two-line embed snippet.
func lcCustomerSite(t *testing.T, srv *apptest.Server, channelID int64) *httptest.Server {
	t.Helper()
	page := fmt.Sprintf(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Brewline · Espresso machines</title>
<link rel="stylesheet" href="%[1]s/im_livechat/external_lib.css"/>
<script type="text/javascript" src="%[1]s/im_livechat/loader/%[2]d"></script>
<style>body{margin:0;font:16px/1.6 Georgia,serif;background:#faf7f2;color:#222}header{background:#3b2a20;color:#fff;padding:18px 40px;font:700 20px system-ui}main{max-width:720px;margin:40px auto;padding:0 24px}</style>
</head><body><header>Brewline</header><main><h1>Espresso machines</h1><p>Dual boilers, PID control, free descaling for a year.</p></main></body></html>`, srv.URL, channelID)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(site.Close)
	return site
}

// lcWait polls a JavaScript expression until it is truthy; on timeout it
// fails with what the page shows in the element named by dump.
func lcWait(t *testing.T, ctx context.Context, what, expr, dump string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+expr+")", chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () { try { return (`+dump+`).innerText; } catch (e) { return String(e); } })()`))
		t.Fatalf(`%s: %v; the page shows: %q`, what, err, shown)
	}
}

func lcEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return apptest.Run(t, ctx, chromedp.Evaluate[T](expr))
}

// TestLiveChatEndToEnd is the whole conversation: a visitor on a customer's
// site talks with an operator working in the admin, across page loads on
// both sides.
func TestLiveChatEndToEnd(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	site := lcCustomerSite(t, srv, ch.ID)
	browser := apptest.NewBrowser(t)

	// The operator logs in; their open admin tab is what makes them available.
	op := apptest.NewTab(t, browser)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	waitOnline(t, srv, ada.ID)
	lcWait(t, op, "own presence dot", `document.querySelector('.presence-me').classList.contains('online')`, `document.body`)

	// The visitor opens the widget on the customer's site and writes, with HTML in the text.
	vis := apptest.NewTab(t, browser)
	apptest.Do(t, vis, chromedp.Navigate(site.URL+"/"))
	lcWait(t, vis, "launcher", `!!document.querySelector('#parley-livechat') && !!`+lcShadow+` && !!`+lcShadow+`.querySelector('.launcher')`, `document.body`)
	lcEval[any](t, vis, lcShadow+`.querySelector('.launcher').click()`)
	lcWait(t, vis, "composer", lcShadow+`.querySelector('.composer textarea').offsetParent !== null`, lcShadow+`.querySelector('.pl')`)
	hostile := `Hello <b>bold</b><img src=x onerror=alert(1)>`
	lcEval[any](t, vis, lcShadow+`.querySelector('.composer textarea').focus()`)
	apptest.Do(t, vis, chromedp.KeyEvent(hostile), apptest.PressEnter())
	lcWait(t, vis, "visitor's message sent", lcShadow+`.querySelector('.log').textContent.includes('onerror=alert(1)') && !`+lcShadow+`.querySelector('.m.sending')`, lcShadow+`.querySelector('.pl')`)

	// The operator gets a chat window, with the text shown as text.
	win := `document.querySelector('.chat-dock .chat-window')`
	lcWait(t, op, "chat window", `!!`+win+` && !!`+win+`.querySelector('.msg.visitor')`, `document.querySelector('.chat-dock')`)
	if got := lcEval[string](t, op, win+`.querySelector('.msg.visitor .msg-text').textContent`); got != hostile {
		t.Errorf(`operator sees %q, want the text %q`, got, hostile)
	}
	if n := lcEval[int](t, op, win+`.querySelectorAll('b, img, script').length`); n != 0 {
		t.Errorf(`the visitor's HTML created %d elements in the chat window`, n)
	}
	title := lcEval[string](t, op, win+`.querySelector('.chat-head .title').textContent`)
	if !strings.HasPrefix(title, "Website Visitor #") {
		t.Errorf(`window title = %q, want the visitor's name`, title)
	}
	if page := lcEval[string](t, op, win+`.querySelector('.chat-page').getAttribute('href')`); !strings.HasPrefix(page, site.URL) {
		t.Errorf(`current page link = %q, want the customer's page`, page)
	}
	sid := lcEval[string](t, op, win+`.getAttribute('data-session')`)
	lcWait(t, op, "unread in the title or read at once", `document.title.startsWith('(1) ') || Parley.chat.unread() === 0`, `document.querySelector('title')`)

	// The visitor types: the operator sees it.
	lcEval[any](t, vis, lcShadow+`.querySelector('.composer textarea').focus()`)
	// The hub drops typing frames closer than 300 ms on one socket; the
	// widget's "stopped typing" went out when the message was sent.
	apptest.Do(t, vis, chromedp.Sleep(400*time.Millisecond), chromedp.KeyEvent("One more"))
	lcWait(t, op, "typing indicator", `!`+win+`.querySelector('.chat-typing').hidden && `+win+`.querySelector('.chat-typing').textContent.includes('is typing')`, win)
	apptest.Screenshot(t, op, "dock")

	// The operator answers from the window.
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-dock .chat-window textarea`)), chromedp.KeyEvent("Hi! "))
	lcWait(t, vis, "visitor sees the operator typing", `!`+lcShadow+`.querySelector('.typing').hidden && `+lcShadow+`.querySelector('.typing').textContent.includes('Ada Lovelace')`, lcShadow+`.querySelector('.pl')`)
	reply := "Hi! Our espresso guide is at https://brewline.example/guide - what are you looking for?"
	apptest.Do(t, op, chromedp.KeyEvent(strings.TrimPrefix(reply, "Hi! ")), apptest.PressEnter())
	lcWait(t, op, "reply committed", win+`.querySelectorAll('.msg.mine[data-id]').length === 1 && !`+win+`.querySelector('.msg.pending')`, win)
	if href := lcEval[string](t, op, win+`.querySelector('.msg.mine a').href`); href != "https://brewline.example/guide" {
		t.Errorf(`auto-link = %q`, href)
	}
	lcWait(t, vis, "visitor sees the reply", lcShadow+`.querySelector('.log').textContent.includes('what are you looking for?')`, lcShadow+`.querySelector('.log')`)

	// Mid-chat the operator moves to another admin page: the window follows.
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/sessions"), chromedp.WaitVisible(chromedp.CSS(`.sessions-table`)))
	lcWait(t, op, "window restored with its history", win+` && `+win+`.getAttribute('data-session') === '`+sid+`' && `+win+`.querySelectorAll('.msg[data-id]').length === 2`, `document.querySelector('.chat-dock')`)
	apptest.Do(t, vis, chromedp.KeyEvent(" - is the Duo in stock?"), apptest.PressEnter())
	lcWait(t, op, "new message after navigation", win+`.textContent.includes('is the Duo in stock?')`, win)
	apptest.Screenshot(t, op, "sessions-with-dock")

	// The visitor reloads and finds the conversation.
	apptest.Do(t, vis, chromedp.Reload())
	lcWait(t, vis, "widget after reload", `!!document.querySelector('#parley-livechat') && !!`+lcShadow+` && !!`+lcShadow+`.querySelector('.launcher')`, `document.body`)
	if !lcEval[bool](t, vis, lcShadow+`.querySelector('.composer textarea').offsetParent !== null`) {
		lcEval[any](t, vis, lcShadow+`.querySelector('.launcher').click()`)
	}
	lcWait(t, vis, "history after reload", lcShadow+`.querySelector('.log').textContent.includes('what are you looking for?') && `+lcShadow+`.querySelector('.log').textContent.includes('onerror=alert(1)')`, lcShadow+`.querySelector('.log')`)

	// The Conversations view shows the same chat full size, and the transcript page.
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/conversations?session="+sid))
	lcWait(t, op, "conversation full size", `document.querySelectorAll('.conv-chat .chat-window .msg[data-id]').length === 3 && document.querySelector('.conv-item.active')`, `document.querySelector('#conversations')`)
	if n := lcEval[int](t, op, `document.querySelectorAll('.chat-dock .chat-window').length`); n != 0 {
		t.Errorf(`the Conversations page shows %d docked windows, want none`, n)
	}
	apptest.Screenshot(t, op, "conversations")
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/sessions/"+sid), chromedp.WaitVisible(chromedp.CSS(`.transcript`)))
	if n := lcEval[int](t, op, `document.querySelectorAll('.transcript b, .transcript img').length`); n != 0 {
		t.Errorf(`the transcript rendered %d elements from the visitor's HTML`, n)
	}
	apptest.Screenshot(t, op, "transcript")

	// Back on an ordinary page; the visitor ends the chat (X, then confirm).
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/channels"))
	lcWait(t, op, "window back on the next page", win+` && `+win+`.querySelectorAll('.msg[data-id]').length === 3`, `document.querySelector('.chat-dock')`)
	lcEval[any](t, vis, lcShadow+`.querySelector('.head .hb:last-of-type').click()`)
	lcWait(t, vis, "close confirmation", `!`+lcShadow+`.querySelector('.confirm').hidden`, lcShadow+`.querySelector('.pl')`)
	lcEval[any](t, vis, lcShadow+`.querySelector('.confirm .btn').click()`)
	lcWait(t, op, "leave notice", win+`.querySelector('.msg.system') && `+win+`.querySelector('.msg.system').textContent === '`+title+` has left the conversation.'`, win)
	lcWait(t, op, "composer disabled", win+`.querySelector('textarea').disabled && !`+win+`.querySelector('.chat-ended').hidden`, win)
	apptest.Screenshot(t, op, "dock-closed")

	// X closes the window, not the conversation; it stays closed on the next page.
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-dock .chat-window [data-act="close"]`)))
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)))
	lcWait(t, op, "socket back", `Parley.chat && Parley.chat.connected()`, `document.body`)
	if n := lcEval[int](t, op, `document.querySelectorAll('.chat-dock .chat-window').length`); n != 0 {
		t.Errorf(`%d windows after closing the last one`, n)
	}

	apptest.AssertNoConsoleErrors(t, op)
	apptest.AssertNoConsoleErrors(t, vis)
}

// dockOperator starts a server whose admin, Ada, is signed in in a browser
// and so available: the set-up of the chat dock's tests. It returns the
// server, Ada, the default channel and her tab.
func dockOperator(t *testing.T) (*apptest.Server, *model.User, *model.Channel, context.Context) {
	t.Helper()
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	op := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	waitOnline(t, srv, ada.ID)
	return srv, ada, ch, op
}

// TestChatWindowsAcrossPages checks what the operator's tab keeps while they
// move around the admin: minimised windows, unread counts in the title and
// the menu, and the Conversations list kept live.
func TestChatWindowsAcrossPages(t *testing.T) {
	srv, ada, ch, op := dockOperator(t)

	a := cvStart(t, srv, ch.ID, "https://shop.example/pricing", "Pricing · Shop")
	call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, `{"body":"Do you ship to Belgium?"}`)
	b := cvStart(t, srv, ch.ID, "https://shop.example/cart", "Your cart")
	call(t, srv, "POST", "/im_livechat/sessions/"+b.ID+"/messages", b.Token, `{"body":"My discount code does not work"}`)
	winA := `document.querySelector('.chat-window[data-session="` + a.ID + `"]')`
	winB := `document.querySelector('.chat-window[data-session="` + b.ID + `"]')`
	lcWait(t, op, "two windows", winA+` && `+winB+` && `+winB+`.textContent.includes('discount code')`, `document.querySelector('.chat-dock')`)

	// The operator reads both (a click in a window gives the headless tab
	// its focus); the page is left once the server has the reads
	// (TestReadKeptWhenThePageIsLeft leaves before).
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-window[data-session="`+a.ID+`"] .msg[data-id]`)),
		chromedp.Click(chromedp.CSS(`.chat-window[data-session="`+b.ID+`"] .msg[data-id]`)))
	waitRead(t, srv, ada.ID, a.ID, b.ID)

	// Minimise A, move to another page: both come back, A still minimised.
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-window[data-session="`+a.ID+`"] [data-act="min"]`)))
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/visitors"), chromedp.WaitVisible(chromedp.CSS(`.visitors-table`)))
	lcWait(t, op, "windows restored", winA+` && `+winA+`.classList.contains('min') && `+winB+` && !`+winB+`.classList.contains('min') && `+winB+`.querySelectorAll('.msg[data-id]').length === 1`, `document.querySelector('.chat-dock')`)
	lcWait(t, op, "socket back", `Parley.chat && Parley.chat.connected()`, `document.body`)

	// A message in the minimised window: unread in the title, the menu and the window.
	call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, `{"body":"Hello? Anyone there?"}`)
	lcWait(t, op, "unread shown", `document.title.startsWith('(1) ') && document.querySelector('[data-chat-unread]').textContent === '1' && `+winA+`.classList.contains('has-unread')`, `document.querySelector('header')`)
	apptest.Screenshot(t, op, "visitors-dock-minimised")

	// Opening the window reads it.
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-window[data-session="`+a.ID+`"] .chat-head .title`)))
	lcWait(t, op, "read", `!document.title.startsWith('(') && document.querySelector('[data-chat-unread]').hidden`, `document.querySelector('header')`)

	// A network cut: what is said meanwhile arrives once, after the reconnect.
	lcEval[any](t, op, `Parley.chat.reconnect()`)
	call(t, srv, "POST", "/im_livechat/sessions/"+b.ID+"/messages", b.Token, `{"body":"Said while you were away"}`)
	lcWait(t, op, "caught up after reconnect", `Parley.chat.connected() && `+winB+`.querySelectorAll('.msg[data-id]').length === 2`, winB)
	apptest.Do(t, op, chromedp.Sleep(300*time.Millisecond))
	if n := lcEval[int](t, op, `Array.from(`+winB+`.querySelectorAll('.msg')).filter(function (e) { return e.textContent.includes('Said while you were away'); }).length`); n != 1 {
		t.Errorf(`the message said during the cut is shown %d times, want once`, n)
	}

	// The Conversations page: no dock, a live list, selection by click and URL.
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/conversations"), chromedp.WaitVisible(chromedp.CSS(`#conv-open`)))
	lcWait(t, op, "ready", `Parley.chat && Parley.chat.connected()`, `document.body`)
	if n := lcEval[int](t, op, `document.querySelectorAll('#conv-open .conv-item').length`); n != 2 {
		t.Fatalf(`%d open conversations listed, want 2`, n)
	}
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.conv-item[data-session="`+b.ID+`"] .conv-link`)))
	lcWait(t, op, "B selected", `location.search === '?session=`+b.ID+`' && document.querySelector('.conv-chat .chat-window[data-session="`+b.ID+`"] .msg[data-id]') && document.querySelector('#conv-info').textContent.includes('Your cart')`, `document.querySelector('#conversations')`)
	call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, `{"body":"I found the answer, thanks"}`)
	lcWait(t, op, "A moves up with its unread count", `document.querySelector('#conv-open .conv-item').getAttribute('data-session') === '`+a.ID+`' && document.querySelector('#conv-open .conv-item .conv-count').textContent === '1' && document.querySelector('#conv-open .conv-item').textContent.includes('I found the answer')`, `document.querySelector('#conv-open')`)
	if n := lcEval[int](t, op, `document.querySelectorAll('.chat-dock .chat-window').length`); n != 0 {
		t.Errorf(`%d docked windows on the Conversations page`, n)
	}
	apptest.Screenshot(t, op, "conversations-live")

	// The visitor of B leaves: the entry moves to Recently closed.
	call(t, srv, "POST", "/im_livechat/sessions/"+b.ID+"/close", b.Token, "")
	lcWait(t, op, "B closed", `document.querySelector('#conv-closed .conv-item[data-session="`+b.ID+`"]') && document.querySelector('.conv-chat .chat-window').classList.contains('closed')`, `document.querySelector('#conversations')`)

	// Offline messages and the sessions list, for the eye.
	call(t, srv, "POST", "/im_livechat/offline_messages", "", fmt.Sprintf(`{"channel_id":%d,"name":"Bo Jansen","email":"bo@example.com","body":"Please call me back about a bulk order of 40 machines.\nMornings are best.","url":"https://shop.example/business"}`, ch.ID))
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/offline"), chromedp.WaitVisible(chromedp.CSS(`.offline-table`)))
	apptest.Screenshot(t, op, "offline")
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.offline-row button`)))
	lcWait(t, op, "handled", `document.querySelector('.offline-row.handled')`, `document.querySelector('.offline-table')`)
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/sessions"), chromedp.WaitVisible(chromedp.CSS(`.sessions-table`)))
	apptest.Screenshot(t, op, "sessions")
	apptest.AssertNoConsoleErrors(t, op)
}

// TestWindowsKeptWhenAPageIsLeftEarly leaves admin pages before their list
// of open chats has come (the browser holds that request): the windows must
// still be there on the next page. The tab used to save its windows as it
// left a page, before the page had put the saved ones back, and so saved none.
func TestWindowsKeptWhenAPageIsLeftEarly(t *testing.T) {
	srv, _, ch, op := dockOperator(t)

	a := cvStart(t, srv, ch.ID, "https://shop.example/pricing", "Pricing · Shop")
	call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, `{"body":"Do you ship to Belgium?"}`)
	win := `document.querySelector('.chat-window[data-session="` + a.ID + `"]')`
	lcWait(t, op, "window", win+` && `+win+`.querySelector('.msg[data-id]')`, `document.querySelector('.chat-dock')`)

	apptest.Do(t, op, apptest.HoldRequests("*/admin/api/sessions?status=open"),
		chromedp.Navigate(srv.URL+"/admin/visitors"), chromedp.WaitVisible(chromedp.CSS(`.visitors-table`)),
		chromedp.Navigate(srv.URL+"/admin/channels"), chromedp.WaitReady(chromedp.CSS(`.chat-dock`)))
	if n := lcEval[int](t, op, `document.querySelectorAll('.chat-dock .chat-window').length`); n != 0 {
		t.Fatalf(`%d windows while the list is held, want none yet (the test holds the wrong request)`, n)
	}
	apptest.Do(t, op, apptest.ReleaseRequests(), chromedp.Navigate(srv.URL+"/admin/visitors"), chromedp.WaitVisible(chromedp.CSS(`.visitors-table`)))
	lcWait(t, op, "window back", win+` && `+win+`.querySelector('.msg[data-id]')`, `document.querySelector('.chat-dock')`)
	apptest.AssertNoConsoleErrors(t, op)
}

// TestScrollKeptWhenAPageIsLeftBeforeItsMessages: an operator scrolled up
// in a window and moved on; the next page is left before the window's
// messages came. The page after must still open the window where it was,
// not at the bottom.
func TestScrollKeptWhenAPageIsLeftBeforeItsMessages(t *testing.T) {
	srv, _, ch, op := dockOperator(t)

	a := cvStart(t, srv, ch.ID, "https://shop.example/pricing", "Pricing · Shop")
	for i := range 8 { // within the visitor's burst of messages
		long := strings.Repeat("The Duo heats both boilers at once, ", 8)
		if code, _, _ := call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, fmt.Sprintf(`{"body":"Question %d: %s"}`, i, long)); code != http.StatusCreated {
			t.Fatalf(`message %d: status %d`, i, code)
		}
	}
	win := `document.querySelector('.chat-window[data-session="` + a.ID + `"]')`
	body := win + `.querySelector('.chat-body')`
	saved := `JSON.parse(sessionStorage.getItem('parley.chat.windows') || '[]')`
	lcWait(t, op, "window with every message", win+` && `+win+`.querySelectorAll('.msg[data-id]').length === 8`, `document.querySelector('.chat-dock')`)
	// The window settles at the bottom first; then the operator scrolls up.
	apptest.Do(t, op, chromedp.Sleep(800*time.Millisecond))
	lcEval[any](t, op, body+`.scrollTop = 0`)
	lcWait(t, op, "scrolled up and saved", body+`.scrollHeight > `+body+`.clientHeight && `+saved+`.length === 1 && `+saved+`[0].top === 0 && !`+saved+`[0].bottom`, `document.querySelector('.chat-dock')`)

	apptest.Do(t, op, apptest.HoldRequests("*/messages?*"), chromedp.Navigate(srv.URL+"/admin/visitors"), chromedp.WaitVisible(chromedp.CSS(`.visitors-table`)))
	lcWait(t, op, "window back, its messages held", win+` && `+win+`.querySelectorAll('.msg[data-id]').length === 0 && `+saved+`.length === 1`, `document.querySelector('.chat-dock')`)
	// Left while the messages are still held: the place is kept for the next page.
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/channels"), chromedp.WaitReady(chromedp.CSS(`.chat-dock`)))
	if st := lcEval[string](t, op, `JSON.stringify(`+saved+`)`); !strings.Contains(st, `"top":0,"bottom":false`) {
		t.Errorf(`saved windows %s after leaving a page before the window's messages came, want it scrolled up (top 0, not at the bottom)`, st)
	}
	apptest.Do(t, op, apptest.ReleaseRequests(), chromedp.Navigate(srv.URL+"/admin/visitors"))
	lcWait(t, op, "window loaded", win+` && `+win+`.querySelectorAll('.msg[data-id]').length === 8`, `document.querySelector('.chat-dock')`)
	apptest.Do(t, op, chromedp.Sleep(300*time.Millisecond))
	if top, bottom := lcEval[float64](t, op, body+`.scrollTop`), lcEval[bool](t, op, body+`.scrollTop + `+body+`.clientHeight >= `+body+`.scrollHeight - 2`); top != 0 || bottom {
		t.Errorf(`the window opened at scrollTop %v (at the bottom: %v), want where the operator left it (0)`, top, bottom)
	}
}

// TestReadKeptWhenThePageIsLeft holds the operator's read marker in the
// browser until they have moved to another page: it must still reach the
// server, or the chat counts as unread again on the next page (a window
// minimised meanwhile is not shown there, so nothing reads it again).
func TestReadKeptWhenThePageIsLeft(t *testing.T) {
	srv, ada, ch, op := dockOperator(t)

	// What the browser held, for the failure message. In full CI runs the
	// read twice never arrived because the tab never sent it: a message
	// fetched before its frame was not counted unread, so the click had
	// nothing to read (chat.js's frame handler now counts it).
	var mu sync.Mutex
	var held []string
	released := "never"
	if err := chromedp.Listen(op, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			mu.Lock()
			held = append(held, fmt.Sprintf("%s %s (%s)", e.Request.Method, e.Request.URL, time.Now().Format("15:04:05.000")))
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			t.Logf("requests the browser held: %q; released at %s", held, released)
		}
	})
	apptest.Do(t, op, apptest.HoldRequests("*/read"))

	a := cvStart(t, srv, ch.ID, "https://shop.example/pricing", "Pricing · Shop")
	call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, `{"body":"Do you ship to Belgium?"}`)
	win := `document.querySelector('.chat-window[data-session="` + a.ID + `"]')`
	lcWait(t, op, "window", win+` && `+win+`.querySelector('.msg[data-id]')`, `document.querySelector('.chat-dock')`)
	// A click in the window reads it (a headless tab has no focus before).
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-window[data-session="`+a.ID+`"] .msg[data-id]`)))
	lcWait(t, op, "read in the tab", `Parley.chat.unread() === 0`, `document.querySelector('.chat-dock')`)
	x, err := srv.Store.SessionByPublicID(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := srv.Store.Unread(t.Context(), ada.ID, []int64{x.ID}); err != nil || n[x.ID] != 1 {
		t.Fatalf(`the server counts %v unread (%v) while the browser holds the read, want 1: the test holds the wrong request`, n, err)
	}

	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-window[data-session="`+a.ID+`"] [data-act="min"]`)),
		chromedp.Navigate(srv.URL+"/admin/visitors"), chromedp.WaitVisible(chromedp.CSS(`.visitors-table`)))
	apptest.Do(t, op, apptest.ReleaseRequests()) // the read goes on only if it outlived its page
	mu.Lock()
	released = time.Now().Format("15:04:05.000")
	mu.Unlock()

	waitRead(t, srv, ada.ID, a.ID)
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/channels"))
	lcWait(t, op, "window back, minimised", win+` && `+win+`.classList.contains('min')`, `document.querySelector('.chat-dock')`)
	if n := lcEval[int](t, op, `Parley.chat.unread()`); n != 0 {
		t.Errorf(`the page shows %d unread after the operator read the chat and left`, n)
	}
	apptest.AssertNoConsoleErrors(t, op)
}

// waitRead waits until the server counts nothing unread for user in the
// sessions (public ids).
func waitRead(t *testing.T, srv *apptest.Server, userID int64, sessions ...string) {
	t.Helper()
	ids := make([]int64, len(sessions))
	for i, pub := range sessions {
		x, err := srv.Store.SessionByPublicID(t.Context(), pub)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = x.ID
	}
	var unread map[int64]int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var err error
		if unread, err = srv.Store.Unread(t.Context(), userID, ids); err != nil {
			t.Fatal(err)
		}
		if len(unread) == 0 {
			return
		}
	}
	t.Fatalf(`the server still counts unread messages %v (session id: count): the operator's read never arrived`, unread)
}

// TestNotifiedOnceAcrossTabs opens the admin in two tabs of one browser: a
// new chat and a new message each raise one browser notification, not one
// per tab.
func TestNotifiedOnceAcrossTabs(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	tab1 := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, tab1, srv.URL, "ada@example.com")
	tab2, cancel := chromedp.NewContext(tab1) // a second tab with the same cookies and storage
	t.Cleanup(cancel)
	apptest.Do(t, tab2, chromedp.Navigate(srv.URL+"/admin/sessions"), chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)))
	// Stand-in notifications that record into the storage both tabs share;
	// neither tab has the focus, so both would notify.
	const fake = `(function () {
		document.hasFocus = function () { return false; };
		window.Notification = function (title, opts) {
			// One key per notification: two tabs adding to one list at
			// the same moment could each overwrite the other's entry.
			localStorage.setItem('test.shown.' + Date.now() + '.' + Math.random(), title);
			this.close = function () {};
		};
		window.Notification.permission = 'granted';
		return true;
	})()`
	for _, tab := range []context.Context{tab1, tab2} {
		lcEval[bool](t, tab, fake)
		lcWait(t, tab, "socket", `Parley.chat && Parley.chat.connected()`, `document.body`)
	}
	waitOnline(t, srv, ada.ID)

	a := cvStart(t, srv, ch.ID, "https://shop.example/", "Home")
	call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, `{"body":"Hi there"}`)
	for _, tab := range []context.Context{tab1, tab2} {
		lcWait(t, tab, "window", `document.querySelector('.chat-window .msg.visitor')`, `document.querySelector('.chat-dock')`)
	}
	// Both notifications come (a busy machine may take its time), then a
	// second copy of either would have a moment to show.
	const shownJS = `Object.keys(localStorage).filter(function (k) { return k.indexOf('test.shown.') === 0; }).sort().map(function (k) { return localStorage.getItem(k); })`
	lcWait(t, tab1, "two notifications", shownJS+`.length >= 2`, `document.querySelector('.chat-dock')`)
	apptest.Do(t, tab1, chromedp.Sleep(time.Second))
	shown := lcEval[[]string](t, tab1, shownJS)
	want := []string{"New chat with " + a.Visitor, "New message from " + a.Visitor}
	if fmt.Sprint(shown) != fmt.Sprint(want) && fmt.Sprint(shown) != fmt.Sprint([]string{want[1], want[0]}) {
		t.Errorf(`notifications shown: %q, want each once: %q`, shown, want)
	}
	for _, tab := range []context.Context{tab1, tab2} {
		if title := lcEval[string](t, tab, `document.title`); !strings.HasPrefix(title, "(1) ") {
			t.Errorf(`tab title %q, want the unread count`, title)
		}
	}
}

// TestChatWindowCloseWhileMoving: a window sliding in (or moved by its
// neighbour) can carry its close button away from a pointer that stays
// still between press and release; the click then lands on the header. It
// must close the window, not minimise it.
func TestChatWindowCloseWhileMoving(t *testing.T) {
	srv, _, ch, op := dockOperator(t)
	a := cvStart(t, srv, ch.ID, "https://shop.example/", "Home")
	win := `document.querySelector('.chat-window[data-session="` + a.ID + `"]')`
	lcWait(t, op, "the window, still", win+` && `+win+`.getAnimations().length === 0`, `document.querySelector('.chat-dock')`)

	at := lcEval[[]float64](t, op, `(function () { var r = `+win+`.querySelector('[data-act="close"]').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
	x, y := at[0], at[1]
	apptest.Do(t, op,
		chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.Evaluate[chromedp.Void](win+`.style.transform = 'translateY(-16px)'`),
		chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	lcWait(t, op, "the window closed", `!`+win, `document.querySelector('.chat-dock')`)
	apptest.AssertNoConsoleErrors(t, op)
}

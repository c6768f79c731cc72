package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/livechat"
	"parley/app/model"
)

// frameHold runs in every document of a tab before the page's own scripts
// (see withFrameHold). holdFrames(type) keeps the websocket frames of that
// type from the page, as a busy server or network delivers them late;
// releaseFrames() hands them over in order; heldFrames() counts them.
const frameHold = `(function () {
  var d = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage'), holding = {}, held = [];
  window.holdFrames = function (type) { holding[type] = true; };
  window.heldFrames = function () { return held.length; };
  window.releaseFrames = function () {
    holding = {};
    held.splice(0).forEach(function (h) { h.fn.call(h.ws, h.e); });
  };
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    configurable: true,
    get: d.get,
    set: function (fn) {
      var ws = this;
      d.set.call(this, typeof fn !== 'function' ? fn : function (e) {
        var type = '';
        try { type = JSON.parse(e.data).type; } catch (err) { /* not JSON: passes */ }
        if (holding[type]) { held.push({ ws: ws, fn: fn, e: e }); return; }
        return fn.call(ws, e);
      });
    }
  });
})();`

func withFrameHold(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: frameHold}); err != nil {
		t.Fatalf(`install the frame hold: %v`, err)
	}
}

// TestTransferNoticeBeforeSessionFrameBrowser: a transfer sends its notice
// first and the session's new state after it. When the tab loads the chat
// for the notice before the session frame comes (a busy server, a slow
// network), the operator still gets the window, once, and can answer.
func TestTransferNoticeBeforeSessionFrameBrowser(t *testing.T) {
	srv, ada, _, browser, sess := widgetChatFixture(t, "Do you ship stoves to the Azores?")
	sid := sess.PublicID
	bob := srv.CreateUser(t, "bob@example.com", "Bob Marley", model.RoleOperator)
	if err := srv.Livechat.Join(context.Background(), sess.ChannelID, bob.ID); err != nil {
		t.Fatal(err)
	}

	op := holdingOperator(t, srv, browser, bob)

	x, err := srv.Store.SessionByPublicID(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Livechat.TransferSession(context.Background(), x, ada, livechat.TransferInput{OperatorID: bob.ID}); err != nil {
		t.Fatal(err)
	}

	windowBeforeSessionFrame(t, op, sid, "Ada Lovelace transferred the conversation to Bob Marley.")
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(opWinSel(sid, `textarea`))), chromedp.KeyEvent("Yes, by sea freight."), apptest.PressEnter())
	widgetPoll(t, browser, "Bob's answer", `plText('.log').indexOf('by sea freight') >= 0`)
	apptest.AssertNoConsoleErrors(t, op)
}

// TestBotHandOverBeforeSessionFrameBrowser: a chatbot forwarding the
// visitor posts "… has joined" before the session frame too; the operator
// gets the window all the same.
func TestBotHandOverBeforeSessionFrameBrowser(t *testing.T) {
	srv := apptest.NewServer(t)
	id := defaultChannelID(t, srv)
	sc, answers := welcomeBot(t, srv)
	botRule(t, srv, id, sc.ID, false)
	bob := srv.CreateUser(t, "bob@example.com", "Bob Marley", model.RoleOperator)
	if err := srv.Livechat.Join(context.Background(), id, bob.ID); err != nil {
		t.Fatal(err)
	}
	browser := apptest.NewBrowser(t)
	op := holdingOperator(t, srv, browser, bob)

	c := cvStart(t, srv, id, "https://shop.example/pricing", "Pricing")
	if code, out := postVisitor(t, srv, c.ID, c.Token, fmt.Sprintf(`{"answer_id":%d}`, answers["I have a pricing question"])); code != http.StatusCreated {
		t.Fatalf(`answer: %d %v`, code, out)
	}
	windowBeforeSessionFrame(t, op, c.ID, "Bob Marley has joined the conversation.")
	apptest.AssertNoConsoleErrors(t, op)
}

// holdingOperator logs u in a tab of browser whose session frames are held
// from the page once its socket is up and u is online.
func holdingOperator(t *testing.T, srv *apptest.Server, browser context.Context, u *model.User) context.Context {
	t.Helper()
	op := apptest.NewTab(t, browser)
	withFrameHold(t, op)
	apptest.BrowserLogin(t, op, srv.URL, u.Email)
	lcWait(t, op, "the operator's socket", `Parley.chat && Parley.chat.connected()`, `document.body`)
	waitOnline(t, srv, u.ID)
	lcEval[bool](t, op, `(holdFrames('session'), true)`)
	return op
}

// windowBeforeSessionFrame waits for the docked window of sid with notice
// while the session frame is still held, then lets the frame through: the
// window stays the only one and the operator can answer.
func windowBeforeSessionFrame(t *testing.T, op context.Context, sid, notice string) {
	t.Helper()
	win := opWin(sid)
	lcWait(t, op, "the window before the session frame", win+` && `+win+`.closest('.chat-dock') && `+win+`.querySelector('.msg.visitor[data-id]') && `+win+`.textContent.includes(`+jsString(notice)+`)`, `document.querySelector('.chat-dock')`)
	if n := lcEval[int](t, op, `heldFrames()`); n != 1 {
		t.Fatalf(`%d session frames held when the window opened, want 1: the window did not come from the notice`, n)
	}
	lcEval[bool](t, op, `(releaseFrames(), true)`)
	lcWait(t, op, "the frame handled", `heldFrames() === 0 && !`+win+`.querySelector('textarea').disabled`, win)
	if n := lcEval[int](t, op, `document.querySelectorAll('.chat-window[data-session="`+sid+`"]').length`); n != 1 {
		t.Errorf(`%d windows of the chat, want 1`, n)
	}
}

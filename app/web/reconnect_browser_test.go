package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/livechat"
	"parley/app/model"
)

// The tests here cut the clients' sockets and break their requests on
// purpose: what a visitor or an operator sees must survive network gaps,
// failed requests and servers that come and go.

// netHooks runs in every document of a tab before the page's own scripts
// (see withNetHooks). It gives the test a hand on the network:
//   - blockSockets() closes the open websockets and keeps new ones from
//     connecting (they stall, as behind a dead network) until
//     unblockSockets(), which fails the stalled ones so the clients retry;
//     openSockets() counts the connected ones;
//   - window.sent records every frame a websocket sends, as text;
//   - window.failFetch holds rules {method, re, status, n, code,
//     retryAfter, lose} that answer matching fetch calls (n times) with that
//     status, or a network error for status 0; with lose the request reaches
//     the server and its answer is lost (a network error once it came). The
//     rules start from sessionStorage "test.failFetch", so they can be set
//     before a reload.
const netHooks = `(function () {
  var WS = window.WebSocket, F = window.fetch, stalled = [], live = [];
  window.sent = [];
  window.received = [];
  window.socketsBlocked = %t;
  var send = WS.prototype.send;
  WS.prototype.send = function (d) { window.sent.push(String(d)); return send.apply(this, arguments); };
  function W(url, protocols) {
    if (window.socketsBlocked) {
      var f = { readyState: 0, url: url, send: function () {}, close: function () {} };
      stalled.push(f);
      return f;
    }
    var s = protocols === undefined ? new WS(url) : new WS(url, protocols);
    s.addEventListener('message', function (e) { window.received.push(String(e.data)); });
    live.push(s);
    return s;
  }
  W.prototype = WS.prototype;
  W.CONNECTING = 0; W.OPEN = 1; W.CLOSING = 2; W.CLOSED = 3;
  window.WebSocket = W;
  window.blockSockets = function () {
    window.socketsBlocked = true;
    live.splice(0).forEach(function (s) { s.close(); });
  };
  window.unblockSockets = function () {
    window.socketsBlocked = false;
    stalled.splice(0).forEach(function (f) { f.readyState = 3; if (f.onclose) f.onclose({ code: 1006 }); });
  };
  window.stalledSockets = function () { return stalled.length; };
  window.openSockets = function () { return live.filter(function (s) { return s.readyState === 1; }).length; };
  try { window.failFetch = JSON.parse(sessionStorage.getItem('test.failFetch') || '[]'); } catch (e) { window.failFetch = []; }
  sessionStorage.removeItem('test.failFetch');
  window.fetch = function (input, init) {
    var url = String((input && input.url) || input), method = (init && init.method) || 'GET';
    for (var i = 0; i < window.failFetch.length; i++) {
      var r = window.failFetch[i];
      if (r.n > 0 && r.method === method && new RegExp(r.re).test(url)) {
        r.n--;
        r.hits = (r.hits || 0) + 1;
        if (r.lose) return F.apply(this, arguments).then(function () { throw new TypeError('Failed to fetch'); });
        if (!r.status) return Promise.reject(new TypeError('Failed to fetch'));
        var h = { 'Content-Type': 'application/json' };
        if (r.retryAfter) h['Retry-After'] = String(r.retryAfter);
        return Promise.resolve(new Response(JSON.stringify({ error: 'Test failure.', code: r.code || 'test_failure' }), { status: r.status, headers: h }));
      }
    }
    return F.apply(this, arguments);
  };
})();`

// withNetHooks installs netHooks in the tab for the documents it loads
// from now on; blocked starts with the sockets blocked.
func withNetHooks(t *testing.T, ctx context.Context, blocked bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(netHooks, blocked)}); err != nil {
		t.Fatalf(`install the network hooks: %v`, err)
	}
}

// waitFor polls a JavaScript expression until it is truthy, for at most d.
func waitFor(t *testing.T, ctx context.Context, what, expr string, d time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+expr+")", chromedp.WithPollingTimeout(d))); err != nil {
		t.Fatalf(`waiting %s for %s (%s): %v`, d, what, expr, err)
	}
}

// typingSent lists the typing values the page's sockets sent, in order.
const typingSent = `window.sent.map(function (s) { return JSON.parse(s); }).filter(function (f) { return f.type === 'typing'; }).map(function (f) { return f.typing; })`

// storedSession is the visitor's open session id as the widget stores it.
const storedSession = `(function () { for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (/\.session$/.test(k)) return localStorage.getItem(k); } return ''; })()`

// storedToken is the visitor token as the widget stores it.
const storedToken = `(function () { for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (/\.token$/.test(k)) return localStorage.getItem(k); } return ''; })()`

// widgetSend types a message in the widget's composer and sends it with Enter.
func widgetSend(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	apptest.Do(t, ctx, chromedp.Evaluate[chromedp.Void](`pl('.composer textarea').focus()`), chromedp.KeyEvent(text), apptest.PressEnter())
}

// widgetChat opens the widget on the site and starts a conversation with a
// first message; it returns the session.
// widgetChatFixture is a server with an online admin, a third-party page
// embedding the widget, and a browser whose visitor has sent first there;
// the page's network hooks are installed (not blocking).
func widgetChatFixture(t *testing.T, first string) (*apptest.Server, *model.User, *httptest.Server, context.Context, *model.Session) {
	t.Helper()
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	site := thirdPartySite(t, srv, defaultChannelID(t, srv))
	browser := apptest.NewBrowser(t)
	withNetHooks(t, browser, false)
	return srv, admin, site, browser, widgetChat(t, srv, browser, site.URL+"/", first)
}

func widgetChat(t *testing.T, srv *apptest.Server, ctx context.Context, url, first string) *model.Session {
	t.Helper()
	if !waitWidget(t, ctx, url) {
		t.Fatalf(`widget not available`)
	}
	apptest.Do(t, ctx, chromedp.Evaluate[chromedp.Void](`Parley.open()`))
	widgetPoll(t, ctx, "the open window", widgetIsOpen)
	widgetSend(t, ctx, first)
	widgetPoll(t, ctx, "the first message to be sent", `!!pl('.m.me') && !pl('.m.me.sending') && plText('.log').indexOf(`+jsString(first)+`) >= 0`)
	sess, err := srv.Store.SessionByPublicID(context.Background(), widgetEval[string](t, ctx, storedSession))
	if err != nil {
		t.Fatalf(`the widget's session: %v`, err)
	}
	return sess
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// count returns how many times text shows in the string expression in.
func countIn(in, text string) string {
	return `(` + in + `).split(` + jsString(text) + `).length - 1`
}

// TestReconnectWidgetCatchUp: the socket is down, the operator replies, the
// visitor writes (acknowledged over HTTP). After the reconnection the reply
// shows, once, before the visitor's message; and a gap of more than a page
// of messages is fetched whole.
func TestReconnectWidgetCatchUp(t *testing.T) {
	srv, admin, _, browser, sess := widgetChatFixture(t, "Is the Trailstar in stock?")
	widgetPoll(t, browser, "a connected socket", `openSockets() === 1`)

	reply := func(body string) {
		t.Helper()
		if _, err := srv.Livechat.PostOperatorMessage(context.Background(), sess, admin, body, ""); err != nil {
			t.Fatalf(`operator reply: %v`, err)
		}
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`blockSockets()`))
	widgetPoll(t, browser, "the reconnection attempt to stall", `stalledSockets() > 0`)
	reply("Yes, two left in green.")
	widgetSend(t, browser, "Great, and in orange?")
	widgetPoll(t, browser, "the visitor's message to be sent", `plText('.log').indexOf('in orange?') >= 0 && !pl('.m.me.sending')`)
	if widgetEval[bool](t, browser, `plText('.log').indexOf('two left in green') >= 0`) {
		t.Fatalf(`the reply showed while the socket was down`)
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`unblockSockets()`))
	widgetPoll(t, browser, "the reply written during the gap", `openSockets() === 1 && plText('.log').indexOf('two left in green') >= 0`)
	if n := widgetEval[int](t, browser, countIn(`plText('.log')`, "two left in green")); n != 1 {
		t.Errorf(`the reply shows %d times, want once`, n)
	}
	if order := widgetEval[bool](t, browser, `plText('.log').indexOf('two left in green') < plText('.log').indexOf('in orange?')`); !order {
		t.Errorf(`the reply shows after the visitor's later message: %q`, widgetEval[string](t, browser, `plText('.log')`))
	}
	// Live messages still arrive on the new socket.
	reply("Orange is sold out, sorry.")
	widgetPoll(t, browser, "a live reply", `plText('.log').indexOf('Orange is sold out') >= 0`)

	// More than a page (1000 messages) during a gap: all of them come.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`blockSockets()`))
	widgetPoll(t, browser, "the reconnection attempt to stall", `stalledSockets() > 0`)
	for i := 1; i <= 1005; i++ {
		reply(fmt.Sprintf("Stock line %d.", i))
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`unblockSockets()`))
	widgetPoll(t, browser, "the last of 1005 messages", `openSockets() === 1 && plText('.log').indexOf('Stock line 1005.') >= 0`)
	if n := widgetEval[int](t, browser, `pl('.log').querySelectorAll('.m.op').length`); n != 1005+2+1 { // + 2 replies + the welcome
		t.Errorf(`%d operator bubbles after the long gap, want %d`, n, 1005+2+1)
	}
	apptest.AssertNoConsoleErrors(t, browser)
}

// TestReconnectWidgetRestoreFails: the session fetch fails at page load
// (a network error, then a 503); the widget tries again, opens its socket
// anyway, and the conversation goes on.
func TestReconnectWidgetRestoreFails(t *testing.T) {
	srv, admin, site, browser, sess := widgetChatFixture(t, "Do you ship to Iceland?")

	const rules = `[{"method":"GET","re":"/im_livechat/sessions/[^/?]+$","status":0,"n":1},{"method":"GET","re":"/im_livechat/sessions/[^/?]+$","status":503,"n":1}]`
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`sessionStorage.setItem('test.failFetch', `+jsString(rules)+`)`))
	apptest.Do(t, browser, chromedp.Navigate(site.URL+"/"))
	widgetPoll(t, browser, "the two failures", `failFetch.length === 2 && failFetch[0].hits === 1 && failFetch[1].hits === 1`)
	widgetPoll(t, browser, "the conversation restored after the failures", `!!pl('.launcher') && plText('.log').indexOf('ship to Iceland') >= 0 && openSockets() === 1`)
	if _, err := srv.Livechat.PostOperatorMessage(context.Background(), sess, admin, "We do, in 5 to 7 days.", ""); err != nil {
		t.Fatal(err)
	}
	widgetPoll(t, browser, "the live reply", `plText('.log').indexOf('5 to 7 days') >= 0`)
	apptest.AssertNoConsoleErrors(t, browser)
}

// TestWidgetBrowserLostAnswer: a message reaches the server but its answer
// is lost. The tab's own socket does not bring it back (the tab named
// itself), so the widget asks the server what it holds: the message shows
// as sent, once, and no error is left on the page.
func TestWidgetBrowserLostAnswer(t *testing.T) {
	srv, _, _, browser, sess := widgetChatFixture(t, "First")

	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`failFetch.push({method: 'POST', re: '/messages$', lose: true, n: 1})`))
	widgetSend(t, browser, "Second")
	widgetPoll(t, browser, "the message shown as sent", `failFetch[0].hits === 1 && !pl('.m.me.failed') && !pl('.m.me.sending') && pl('.log').querySelectorAll('.m.me').length === 2`)
	if got := widgetEval[string](t, browser, `Array.from(pl('.log').querySelectorAll('.m.me .b')).map(function (b) { return b.textContent; }).join(',') + '|' + plText('.win > .err')`); got != "First,Second|" {
		t.Errorf(`visitor messages and error line = %q, want "First,Second|"`, got)
	}
	msgs, err := srv.Store.Messages(context.Background(), sess.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[1].Body != "Second" {
		t.Errorf(`stored messages = %d, want First and Second once each`, len(msgs))
	}
	apptest.AssertNoConsoleErrors(t, browser)
}

// TestWidgetBrowserFailedSends: messages that fail to send stay on the
// page as "not sent" with a Retry button, however many fail; Retry sends
// them, in order; a 429 makes the widget wait as long as Retry-After says.
func TestWidgetBrowserFailedSends(t *testing.T) {
	srv, _, _, browser, sess := widgetChatFixture(t, "First")

	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`failFetch.push({method: 'POST', re: '/messages$', status: 0, n: 2})`))
	widgetSend(t, browser, "Second")
	widgetSend(t, browser, "Third")
	widgetPoll(t, browser, "two failed messages", `pl('.log').querySelectorAll('.m.me.failed').length === 2 && !pl('.m.me.sending')`)
	if got := widgetEval[string](t, browser, `Array.from(pl('.log').querySelectorAll('.m.me.failed')).map(function (n) { return n.querySelector('.b').textContent + '|' + n.querySelector('.st').textContent + '|' + (n.querySelector('.retry').hidden ? '' : n.querySelector('.retry').textContent); }).join(' ')`); got != "Second|Not sent.|Retry Third|Not sent.|Retry" {
		t.Errorf(`failed bubbles = %q`, got)
	}
	if err := widgetEval[string](t, browser, `plText('.win > .err')`); err != "Cannot reach the chat server. Check your connection." {
		t.Errorf(`error line = %q`, err)
	}
	if v := widgetEval[string](t, browser, `pl('.composer textarea').value`); v != "" {
		t.Errorf(`composer = %q, want it left alone`, v)
	}
	widgetShot(t, browser, "failed")

	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.m.me.failed .retry').click(); pl('.m.me.failed .retry').click()`))
	widgetPoll(t, browser, "the retried messages to be sent", `!pl('.m.me.failed') && !pl('.m.me.sending') && pl('.log').querySelectorAll('.m.me').length === 3`)
	if got := widgetEval[string](t, browser, `Array.from(pl('.log').querySelectorAll('.m.me .b')).map(function (b) { return b.textContent; }).join(',')`); got != "First,Second,Third" {
		t.Errorf(`visitor messages = %q`, got)
	}
	msgs, err := srv.Store.Messages(context.Background(), sess.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range msgs {
		bodies = append(bodies, m.Body)
	}
	if strings.Join(bodies, ",") != "First,Second,Third" {
		t.Errorf(`stored messages = %q`, bodies)
	}

	// Rate limited: the widget waits as told before sending again.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`failFetch.push({method: 'POST', re: '/messages$', status: 429, n: 1, retryAfter: 2})`))
	widgetSend(t, browser, "Fourth")
	widgetPoll(t, browser, "the rate-limited message", `!!pl('.m.me.failed') && pl('.send').disabled && pl('.m.me.failed .retry').disabled`)
	start := time.Now()
	widgetPoll(t, browser, "the end of the wait", `!pl('.send').disabled && !pl('.m.me.failed .retry').disabled`)
	if waited := time.Since(start); waited < time.Second {
		t.Errorf(`the widget waited %s, want the 2 s of Retry-After`, waited)
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.m.me.failed .retry').click()`))
	widgetPoll(t, browser, "the fourth message", `!pl('.m.me.failed') && !pl('.m.me.sending') && pl('.log').querySelectorAll('.m.me').length === 4`)
	apptest.AssertNoConsoleErrors(t, browser)
}

// testClock is the live chat service's clock, moved forward by tests.
type testClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// setActive sets when the widget's stored session was last active.
func setActive(t *testing.T, ctx context.Context, ago time.Duration) {
	t.Helper()
	apptest.Do(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () { for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (/\.act$/.test(k)) localStorage.setItem(k, String(Date.now() - %d)); } })()`, ago.Milliseconds())))
}

// TestWidgetBrowserStaleSession: a stored conversation last active more
// than a day ago is forgotten at page load (the visitor token is kept);
// continuing then gets a session from the server or, when nobody can take
// it, the offline form. After two idle hours the widget asks the server
// before posting, which may close the old session and start another.
func TestWidgetBrowserStaleSession(t *testing.T) {
	clock := &testClock{}
	srv := apptest.NewServer(t, func(_ *config.Config, o *livechat.Options) { o.Now = clock.Now })
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	site := thirdPartySite(t, srv, defaultChannelID(t, srv))
	browser := apptest.NewBrowser(t)
	withNetHooks(t, browser, false)
	sess := widgetChat(t, srv, browser, site.URL+"/", "An old question")
	token := widgetEval[string](t, browser, storedToken)

	setActive(t, browser, 25*time.Hour)
	if !waitWidget(t, browser, site.URL+"/") {
		t.Fatalf(`widget not available`)
	}
	widgetPoll(t, browser, "the open window", widgetIsOpen)
	apptest.Do(t, browser, chromedp.Sleep(500*time.Millisecond)) // time for a restore, if there were one
	if n := widgetEval[int](t, browser, `pl('.log').querySelectorAll('.m').length`); n != 1 {
		t.Errorf(`the window shows %d messages, want only the welcome: %q`, n, widgetEval[string](t, browser, `plText('.log')`))
	}
	if sid := widgetEval[string](t, browser, storedSession); sid != "" {
		t.Errorf(`stored session = %q, want it forgotten`, sid)
	}
	if tok := widgetEval[string](t, browser, storedToken); tok != token {
		t.Errorf(`visitor token = %q, want it kept (%q)`, tok, token)
	}
	if widgetEval[bool](t, browser, `performance.getEntriesByType('resource').some(function (e) { return e.name.indexOf('/sessions/`+sess.PublicID+`') >= 0; })`) {
		t.Errorf(`the widget fetched the stale session`)
	}

	// The server refuses to continue (nobody to take it): the offline form.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`failFetch.push({method: 'POST', re: '/im_livechat/sessions$', status: 409, code: 'no_operator_available', n: 1})`))
	widgetSend(t, browser, "Still there?")
	widgetPoll(t, browser, "the offline form", `!pl('.offline').hidden && pl('#pl-f-body').value === 'Still there?' && !pl('.m.me')`)

	// Reopened with someone available, the chat is back with the text in the
	// composer; the server continues the session, its operator being there.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`Parley.close(); Parley.open()`))
	widgetPoll(t, browser, "the chat back", `pl('.offline').hidden && !pl('.composer').hidden && pl('.composer textarea').value === 'Still there?'`)
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.composer textarea').focus()`), apptest.PressEnter())
	widgetPoll(t, browser, "the message sent", `plText('.log').indexOf('Still there?') >= 0 && plText('.log').indexOf('An old question') >= 0 && !pl('.m.me.sending') && !pl('.m.me.failed')`)
	if sid := widgetEval[string](t, browser, storedSession); sid != sess.PublicID {
		t.Errorf(`stored session = %q, want the continued %q`, sid, sess.PublicID)
	}

	// A day later on the server, two idle hours for the widget: it asks
	// before posting, and the server closes the old session for a new one.
	clock.Advance(25 * time.Hour)
	srv.Livechat.Presence.Connect(admin.ID)
	setActive(t, browser, 3*time.Hour)
	widgetSend(t, browser, "Anyone there?")
	widgetPoll(t, browser, "the message in a new session", `plText('.log').indexOf('Anyone there?') >= 0 && plText('.log').indexOf('Still there?') < 0 && !pl('.m.me.sending') && !pl('.m.me.failed')`)
	if !widgetEval[bool](t, browser, `pl('.end').hidden && !pl('.composer textarea').disabled`) {
		t.Errorf(`the closing of the old session ended the chat: %q`, widgetEval[string](t, browser, `plText('.pl')`))
	}
	sid := widgetEval[string](t, browser, storedSession)
	if sid == "" || sid == sess.PublicID {
		t.Fatalf(`stored session = %q, want a new one (old %q)`, sid, sess.PublicID)
	}
	if old, err := srv.Store.SessionByPublicID(context.Background(), sess.PublicID); err != nil || old.Status != model.SessionClosed {
		t.Errorf(`old session: %+v, %v; want it closed`, old, err)
	}
	x, err := srv.Store.SessionByPublicID(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	if msgs, err := srv.Store.Messages(context.Background(), x.ID, 0, 10); err != nil || len(msgs) != 1 || msgs[0].Body != "Anyone there?" {
		t.Errorf(`new session's messages: %v, %v`, msgs, err)
	}
	apptest.AssertNoConsoleErrors(t, browser)
}

// TestWidgetBrowserNobodyOnline: with nobody available at page load, the
// button still shows (without notification or auto-popup) and leads to a
// plain "nobody is available" with the form to leave a message; a hide rule
// still hides; once an operator is online, reopening the window chats.
func TestWidgetBrowserNobodyOnline(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	id := defaultChannelID(t, srv)
	site := thirdPartySite(t, srv, id)
	browser := apptest.NewBrowser(t)
	save := func(r model.Rule) {
		t.Helper()
		if _, err := srv.Livechat.SaveRules(context.Background(), id, []model.Rule{r}); err != nil {
			t.Fatalf(`save rule: %v`, err)
		}
	}
	const launcher = `!!pl('.launcher') && getComputedStyle(pl('.pl')).display !== 'none' && pl('.launcher').getBoundingClientRect().width > 0`

	save(model.Rule{Action: model.ActionShowWithText})
	if waitWidget(t, browser, site.URL+"/") {
		t.Errorf(`ready says available with nobody online`)
	}
	widgetPoll(t, browser, "the launcher", launcher)
	if widgetEval[bool](t, browser, `!!pl('.bubble')`) {
		t.Errorf(`a notification bubble with nobody online`)
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.launcher').click()`))
	widgetPoll(t, browser, "the offline form", widgetIsOpen+` && !pl('.offline').hidden && pl('.composer').hidden`)
	// No mail server: the form promises no answer by email.
	if text := widgetEval[string](t, browser, `plText('.offline')`); !strings.Contains(text, "Nobody is available right now.") || !strings.Contains(text, "Leave us a message and we will get back to you.") {
		t.Errorf(`offline panel = %q`, text)
	}
	widgetShot(t, browser, "nobody-online")
	apptest.Do(t, browser,
		chromedp.Evaluate[chromedp.Void](`pl('#pl-f-name').focus()`), chromedp.KeyEvent("Bo Nilsson"),
		chromedp.Evaluate[chromedp.Void](`pl('#pl-f-email').focus()`), chromedp.KeyEvent("bo@example.no"),
		chromedp.Evaluate[chromedp.Void](`pl('#pl-f-body').focus()`), chromedp.KeyEvent("Do you ship tents to Tromsø?"),
		chromedp.Evaluate[chromedp.Void](`pl('.offline .btn').click()`))
	widgetPoll(t, browser, "the thanks", `!pl('.thanks').hidden`)
	msgs, err := srv.Store.OfflineMessagesPage(context.Background(), 10, 0)
	if err != nil || len(msgs) != 1 || msgs[0].Email != "bo@example.no" || msgs[0].Body != "Do you ship tents to Tromsø?" {
		t.Fatalf(`offline messages: %+v, %v`, msgs, err)
	}

	// No auto-popup with nobody to chat with.
	save(model.Rule{Action: model.ActionAutoPopup})
	tab := apptest.NewTab(t, browser)
	waitWidget(t, tab, site.URL+"/")
	widgetPoll(t, tab, "the launcher", launcher)
	apptest.Do(t, tab, chromedp.Sleep(1200*time.Millisecond))
	if widgetEval[bool](t, tab, `pl('.pl').classList.contains('open')`) {
		t.Errorf(`the window popped up with nobody online`)
	}
	apptest.AssertNoConsoleErrors(t, tab)

	// A hide rule still hides.
	save(model.Rule{Action: model.ActionHide})
	tab = apptest.NewTab(t, browser)
	waitWidget(t, tab, site.URL+"/")
	apptest.Do(t, tab, chromedp.Sleep(300*time.Millisecond))
	if widgetEval[bool](t, tab, `!!document.getElementById('parley-livechat')`) {
		t.Errorf(`widget mounted on a page with a hide rule`)
	}

	// Someone comes online: reopening the window chats.
	save(model.Rule{Action: model.ActionShow})
	srv.Livechat.Presence.Connect(admin.ID)
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`Parley.close(); Parley.open()`))
	widgetPoll(t, browser, "the chat", `pl('.offline').hidden && pl('.thanks').hidden && !pl('.composer').hidden && plText('.sub') === 'Online'`)
	widgetSend(t, browser, "Are you there now?")
	widgetPoll(t, browser, "the message sent", `!!pl('.m.me') && !pl('.m.me.sending') && plText('.title') === 'Ada Lovelace'`)
	apptest.AssertNoConsoleErrors(t, browser)
}

// TestWidgetBrowserTypingStops: the widget says "stopped typing" as soon
// as the composer loses the focus or the message is sent, and never says
// "typing" for blanks.
func TestWidgetBrowserTypingStops(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	site := thirdPartySite(t, srv, defaultChannelID(t, srv))
	browser := apptest.NewBrowser(t)
	withNetHooks(t, browser, false)
	widgetChat(t, srv, browser, site.URL+"/", "Hello")
	widgetPoll(t, browser, "a connected socket", `openSockets() === 1`)

	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`window.sent = []; pl('.composer textarea').focus()`), chromedp.KeyEvent("   "), chromedp.Sleep(300*time.Millisecond))
	if got := widgetEval[[]bool](t, browser, typingSent); len(got) != 0 {
		t.Errorf(`typing frames for blanks: %v`, got)
	}
	apptest.Do(t, browser, chromedp.KeyEvent("abc"))
	widgetPoll(t, browser, "typing", typingSent+`.join() === 'true'`)
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.composer textarea').blur()`))
	waitFor(t, browser, "stopped typing on blur", typingSent+`.join() === 'true,false'`, time.Second)

	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`window.sent = []; pl('.composer textarea').focus()`), chromedp.KeyEvent("d"), apptest.PressEnter())
	waitFor(t, browser, "stopped typing on send", typingSent+`.join() === 'true,false'`, time.Second)
	apptest.AssertNoConsoleErrors(t, browser)
}

// opLogin logs ada in, in a tab whose network hooks are installed.
func opLogin(t *testing.T, srv *apptest.Server, ctx context.Context, blocked bool) {
	t.Helper()
	withNetHooks(t, ctx, blocked)
	apptest.BrowserLogin(t, ctx, srv.URL, "ada@example.com")
}

// fakeNotifications records browser notifications in localStorage
// "test.shown"; the tab claims to have no focus, so it notifies.
const fakeNotifications = `(function () {
	document.hasFocus = function () { return false; };
	window.Notification = function (title) {
		var shown = JSON.parse(localStorage.getItem('test.shown') || '[]');
		shown.push(title);
		localStorage.setItem('test.shown', JSON.stringify(shown));
		this.close = function () {};
	};
	window.Notification.permission = 'granted';
	return true;
})()`

// TestReconnectOperatorCatchUp: while the operator's socket is down, a
// visitor writes and the operator answers in that window (acknowledged over
// HTTP), and another visitor, whose window was closed, writes too. After the
// reconnection the first window shows the visitor's message, and the other
// chat's window opens with its message, announced once.
func TestReconnectOperatorCatchUp(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	op := apptest.NewBrowser(t)
	opLogin(t, srv, op, false)
	waitOnline(t, srv, ada.ID)
	lcEval[bool](t, op, fakeNotifications)

	a := cvStart(t, srv, ch.ID, "https://shop.example/pricing", "Pricing")
	call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, `{"body":"Do you ship to Belgium?"}`)
	b := cvStart(t, srv, ch.ID, "https://shop.example/cart", "Cart")
	call(t, srv, "POST", "/im_livechat/sessions/"+b.ID+"/messages", b.Token, `{"body":"My code does not work"}`)
	winA := `document.querySelector('.chat-window[data-session="` + a.ID + `"]')`
	winB := `document.querySelector('.chat-window[data-session="` + b.ID + `"]')`
	lcWait(t, op, "two windows", winA+` && `+winB+` && `+winA+`.querySelectorAll('.msg[data-id]').length === 1 && `+winB+`.querySelectorAll('.msg[data-id]').length === 1`, `document.querySelector('.chat-dock')`)
	// A window slides in when it opens: wait until B's stands still, so the
	// click lands where the close button is.
	lcWait(t, op, "B's window still", winB+`.getAnimations().length === 0`, `document.querySelector('.chat-dock')`)
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-window[data-session="`+b.ID+`"] [data-act="close"]`)))
	lcWait(t, op, "B's window closed", `!`+winB, `document.querySelector('.chat-dock')`)
	lcWait(t, op, "the notifications of the two chats", `JSON.parse(localStorage.getItem('test.shown') || '[]').length === 4`, `document.body`)
	apptest.Do(t, op, chromedp.Evaluate[chromedp.Void](`localStorage.removeItem('test.shown')`))

	apptest.Do(t, op, chromedp.Evaluate[chromedp.Void](`blockSockets()`))
	lcWait(t, op, "the socket down and stalled", `!Parley.chat.connected() && stalledSockets() > 0`, `document.body`)
	call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, `{"body":"Written during the gap"}`)
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-window[data-session="`+a.ID+`"] textarea`)), chromedp.KeyEvent("Answered after it"), apptest.PressEnter())
	lcWait(t, op, "the reply committed", winA+`.querySelectorAll('.msg.mine[data-id]').length === 1 && !`+winA+`.querySelector('.msg.pending')`, winA)
	call(t, srv, "POST", "/im_livechat/sessions/"+b.ID+"/messages", b.Token, `{"body":"B wrote during the gap"}`)
	if lcEval[bool](t, op, winA+`.textContent.includes('Written during the gap')`) {
		t.Fatalf(`the visitor's message showed while the socket was down`)
	}

	apptest.Do(t, op, chromedp.Evaluate[chromedp.Void](`unblockSockets()`))
	lcWait(t, op, "A caught up", `Parley.chat.connected() && `+winA+`.querySelectorAll('.msg[data-id]').length === 3`, winA)
	if got := lcEval[string](t, op, `Array.from(`+winA+`.querySelectorAll('.msg[data-id] .msg-text')).map(function (e) { return e.textContent; }).join('|')`); got != "Do you ship to Belgium?|Written during the gap|Answered after it" {
		t.Errorf(`window A = %q`, got)
	}
	lcWait(t, op, "B's window back with its news", winB+` && `+winB+`.textContent.includes('B wrote during the gap')`, `document.querySelector('.chat-dock')`)
	lcWait(t, op, "unread in the title", `document.title.startsWith('(2) ')`, `document.querySelector('title')`)
	lcWait(t, op, "the notification of B's message", `JSON.parse(localStorage.getItem('test.shown') || '[]').length > 0`, `document.body`)
	apptest.Do(t, op, chromedp.Sleep(500*time.Millisecond)) // give a second notification, if there were one, time to show
	if shown := lcEval[[]string](t, op, `JSON.parse(localStorage.getItem('test.shown') || '[]')`); fmt.Sprint(shown) != fmt.Sprint([]string{"New message from " + b.Visitor}) {
		t.Errorf(`notifications after the gap: %q, want B's message once`, shown)
	}
	apptest.AssertNoConsoleErrors(t, op)
}

// TestReconnectOperatorFirstConnect: the operator's first connection comes
// late (after the page listed the open chats); what a visitor wrote in
// between is caught up and announced as it would be live.
func TestReconnectOperatorFirstConnect(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	srv.Livechat.Presence.Connect(ada.ID) // available without a socket
	c := cvStart(t, srv, ch.ID, "https://shop.example/", "Home")
	call(t, srv, "POST", "/im_livechat/sessions/"+c.ID+"/messages", c.Token, `{"body":"First question"}`)

	op := apptest.NewBrowser(t)
	opLogin(t, srv, op, true)
	lcWait(t, op, "the open chats listed", `document.title.startsWith('(1) ') && stalledSockets() > 0`, `document.querySelector('title')`)
	lcEval[bool](t, op, fakeNotifications)
	call(t, srv, "POST", "/im_livechat/sessions/"+c.ID+"/messages", c.Token, `{"body":"Second question"}`)
	apptest.Do(t, op, chromedp.Sleep(200*time.Millisecond))
	apptest.Do(t, op, chromedp.Evaluate[chromedp.Void](`unblockSockets()`))
	win := `document.querySelector('.chat-window[data-session="` + c.ID + `"]')`
	lcWait(t, op, "the window with the news", `Parley.chat.connected() && `+win+` && `+win+`.textContent.includes('Second question')`, `document.querySelector('.chat-dock')`)
	lcWait(t, op, "unread in the title", `document.title.startsWith('(2) ')`, `document.querySelector('title')`)
	lcWait(t, op, "the notification", `JSON.parse(localStorage.getItem('test.shown') || '[]').length > 0`, `document.body`)
	apptest.Do(t, op, chromedp.Sleep(500*time.Millisecond)) // give a second notification, if there were one, time to show
	if shown := lcEval[[]string](t, op, `JSON.parse(localStorage.getItem('test.shown') || '[]')`); fmt.Sprint(shown) != fmt.Sprint([]string{"New message from " + c.Visitor}) {
		t.Errorf(`notifications: %q, want the second question once`, shown)
	}
	apptest.AssertNoConsoleErrors(t, op)
}

// TestChatTypingStops: the operator's window says "stopped typing" as soon
// as the composer loses the focus or the reply is sent, and never says
// "typing" for blanks.
func TestChatTypingStops(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	op := apptest.NewBrowser(t)
	opLogin(t, srv, op, false)
	waitOnline(t, srv, ada.ID)
	a := cvStart(t, srv, ch.ID, "https://shop.example/", "Home")
	call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, `{"body":"Hi"}`)
	win := `document.querySelector('.chat-window[data-session="` + a.ID + `"]')`
	lcWait(t, op, "the window", win+` && `+win+`.querySelector('.msg.visitor')`, `document.querySelector('.chat-dock')`)

	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-window[data-session="`+a.ID+`"] textarea`)),
		chromedp.Evaluate[chromedp.Void](`window.sent = []`), chromedp.KeyEvent("   "), chromedp.Sleep(300*time.Millisecond))
	if got := lcEval[[]bool](t, op, typingSent); len(got) != 0 {
		t.Errorf(`typing frames for blanks: %v`, got)
	}
	apptest.Do(t, op, chromedp.KeyEvent("Hello"))
	waitFor(t, op, "typing", typingSent+`.join() === 'true'`, 5*time.Second)
	apptest.Do(t, op, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
	waitFor(t, op, "stopped typing on blur", typingSent+`.join() === 'true,false'`, time.Second)

	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.chat-window[data-session="`+a.ID+`"] textarea`)),
		chromedp.Evaluate[chromedp.Void](`window.sent = []`), chromedp.KeyEvent("!"), apptest.PressEnter())
	waitFor(t, op, "stopped typing on send", typingSent+`.join() === 'true,false'`, time.Second)
	apptest.AssertNoConsoleErrors(t, op)
}

// TestWidgetBrowserAcrossTabsFirstMessage: two tabs of the same browser show
// the widget before any conversation; the first message, written in one of
// them, starts a session that both keep: the other tab following it must
// not make the first forget it.
func TestWidgetBrowserAcrossTabsFirstMessage(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	site := thirdPartySite(t, srv, defaultChannelID(t, srv))
	browser := apptest.NewBrowser(t)
	withNetHooks(t, browser, false)
	if !waitWidget(t, browser, site.URL+"/") {
		t.Fatalf(`widget not available`)
	}
	tab2, cancel := chromedp.NewContext(browser)
	defer cancel()
	if !waitWidget(t, tab2, site.URL+"/") {
		t.Fatalf(`widget not available in a second tab`)
	}
	sess := widgetChat(t, srv, browser, site.URL+"/", "Hello from the first tab")
	widgetPoll(t, tab2, "the second tab to follow the conversation", `plText('.log').indexOf('Hello from the first tab') >= 0`)
	// Give the tabs time to answer each other's storage events.
	apptest.Do(t, browser, chromedp.Sleep(500*time.Millisecond))
	if got := widgetEval[string](t, browser, storedSession); got != sess.PublicID {
		t.Errorf(`stored session %q after the other tab followed, want %q`, got, sess.PublicID)
	}
	if _, err := srv.Livechat.PostOperatorMessage(context.Background(), sess, admin, "Welcome to both tabs.", ""); err != nil {
		t.Fatal(err)
	}
	widgetPoll(t, browser, "the reply in the first tab", `plText('.log').indexOf('Hello from the first tab') >= 0 && plText('.log').indexOf('Welcome to both tabs.') >= 0`)
	widgetPoll(t, tab2, "the reply in the second tab", `plText('.log').indexOf('Welcome to both tabs.') >= 0`)
	widgetSend(t, tab2, "And from the second")
	widgetPoll(t, browser, "the second tab's message in the first", `plText('.log').indexOf('And from the second') >= 0`)
	// The sending tab has its message from the post's answer, and the
	// server skips its socket (the tab named it); the other tab's socket
	// brings it. Each shows it once.
	widgetSend(t, browser, "One more from the first")
	widgetPoll(t, tab2, "the first tab's message in the second", `plText('.log').indexOf('One more from the first') >= 0`)
	apptest.Do(t, browser, chromedp.Sleep(300*time.Millisecond))
	for name, tab := range map[string]context.Context{"first": browser, "second": tab2} {
		if n := widgetEval[int](t, tab, `plText('.log').split('One more from the first').length - 1`); n != 1 {
			t.Errorf(`the %s tab shows the message %d times`, name, n)
		}
	}
	frames := `window.received.filter(function (f) { return f.indexOf(%q) >= 0; }).length`
	if own, other := widgetEval[int](t, browser, fmt.Sprintf(frames, "One more from the first")), widgetEval[int](t, browser, fmt.Sprintf(frames, "And from the second")); own != 0 || other != 1 {
		t.Errorf(`the first tab's socket brought its own message %d times (want 0) and the other tab's %d times (want 1)`, own, other)
	}
	apptest.AssertNoConsoleErrors(t, browser)
}

// TestReconnectWidgetRestoreStopsWhenEnded: the session fetch keeps failing
// after a reload, so the widget keeps trying with back-off; once the
// conversation ends (a session frame), the tries stop.
func TestReconnectWidgetRestoreStopsWhenEnded(t *testing.T) {
	srv, _, site, browser, sess := widgetChatFixture(t, "Are you open on Sunday?")

	const rules = `[{"method":"GET","re":"/im_livechat/sessions/[^/?]+$","status":503,"n":1000}]`
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`sessionStorage.setItem('test.failFetch', `+jsString(rules)+`)`))
	apptest.Do(t, browser, chromedp.Navigate(site.URL+"/"))
	widgetPoll(t, browser, "two failed tries and an open socket", `failFetch[0].hits >= 2 && openSockets() === 1`)
	if _, err := srv.Livechat.CloseByVisitor(context.Background(), sess); err != nil {
		t.Fatal(err)
	}
	widgetPoll(t, browser, "the ended conversation", `!pl('.end').hidden && plText('.end').indexOf('The conversation has ended.') >= 0`)
	hits := widgetEval[int](t, browser, `failFetch[0].hits`)
	apptest.Do(t, browser, chromedp.Sleep(5*time.Second))
	if now := widgetEval[int](t, browser, `failFetch[0].hits`); now != hits {
		t.Errorf(`the widget fetched the ended session %d more times`, now-hits)
	}
	apptest.AssertNoConsoleErrors(t, browser)
}

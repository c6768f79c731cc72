package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"parley/app/apptest"
	"parley/app/model"
)

// thirdPartySite serves a customer's website on its own port (so its own
// origin): the two-line embed snippet, twice (a page must not mount two
// widgets), hostile CSS that must not reach the widget, and a host script
// that uses window.Parley before the bundle has loaded; hostJS is more of
// the host page's script.
func thirdPartySite(t *testing.T, srv *apptest.Server, channelID int64, hostJS ...string) *httptest.Server {
	t.Helper()
	page := fmt.Sprintf(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Outdoor · Tents</title>
<link rel="stylesheet" href="%[1]s/im_livechat/external_lib.css"/>
<script type="text/javascript" src="%[1]s/im_livechat/loader/%[2]d"></script>
<script type="text/javascript" src="%[1]s/im_livechat/loader/%[2]d"></script>
<script>
  // Keep the widget's sockets at hand, to cut them.
  (function (WS) {
    window.sockets = [];
    window.WebSocket = function (url, protocols) { var s = new WS(url, protocols); window.sockets.push(s); return s; };
    window.WebSocket.prototype = WS.prototype;
  })(window.WebSocket);
  Parley.on('ready', function (r) { window.parleyReady = r; });
  Parley.on('unread', function (n) { window.parleyUnread = n; });
  Parley.on('message', function (m) { (window.parleyMessages = window.parleyMessages || []).push(m.body); });
  // pl queries inside the widget's shadow root.
  function pl(sel) { var h = document.getElementById('parley-livechat'); return h && h.shadowRoot && h.shadowRoot.querySelector(sel); }
  function plText(sel) { var e = pl(sel); return e ? e.textContent : ''; }
  %[3]s
</script>
<style>
  body { margin: 0; font: 17px/1.6 Georgia, serif; color: #2b2b2b; background: #f4f1ea; }
  header { background: #24452f; color: #fff; padding: 18px 40px; font: 700 22px system-ui, sans-serif; }
  main { max-width: 760px; margin: 40px auto; padding: 0 24px; }
  h1 { font-size: 40px; margin: 0 0 12px; }
  .card { background: #fff; border-radius: 8px; padding: 24px; margin: 18px 0; box-shadow: 0 1px 3px rgba(0,0,0,.1); }
  /* Hostile rules a real site may have: they must not change the widget. */
  div { border: 3px dashed red !important; padding: 30px !important; }
  main div, main div.card { border: 0 !important; padding: 24px !important; }
  button { background: lime !important; font-size: 30px !important; }
  * { box-sizing: content-box !important; }
</style>
</head><body>
<header>Acme Outdoor</header>
<main>
  <h1>Ultralight tents</h1>
  <p>Two-person tents from 1.1 kg. Free shipping over €150, 30-day returns.</p>
  <div class="card"><strong>Trailstar 2</strong> · 1.2 kg · €349</div>
  <div class="card"><strong>Ridge UL 1</strong> · 0.9 kg · €289</div>
  <div class="card"><strong>Basecamp 4</strong> · 3.4 kg · €529</div>
</main>
</body></html>`, srv.URL, channelID, strings.Join(hostJS, "\n  "))
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && !strings.HasPrefix(r.URL.Path, "/tents") {
			w.WriteHeader(http.StatusNoContent) // favicon and the like
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(site.Close)
	return site
}

// poll waits until the JavaScript expression is truthy in the page.
func widgetPoll(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		// Show what the widget displays, to tell a wrong state from a slow one.
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () { var h = document.getElementById('parley-livechat'); return h && h.shadowRoot ? h.shadowRoot.querySelector('.pl').innerText : '(no widget)'; })()`))
		t.Fatalf("waiting for %s (%s): %v\nthe widget shows:\n%s", what, expr, err, shown)
	}
}

// settle waits for the widget's animations to end, for stable screenshots.
func widgetSettle(t *testing.T, ctx context.Context) {
	t.Helper()
	widgetPoll(t, ctx, "animations to end", `(function () { var h = document.getElementById('parley-livechat'); return !h || !h.shadowRoot || h.shadowRoot.getAnimations().every(function (a) { return a.playState !== 'running'; }); })()`)
}

// widgetShot saves a screenshot of the viewport, once the widget stands
// still, as <PARLEY_SCREENSHOTS>/<test>-<name>.png. It captures the viewport
// only: a full-page capture resizes the viewport for a moment, which
// replays the widget's media queries and animations in the picture.
func widgetShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(apptest.ScreenshotsEnv)
	if dir == "" {
		return
	}
	widgetSettle(t, ctx)
	png := apptest.Run(t, ctx, chromedp.CaptureScreenshot())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()+"-"+name)+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf(`screenshot: %s`, file)
}

func widgetEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return apptest.Run(t, ctx, chromedp.Evaluate[T](expr))
}

// waitWidget loads the page and waits for the widget's ready event; it
// reports whether the widget is available.
func waitWidget(t *testing.T, ctx context.Context, url string) bool {
	t.Helper()
	apptest.Do(t, ctx, chromedp.Navigate(url))
	widgetPoll(t, ctx, "the widget's ready event", `window.parleyReady !== undefined`)
	if !widgetEval[bool](t, ctx, `window.parleyReady.available`) {
		return false
	}
	// Shown once its stylesheet has loaded.
	widgetPoll(t, ctx, "the launcher", `!!pl('.launcher') && getComputedStyle(pl('.pl')).display !== 'none' && pl('.launcher').getBoundingClientRect().width > 0`)
	return true
}

const widgetIsOpen = `pl('.pl').classList.contains('open') && getComputedStyle(pl('.win')).visibility === 'visible'`

// TestWidgetBrowserChat embeds the widget in a third-party page and chats
// through it: launcher, welcome message, keyboard, a message to the
// operator and back, unread badge, reload, closing, phone layout.
func TestWidgetBrowserChat(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	id := defaultChannelID(t, srv)
	ch, err := srv.Store.Channel(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	site := thirdPartySite(t, srv, id)
	browser := apptest.NewBrowser(t)

	if !waitWidget(t, browser, site.URL+"/") {
		t.Fatalf(`widget not available with an operator online`)
	}
	if n := widgetEval[int](t, browser, `document.querySelectorAll('#parley-livechat').length + pl('.pl').parentNode.querySelectorAll('.launcher').length`); n != 2 {
		t.Errorf(`two loaders mounted %d hosts+launchers, want one of each`, n)
	}
	// The channel's colours, whatever the host page's CSS says.
	if bg := widgetEval[string](t, browser, `getComputedStyle(pl('.launcher')).backgroundColor`); bg != "rgb(135, 90, 123)" {
		t.Errorf(`launcher background = %q, want the channel's button colour`, bg)
	}
	widgetSettle(t, browser)
	if w := widgetEval[float64](t, browser, `pl('.launcher').getBoundingClientRect().width`); w != 60 {
		t.Errorf(`launcher width = %v, host CSS leaked into the widget`, w)
	}
	if label := widgetEval[string](t, browser, `pl('.launcher').getAttribute('aria-label')`); label != "Chat with us" {
		t.Errorf(`launcher aria-label = %q`, label)
	}
	widgetShot(t, browser, "launcher")

	// Open: the welcome message, the focus in the composer.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.launcher').click()`))
	widgetPoll(t, browser, "the open window", widgetIsOpen)
	if log := widgetEval[string](t, browser, `plText('.log')`); !strings.Contains(log, ch.Options.DefaultMessage) {
		t.Errorf(`window shows %q, want the welcome message %q`, log, ch.Options.DefaultMessage)
	}
	if tag := widgetEval[string](t, browser, `document.getElementById('parley-livechat').shadowRoot.activeElement.tagName`); tag != "TEXTAREA" {
		t.Errorf(`focus after opening is on %s, want the composer`, tag)
	}
	if role := widgetEval[string](t, browser, `pl('.win').getAttribute('role') + ' ' + pl('.log').getAttribute('aria-live')`); role != "dialog polite" {
		t.Errorf(`window role and log aria-live = %q`, role)
	}
	widgetShot(t, browser, "open")

	// Escape closes and gives the focus back to the launcher.
	apptest.Do(t, browser, chromedp.KeyEvent(kb.Escape))
	widgetPoll(t, browser, "the window to close", `!pl('.pl').classList.contains('open')`)
	if cls := widgetEval[string](t, browser, `document.getElementById('parley-livechat').shadowRoot.activeElement.className`); cls != "launcher" {
		t.Errorf(`focus after Escape is on %q, want the launcher`, cls)
	}

	// First message: creates the session, then reaches the operator.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.launcher').click()`))
	widgetPoll(t, browser, "the open window", widgetIsOpen)
	apptest.Do(t, browser, chromedp.KeyEvent("Hi! Does the Trailstar 2 fit two people with bags?"), apptest.PressEnter())
	if v := widgetEval[string](t, browser, `pl('.composer textarea').value`); v != "" {
		t.Errorf(`composer after Enter = %q, want it empty`, v)
	}
	widgetPoll(t, browser, "the message to be sent", `!!pl('.m.me') && !pl('.m.me.sending') && pl('.m.me .b').textContent.indexOf('Trailstar') >= 0`)
	sid := widgetEval[string](t, browser, `(function () { for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (/\.session$/.test(k)) return localStorage.getItem(k); } return ''; })()`)
	sess, err := srv.Store.SessionByPublicID(context.Background(), sid)
	if err != nil {
		t.Fatalf(`session %q from the widget's storage: %v`, sid, err)
	}
	widgetPoll(t, browser, "the operator's name in the header", `plText('.title') === 'Ada Lovelace'`)

	// Page views: the first one made the visitor, whose token started the
	// session; a single-page app's navigation is one more.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`document.title = 'Ridge UL 1'; history.pushState({}, '', '/tents/ridge-ul-1')`))
	var urls []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		pvs, err := srv.Store.PageViews(context.Background(), sess.VisitorID, 10)
		if err != nil {
			t.Fatal(err)
		}
		urls = urls[:0]
		for _, pv := range pvs {
			urls = append(urls, pv.Title+" "+pv.URL)
		}
		if len(urls) == 2 {
			break
		}
	}
	joined := strings.Join(urls, "\n")
	if !strings.Contains(joined, "Acme Outdoor · Tents "+site.URL+"/") || !strings.Contains(joined, "Ridge UL 1 "+site.URL+"/tents/ridge-ul-1") {
		t.Errorf(`page views of the visitor:\n%s`, joined)
	}

	reply := func(body string) {
		t.Helper()
		if _, err := srv.Livechat.PostOperatorMessage(context.Background(), sess, admin, body, ""); err != nil {
			t.Fatalf(`operator reply: %v`, err)
		}
	}
	// The operator types: the window says so, until the reply arrives.
	srv.Livechat.Typing(sess, model.AuthorOperator, "Ada Lovelace", true)
	widgetPoll(t, browser, "the typing indicator", `!pl('.typing').hidden && plText('.typing') === 'Ada Lovelace is typing…'`)
	reply("Hello! Yes, it sleeps two with room for packs in the vestibules. More here: https://acme.example/trailstar-2")
	widgetPoll(t, browser, "the operator's reply", `plText('.log').indexOf('sleeps two') >= 0 && pl('.typing').hidden`)
	if n := widgetEval[int](t, browser, `window.parleyMessages.length`); n != 2 {
		t.Errorf(`'message' events = %d, want 2 (the visitor's and the reply)`, n)
	}

	// The sound toggle is a pressed button, remembered.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.snd').click()`))
	if st := widgetEval[string](t, browser, `pl('.snd').getAttribute('aria-pressed')`); st != "false" {
		t.Errorf(`sound button aria-pressed = %q after a click`, st)
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.snd').click()`))
	if href := widgetEval[string](t, browser, `(function () { var a = pl('.m.op:last-child a'); return a ? a.href + ' ' + a.rel + ' ' + a.target : ''; })()`); href != "https://acme.example/trailstar-2 noopener noreferrer nofollow _blank" {
		t.Errorf(`auto-link = %q`, href)
	}
	widgetShot(t, browser, "conversation")

	// While the window is closed, replies count as unread on the launcher.
	apptest.Do(t, browser, chromedp.KeyEvent(kb.Escape))
	widgetPoll(t, browser, "the window to close", `!pl('.pl').classList.contains('open')`)
	reply("Anything else I can help with?")
	widgetPoll(t, browser, "the unread badge", `!pl('.badge').hidden && plText('.badge') === '1' && window.parleyUnread === 1`)
	widgetShot(t, browser, "unread")

	// A reload continues the conversation, window state included.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.launcher').click()`))
	widgetPoll(t, browser, "the open window", widgetIsOpen)
	widgetPoll(t, browser, "the badge to clear", `pl('.badge').hidden`)
	if !waitWidget(t, browser, site.URL+"/tents") {
		t.Fatalf(`widget not available after reload`)
	}
	widgetPoll(t, browser, "the restored history", widgetIsOpen+` && pl('.log').querySelectorAll('.m').length === 4 && plText('.log').indexOf('Anything else') >= 0`)
	if widgetEval[bool](t, browser, `!!window.parleyMessages`) {
		t.Errorf(`the history fired 'message' events`)
	}

	// A second tab of the same browser continues the same conversation and
	// follows the first: replies reach both, closing one closes the other.
	tab2, cancel := chromedp.NewContext(browser)
	defer cancel()
	if !waitWidget(t, tab2, site.URL+"/") {
		t.Fatalf(`widget not available in a second tab`)
	}
	widgetPoll(t, tab2, "the history in the second tab", widgetIsOpen+` && pl('.log').querySelectorAll('.m').length === 4`)
	reply("Both tabs see this.")
	widgetPoll(t, tab2, "the reply in the second tab", `plText('.log').indexOf('Both tabs see this.') >= 0`)
	widgetPoll(t, browser, "the reply in the first tab", `plText('.log').indexOf('Both tabs see this.') >= 0`)
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`Parley.close()`))
	widgetPoll(t, tab2, "the second tab to follow the close", `!pl('.pl').classList.contains('open')`)
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`Parley.open()`))
	widgetPoll(t, tab2, "the second tab to follow the open", widgetIsOpen)
	cancel()

	// Message bodies are text, never HTML.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.composer textarea').focus()`),
		chromedp.KeyEvent(`<img src=x onerror="window.pwned=1">`), apptest.PressEnter())
	widgetPoll(t, browser, "the HTML-looking message", `plText('.log').indexOf('<img src=x') >= 0 && !pl('.m.me.sending')`)
	if widgetEval[bool](t, browser, `!!pl('.log .b img') || window.pwned === 1`) {
		t.Errorf(`a message body was rendered as HTML`)
	}

	// The socket drops: a reply sent meanwhile arrives after the automatic
	// reconnection, exactly once.
	widgetPoll(t, browser, "a connected socket", `sockets.length > 0 && sockets[sockets.length - 1].readyState === 1`)
	n := widgetEval[int](t, browser, `sockets.length`)
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`sockets[sockets.length - 1].close()`))
	reply("Sent while your connection was down.")
	widgetPoll(t, browser, "the reconnection and the missed reply", fmt.Sprintf(`sockets.length > %d && sockets[sockets.length - 1].readyState === 1 && plText('.log').indexOf('connection was down') >= 0`, n))
	if c := widgetEval[int](t, browser, `plText('.log').split('Sent while your connection was down.').length - 1`); c != 1 {
		t.Errorf(`the missed reply shows %d times`, c)
	}

	// Phone: the window takes the whole screen.
	apptest.Do(t, browser, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	widgetPoll(t, browser, "the full-screen window", `pl('.win').getBoundingClientRect().width === innerWidth && pl('.win').getBoundingClientRect().height === innerHeight`)
	widgetShot(t, browser, "phone")
	apptest.Do(t, browser, chromedp.EmulateViewport(1280, 900))

	// Closing: confirm inside the window, then the server closes the session.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.head .hb:last-child').click()`))
	widgetPoll(t, browser, "the close confirmation", `!pl('.confirm').hidden && plText('.confirm').indexOf('Close this conversation?') >= 0`)
	widgetShot(t, browser, "confirm")
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.confirm .btn').click()`))
	widgetPoll(t, browser, "the closed conversation", `!pl('.end').hidden && plText('.end').indexOf('Conversation closed. Thank you!') >= 0 && pl('.composer').hidden`)
	if x, err := srv.Store.SessionByPublicID(context.Background(), sid); err != nil || x.Status != model.SessionClosed {
		t.Errorf(`session after closing: %+v, %v`, x, err)
	}
	widgetShot(t, browser, "closed")
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.end .btn').click()`))
	widgetPoll(t, browser, "a new conversation", `pl('.end').hidden && !pl('.composer').hidden && pl('.log').querySelectorAll('.m').length === 1`)

	// A conversation ended by the server (session frame) disables the composer.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.composer textarea').focus()`), chromedp.KeyEvent("One more thing"), apptest.PressEnter())
	widgetPoll(t, browser, "the second session", `!!pl('.m.me') && !pl('.m.me.sending')`)
	sid2 := widgetEval[string](t, browser, `(function () { for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (/\.session$/.test(k)) return localStorage.getItem(k); } return ''; })()`)
	sess2, err := srv.Store.SessionByPublicID(context.Background(), sid2)
	if err != nil || sid2 == sid {
		t.Fatalf(`second session %q (first %q): %v`, sid2, sid, err)
	}
	if _, err := srv.Livechat.CloseByVisitor(context.Background(), sess2); err != nil {
		t.Fatal(err)
	}
	widgetPoll(t, browser, "the ended conversation", `!pl('.end').hidden && plText('.end').indexOf('The conversation has ended.') >= 0 && pl('.composer textarea').disabled`)
	apptest.AssertNoConsoleErrors(t, browser)
}

// TestWidgetBrowserRules checks the rule actions: a hide rule renders
// nothing, "show with notification" adds the bubble with the button text.
func TestWidgetBrowserRules(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	id := defaultChannelID(t, srv)
	ch, err := srv.Store.Channel(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	site := thirdPartySite(t, srv, id)
	browser := apptest.NewBrowser(t)

	// Nobody online: not available, but the button leads to the offline
	// form (TestWidgetBrowserNobodyOnline).
	if waitWidget(t, browser, site.URL+"/") {
		t.Errorf(`widget available with no operator online`)
	}
	widgetPoll(t, browser, "the launcher with nobody online", `!!pl('.launcher')`)

	srv.Livechat.Presence.Connect(admin.ID)
	save := func(r model.Rule) {
		t.Helper()
		if _, err := srv.Livechat.SaveRules(context.Background(), id, []model.Rule{r}); err != nil {
			t.Fatalf(`save rule: %v`, err)
		}
	}
	save(model.Rule{Action: model.ActionHide, RegexURL: "/tents"})
	tab := apptest.NewTab(t, browser)
	if waitWidget(t, tab, site.URL+"/tents") {
		t.Errorf(`widget available on a page with a hide rule`)
	}
	if widgetEval[bool](t, tab, `!!document.getElementById('parley-livechat')`) {
		t.Errorf(`widget mounted on a page with a hide rule`)
	}
	if !waitWidget(t, tab, site.URL+"/") {
		t.Errorf(`hide rule for /tents hid the widget on /`)
	}

	save(model.Rule{Action: model.ActionShowWithText})
	tab = apptest.NewTab(t, browser)
	if !waitWidget(t, tab, site.URL+"/") {
		t.Fatalf(`widget unavailable with a show-with-notification rule`)
	}
	widgetPoll(t, tab, "the notification bubble", `!!pl('.bubble') && getComputedStyle(pl('.bubble')).opacity === '1'`)
	if text := widgetEval[string](t, tab, `plText('.bubble-text')`); text != ch.Options.ButtonText {
		t.Errorf(`bubble = %q, want the button text %q`, text, ch.Options.ButtonText)
	}
	widgetShot(t, tab, "bubble")
	// The bubble opens the chat, and is gone after that first click.
	apptest.Do(t, tab, chromedp.Evaluate[chromedp.Void](`pl('.bubble-text').click()`))
	widgetPoll(t, tab, "the open window", widgetIsOpen)
	widgetPoll(t, tab, "the bubble to go", `!pl('.bubble')`)
	apptest.AssertNoConsoleErrors(t, tab)

	// Open automatically: after the timer, without taking the focus, and
	// once a day only.
	save(model.Rule{Action: model.ActionAutoPopup, AutoPopupTimer: 1})
	tab = apptest.NewTab(t, browser)
	if !waitWidget(t, tab, site.URL+"/") {
		t.Fatalf(`widget unavailable with an auto-popup rule`)
	}
	widgetPoll(t, tab, "the window to open by itself", widgetIsOpen)
	if focused := widgetEval[bool](t, tab, `!!document.getElementById('parley-livechat').shadowRoot.activeElement`); focused {
		t.Errorf(`the auto-popup took the focus from the page`)
	}
	apptest.Do(t, tab, chromedp.Evaluate[chromedp.Void](`Parley.close()`))
	if !waitWidget(t, tab, site.URL+"/") {
		t.Fatalf(`widget unavailable after reload`)
	}
	apptest.Do(t, tab, chromedp.Sleep(1500*time.Millisecond))
	if widgetEval[bool](t, tab, `pl('.pl').classList.contains('open')`) {
		t.Errorf(`the window popped up again on the next page`)
	}
	apptest.AssertNoConsoleErrors(t, tab)
}

// TestWidgetBrowserOffline: when the last operator leaves between the page
// load and the first message, the window says so and takes a message for
// an email answer.
func TestWidgetBrowserOffline(t *testing.T) {
	// With mail configured the form promises an answer by email, and the
	// operators receive the message by mail, answerable with one click.
	srv, smtp := mailServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	id := defaultChannelID(t, srv)
	site := thirdPartySite(t, srv, id)
	browser := apptest.NewBrowser(t)
	if !waitWidget(t, browser, site.URL+"/") {
		t.Fatalf(`widget not available with an operator online`)
	}
	srv.Livechat.Presence.Disconnect(admin.ID)

	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`Parley.setVisitor({name: 'Bo Nilsson'}); Parley.open()`))
	widgetPoll(t, browser, "the open window", widgetIsOpen)
	apptest.Do(t, browser, chromedp.KeyEvent("Do you ship to Norway?"), apptest.PressEnter())
	widgetPoll(t, browser, "the offline form", `!pl('.offline').hidden && pl('#pl-f-body').value === 'Do you ship to Norway?' && pl('#pl-f-name').value === 'Bo Nilsson'`)
	if text := widgetEval[string](t, browser, `plText('.offline')`); !strings.Contains(text, "Nobody is available right now.") {
		t.Errorf(`offline panel = %q`, text)
	}
	widgetShot(t, browser, "offline")

	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('#pl-f-email').focus()`), chromedp.KeyEvent("bo@example"),
		chromedp.Evaluate[chromedp.Void](`pl('.offline .btn').click()`))
	widgetPoll(t, browser, "the email error", `plText('.offline .err') === 'Please enter a valid email address.' && pl('#pl-f-email').getAttribute('aria-invalid') === 'true'`)
	apptest.Do(t, browser, chromedp.KeyEvent(".no"), chromedp.Evaluate[chromedp.Void](`pl('.offline .btn').click()`))
	widgetPoll(t, browser, "the thanks", `!pl('.thanks').hidden && plText('.thanks').indexOf('Thanks! We will answer by email.') >= 0`)
	widgetShot(t, browser, "offline-thanks")

	msgs, err := srv.Store.OfflineMessagesPage(context.Background(), 10, 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf(`offline messages: %v, %v`, msgs, err)
	}
	if m := msgs[0]; m.Email != "bo@example.no" || m.Name != "Bo Nilsson" || m.Body != "Do you ship to Norway?" || m.ChannelID != id || !strings.HasPrefix(m.URL, site.URL) {
		t.Errorf(`offline message = %+v`, m)
	}
	got := smtp.Wait(1)[0]
	if p := got.Parse(t); got.To[0] != admin.Email || !strings.Contains(p.Get("Reply-To"), "bo@example.no") ||
		p.Get("Subject") != "Offline message from Bo Nilsson" || !strings.Contains(p.Text, "Do you ship to Norway?") {
		t.Errorf(`operators' mail to %v: Reply-To %q, Subject %q`, got.To, p.Get("Reply-To"), p.Get("Subject"))
	}
	// Chrome logs every 4xx answer; the 409 is the expected one.
	for _, e := range apptest.ConsoleErrors(t, browser) {
		if !strings.Contains(e, "409 (Conflict)") {
			t.Errorf(`browser console error: %s`, e)
		}
	}
}

// TestWidgetBrowserSupportPage opens the direct chat link: the page of the
// channel with the window already open, under its CSP.
func TestWidgetBrowserSupportPage(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	id := defaultChannelID(t, srv)
	browser := apptest.NewBrowser(t)

	apptest.Do(t, browser, chromedp.Navigate(fmt.Sprintf("%s/im_livechat/support/%d", srv.URL, id)))
	widgetPoll(t, browser, "the opened widget", `(function () { var h = document.getElementById('parley-livechat'); var s = h && h.shadowRoot; return !!s && s.querySelector('.pl').classList.contains('open') && getComputedStyle(s.querySelector('.win')).visibility === 'visible'; })()`)
	widgetPoll(t, browser, "the focus in the composer", `document.getElementById('parley-livechat').shadowRoot.activeElement === document.getElementById('parley-livechat').shadowRoot.querySelector('.composer textarea')`)
	if title := apptest.Run(t, browser, chromedp.Title()); !strings.Contains(title, "Live chat support") {
		t.Errorf(`title = %q`, title)
	}
	widgetShot(t, browser, "support")
	apptest.AssertNoConsoleErrors(t, browser)
}

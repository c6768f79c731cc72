package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/livechat"
	"parley/app/model"
)

// siteAs is the URL of the third-party site reached under host (a name
// under .test, which the test browser resolves to this machine).
func siteAs(t *testing.T, siteURL, host string) string {
	t.Helper()
	u, err := url.Parse(siteURL)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + host + ":" + u.Port() + "/"
}

// TestWidgetBrowserEmbedLockdown embeds the widget of a channel limited to
// *.acme.test: on shop.acme.test the chat works, socket included, and so
// does Parley's own chat page; the same page on evil.test shows no chat,
// and its only console errors are the refused calls.
func TestWidgetBrowserEmbedLockdown(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	id := defaultChannelID(t, srv)
	limitDomains(t, srv, id, "*.acme.test")
	site := thirdPartySite(t, srv, id)
	browser := apptest.NewBrowser(t)

	shop := siteAs(t, site.URL, "shop.acme.test")
	sess := widgetChat(t, srv, browser, shop, "Is the Trailstar 2 in stock?")
	widgetPoll(t, browser, "a connected socket", `sockets.length > 0 && sockets[sockets.length - 1].readyState === 1`)
	if _, err := srv.Livechat.PostOperatorMessage(context.Background(), sess, admin, "Yes, ships today.", ""); err != nil {
		t.Fatal(err)
	}
	widgetPoll(t, browser, "the operator's reply over the socket", `plText('.log').indexOf('Yes, ships today.') >= 0`)
	apptest.AssertNoConsoleErrors(t, browser)

	// Parley's own chat page always works.
	support := apptest.NewTab(t, browser)
	apptest.Do(t, support, chromedp.Navigate(fmt.Sprintf("%s/im_livechat/support/%d", srv.URL, id)))
	widgetPoll(t, support, "the chat page's open window", `(function () { var h = document.getElementById('parley-livechat'); var s = h && h.shadowRoot; return !!s && s.querySelector('.pl').classList.contains('open'); })()`)
	widgetPoll(t, support, "the chat page's visitor", `Object.keys(localStorage).some(function (k) { return /\.token$/.test(k); })`)
	apptest.AssertNoConsoleErrors(t, support)

	_, before, err := srv.Livechat.Visitors(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	evil := apptest.NewTab(t, browser)
	if waitWidget(t, evil, siteAs(t, site.URL, "evil.test")) {
		t.Fatalf(`the widget offers a chat on a site the channel does not allow`)
	}
	if widgetEval[bool](t, evil, `!!document.getElementById('parley-livechat')`) {
		t.Errorf(`the widget mounted on a refused site`)
	}
	if _, after, _ := srv.Livechat.Visitors(context.Background(), 0, 0); after != before {
		t.Errorf(`the refused page made a visitor (%d visitors, %d before)`, after, before)
	}
	// Chromium reports a refused cross-origin call as a CORS error (the
	// 403 names no origin, so the page cannot read it) and a failed load.
	errs := apptest.ConsoleErrors(t, evil)
	if !strings.Contains(strings.Join(errs, "\n"), "CORS policy") {
		t.Errorf(`no refused call in the console (%q): was the page refused at all?`, errs)
	}
	for _, e := range errs {
		refusal := strings.Contains(e, srv.URL+"/im_livechat/init?") || strings.Contains(e, srv.URL+"/im_livechat/pageviews")
		if !refusal || !(strings.Contains(e, "CORS policy") || strings.Contains(e, "net::ERR_FAILED")) {
			t.Errorf(`browser console error other than the refusal: %s`, e)
		}
	}
}

// TestWidgetBrowserSignedIdentity: the host page of a channel that
// requires signed visitors calls Parley.setVisitor with the signature its
// server computed; the chat starts and the operator sees the visitor
// verified. A page without the signature gets the refusal in the window.
func TestWidgetBrowserSignedIdentity(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	ctx := context.Background()
	id := defaultChannelID(t, srv)
	secret, err := srv.Livechat.RegenerateIdentitySecret(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := srv.Livechat.Channel(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ch.IdentityEnforce = true
	if err := srv.Livechat.UpdateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	signed := thirdPartySite(t, srv, id, fmt.Sprintf(`Parley.setVisitor({id: 'u-1815', name: 'Grace Hopper', email: 'grace@example.com', signature: '%s'});`,
		livechat.IdentitySignature(secret, "u-1815")))

	op := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/conversations"), chromedp.WaitVisible(chromedp.CSS(`#conv-open`)))
	lcWait(t, op, "the operator's socket", `Parley.chat && Parley.chat.connected()`, `document.body`)
	waitOnline(t, srv, admin.ID)

	visitor := apptest.NewTab(t, op)
	sess := widgetChat(t, srv, visitor, signed.URL+"/", "Hello, where is my order?")
	apptest.AssertNoConsoleErrors(t, visitor)

	// The conversation arrives live; selecting it shows the visitor verified.
	item := `.conv-item[data-session="` + sess.PublicID + `"]`
	lcWait(t, op, "the new conversation", `document.querySelector('`+item+`')`, `document.querySelector('#conv-open')`)
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(item+` .conv-link`)))
	lcWait(t, op, "the verified visitor", `!document.querySelector('#conv-info [data-f="verified"]').hidden && document.querySelector('#conv-info [data-f="verified"]').offsetWidth > 0 && document.querySelector('#conv-info [data-f="external-id"]').textContent === 'u-1815' && document.querySelector('#conv-info [data-f="name"]').textContent === 'Grace Hopper'`, `document.querySelector('#conv-info')`)
	apptest.Screenshot(t, op, "verified-visitor")
	apptest.AssertNoConsoleErrors(t, op)

	// The same site without the signature: the window says why no chat starts.
	unsigned := thirdPartySite(t, srv, id)
	anon := apptest.NewTab(t, op)
	if !waitWidget(t, anon, unsigned.URL+"/") {
		t.Fatalf(`widget not available`)
	}
	apptest.Do(t, anon, chromedp.Evaluate[chromedp.Void](`Parley.open()`))
	widgetPoll(t, anon, "the open window", widgetIsOpen)
	widgetSend(t, anon, "Hello?")
	widgetPoll(t, anon, "the refusal", `!pl('.composer ~ .err').hidden && plText('.composer ~ .err').indexOf('signed-in customers') >= 0 && !!pl('.m.me.failed')`)
	widgetShot(t, anon, "identity-required")
	for _, e := range apptest.ConsoleErrors(t, anon) {
		if !strings.Contains(e, "403 (Forbidden)") {
			t.Errorf(`browser console error other than the refusal: %s`, e)
		}
	}
}

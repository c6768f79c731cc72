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

// TestComposerSuggestionsBrowser types in the Conversations view: "/"
// lists the commands filtered as typed and a chosen /lead answers the
// operator alone; ":" lists canned responses (case- and accent-insensitive,
// prefix first) and choosing one puts its text in the composer, editable;
// "!" in an empty message lists them too. The visitor sees only the real
// messages.
func TestComposerSuggestionsBrowser(t *testing.T) {
	srv, _, _, browser, sess := widgetChatFixture(t, "Do you ship to Spain?")
	ctx := context.Background()
	if err := srv.App.Canned.Save(ctx, &model.CannedResponse{Shortcut: "envío", Substitution: "Shipping takes 3 days."}); err != nil {
		t.Fatal(err)
	}
	sid := sess.PublicID
	op := apptest.NewTab(t, browser)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/conversations?session="+sid))
	win := `document.querySelector('.conv-chat .chat-window')`
	box := win + `.querySelector('.chat-suggest')`
	items := `Array.from(` + box + `.querySelectorAll('li')).map(function (e) { return e.textContent; })`
	lcWait(t, op, "the full-size view", `Parley.chat.connected() && `+win+` && `+win+`.querySelectorAll('.msg.visitor[data-id]').length === 1`, `document.querySelector('#conversations')`)

	// "/" lists every command with its help line; typing filters.
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.conv-chat textarea`)), chromedp.KeyEvent("/"))
	lcWait(t, op, "the command list", `!`+box+`.hidden && `+items+`.some(function (s) { return s.indexOf('/lead, /iniciativa: Create a new lead') === 0; }) && `+items+`.length === 6`, win)
	apptest.Screenshot(t, op, "commands")
	apptest.Do(t, op, chromedp.KeyEvent("hel"))
	lcWait(t, op, "the list filtered", items+`.length === 3 && `+items+`[0].indexOf('/help') === 0`, box) // help, helpdesk, helpdesk_search
	apptest.Do(t, op, chromedp.KeyEvent("\b\b\ble"))
	lcWait(t, op, "/le", items+`.length === 2`, box) // lead, leave
	apptest.Do(t, op, chromedp.KeyEvent("\t"))
	if v := lcEval[string](t, op, win+`.querySelector('textarea').value`); v != "/lead " {
		t.Fatalf(`the composer after choosing /lead = %q`, v)
	}
	apptest.Do(t, op, chromedp.KeyEvent("Ships to Spain"), apptest.PressEnter())
	lcWait(t, op, "the lead's answer", win+`.querySelector('.msg.command a[href^="/admin/leads/"]') && `+win+`.querySelector('.msg.command').textContent.indexOf('Created a new lead: Ships to Spain') >= 0`, win)
	apptest.Screenshot(t, op, "lead-answer")
	list, _ := srv.App.Leads.Leads(ctx, "", "")
	if len(list) != 1 || !strings.Contains(list[0].Notes, "Do you ship to Spain?") {
		t.Fatalf("leads: %+v", list)
	}

	// An unknown command is answered and not sent.
	apptest.Do(t, op, chromedp.KeyEvent("/shipit"), apptest.PressEnter())
	lcWait(t, op, "the unknown command's answer", win+`.querySelector('.msg.command.failed') && `+win+`.querySelector('.msg.command.failed').textContent.indexOf('Unknown command /shipit') >= 0`, win)

	// ":" lists canned responses; "ENV" finds "envío" (case and accents).
	apptest.Do(t, op, chromedp.KeyEvent("Sure! :ENV"))
	lcWait(t, op, "the canned response list", `!`+box+`.hidden && `+items+`.length === 1 && `+items+`[0] === 'envío: Shipping takes 3 days.'`, win)
	apptest.Screenshot(t, op, "canned")
	apptest.Do(t, op, apptest.PressEnter())
	if v := lcEval[string](t, op, win+`.querySelector('textarea').value`); v != "Sure! Shipping takes 3 days. " {
		t.Fatalf(`the composer after choosing :envío = %q`, v)
	}
	apptest.Do(t, op, chromedp.KeyEvent("Anything else?"), apptest.PressEnter())
	// "::" and prefix order: "b" ranks "bye" before words that merely contain it.
	apptest.Do(t, op, chromedp.KeyEvent("::b"))
	lcWait(t, op, "::b", items+`.length === 1 && `+items+`[0] === 'bye: Thanks for your feedback. Good bye!'`, win)
	apptest.Do(t, op, chromedp.KeyEvent("\b\b\b!"))
	lcWait(t, op, "! in an empty message", items+`.length === 3 && `+items+`[0].indexOf('bye:') === 0`, win)
	apptest.Do(t, op, chromedp.KeyEvent("\b"))
	lcWait(t, op, "the list gone", box+`.hidden`, win)

	widgetPoll(t, browser, "the reply with the canned text", `plText('.log').indexOf('Sure! Shipping takes 3 days. Anything else?') >= 0`)
	if got := widgetEval[string](t, browser, `plText('.log')`); strings.Contains(got, "/lead") || strings.Contains(got, "Ships to Spain") || strings.Contains(got, "shipit") || strings.Contains(got, "Created a new lead") {
		t.Errorf(`the visitor sees a command or its answer: %q`, got)
	}
	apptest.AssertNoConsoleErrors(t, op)
	apptest.AssertNoConsoleErrors(t, browser)
}

// TestMentionBrowser: Ada types "@" in a chat, picks Cy and sends; the
// message shows as an internal note, Cy's header badge counts it live and
// the inbox lists it; the visitor never sees it.
func TestMentionBrowser(t *testing.T) {
	srv, _, _, browser, sess := widgetChatFixture(t, "My parcel never came.")
	srv.CreateUser(t, "cy@example.com", "Cy Young", model.RoleOperator)
	sid := sess.PublicID
	cy := apptest.NewTab(t, browser)
	apptest.BrowserLogin(t, cy, srv.URL, "cy@example.com")
	apptest.Do(t, cy, chromedp.Navigate(srv.URL+"/admin"))
	lcWait(t, cy, "Cy's socket", `Parley.chat.connected()`, `document.body`)

	op := apptest.NewTab(t, browser)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/conversations?session="+sid))
	win := `document.querySelector('.conv-chat .chat-window')`
	box := win + `.querySelector('.chat-suggest')`
	items := `Array.from(` + box + `.querySelectorAll('li')).map(function (e) { return e.textContent; })`
	lcWait(t, op, "the full-size view", `Parley.chat.connected() && `+win+` && `+win+`.querySelectorAll('.msg.visitor[data-id]').length === 1`, `document.querySelector('#conversations')`)

	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.conv-chat textarea`)), chromedp.KeyEvent("@cy"))
	lcWait(t, op, "the user list", `!`+box+`.hidden && `+items+`.join('|') === '@Cy Young'`, win)
	apptest.Screenshot(t, op, "mention-list")
	apptest.Do(t, op, apptest.PressEnter(), chromedp.KeyEvent("can you trace it?"), apptest.PressEnter())
	lcWait(t, op, "the note", win+`.querySelector('.msg.note[data-id]') && `+win+`.querySelector('.msg.note').textContent.indexOf('@Cy Young can you trace it?') >= 0 && `+win+`.querySelector('.msg.note').textContent.indexOf('Internal note') >= 0`, win)
	apptest.Screenshot(t, op, "note")

	lcWait(t, cy, "the unread badge", `!document.querySelector('[data-inbox-unread]').hidden && document.querySelector('[data-inbox-unread]').textContent === '1'`, `document.querySelector('.topbar')`)
	apptest.Do(t, cy, chromedp.Click(chromedp.CSS(`#inbox > summary`)))
	lcWait(t, cy, "the inbox entry", `document.querySelector('#inbox .inbox-item') && document.querySelector('#inbox .inbox-item').textContent.indexOf('Ada Lovelace mentioned you in a conversation with Website Visitor #1') >= 0 && document.querySelector('#inbox .inbox-item').textContent.indexOf('can you trace it?') >= 0`, `document.querySelector('#inbox')`)
	apptest.Screenshot(t, cy, "inbox")
	lcWait(t, cy, "the badge cleared", `document.querySelector('[data-inbox-unread]').hidden`, `document.querySelector('.topbar')`)
	// The badge clears at once; the server hears of it just after.
	for i := 0; ; i++ {
		n, err := srv.Store.UnreadNotifications(context.Background(), 2)
		if err == nil && n == 0 {
			break
		}
		if i == 500 {
			t.Fatalf("unread after opening the inbox: %d %v", n, err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// "#" lists the channels and inserts a link to the chosen one's page.
	apptest.Do(t, op, chromedp.KeyEvent("See #your"))
	lcWait(t, op, "the channel list", items+`.join('|') === '#YourWebsite.com'`, win)
	apptest.Do(t, op, apptest.PressEnter())
	if v := lcEval[string](t, op, win+`.querySelector('textarea').value`); v != "See #YourWebsite.com "+srv.Config.PublicURL()+"/admin/channels/1 " {
		t.Errorf(`the composer after choosing a channel = %q`, v)
	}
	apptest.Do(t, op, chromedp.Evaluate[chromedp.Void](win+`.querySelector('textarea').value = ''`))

	// A reply after the note reaches the visitor; the note never does.
	apptest.Do(t, op, chromedp.KeyEvent("We are tracing your parcel."), apptest.PressEnter())
	widgetPoll(t, browser, "the reply", `plText('.log').indexOf('We are tracing your parcel.') >= 0`)
	if got := widgetEval[string](t, browser, `plText('.log')`); strings.Contains(got, "trace it") || strings.Contains(got, "@Cy") {
		t.Errorf(`the visitor sees the note: %q`, got)
	}
	apptest.AssertNoConsoleErrors(t, op)
	apptest.AssertNoConsoleErrors(t, cy)
	apptest.AssertNoConsoleErrors(t, browser)
}

package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
)

// TestChatbotBrowserWelcomeBot attaches the Welcome Bot to a rule and
// walks its pricing branch in the widget on a third-party page, with
// nobody online: the greeting, the answers as buttons, the email step
// refusing an invalid address and taking a valid one, then the end with
// Restart.
func TestChatbotBrowserWelcomeBot(t *testing.T) {
	srv := apptest.NewServer(t)
	id := defaultChannelID(t, srv)
	sc, _ := welcomeBot(t, srv)
	botRule(t, srv, id, sc.ID, false)
	site := thirdPartySite(t, srv, id)
	browser := apptest.NewBrowser(t)

	if !waitWidget(t, browser, site.URL+"/") {
		t.Fatalf(`the chatbot makes the widget available with nobody online`)
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.launcher').click()`))
	widgetPoll(t, browser, "the open window", widgetIsOpen)
	// The bot speaks first, one message after the other, then asks.
	widgetPoll(t, browser, "the welcome", `plText('.log').includes('Welcome to CompanyName! 👋')`)
	widgetPoll(t, browser, "the answers", `!!pl('.answers') && !pl('.answers').hidden && pl('.answers').querySelectorAll('.ans').length === 3`)
	if got := widgetEval[string](t, browser, `plText('.title')`); got != "Welcome Bot" {
		t.Errorf(`window title = %q, want the chatbot's name`, got)
	}
	if state := widgetEval[string](t, browser, `pl('.composer textarea').disabled + ' ' + pl('.composer textarea').placeholder`); state != "true Select an option above" {
		t.Errorf(`the composer must wait for an answer to be chosen: %q`, state)
	}
	if !widgetEval[bool](t, browser, `pl('.composer .clip').disabled`) {
		t.Errorf(`the paperclip must wait for an answer to be chosen`)
	}
	widgetShot(t, browser, "question")

	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`Array.prototype.find.call(pl('.answers').querySelectorAll('.ans'), function (b) { return b.textContent === 'I have a pricing question'; }).click()`))
	widgetPoll(t, browser, "the email step", `plText('.log').includes('Would you mind leaving your email address so that we can reach you back?')`)
	widgetPoll(t, browser, "the composer for the email", `!pl('.composer textarea').disabled && pl('.answers').hidden`)
	if !widgetEval[bool](t, browser, `pl('.composer .clip').disabled`) {
		t.Errorf(`the paperclip must wait for the email address`)
	}
	if log := widgetEval[string](t, browser, `plText('.log')`); !containsInOrder(log, "I have a pricing question", "Hmmm, let me check", "Hu-ho, it looks like none of our operators are available") {
		t.Errorf(`the pricing branch without an operator: %q`, log)
	}

	// An invalid address is refused by the bot; the step waits.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.composer textarea').focus()`),
		chromedp.KeyEvent("not an email"), apptest.PressEnter())
	widgetPoll(t, browser, "the refusal", `plText('.log').includes("'not an email' does not look like a valid email. Can you please try again?")`)
	if ended := widgetEval[bool](t, browser, `!pl('.end:not([hidden])')`); !ended {
		t.Errorf(`the script ended on an invalid address`)
	}
	widgetShot(t, browser, "invalid email")

	// A valid one ends the script: the widget offers Restart.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.composer textarea').focus()`), chromedp.KeyEvent("ana@example.com"), apptest.PressEnter())
	widgetPoll(t, browser, "the end of the script", `Array.prototype.some.call(pl('.pl').querySelectorAll('.end'), function (e) { return !e.hidden && e.textContent.includes('Conversation ended...') && e.textContent.includes('Restart'); })`)
	widgetShot(t, browser, "ended")
	apptest.AssertNoConsoleErrors(t, browser)
}

func containsInOrder(s string, parts ...string) bool {
	at := 0
	for _, p := range parts {
		i := indexFrom(s, p, at)
		if i < 0 {
			return false
		}
		at = i + len(p)
	}
	return true
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

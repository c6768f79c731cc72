package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// TestRatingBrowser: the visitor closes the chat, rates it dissatisfied
// with a reason on the closing screen, the operator's window shows the
// rating live, and the published page shows the percentages.
func TestRatingBrowser(t *testing.T) {
	srv, smtp := mailServer(t)
	srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	chID := defaultChannelID(t, srv)
	site := thirdPartySite(t, srv, chID)
	browser := apptest.NewBrowser(t)
	op, sess := opChatWindow(t, srv, browser, site.URL+"/", "My parcel never came.")
	win := opWin(sess.PublicID)

	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.head .hb:last-child').click()`))
	widgetPoll(t, browser, "the close confirmation", `!pl('.confirm').hidden`)
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.confirm .btn').click()`))
	widgetPoll(t, browser, "the closing screen with the faces, the focus on the first",
		`!pl('.survey').hidden && plText('.survey').indexOf('Did we correctly answer your question?') >= 0 && pl('.faces').querySelectorAll('button[aria-label]').length === 3`)
	widgetShot(t, browser, "rating-faces")

	// The transcript field checks the address before asking the server.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('#pl-mail').value = 'not-an-address'; pl('.copy .btn').click()`))
	widgetPoll(t, browser, "the invalid address refused", `pl('#pl-mail').getAttribute('aria-invalid') === 'true' && plText('.copy').indexOf('Please enter a valid email address.') >= 0`)
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('#pl-mail').value = 'bo@example.com'; pl('.copy .btn').click()`))
	widgetPoll(t, browser, "the transcript sent", `plText('.copy').indexOf('The conversation was sent.') >= 0`)

	// Dissatisfied asks for a reason, then sends both.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.faces [data-rating="1"]').click()`))
	widgetPoll(t, browser, "the reason box", `!pl('.reason').hidden && pl('.faces [data-rating="1"]').getAttribute('aria-pressed') === 'true'`)
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('#pl-reason').value = 'Nobody tracked my parcel.'; pl('.reason .btn').click()`))
	widgetPoll(t, browser, "the thanks", `!pl('.rthanks').hidden && pl('.reason').hidden && !pl('.survey .btn.ghost').hidden`)
	widgetShot(t, browser, "rating-thanks")

	lcWait(t, op, "the rating notice in the operator's window",
		win+`.textContent.includes('Rating: 😞 Dissatisfied. Rating reason: Nobody tracked my parcel.')`, win)
	if x, err := srv.Store.SessionByPublicID(context.Background(), sess.PublicID); err != nil || x.Rating != model.RatingDissatisfied {
		t.Fatalf("stored rating: %+v %v", x, err)
	}

	// The transcript reached the mail server, with the visitor's words.
	got := smtp.Wait(1)
	if len(got) != 1 {
		t.Fatalf("mails received: %d, want the transcript", len(got))
	}
	m := got[0].Parse(t)
	if m.Get("To") != "<bo@example.com>" || !strings.Contains(m.Get("Subject"), "Your conversation on") ||
		!strings.Contains(m.Text, "My parcel never came.") || !strings.Contains(m.HTML, "My parcel never came.") {
		t.Errorf("transcript mail: to %q, subject %q, text %q", m.Get("To"), m.Get("Subject"), m.Text)
	}

	// The published page shows it: 100 % dissatisfied, the reason nowhere.
	ch, err := srv.Store.Channel(context.Background(), chID)
	if err != nil {
		t.Fatal(err)
	}
	ch.Published = true
	if err := srv.Livechat.UpdateChannel(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	pub := apptest.NewTab(t, browser)
	apptest.Do(t, pub, chromedp.Navigate(fmt.Sprintf("%s/livechat/channel/%d", srv.URL, chID)))
	lcWait(t, pub, "the public percentages",
		`document.querySelector('.pub-card-1 .pub-pct').textContent.trim() === '100.0 %' && document.querySelector('.pub-card-5 .pub-pct').textContent.trim() === '0.0 %' && !document.body.textContent.includes('Nobody tracked')`, `document.body`)
	apptest.Screenshot(t, pub, "public-page")
}

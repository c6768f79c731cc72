package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/livechat"
	"parley/app/model"
)

// With the only operator at their maximum, a visitor in the widget waits
// in the queue with their place shown, moves up as the line moves, and is
// served in order: after the visitor who came before them, before the one
// who came after.
func TestWidgetBrowserQueue(t *testing.T) {
	srv := apptest.NewServer(t)
	ctx := context.Background()
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	if err := srv.Livechat.SetUserMaxChats(ctx, admin.ID, "1"); err != nil {
		t.Fatal(err)
	}
	id := defaultChannelID(t, srv)
	start := func() *livechat.StartResult {
		t.Helper()
		res, err := srv.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: id, URL: "https://shop.example/"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	served := start()
	before := start() // waits first
	if served.Session.OperatorID != admin.ID || before.Session.QueuePosition != 1 {
		t.Fatalf("sessions = %+v and %+v; want Ada's and one waiting first", served.Session, before.Session)
	}

	site := thirdPartySite(t, srv, id)
	browser := apptest.NewBrowser(t)
	if !waitWidget(t, browser, site.URL+"/") {
		t.Fatal("the widget says nobody is available though Ada is online")
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`Parley.open()`))
	widgetPoll(t, browser, "the open window", widgetIsOpen)
	widgetSend(t, browser, "Is the green tent in stock?")
	widgetPoll(t, browser, "the place in the queue", `!pl('.queue').hidden`)
	if got := widgetEval[string](t, browser, `plText('.queue')`); !strings.Contains(got, "number 2 in line") {
		t.Fatalf("queue line = %q, want the second place", got)
	}
	after := start() // comes after the widget's visitor
	if after.Session.QueuePosition != 3 {
		t.Fatalf("the visitor after = %+v, want third in line", after.Session)
	}
	widgetShot(t, browser, "queue-waiting")

	// Ada ends her chat: the visitor who waited first is served, and the
	// widget's visitor is next.
	if _, err := srv.Livechat.EndSession(ctx, served.Session, admin); err != nil {
		t.Fatal(err)
	}
	widgetPoll(t, browser, "moving up", `plText('.queue').indexOf('next in line') >= 0`)
	x := srv.WaitSession(t, before.Session.PublicID, "an operator", func(x *model.Session) bool { return x.OperatorID != 0 })
	if x.OperatorID != admin.ID {
		t.Fatalf("the first waiting visitor went to %d", x.OperatorID)
	}

	// Ada ends that one too: the widget's visitor is served, not the one after.
	first, _ := srv.Store.Session(ctx, before.Session.ID)
	if _, err := srv.Livechat.EndSession(ctx, first, admin); err != nil {
		t.Fatal(err)
	}
	widgetPoll(t, browser, "Ada joining", `pl('.queue').hidden && plText('.log').indexOf('Ada Lovelace has joined the conversation.') >= 0`)
	if x, _ := srv.Store.Session(ctx, after.Session.ID); x.OperatorID != 0 || x.QueuePosition != 1 {
		t.Fatalf("the visitor who came after = %+v; want them next, still waiting", x)
	}
	// Ada has the widget's conversation, with what the visitor wrote while waiting.
	open, err := srv.Store.Sessions(ctx, model.SessionFilter{OperatorID: admin.ID, Status: model.SessionOpen})
	if err != nil || len(open) != 1 || open[0].ID == after.Session.ID {
		t.Fatalf("Ada's open conversations = %+v, %v; want the widget's only", open, err)
	}
	widgetShot(t, browser, "queue-served")
	apptest.AssertNoConsoleErrors(t, browser)
}

package web_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"parley/app/apptest"
	"parley/app/helpdesk"
	"parley/app/leads"
	"parley/app/model"
)

// TestAccessibility runs axe-core's WCAG 2.1 AA rules on every page a
// person meets: the login page, each admin page with real data in it (a
// conversation, a visitor, an offline message, a second user), an error
// page, the widget closed and open on a customer's page, and the direct
// chat page.
func TestAccessibility(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	op := srv.CreateUser(t, "bo@example.com", "Bo Operator", model.RoleOperator)
	ch := defaultChannel(t, srv)
	srv.Livechat.Presence.Connect(admin.ID)

	chat := cvStart(t, srv, ch.ID, "https://shop.example/tents", "Tents")
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, `{"body":"Do you ship to Norway?"}`); code != http.StatusCreated {
		t.Fatalf("visitor message: %d %v", code, body)
	}
	if code, _, body := call(t, srv, "POST", "/im_livechat/offline_messages", "",
		fmt.Sprintf(`{"channel_id":%d,"name":"Cy","email":"cy@example.com","body":"Call me back"}`, ch.ID)); code != http.StatusCreated && code != http.StatusAccepted {
		t.Fatalf("offline message: %d %v", code, body)
	}
	sess, err := srv.Livechat.Sessions(t.Context(), admin, model.SessionFilter{Limit: 1})
	if err != nil || len(sess) == 0 {
		t.Fatalf("sessions: %v %v", sess, err)
	}

	// Operator tools: a team of each kind, a lead and a ticket.
	team := &model.SalesTeam{Name: "Europe", Active: true}
	desk := &model.HelpdeskTeam{Name: "Support", Sequence: 1, LiveChat: true}
	if err := srv.App.Leads.SaveTeam(t.Context(), team); err != nil {
		t.Fatal(err)
	}
	if err := srv.App.Helpdesk.SaveTeam(t.Context(), desk); err != nil {
		t.Fatal(err)
	}
	lead, err := srv.App.Leads.CreateLead(t.Context(), sess[0].ID, "Tents for Norway", leads.Contact{}, leads.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := srv.App.Helpdesk.CreateTicket(t.Context(), sess[0].ID, "Shipping to Norway", helpdesk.Contact{}, helpdesk.Options{})
	if err != nil {
		t.Fatal(err)
	}

	// A browser per group of pages keeps each within the browser tests'
	// hang guard, axe being slow on a busy machine.
	login := func(t *testing.T) context.Context {
		browser := apptest.NewBrowser(t)
		apptest.Do(t, browser,
			chromedp.Navigate(srv.URL+"/login"),
			chromedp.WaitVisible(chromedp.ID("email")),
		)
		apptest.AssertAccessible(t, browser, "login")
		apptest.BrowserLogin(t, browser, srv.URL, "ada@example.com")
		return browser
	}
	groups := [][]string{
		{"/admin", "/admin/conversations", "/admin/conversations?session=" + chat.ID, "/admin/sessions", "/admin/sessions/" + sess[0].PublicID, "/admin/visitors"},
		{fmt.Sprintf("/admin/visitors/%d", sess[0].VisitorID), "/admin/offline", "/admin/channels", "/admin/channels/new"},
		{"/admin/reports", "/admin/config/users", "/admin/config/users/new", fmt.Sprintf("/admin/config/users/%d", op.ID), "/admin/config/settings", "/admin/profile", "/admin/no-such-page"},
		{"/admin/leads", "/admin/leads?view=list", fmt.Sprintf("/admin/leads/%d", lead.ID), "/admin/helpdesk", fmt.Sprintf("/admin/helpdesk/tickets/%d", ticket.ID),
			"/admin/config/canned", fmt.Sprintf("/admin/config/sales-teams/%d", team.ID), fmt.Sprintf("/admin/config/helpdesk-teams/%d", desk.ID)},
		{"/admin/config/mail", "/admin/config/chatbots", "/admin/config/chatbots/1", "/admin/reports/ratings", "/admin/reports/ratings?view=list",
			"/admin/reports/ratings?view=pivot", "/admin/reports/ratings?view=graph", fmt.Sprintf("/livechat/channel/%d", ch.ID), "/livechat"},
	}
	for i, pages := range groups {
		t.Run(fmt.Sprintf("admin-%d", i+1), func(t *testing.T) {
			browser := login(t)
			for _, p := range pages {
				apptest.Do(t, browser,
					chromedp.Navigate(srv.URL+p),
					chromedp.WaitReady(`body`),
				)
				if p != "/admin/no-such-page" {
					if apptest.Run(t, browser, chromedp.Evaluate[bool](`!!document.querySelector('.error-page')`)) {
						t.Errorf("%s is an error page: the check would test the wrong page", p)
					}
				}
				apptest.AssertAccessible(t, browser, p)
			}
		})
	}
	// The channel form's tabs, and its dialogs open.
	t.Run("channel-form", func(t *testing.T) {
		browser := login(t)
		page := fmt.Sprintf("%s/admin/channels/%d", srv.URL, ch.ID)
		for _, tab := range []string{"operators", "options", "rules", "widget"} {
			apptest.Do(t, browser, chromedp.Navigate(page+"?tab="+tab), chromedp.WaitVisible(chromedp.ID("tab-"+tab)))
			apptest.AssertAccessible(t, browser, "channel form, tab "+tab)
		}
		apptest.Do(t, browser,
			chromedp.Navigate(page+"?tab=rules"),
			chromedp.Click(chromedp.CSS(`button[hx-get$="/rules/new"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#rule-dialog-body form`)),
		)
		apptest.AssertAccessible(t, browser, "channel rule dialog")
	})

	// The widget on a customer's page, closed then open, and the direct
	// chat page, as a visitor.
	t.Run("visitor", func(t *testing.T) {
		site := thirdPartySite(t, srv, ch.ID)
		browser := apptest.NewBrowser(t)
		visitor := apptest.NewTab(t, browser)
		apptest.Do(t, visitor, chromedp.Navigate(site.URL+"/tents"))
		widgetPoll(t, visitor, "the launcher", `!!pl('.launcher') && pl('.launcher').getBoundingClientRect().width > 0`)
		apptest.AssertAccessible(t, visitor, "widget closed")
		apptest.Do(t, visitor, chromedp.Evaluate[chromedp.Void](`pl('.launcher').click()`))
		widgetPoll(t, visitor, "the open window", widgetIsOpen)
		widgetSettle(t, visitor)
		apptest.AssertAccessible(t, visitor, "widget open")

		// Keyboard: Tab and Shift+Tab cycle inside the open widget and
		// show where the focus is.
		apptest.Do(t, visitor, chromedp.Evaluate[chromedp.Void](`pl('.composer textarea').focus()`))
		inWidget := `document.activeElement && document.activeElement.id === 'parley-livechat'`
		var seen []string
		for i := 0; i < 12; i++ {
			key := chromedp.KeyEvent(kb.Tab)
			if i >= 6 {
				key = chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
			}
			apptest.Do(t, visitor, key)
			if !widgetEval[bool](t, visitor, inWidget) {
				t.Fatalf("after %d Tab presses the focus left the widget for %s", i+1, widgetEval[string](t, visitor, `document.activeElement.outerHTML.slice(0, 80)`))
			}
			el := widgetEval[string](t, visitor, `(function () { var a = pl('.pl').getRootNode().activeElement; return a.tagName + '.' + a.className; })()`)
			// A ring on the element, or on the composer around the text box.
			ring := `(function () { var a = pl('.pl').getRootNode().activeElement;
				var shown = function (e) { var c = getComputedStyle(e); return c.outlineStyle !== 'none' || c.boxShadow !== 'none'; };
				return shown(a) || (a.closest('.composer') !== null && shown(a.closest('.composer'))); })()`
			if !widgetEval[bool](t, visitor, ring) {
				t.Errorf("%s shows no focus ring", el)
			}
			seen = append(seen, el)
		}
		if !slices.Contains(seen, "BUTTON.launcher") {
			t.Errorf("Tab never reached the launcher (to close the chat): %v", seen)
		}

		direct := apptest.NewTab(t, browser)
		apptest.Do(t, direct,
			chromedp.Navigate(fmt.Sprintf("%s/im_livechat/support/%d", srv.URL, ch.ID)),
			chromedp.WaitReady(`body`),
		)
		widgetPoll(t, direct, "the direct chat page's window", `(function () { var h = document.getElementById('parley-livechat'); return !!h && h.shadowRoot.querySelector('.pl').classList.contains('open'); })()`)
		widgetSettle(t, direct)
		apptest.AssertAccessible(t, direct, "direct chat page")
	})
}

package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/helpdesk"
	"parley/app/leads"
	"parley/app/model"
)

// TestBrowserUserPagesLayout opens the profile and user pages, whose cards
// hold token lists and checkbox rows, and checks their spacing: no box
// inside a card draws its own border against the card's, and consecutive
// cards and form rows keep a gap.
func TestBrowserUserPagesLayout(t *testing.T) {
	s := apptest.NewServer(t)
	s.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	bob := s.CreateUser(t, "bob@example.com", "Bob Builder", model.RoleOperator)
	b := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, b, s.URL, "ada@example.com")
	for _, p := range []struct{ name, path string }{
		{"profile", "/admin/profile"},
		{"user", fmt.Sprintf("/admin/config/users/%d", bob.ID)},
		{"new-user", "/admin/config/users/new"},
	} {
		apptest.Do(t, b, chromedp.Navigate(s.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)))
		shot(t, b, p.name)
		for _, msg := range apptest.Run(t, b, chromedp.Evaluate[[]string](layoutProblems)) {
			t.Errorf(`%s: %s`, p.path, msg)
		}
	}
}

// layoutProblems lists what makes a page of cards look broken: a framed
// box (a form, an empty list) inside a card's frame, stacked cards that
// touch, and checkbox rows that run into one line.
const layoutProblems = `(function () {
  var out = [];
  function framed(el) {
    var cs = getComputedStyle(el);
    return cs.borderTopStyle !== 'none' && parseFloat(cs.borderTopWidth) > 0;
  }
  document.querySelectorAll('.card form.form, .card .empty').forEach(function (el) {
    if (framed(el)) out.push('a framed ' + el.className + ' inside a card (double border)');
  });
  var cards = Array.prototype.filter.call(document.querySelectorAll('main > .card'), function (c) { return c.offsetParent; });
  for (var i = 1; i < cards.length; i++) {
    var gap = cards[i].getBoundingClientRect().top - cards[i - 1].getBoundingClientRect().bottom;
    if (gap < 8) out.push('cards ' + i + ' and ' + (i + 1) + ' are ' + gap + 'px apart');
  }
  document.querySelectorAll('.card form').forEach(function (f) {
    var boxes = f.querySelectorAll('label.checkbox');
    for (var i = 1; i < boxes.length; i++) {
      if (boxes[i].getBoundingClientRect().top < boxes[i - 1].getBoundingClientRect().bottom) out.push('checkboxes "' + boxes[i - 1].textContent.trim() + '" and "' + boxes[i].textContent.trim() + '" share a line');
    }
  });
  return out;
})()`

// TestBrowserBreadcrumbs opens every admin page and checks its breadcrumb
// trail against the navigation: pages the main menu or a Configuration tab
// opens have none (the active entry names them); every page below one
// starts with that menu entry and tab, under the same names and addresses,
// and ends with the page itself, unlinked.
func TestBrowserBreadcrumbs(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	bob := srv.CreateUser(t, "bob@example.com", "Bob Builder", model.RoleOperator)
	ch := defaultChannel(t, srv)
	srv.Livechat.Presence.Connect(admin.ID)
	chat := cvStart(t, srv, ch.ID, "https://shop.example/tents", "Tents")
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, `{"body":"Do you ship to Norway?"}`); code != http.StatusCreated {
		t.Fatalf("visitor message: %d %v", code, body)
	}
	sess, err := srv.Livechat.Sessions(t.Context(), admin, model.SessionFilter{Limit: 1})
	if err != nil || len(sess) == 0 {
		t.Fatalf("sessions: %v %v", sess, err)
	}
	team := &model.SalesTeam{Name: "Europe", Active: true}
	desk := &model.HelpdeskTeam{Name: "Support desk", Sequence: 1, LiveChat: true}
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

	const cfg = "Configuration"
	pages := []struct {
		path  string
		trail []string // the linked crumbs; nil: the page has no trail
		here  string
	}{
		{"/admin/conversations", nil, ""},
		{"/admin/channels", nil, ""},
		{"/admin/sessions", nil, ""},
		{"/admin/visitors", nil, ""},
		{"/admin/leads", nil, ""},
		{"/admin/helpdesk", nil, ""},
		{"/admin/reports", nil, ""},
		{"/admin/profile", nil, ""},
		{"/admin/config/users", nil, ""},
		{"/admin/config/settings", nil, ""},
		{"/admin/config/mail", nil, ""},
		{"/admin/config/chatbots", nil, ""},
		{"/admin/config/canned", nil, ""},
		{"/admin/config/sales-teams", nil, ""},
		{"/admin/config/helpdesk-teams", nil, ""},
		{"/admin/channels/new", []string{"Channels"}, "New channel"},
		{fmt.Sprintf("/admin/channels/%d", ch.ID), []string{"Channels"}, ch.Name},
		{"/admin/sessions/" + chat.ID, []string{"Sessions"}, ""},
		{"/admin/offline", []string{"Sessions"}, "Offline messages"},
		{fmt.Sprintf("/admin/visitors/%d", sess[0].VisitorID), []string{"Visitors"}, ""},
		{fmt.Sprintf("/admin/leads/%d", lead.ID), []string{"Leads"}, "Tents for Norway"},
		{fmt.Sprintf("/admin/helpdesk/tickets/%d", ticket.ID), []string{"Helpdesk"}, ticket.Ref()},
		{"/admin/reports/ratings", []string{"Reports"}, "Customer Ratings"},
		{"/admin/config/users/new", []string{cfg, "Users"}, "New user"},
		{fmt.Sprintf("/admin/config/users/%d", bob.ID), []string{cfg, "Users"}, "Bob Builder"},
		{"/admin/config/chatbots/1", []string{cfg, "Chatbots"}, ""},
		{"/admin/config/chatbots/1/test", []string{cfg, "Chatbots", ""}, "Test"},
		{fmt.Sprintf("/admin/config/sales-teams/%d", team.ID), []string{cfg, "Sales Teams"}, "Europe"},
		{fmt.Sprintf("/admin/config/helpdesk-teams/%d", desk.ID), []string{cfg, "Helpdesk Teams"}, "Support desk"},
	}

	b := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, b, srv.URL, "ada@example.com")
	// The names and addresses the navigation uses: the main menu, and the
	// Configuration tabs as the Users page shows them.
	apptest.Do(t, b, chromedp.Navigate(srv.URL+"/admin/config/users"), chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)))
	nav := apptest.Run(t, b, chromedp.Evaluate[map[string]string](`(function () {
  var out = {};
  document.querySelectorAll('#mainnav a, nav.tabs a').forEach(function (a) { out[a.firstChild.textContent.trim()] = a.getAttribute('href'); });
  return out;
})()`))
	if nav[cfg] == "" || nav["Users"] == "" || nav["Sales Teams"] == "" {
		t.Fatalf(`navigation = %v`, nav)
	}
	type crumb struct{ Text, Href, Current string }
	for _, p := range pages {
		apptest.Do(t, b, chromedp.Navigate(srv.URL+p.path), chromedp.WaitReady(`main`))
		got := apptest.Run(t, b, chromedp.Evaluate[[][]crumb](`Array.prototype.map.call(document.querySelectorAll('nav.breadcrumbs'), function (n) {
  return Array.prototype.map.call(n.children, function (c) { return {Text: c.textContent.trim(), Href: c.getAttribute('href') || '', Current: c.getAttribute('aria-current') || ''}; });
})`))
		if p.trail == nil {
			if len(got) != 0 {
				t.Errorf(`%s: breadcrumbs %v on a page the navigation opens`, p.path, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf(`%s: %d breadcrumb trails, want 1`, p.path, len(got))
			continue
		}
		c := got[0]
		if len(c) != len(p.trail)+1 {
			t.Errorf(`%s: breadcrumbs %v, want %v then %q`, p.path, c, p.trail, p.here)
			continue
		}
		for i, want := range p.trail {
			switch {
			case want == "": // a named record between the tab and the page
				if c[i].Href == "" || c[i].Text == "" {
					t.Errorf(`%s: crumb %d = %+v, want a link`, p.path, i, c[i])
				}
			case c[i].Text != want || c[i].Href != nav[want]:
				t.Errorf(`%s: crumb %d = %+v, want %q linking to %q as the navigation does`, p.path, i, c[i], want, nav[want])
			}
		}
		last := c[len(c)-1]
		if last.Href != "" || last.Current != "page" || last.Text == "" || (p.here != "" && last.Text != p.here) {
			t.Errorf(`%s: last crumb = %+v, want the page %q, unlinked, aria-current="page"`, p.path, last, p.here)
		}
		// The trail's first crumb is the active main menu entry.
		active := apptest.Run(t, b, chromedp.Evaluate[string](`(document.querySelector('#mainnav a[aria-current=page]') || {textContent: ''}).textContent.trim()`))
		if !slices.Contains([]string{active}, c[0].Text) {
			t.Errorf(`%s: trail starts at %q, the active menu entry is %q`, p.path, c[0].Text, active)
		}
	}
}

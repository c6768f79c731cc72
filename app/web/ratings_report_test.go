package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// TestCustomerRatingsReport opens the report's four views with filters, a
// rating's page, and hides a rating from the public page.
func TestCustomerRatingsReport(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	ch.Published = true
	if err := srv.Livechat.UpdateChannel(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	srv.Livechat.Presence.Connect(ada.ID)
	rateChat(t, srv, ch, 5, "")
	rateChat(t, srv, ch, 5, "")
	rateChat(t, srv, ch, 1, "The <b>tent</b> leaked")
	rateChat(t, srv, ch, 3, "Slow answers")

	get := func(q string) string {
		t.Helper()
		res, html := admin.Get("/admin/reports/ratings" + q)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", q, res.StatusCode, html)
		}
		return html
	}
	// Kanban (the default): one card per rating, reasons escaped.
	html := get("")
	if n := strings.Count(html, `class="card rating-card"`); n != 4 {
		t.Errorf("kanban: %d cards", n)
	}
	if !strings.Contains(html, "The &lt;b&gt;tent&lt;/b&gt; leaked") || !strings.Contains(html, "ada for "+ch.Name+" / ") {
		t.Errorf("kanban card text")
	}
	// Filters: rating, text, period, channel, operator.
	if n := strings.Count(get("?rating=5"), `class="card rating-card"`); n != 2 {
		t.Errorf("rating=5: %d cards", n)
	}
	if n := strings.Count(get("?q=slow"), `class="card rating-card"`); n != 1 {
		t.Errorf("q=slow: %d cards", n)
	}
	if n := strings.Count(get(fmt.Sprintf("?view=list&days=7&channel_id=%d&operator_id=%d", ch.ID, ada.ID)), `<tr data-rating-id=`); n != 4 {
		t.Errorf("list: %d rows", n)
	}
	if html := get("?view=list&operator_id=999"); !strings.Contains(html, "No rating matches these filters.") {
		t.Errorf("list for nobody")
	}
	// Pivot: operator × rating with counts and shares, then channel × none.
	html = get("?view=pivot&rows=operator&cols=rating")
	for _, want := range []string{"<th class=\"num\">Satisfied</th>", "2 <span class=\"muted\">(50.0 %)</span>", "<strong>4</strong>"} {
		if !strings.Contains(html, want) {
			t.Errorf("pivot lacks %q", want)
		}
	}
	if html := get("?view=pivot&rows=month&cols=none&rating=1"); !strings.Contains(html, "<strong>1</strong>") {
		t.Errorf("pivot by month")
	}
	// Graph: server-side SVG with axes and the days of the period.
	html = get("?view=graph&by=day&kind=line&days=7")
	if !strings.Contains(html, "<svg") || strings.Count(html, `class="label"`) < 7 || !strings.Contains(html, "<polyline") {
		t.Errorf("line graph")
	}
	if html := get("?view=graph&by=month&kind=bar"); strings.Count(html, `class="bar"`) != 3 {
		t.Errorf("bar graph: %d bars", strings.Count(html, `class="bar"`))
	}
	for _, q := range []string{"?view=table", "?days=2", "?view=pivot&rows=operator&cols=operator", "?view=pivot&rows=nothing", "?view=graph&by=hour", "?rating=2", "?page=0"} {
		if res, body := admin.Get("/admin/reports/ratings" + q); res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("%s: %d %s", q, res.StatusCode, body)
		}
	}

	// A rating's page, and "Visible internally only".
	list, _ := srv.Store.Ratings(t.Context(), model.RatingFilter{Value: 1})
	r := list[0]
	_, html = admin.Get(fmt.Sprintf("/admin/reports/ratings/%d", r.ID))
	for _, want := range []string{"Dissatisfied", r.SessionPublicID, "ada", "The &lt;b&gt;tent&lt;/b&gt; leaked", "Website Visitor #", `name="internal"`} {
		if !strings.Contains(html, want) {
			t.Errorf("rating page lacks %q", want)
		}
	}
	res, _ := admin.PostForm(fmt.Sprintf("/admin/reports/ratings/%d", r.ID), url.Values{"internal": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	if got, _ := srv.Store.Rating(t.Context(), r.ID); !got.Internal {
		t.Fatal("not internal")
	}
	_, pub := srv.NewClient(t).Get(fmt.Sprintf("/livechat/channel/%d", ch.ID))
	if !strings.Contains(pub, "66.7 %") || !strings.Contains(pub, "The 3 last feedbacks") {
		t.Errorf("the internal rating is still public")
	}
	// Operators have no access to the report.
	op, _ := srv.LoggedIn(t, "bob@example.com", model.RoleOperator)
	if res, _ := op.Get("/admin/reports/ratings"); res.StatusCode != http.StatusForbidden {
		t.Errorf("operator: %d", res.StatusCode)
	}
	// The Session Statistics show the average rating.
	if _, html := admin.Get("/admin/reports?days=7"); !strings.Contains(html, "3.5 / 5") {
		t.Errorf("session statistics without the average rating")
	}
}

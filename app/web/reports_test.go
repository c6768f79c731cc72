package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/livechat"
	"parley/app/model"
)

func TestReports(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ctx := context.Background()
	srv.Livechat.Presence.Connect(ada.ID)
	ch := defaultChannel(t, srv)

	// Two answered sessions and one the operator never answered; one more
	// without any message does not count.
	for i, reply := range []bool{true, true, false} {
		r, err := srv.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: ch.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Livechat.PostVisitorMessage(ctx, r.Session, fmt.Sprintf("question %d", i), ""); err != nil {
			t.Fatal(err)
		}
		if reply {
			if _, err := srv.Livechat.PostOperatorMessage(ctx, r.Session, ada, "answer", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := srv.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: ch.ID}); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	rep, err := srv.Store.SessionReport(ctx, model.ReportFilter{Since: now.Add(-time.Hour), Until: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	tot := rep.Total
	if tot.Sessions != 3 || tot.Unanswered != 1 || tot.AvgMessages < 1.6 || tot.AvgMessages > 1.7 {
		t.Fatalf(`totals: %+v`, tot)
	}
	if len(rep.ByOperator) != 1 || rep.ByOperator[0].ID != ada.ID || rep.ByOperator[0].Figures.Sessions != 3 {
		t.Fatalf(`by operator: %+v`, rep.ByOperator)
	}
	if len(rep.ByChannel) != 1 || rep.ByChannel[0].Key != ch.Name || len(rep.ByDay) < 1 {
		t.Fatalf(`by channel/day: %+v %+v`, rep.ByChannel, rep.ByDay)
	}
	// A period that ends before the sessions holds none of them.
	empty, err := srv.Store.SessionReport(ctx, model.ReportFilter{Since: now.Add(-48 * time.Hour), Until: now.Add(-24 * time.Hour)})
	if err != nil || empty.Total.Sessions != 0 || len(empty.ByDay) != 0 {
		t.Fatalf(`empty period: %+v %v`, empty, err)
	}

	res, body := admin.Get("/admin/reports?days=7")
	if res.StatusCode != 200 || !strings.Contains(body, "Operator Analysis") || !strings.Contains(body, `<strong>3</strong>`) {
		t.Fatalf(`reports page: %d`, res.StatusCode)
	}
	if res, _ := admin.Get("/admin/reports?days=5"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf(`bad period: %d`, res.StatusCode)
	}
	if res, _ := admin.Get("/admin/reports?channel_id=x"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf(`bad channel: %d`, res.StatusCode)
	}
	op, _ := srv.LoggedIn(t, "olga@example.com", model.RoleOperator)
	if res, _ := op.Get("/admin/reports"); res.StatusCode != http.StatusForbidden {
		t.Fatalf(`operator: %d`, res.StatusCode)
	}
}

// TestReportsPivotGraphCSV groups the sessions by the user's choice of rows
// and columns, draws them per day, filters by country and language, and
// exports each view as CSV with formula-like cells escaped.
func TestReportsPivotGraphCSV(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ctx := context.Background()
	srv.Livechat.Presence.Connect(ada.ID)
	ch := defaultChannel(t, srv)
	// An operator whose name a spreadsheet would run as a formula.
	if _, err := srv.Store.Writer().Exec(`UPDATE users SET name = '=HYPERLINK("http://evil.example","x")' WHERE id = ?`, ada.ID); err != nil {
		t.Fatal(err)
	}
	for i, v := range []struct {
		country, lang string
		reply         bool
	}{{"ES", "es", true}, {"ES", "es", false}, {"FR", "fr", true}} {
		r, err := srv.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: ch.ID, Country: v.country, Language: v.lang})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Livechat.PostVisitorMessage(ctx, r.Session, fmt.Sprintf("question %d", i), ""); err != nil {
			t.Fatal(err)
		}
		if v.reply {
			if _, err := srv.Livechat.PostOperatorMessage(ctx, r.Session, ada, "answer", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	get := func(q string) (string, *http.Response) {
		t.Helper()
		res, body := admin.Get("/admin/reports" + q)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", q, res.StatusCode, body)
		}
		return body, res
	}
	// Pivot: country × language, then unanswered per operator for Spain.
	html, _ := get("?view=pivot&rows=country&cols=language&days=7")
	for _, want := range []string{`<th scope="row">Spain</th>`, `<th scope="row">France</th>`, `<th class="num">Español</th>`, `<td class="num"><strong>3</strong></td></tr></tfoot>`} {
		if !strings.Contains(html, want) {
			t.Errorf("pivot lacks %q", want)
		}
	}
	html, _ = get("?view=pivot&rows=operator&measure=unanswered&country=es")
	if !strings.Contains(html, `<td class="num"><strong>1</strong></td></tr></tfoot>`) {
		t.Errorf("unanswered in Spain")
	}
	// Graph: an SVG with a bar per series and a label per day.
	html, _ = get("?view=graph&by=day&days=7&language=es")
	if !strings.Contains(html, "<svg") || strings.Count(html, `class="label"`) < 7 || strings.Count(html, `class="bar"`) != 2 {
		t.Errorf("graph: %d bars", strings.Count(html, `class="bar"`))
	}
	if html, _ := get("?view=graph&by=month&kind=line"); !strings.Contains(html, "<polyline") {
		t.Errorf("line graph")
	}

	// CSV: Operator Analysis, the pivot, the graph's figures.
	body, res := get("?format=csv&table=operators&days=7")
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="sessions-operators-`) {
		t.Fatalf("csv headers: %q %q", ct, res.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "Operator" || rows[1][0] != `'=HYPERLINK("http://evil.example","x")` || rows[1][1] != "3" || rows[1][5] != "1" {
		t.Fatalf("operators csv: %q", rows)
	}
	body, _ = get("?view=pivot&rows=country&cols=language&format=csv")
	rows, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"Country", "Español", "Français", "Total"}, {"France", "0", "1", "1"}, {"Spain", "2", "0", "2"}, {"Total", "2", "1", "3"}}; fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("pivot csv: %q", rows)
	}
	if body, _ := get("?view=graph&by=month&format=csv"); !strings.Contains(body, "Month,Sessions,Sessions without answer\r\n") || !strings.Contains(body, ",3,1\r\n") {
		t.Fatalf("graph csv: %q", body)
	}
	for _, q := range []string{"?view=table", "?view=pivot&rows=rating", "?view=pivot&rows=day&cols=day", "?view=pivot&measure=money", "?view=graph&by=hour",
		"?country=Atlantis", "?operator_id=x", "?format=xlsx", "?format=csv&table=nothing"} {
		if res, body := admin.Get("/admin/reports" + q); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, res.StatusCode, body)
		}
	}
}

// TestRatingsCSV exports the Customer Ratings list and pivot with the
// reasons' formula-like starts escaped.
func TestRatingsCSV(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	srv.Livechat.Presence.Connect(ada.ID)
	rateChat(t, srv, ch, 3, "+33 1 23 45 67 89 called back")
	rateChat(t, srv, ch, 1, "@SUM(1+1)*cmd|' /C calc'!A0")
	res, body := admin.Get("/admin/reports/ratings?view=list&format=csv")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("list csv: %d %s", res.StatusCode, body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, r := range rows[1:] {
		reasons[r[6]] = true
	}
	if len(rows) != 3 || rows[0][1] != "Rating" || !reasons["'+33 1 23 45 67 89 called back"] || !reasons["'@SUM(1+1)*cmd|' /C calc'!A0"] {
		t.Fatalf("list csv: %q", rows)
	}
	_, body = admin.Get("/admin/reports/ratings?view=pivot&rows=operator&cols=rating&format=csv")
	if !strings.Contains(body, "Operator,Neutral,Dissatisfied,Total\r\nada,1,1,2\r\nTotal,1,1,2\r\n") {
		t.Fatalf("pivot csv: %q", body)
	}
	if res, _ := admin.Get("/admin/reports/ratings?view=graph&format=csv"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("graph csv: %d", res.StatusCode)
	}
}

// TestReportsWaitingTime: the queue's average wait is a pivot measure whose
// totals are the means of all they cover (sessions that never waited count
// for nothing), and a column of the Session Statistics exports.
func TestReportsWaitingTime(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ctx := context.Background()
	srv.Livechat.Presence.Connect(ada.ID)
	ch := defaultChannel(t, srv)
	for i, v := range []struct {
		country, lang string
		waited        int // seconds in the queue; 0 for none
	}{{"ES", "es", 30}, {"ES", "es", 0}, {"FR", "fr", 90}, {"FR", "es", 0}} {
		r, err := srv.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: ch.ID, Country: v.country, Language: v.lang})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Livechat.PostVisitorMessage(ctx, r.Session, fmt.Sprintf("question %d", i), ""); err != nil {
			t.Fatal(err)
		}
		if v.waited > 0 {
			if _, err := srv.Store.Writer().Exec(`UPDATE chat_sessions SET queued_at = created_at, assigned_at = created_at + ? WHERE id = ?`,
				v.waited*1000, r.Session.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	get := func(q string) [][]string {
		t.Helper()
		res, body := admin.Get("/admin/reports" + q)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", q, res.StatusCode, body)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	if rows := get("?view=pivot&rows=country&measure=wait&format=csv"); fmt.Sprint(rows) != fmt.Sprint([][]string{
		{"Country", "Average wait in the queue (seconds)", "Total"}, {"France", "90", "90"}, {"Spain", "30", "30"}, {"Total", "60", "60"}}) {
		t.Errorf("wait by country: %q", rows)
	}
	// Spanish speakers in France never waited: no figure, not a wait of 0.
	if rows := get("?view=pivot&rows=country&cols=language&measure=wait&format=csv"); fmt.Sprint(rows) != fmt.Sprint([][]string{
		{"Country", "Español", "Français", "Total"}, {"France", "", "90", "90"}, {"Spain", "30", "", "30"}, {"Total", "30", "90", "60"}}) {
		t.Errorf("wait by country and language: %q", rows)
	}
	res, html := admin.Get("/admin/reports?view=pivot&rows=country&cols=language&measure=wait")
	for _, want := range []string{`<option value="wait" selected>Average wait in the queue (seconds)</option>`,
		`<th scope="row">France</th><td class="num">—</td><td class="num">90</td>`, `<td class="num"><strong>60</strong></td></tr></tfoot>`} {
		if res.StatusCode != http.StatusOK || !strings.Contains(html, want) {
			t.Errorf("pivot page lacks %q", want)
		}
	}
	for _, table := range []string{"operators", "channels"} {
		rows := get("?format=csv&table=" + table)
		if len(rows) != 2 || rows[0][8] != "Average wait in the queue (seconds)" || rows[1][1] != "4" || rows[1][8] != "60" {
			t.Errorf("%s csv: %q", table, rows)
		}
	}
	// By hour of the day: every session moved to yesterday 13:15 UTC but
	// one, an hour later.
	y := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1).Add(13*time.Hour + 15*time.Minute)
	if _, err := srv.Store.Writer().Exec(`UPDATE chat_sessions SET created_at = CASE country WHEN 'FR' THEN ?2 ELSE ?1 END`,
		y.UnixMilli(), y.Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if rows := get("?view=pivot&rows=hour&cols=country&measure=wait&format=csv"); fmt.Sprint(rows) != fmt.Sprint([][]string{
		{"Hour (UTC)", "France", "Spain", "Total"}, {"13:00", "", "30", "30"}, {"14:00", "90", "", "90"}, {"Total", "90", "30", "60"}}) {
		t.Errorf("wait by hour and country: %q", rows)
	}
	if rows := get("?view=pivot&rows=day&cols=hour&format=csv"); fmt.Sprint(rows) != fmt.Sprint([][]string{
		{"Day", "13:00", "14:00", "Total"}, {y.Format("2006-01-02"), "2", "2", "4"}, {"Total", "2", "2", "4"}}) {
		t.Errorf("sessions by day and hour: %q", rows)
	}
	// A day nobody waited has no wait, not a wait of 0.
	if _, err := srv.Store.Writer().Exec(`UPDATE chat_sessions SET queued_at = NULL, assigned_at = NULL`); err != nil {
		t.Fatal(err)
	}
	if rows := get("?format=csv&table=days"); len(rows) != 2 || rows[1][8] != "" {
		t.Errorf("days csv without a wait: %q", rows)
	}
}

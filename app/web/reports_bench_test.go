package web_test

import (
	"net/http"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
)

// seedReportSessions bulk-inserts n answered sessions spread over the last
// year, the operators, five countries and three languages, with ten chat
// messages each (the visitor's and the operator's in turn, one session in
// eight never answered). Messages go through their trigger, as real ones.
func seedReportSessions(b testing.TB, srv *apptest.Server, channelID int64, ops []*model.User, n int) {
	b.Helper()
	v, _, err := srv.Livechat.NewVisitor(b.Context(), "")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UnixMilli()
	span := int64(365 * 24 * time.Hour / time.Millisecond)
	w := srv.Store.Writer()
	for i, op := range ops {
		if _, err := w.ExecContext(b.Context(), `WITH RECURSIVE k(i) AS (SELECT ?1 UNION ALL SELECT i + ?2 FROM k WHERE i + ?2 <= ?3)
			INSERT INTO chat_sessions (public_id, channel_id, visitor_id, operator_id, operator_name, visitor_name, status, country, visitor_language, rating, created_at, closed_at)
			SELECT 'bench-' || i, ?4, ?5, ?6, ?7, '', 'closed', substr('ESFRDEUSBR', 1 + (i % 5) * 2, 2), CASE i % 3 WHEN 0 THEN 'es' WHEN 1 THEN 'en' ELSE 'fr' END,
			       CASE i % 4 WHEN 0 THEN 1 WHEN 1 THEN NULL ELSE 5 END, ?8 - i * ?9, ?8 - i * ?9 + 600000 FROM k`,
			i+1, len(ops), n, channelID, v.ID, op.ID, op.DisplayChatName(), now, span/int64(n)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.ExecContext(b.Context(), `WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 9)
		INSERT INTO messages (session_id, author_kind, author_id, author_name, body, created_at)
		SELECT cs.id, CASE WHEN j % 2 = 1 AND cs.id % 8 <> 0 THEN 'operator' ELSE 'visitor' END, NULL, 'x', 'Hello there', cs.created_at + j * 30000
		FROM chat_sessions cs, k WHERE cs.public_id LIKE 'bench-%' ORDER BY cs.id, j`); err != nil {
		b.Fatal(err)
	}
	if _, err := w.ExecContext(b.Context(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReportPages measures each view of Live Chat ▸ Reports over a
// year with 100,000 sessions and 1,000,000 messages: whole HTTP requests,
// one after the other, by an admin. The target is under 100 ms a page.
//
//	go test ./app/web -run '^$' -bench ReportPages -benchtime 20x
func BenchmarkReportPages(b *testing.B) {
	srv := apptest.NewServer(b)
	admin, ada := srv.LoggedIn(b, "ada@example.com", model.RoleAdmin)
	ops := []*model.User{ada}
	for _, name := range []string{"Bob", "Cy", "Dee"} {
		ops = append(ops, srv.CreateUser(b, name+"@example.com", name, model.RoleOperator))
	}
	const sessions = 100_000
	t0 := time.Now()
	seedReportSessions(b, srv, mustDefaultChannel(b, srv), ops, sessions)
	var msgs int
	if err := srv.Store.Writer().QueryRow(`SELECT count(*) FROM messages`).Scan(&msgs); err != nil || msgs < 10*sessions {
		b.Fatalf("seeded %d messages: %v", msgs, err)
	}
	b.Logf("seeded %d sessions and %d messages in %s", sessions, msgs, time.Since(t0).Round(time.Millisecond))

	for _, p := range []struct{ name, query string }{
		{"summary", "?days=365"},
		{"summary-channel-country", "?days=365&country=ES&channel_id=1"},
		{"pivot-operator-month", "?view=pivot&days=365&rows=operator&cols=month"},
		{"pivot-country-language", "?view=pivot&days=365&rows=country&cols=language&measure=unanswered"},
		{"graph-day", "?view=graph&days=365&by=day"},
		{"csv-operators", "?days=365&format=csv&table=operators"},
		{"csv-pivot-day-hour", "?view=pivot&days=365&rows=day&cols=hour&format=csv"},
		{"pivot-operator-hour-wait", "?view=pivot&days=365&rows=operator&cols=hour&measure=wait"},
	} {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				if res, body := admin.Get("/admin/reports" + p.query); res.StatusCode != http.StatusOK {
					b.Fatalf("%d %s", res.StatusCode, body)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/page")
		})
	}
}

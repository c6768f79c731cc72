package web_test

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
)

// seedRatings bulk-inserts n closed sessions of channelID, each rated by
// its visitor and spread over the operators and the last n seconds: one
// rating in four dissatisfied, one neutral, the rest satisfied, and one in
// fifty internal. The ratings' triggers keep the public counts as a real
// rating would.
func seedRatings(b *testing.B, srv *apptest.Server, channelID int64, ops []*model.User, n int) {
	b.Helper()
	v, _, err := srv.Livechat.NewVisitor(b.Context(), "")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UnixMilli()
	w := srv.Store.Writer()
	for i, op := range ops {
		if _, err := w.ExecContext(b.Context(), `WITH RECURSIVE k(i) AS (SELECT ?1 UNION ALL SELECT i + ?2 FROM k WHERE i + ?2 <= ?3)
			INSERT INTO chat_sessions (public_id, channel_id, visitor_id, operator_id, operator_name, visitor_name, status, created_at, closed_at)
			SELECT 'bench-' || i, ?4, ?5, ?6, ?7, '', 'closed', ?8 - i * 1000, ?8 - i * 1000 FROM k`,
			i+1, len(ops), n, channelID, v.ID, op.ID, op.DisplayChatName(), now); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.ExecContext(b.Context(), `INSERT INTO ratings (session_id, channel_id, operator_id, rating, internal, created_at, updated_at)
		SELECT id, channel_id, operator_id, CASE id % 4 WHEN 0 THEN 1 WHEN 1 THEN 3 ELSE 5 END, id % 50 = 0, created_at, created_at
		FROM chat_sessions WHERE public_id LIKE 'bench-%'`); err != nil {
		b.Fatal(err)
	}
	if _, err := w.ExecContext(b.Context(), `UPDATE chat_sessions SET rating = (SELECT rating FROM ratings WHERE session_id = chat_sessions.id) WHERE public_id LIKE 'bench-%'`); err != nil {
		b.Fatal(err)
	}
	if _, err := w.ExecContext(b.Context(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPublicChannelPage measures /livechat/channel/<id>, the public
// rating page, with 1,000,000 ratings in the database: whole HTTP requests
// from parallel clients that accept gzip, as browsers do, and send no
// If-None-Match, so every answer is a full page. The clients read the
// compressed page without inflating it: a browser inflates on its own
// machine, not on the server's cores that this client shares. It reports
// requests per second and the p99 latency.
//
//	go test ./app/web -run '^$' -bench PublicChannelPage -benchtime 50000x
func BenchmarkPublicChannelPage(b *testing.B) {
	srv := apptest.NewServer(b)
	var ops []*model.User
	for _, name := range []string{"Ada", "Bob", "Cy"} {
		ops = append(ops, srv.CreateUser(b, name+"@example.com", name, model.RoleAdmin))
	}
	chID := mustDefaultChannel(b, srv)
	ch, err := srv.Store.Channel(b.Context(), chID)
	if err != nil {
		b.Fatal(err)
	}
	ch.Published = true
	if err := srv.Livechat.UpdateChannel(b.Context(), ch); err != nil {
		b.Fatal(err)
	}
	for _, op := range ops {
		if err := srv.Livechat.Join(b.Context(), chID, op.ID); err != nil {
			b.Fatal(err)
		}
	}
	const ratings = 1_000_000
	t0 := time.Now()
	seedRatings(b, srv, chID, ops, ratings)
	b.Logf("seeded %d ratings in %s", ratings, time.Since(t0).Round(time.Millisecond))

	url := fmt.Sprintf("%s/livechat/channel/%d", srv.URL, chID)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	res, err := client.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || len(page) == 0 {
		b.Fatalf("page: %d", res.StatusCode)
	}

	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t := time.Now()
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" {
				b.Errorf("status %d, encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	took := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(len(lat))/took.Seconds(), "req/s")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

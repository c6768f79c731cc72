package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/model"
)

const metricsToken = "0123456789abcdef0123"

func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestMetrics: /metrics answers only with the token, and after a chat it
// shows the requests by route, the group commits and the sockets.
func TestMetrics(t *testing.T) {
	off := apptest.NewServer(t)
	if code, _ := scrape(t, off.URL+"/metrics", metricsToken); code != http.StatusNotFound {
		t.Fatalf("/metrics without a configured token: %d, want 404", code)
	}

	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) { c.Metrics.Token = metricsToken }))
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	tok := token(t, srv, admin)
	dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + tok}})
	waitOnline(t, srv, admin.ID)
	chat := cvStart(t, srv, defaultChannel(t, srv).ID, "https://shop.example/", "Shop")
	for _, say := range []string{"hello", "anyone?"} {
		if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, `{"body":"`+say+`"}`); code != http.StatusCreated {
			t.Fatalf("post: %d %v", code, body)
		}
	}
	for _, bad := range []string{"", "wrong-token-wrong-token"} {
		if code, _ := scrape(t, srv.URL+"/metrics", bad); code != http.StatusUnauthorized {
			t.Fatalf("/metrics with token %q: %d, want 401", bad, code)
		}
	}
	code, body := scrape(t, srv.URL+"/metrics", metricsToken)
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`parley_http_requests_total{route="/im_livechat/sessions/:id/messages",method="POST",status="201"} 2`,
		`parley_messages_committed_total 2`,
		// The second post found its session in memory.
		`parley_session_cache_misses_total 1`,
		`parley_session_cache_hits_total 1`,
		`parley_commit_duration_seconds_bucket`,
		`parley_sockets{kind="operator"} 1`,
		`parley_open_conversations 1`,
		`parley_message_queue_depth 0`,
		`parley_database_bytes`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The private address serves the same without a token, and the Go
	// profiler (never on the main address), and nothing else.
	h := httptest.NewServer(srv.App.MetricsHandler())
	defer h.Close()
	if code, body := scrape(t, h.URL+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, "parley_messages_committed_total") {
		t.Fatalf("metrics.listen handler: %d", code)
	}
	if code, _ := scrape(t, h.URL+"/admin", ""); code != http.StatusNotFound {
		t.Fatalf("metrics.listen serves other paths: %d", code)
	}
	if code, body := scrape(t, h.URL+"/debug/pprof/heap?debug=1", ""); code != http.StatusOK || !strings.Contains(body, "heap profile") {
		t.Fatalf("metrics.listen /debug/pprof/heap: %d", code)
	}
	if code, _ := scrape(t, srv.URL+"/debug/pprof/heap", ""); code == http.StatusOK {
		t.Fatal("the main address serves the profiler")
	}
}

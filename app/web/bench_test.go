package web_test

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/app/apptest"
	"parley/app/livechat"
	"parley/app/model"
)

// BenchmarkMessagePath measures the whole message path of the contract:
// an HTTP POST of a message, its group commit to SQLite, and its delivery
// to the other side's websocket. It reports delivered messages per second
// and the p99 of post-to-delivery latency.
//
//	go test ./app/web -run '^$' -bench MessagePath -benchtime 20000x
func BenchmarkMessagePath(b *testing.B) {
	srv := apptest.NewServer(b)
	admin := srv.CreateUser(b, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	plain, _, err := srv.Auth.CreateAPIToken(b.Context(), admin.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	channelID := mustDefaultChannel(b, srv)

	// Fewer than the per-address socket burst: every client here is 127.0.0.1.
	const sessions = 24
	type conv struct{ id string }
	convs := make([]conv, sessions)
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []time.Duration
	var delivered atomic.Int64
	wsBase := "ws" + strings.TrimPrefix(srv.URL, "http")
	for i := range convs {
		// Sessions are opened through the service: the visitor API rate
		// limits session creation per IP, and every client here is 127.0.0.1.
		res, err := srv.Livechat.StartSession(b.Context(), livechat.StartInput{ChannelID: channelID})
		if err != nil {
			b.Fatal(err)
		}
		body := struct {
			Token   string
			Session struct{ ID string }
		}{Token: res.Token}
		body.Session.ID = res.Session.PublicID
		convs[i] = conv{id: body.Session.ID}
		conn, _, err := websocket.DefaultDialer.Dial(wsBase+"/im_livechat/ws?token="+body.Token, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		go func() {
			for {
				var f struct {
					Type string `json:"type"`
					Data struct {
						Body string `json:"body"`
					} `json:"data"`
				}
				if err := conn.ReadJSON(&f); err != nil {
					return
				}
				if f.Type != "message" {
					continue
				}
				now := time.Now()
				mu.Lock()
				if t0, ok := sent[f.Data.Body]; ok {
					lat = append(lat, now.Sub(t0))
					delete(sent, f.Data.Body)
				}
				mu.Unlock()
				delivered.Add(1)
			}
		}()
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var seq atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			c := convs[n%sessions]
			body := "m" + strconv.FormatInt(n, 10)
			mu.Lock()
			sent[body] = time.Now()
			mu.Unlock()
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/sessions/"+c.id+"/messages", strings.NewReader(`{"body":"`+body+`"}`))
			req.Header.Set("Authorization", "Bearer "+plain)
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				b.Errorf(`post: status %d`, res.StatusCode)
				return
			}
		}
	})
	// Wait for the last deliveries (bounded: a lost message fails below).
	for deadline := time.Now().Add(10 * time.Second); delivered.Load() < int64(b.N) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if got := delivered.Load(); got != int64(b.N) {
		b.Fatalf(`delivered %d of %d messages`, got, b.N)
	}
	mu.Lock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[len(lat)*99/100]
	mu.Unlock()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msg/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

func mustDefaultChannel(b testing.TB, srv *apptest.Server) int64 {
	list, err := srv.Store.Channels(b.Context())
	if err != nil || len(list) == 0 {
		b.Fatalf(`default channel: %v`, err)
	}
	return list[0].ID
}

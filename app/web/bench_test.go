package web_test

import (
	"fmt"
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
	"parley/app/config"
	"parley/app/livechat"
	"parley/app/model"
)

// BenchmarkMessagePath measures the whole message path of the contract:
// an HTTP POST of a message, its group commit to SQLite, and its delivery
// to the other side's websocket, with 24 and with 5,000 live
// conversations (each with its visitor's socket open), in both
// directions: an operator's integration posting to visitors, and
// visitors posting to an operator. It reports delivered messages per
// second and the p99 of post-to-delivery latency. What a message costs
// must not grow with the conversations around it.
//
//	go test ./app/web -run '^$' -bench MessagePath -benchtime 20000x
func BenchmarkMessagePath(b *testing.B) {
	for _, sessions := range []int{24, 5000} {
		for _, dir := range []string{"operator_to_visitor", "visitor_to_operator"} {
			b.Run(fmt.Sprintf("sessions=%d/%s", sessions, dir), func(b *testing.B) {
				benchMessagePath(b, sessions, dir == "visitor_to_operator")
			})
		}
	}
}

func benchMessagePath(b *testing.B, sessions int, fromVisitors bool) {
	// Every client here is 127.0.0.1: trusting it as a proxy lets each
	// visitor have its own address, and the per-visitor limits (one
	// message a second in normal use) are lifted for the benchmark's pace.
	srv := apptest.NewServer(b, apptest.WithConfig(func(c *config.Config) {
		c.TrustedProxies = []string{"127.0.0.1/32"}
		c.Limits.MessagesPerToken = config.Rate{Every: time.Microsecond, Burst: 1 << 20}
		c.Limits.MessagesPerIP = config.Rate{Every: time.Microsecond, Burst: 1 << 20}
		c.Limits.SocketsPerIP = config.Rate{Every: time.Microsecond, Burst: 1 << 20}
	}))
	admin := srv.CreateUser(b, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	plain, _, err := srv.Auth.CreateAPIToken(b.Context(), admin.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	channelID := mustDefaultChannel(b, srv)

	type conv struct{ id, token, addr string }
	convs := make([]conv, sessions)
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []time.Duration
	var delivered atomic.Int64
	// receive reads a socket's message frames and times the benchmark's.
	receive := func(conn *websocket.Conn) {
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
			if f.Type != "message" || !strings.HasPrefix(f.Data.Body, "m") {
				continue
			}
			now := time.Now()
			mu.Lock()
			if t0, ok := sent[f.Data.Body]; ok {
				lat = append(lat, now.Sub(t0))
				delete(sent, f.Data.Body)
				delivered.Add(1)
			}
			mu.Unlock()
		}
	}
	wsBase := "ws" + strings.TrimPrefix(srv.URL, "http")
	if fromVisitors {
		conn, _, err := websocket.DefaultDialer.Dial(wsBase+"/api/v1/ws", http.Header{"Authorization": {"Bearer " + plain}})
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		go receive(conn)
	}
	// Sessions are opened through the service, several at once as
	// visitors arrive (they share group commits), each visitor with its
	// socket open as the widget holds it.
	var wg sync.WaitGroup
	next := make(chan int)
	var startErr atomic.Pointer[error]
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := srv.Livechat.StartSession(b.Context(), livechat.StartInput{ChannelID: channelID})
				if err != nil {
					startErr.Store(&err)
					continue
				}
				addr := fmt.Sprintf("10.%d.%d.%d", (i+1)>>16&255, (i+1)>>8&255, (i+1)&255)
				convs[i] = conv{id: res.Session.PublicID, token: res.Token, addr: addr}
				conn, _, err := websocket.DefaultDialer.Dial(wsBase+"/im_livechat/ws?token="+res.Token, http.Header{"X-Forwarded-For": {addr}})
				if err != nil {
					startErr.Store(&err)
					continue
				}
				b.Cleanup(func() { conn.Close() })
				if fromVisitors {
					go func() { // the visitor's own echo is not timed
						for {
							if _, _, err := conn.NextReader(); err != nil {
								return
							}
						}
					}()
				} else {
					go receive(conn)
				}
			}
		}()
	}
	for i := range sessions {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := startErr.Load(); err != nil {
		b.Fatalf(`opening %d conversations: %v`, sessions, *err)
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var seq atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			c := convs[n%int64(sessions)]
			body := "m" + strconv.FormatInt(n, 10)
			mu.Lock()
			sent[body] = time.Now()
			mu.Unlock()
			var req *http.Request
			if fromVisitors {
				req, _ = http.NewRequest("POST", srv.URL+"/im_livechat/sessions/"+c.id+"/messages", strings.NewReader(`{"body":"`+body+`"}`))
				req.Header.Set("Authorization", "Bearer "+c.token)
				req.Header.Set("X-Forwarded-For", c.addr)
			} else {
				req, _ = http.NewRequest("POST", srv.URL+"/api/v1/sessions/"+c.id+"/messages", strings.NewReader(`{"body":"`+body+`"}`))
				req.Header.Set("Authorization", "Bearer "+plain)
			}
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

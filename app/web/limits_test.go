package web_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/model"
)

// wantLimited checks a 429 with Retry-After and the rate_limited code.
func wantLimited(t *testing.T, what string, code int, h http.Header, body map[string]any) {
	t.Helper()
	if code != http.StatusTooManyRequests || body["code"] != "rate_limited" {
		t.Fatalf(`%s: %d %v, want 429 rate_limited`, what, code, body)
	}
	if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf(`%s: Retry-After %q, want a number of seconds`, what, h.Get("Retry-After"))
	}
}

// Typing, message reads and init are limited per client address, not only
// per token: a script rotating visitor tokens is still one address.
func TestPerAddressLimits(t *testing.T) {
	hour := time.Hour
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) {
		c.Limits.InitPerIP = config.Rate{Every: hour, Burst: 2}
		c.Limits.TypingPerIP = config.Rate{Every: hour, Burst: 2}
		c.Limits.TypingPerToken = config.Rate{Every: time.Millisecond, Burst: 100}
		c.Limits.MessageReadsPerIP = config.Rate{Every: hour, Burst: 3}
	}))
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	ch := defaultChannel(t, srv)
	a := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	b := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")

	t.Run("init", func(t *testing.T) {
		path := fmt.Sprintf("/im_livechat/init?channel_id=%d&url=https%%3A%%2F%%2Fshop.example%%2F", ch.ID)
		for i := range 2 {
			if code, _, body := call(t, srv, "GET", path, "", ""); code != http.StatusOK {
				t.Fatalf(`init %d: %d %v`, i+1, code, body)
			}
		}
		code, h, body := call(t, srv, "GET", path, "", "")
		wantLimited(t, "3rd init", code, h, body)
	})

	t.Run("typing", func(t *testing.T) {
		for _, x := range []cvChat{a, a} {
			if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+x.ID+"/typing", x.Token, `{"typing":true}`); code != http.StatusNoContent {
				t.Fatalf(`typing: %d %v`, code, body)
			}
		}
		// Another visitor token, the same address.
		code, h, body := call(t, srv, "POST", "/im_livechat/sessions/"+b.ID+"/typing", b.Token, `{"typing":true}`)
		wantLimited(t, "typing with a second token", code, h, body)
	})

	t.Run("message reads", func(t *testing.T) {
		for _, x := range []cvChat{a, b, a} {
			if code, _, body := call(t, srv, "GET", "/im_livechat/sessions/"+x.ID+"/messages", x.Token, ""); code != http.StatusOK {
				t.Fatalf(`messages: %d %v`, code, body)
			}
		}
		code, h, body := call(t, srv, "GET", "/im_livechat/sessions/"+b.ID+"/messages", b.Token, "")
		wantLimited(t, "4th read", code, h, body)
		// Operators' reads from the same address share the limit.
		code, h, body = call(t, srv, "GET", "/api/v1/sessions/"+a.ID+"/messages", token(t, srv, admin), "")
		wantLimited(t, "operator read", code, h, body)
	})
}

// One user may hold a bounded number of operator sockets (an integration
// once opened 3,000 with one token); simultaneous upgrades cannot
// overshoot, and a closed socket frees its place.
func TestOperatorSocketsPerUser(t *testing.T) {
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) { c.Limits.OperatorSocketsPerUser = 3 }))
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	h := http.Header{"Authorization": {"Bearer " + token(t, srv, admin)}}
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/ws"

	var mu sync.Mutex
	var open []*websocket.Conn
	var refused []*http.Response
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			conn, res, err := websocket.DefaultDialer.Dial(url, h)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				open = append(open, conn)
			} else if res != nil {
				refused = append(refused, res)
			} else {
				t.Errorf(`dial: %v`, err)
			}
		})
	}
	wg.Wait()
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	if len(open) != 3 || len(refused) != 9 {
		t.Fatalf(`12 simultaneous sockets with a cap of 3: %d open, %d refused`, len(open), len(refused))
	}
	res := refused[0]
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf(`refused socket: %d, Retry-After %q; want 429 with Retry-After`, res.StatusCode, res.Header.Get("Retry-After"))
	}
	_, _, body := call(t, srv, "GET", "/api/v1/ws", token(t, srv, admin), "")
	if msg, _ := body["error"].(string); body["code"] != "too_many_sockets" || !strings.Contains(msg, "3 live connections") {
		t.Fatalf(`the refusal does not say why: %v`, body)
	}

	open[0].Close()
	open = open[1:]
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, _, err := websocket.DefaultDialer.Dial(url, h)
		if err == nil {
			open = append(open, conn)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf(`a closed socket never freed its place: %v`, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Failed logins count per /64 for IPv6 clients: a host owns a whole
// subnet and could otherwise try from each of its addresses.
func TestLoginLimitPerIPv6Subnet(t *testing.T) {
	s := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1/32"} }))
	s.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	for i := range 10 {
		s.CreateUser(t, fmt.Sprintf("user%d@example.com", i), "User", model.RoleOperator)
	}
	c := s.NewClient(t)
	c.Get("/login")
	for i := range 10 {
		xff := fmt.Sprintf("2001:db8:1:2::%x", i+1)
		if code := loginAttempt(t, c, fmt.Sprintf("user%d@example.com", i), "wrong password", xff); code != http.StatusUnauthorized {
			t.Fatalf(`failure %d: status %d`, i, code)
		}
	}
	if code := loginAttempt(t, c, "ada@example.com", apptest.Password, "2001:db8:1:2:ffff:1:2:3"); code != http.StatusTooManyRequests {
		t.Fatalf(`login from a fresh address of the same /64: status %d, want 429`, code)
	}
	if code := loginAttempt(t, c, "ada@example.com", apptest.Password, "2001:db8:1:3::1"); code != http.StatusSeeOther {
		t.Fatalf(`login from the next /64: status %d, want 303`, code)
	}
}

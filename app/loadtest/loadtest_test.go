package loadtest_test

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/loadtest"
	"parley/app/model"
)

// A short run against a real server: every message posted is
// acknowledged and reaches an operator's socket, the figures are filled
// in, and the report says so.
func TestRunAgainstARealServer(t *testing.T) {
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) {
		c.TrustedProxies = []string{"127.0.0.1/32"}
	}))
	channels, err := srv.Store.Channels(t.Context())
	if err != nil || len(channels) == 0 {
		t.Fatalf(`channels: %v`, err)
	}
	ch := channels[0].ID
	var tokens []string
	for _, email := range []string{"ann@example.com", "bob@example.com"} {
		u := srv.CreateUser(t, email, strings.Split(email, "@")[0], model.RoleOperator)
		if err := srv.Store.AddChannelOperators(t.Context(), ch, u.ID); err != nil {
			t.Fatal(err)
		}
		tok, _, err := srv.Auth.CreateAPIToken(t.Context(), u.ID, "load")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	rep, err := loadtest.Run(t.Context(), loadtest.Options{URL: srv.URL, ChannelID: ch, Idle: 30, Chatting: 12, Rate: 5, Size: 200,
		Duration: 2 * time.Second, OperatorTokens: tokens, Forwarded: true, Concurrency: 8,
		PID: os.Getpid()}) // the server runs in this process
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 0 {
		t.Fatalf(`errors: %v`, rep.Errors)
	}
	if rep.Scheduled != 12*10 || rep.Acked != rep.Scheduled || rep.Delivered != rep.Acked || rep.Late != 0 || rep.AckedNotDelivered != 0 {
		t.Fatalf(`scheduled %d, acked %d, delivered %d (late %d, missing %d): want all 120 delivered live`,
			rep.Scheduled, rep.Acked, rep.Delivered, rep.Late, rep.AckedNotDelivered)
	}
	if rep.Delivery.N != 120 || rep.Delivery.P99 <= 0 || rep.Delivery.Max < rep.Delivery.P99 || rep.Ack.N != 120 {
		t.Fatalf(`latencies: ack %+v delivery %+v`, rep.Ack, rep.Delivery)
	}
	if rep.IdleConnectRate <= 0 || rep.ChattingConnectRate <= 0 {
		t.Fatalf(`connect rates %v %v`, rep.IdleConnectRate, rep.ChattingConnectRate)
	}
	// Where the CPU went while sending, read from /proc (the server is
	// this process); the 30 visitors connect too fast to count on.
	if c := rep.SendCPU; c.Cores < 1 || c.Server <= 0 || c.Loader <= 0 || c.MachineBusy <= 0 || c.MachineBusy > 1 {
		t.Fatalf(`CPU while sending: %+v`, c)
	}
	if c := rep.ConnectCPU; c.Cores < 1 || c.MachineBusy < 0 || c.MachineBusy > 1 {
		t.Fatalf(`CPU while connecting: %+v`, c)
	}
	// The server's memory, read from /proc: all of it, and the part that
	// is the executable's pages.
	if runtime.GOOS == "linux" && (rep.RSSBefore <= 0 || rep.RSSFileBefore <= 0 || rep.RSSFileBefore >= rep.RSSBefore || rep.RSSEnd <= 0) {
		t.Fatalf(`server memory: %d before (%d from files), %d at the end`, rep.RSSBefore, rep.RSSFileBefore, rep.RSSEnd)
	}
	// The server saw them as the widget's visitors: each conversation has
	// an operator and the loader's messages.
	open, err := srv.Store.CountSessions(t.Context(), model.SessionFilter{ChannelID: ch, Status: model.SessionOpen})
	if err != nil || open != 12 {
		t.Fatalf(`open sessions on the server: %d %v`, open, err)
	}
	var out bytes.Buffer
	rep.Write(&out, loadtest.English{})
	wants := []string{"30 idle, 12 chatting; operators: 2", "120 delivered live to operators (100.00 %)", "errors: none", "CPU while sending: server "}
	if runtime.GOOS == "linux" {
		wants = append(wants, "of the memory before, ", "is the executable's code and tables")
	}
	for _, want := range wants {
		if !strings.Contains(out.String(), want) {
			t.Errorf(`report lacks %q:\n%s`, want, out.String())
		}
	}
}

// Bad options are refused naming the option, and a token the server
// refuses stops the run before any visitor arrives.
func TestRunRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		o    loadtest.Options
		want string
	}{
		{loadtest.Options{URL: "localhost:8069", ChannelID: 1, Idle: 1, Size: 200}, "--url"},
		{loadtest.Options{URL: "http://x", ChannelID: 0, Idle: 1, Size: 200}, "--channel"},
		{loadtest.Options{URL: "http://x", ChannelID: 1, Size: 200}, "nothing to do"},
		{loadtest.Options{URL: "http://x", ChannelID: 1, Chatting: 5, Rate: 1, Duration: time.Second, Size: 200}, "need operators"},
		{loadtest.Options{URL: "http://x", ChannelID: 1, Chatting: 5, Rate: 0, Duration: time.Second, Size: 200, OperatorTokens: []string{"t"}}, "--rate"},
		{loadtest.Options{URL: "http://x", ChannelID: 1, Idle: 1, Size: 10}, "--size"},
	} {
		_, err := loadtest.Run(t.Context(), c.o)
		var oe *loadtest.OptionError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf(`%+v: %v, want an OptionError naming %s`, c.o, err, c.want)
		}
	}
	srv := apptest.NewServer(t)
	_, err := loadtest.Run(t.Context(), loadtest.Options{URL: srv.URL, ChannelID: 1, Chatting: 1, Rate: 1, Duration: time.Second, Size: 200,
		OperatorTokens: []string{"parley_not-a-token"}})
	if err == nil || !strings.Contains(err.Error(), "refused its socket with 401") {
		t.Fatalf(`unknown token: %v`, err)
	}
}

package web_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/model"
)

// from returns an HTTP client whose connections leave from the loopback
// address src, so a test can be a second client next to a flood.
func from(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// getHealthz asks /healthz with client and wants a 200.
func getHealthz(client *http.Client, srv *apptest.Server) error {
	res, err := client.Get(srv.URL + "/healthz")
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// rawConn dials the server's port from the loopback address src.
func rawConn(t *testing.T, srv *apptest.Server, src string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf(`dial from %s: %v`, src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads from c until the server closes it and returns how
// long that took; the limit is a hang guard.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) (time.Duration, string) {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(limit))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf(`the server still held the connection after %v (read %q)`, limit, b)
	}
	return time.Since(start), string(b)
}

// A request body that never arrives is cut off at http.read_timeout
// (POST /login bodies used to be held forever), and so are headers that
// never end.
func TestSlowRequestsAreCut(t *testing.T) {
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) {
		c.HTTP.ReadTimeout = time.Second
		c.HTTP.ReadHeaderTimeout = time.Second
	}))
	t.Run("body", func(t *testing.T) {
		c := rawConn(t, srv, "127.0.0.1")
		fmt.Fprint(c, "POST /login HTTP/1.1\r\nHost: parley\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nemail=ada%40")
		took, got := closedWithin(t, c, 10*time.Second)
		if took > 3*time.Second {
			t.Fatalf(`a stalled body was held %v with read_timeout 1s`, took)
		}
		if !strings.HasPrefix(got, "HTTP/1.1 408") {
			t.Fatalf(`a stalled body was answered %.60q, want 408`, got)
		}
	})
	t.Run("headers", func(t *testing.T) {
		c := rawConn(t, srv, "127.0.0.1")
		fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: parley\r\n")
		if took, _ := closedWithin(t, c, 10*time.Second); took > 3*time.Second {
			t.Fatalf(`stalled headers were held %v with read_header_timeout 1s`, took)
		}
	})
}

// Upgraded websockets are exempt from the HTTP deadlines: a socket lives
// on past them, answering pings and receiving pushes.
func TestSocketOutlivesHTTPDeadlines(t *testing.T) {
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) {
		c.HTTP.ReadTimeout, c.HTTP.WriteTimeout, c.HTTP.IdleTimeout = time.Second, time.Second, time.Second
	}))
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	chat := cvStart(t, srv, defaultChannel(t, srv).ID, "https://shop.example/", "Shop")
	ws := dial(t, srv, "/im_livechat/ws?token="+chat.Token, nil)
	time.Sleep(2500 * time.Millisecond) // well past every HTTP deadline
	ws.send(map[string]any{"type": "ping"})
	ws.next("pong")
	if code, _, body := call(t, srv, "POST", "/api/v1/sessions/"+chat.ID+"/messages", token(t, srv, admin), `{"body":"still there?"}`); code != http.StatusCreated {
		t.Fatalf(`operator message: %d %v`, code, body)
	}
	if m := ws.next("message"); m["body"] != "still there?" {
		t.Fatalf(`pushed message after the deadlines: %v`, m)
	}
}

// A URL longer than http.max_url_length is refused with 414 before
// routing; a header block past http.max_header_bytes never reaches us.
func TestLongURLs(t *testing.T) {
	srv := apptest.NewServer(t)
	long := "/im_livechat/init?channel_id=1&url=" + strings.Repeat("a", 17<<10)
	code, _, body := call(t, srv, "GET", long, "", "")
	if code != http.StatusRequestURITooLong || body["code"] != "uri_too_long" {
		t.Fatalf(`17 KiB URL: %d %v, want 414 uri_too_long`, code, body)
	}
	res, err := http.Get(srv.URL + "/im_livechat/init?channel_id=1&url=" + strings.Repeat("a", 900_000))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf(`900 KB URL: %d, want 431 from the header limit`, res.StatusCode)
	}
	if code, _, _ := call(t, srv, "GET", "/im_livechat/init?channel_id=1&url="+strings.Repeat("a", 8<<10), "", ""); code != http.StatusOK {
		t.Fatalf(`an 8 KiB page URL: %d, want 200`, code)
	}
}

// openFiles counts this process's open file descriptors, -1 where /proc
// does not tell.
func openFiles() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

const holdEnv = "PARLEY_TEST_HOLD_CONNS"

// One address holding thousands of half-open connections (21,000 used to
// take every file descriptor) gets no more than http.max_conns_per_ip of
// them, and /healthz keeps answering another address.
//
// The flood comes from a child process (this test binary again), so that
// its file descriptors are not the server's: it raises its soft open-file
// limit to the hard one and holds as many connections as that allows, up
// to 20,000, each with a request that never ends. Where the limit is
// lower, the flood is smaller and the test says so in its log.
func TestHalfOpenFloodFromOneAddress(t *testing.T) {
	if target := os.Getenv(holdEnv); target != "" {
		holdConns(target)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip(`needs the whole 127.0.0.0/8 on loopback and /proc (Linux)`)
	}
	const maxConns = 1000
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) {
		c.HTTP.MaxConnsPerIP = maxConns
		// The held connections must outlast the test, not time out.
		c.HTTP.ReadHeaderTimeout, c.HTTP.ReadTimeout = time.Minute, time.Minute
	}))
	other := from("127.0.0.2")
	if err := getHealthz(other, srv); err != nil {
		t.Fatalf(`/healthz before the flood: %v`, err)
	}
	before := openFiles()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHalfOpenFloodFromOneAddress$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdEnv+"="+srv.Listener.Addr().String())
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close() // the child lets go of its connections and exits
		_ = cmd.Wait()
	}()
	held := -1
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "held "); ok {
			held, _ = strconv.Atoi(n)
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if held < 0 {
		t.Fatalf(`the flooding process did not report`)
	}
	t.Logf(`one address (127.0.0.3) holds %d half-open connections`, held)
	if held < 5*maxConns {
		t.Fatalf(`only %d connections could be opened; the flood proves nothing`, held)
	}
	if held < 19_000 {
		t.Logf(`the open-file limit allowed %d connections, fewer than the 20,000 aimed for`, held)
	}

	// Another address is served, again and again, while the flood holds.
	for i := range 20 {
		if err := getHealthz(other, srv); err != nil {
			t.Fatalf(`/healthz from 127.0.0.2 during the flood (try %d): %v`, i+1, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
	// The server holds at most maxConns of them: a new one from the
	// flooding address is closed at once, unanswered.
	if _, kept := holdOpen(t, srv, "127.0.0.3"); kept {
		t.Fatalf(`a connection over the cap was kept`)
	}
	if after := openFiles(); before > 0 && after-before > maxConns+50 {
		t.Fatalf(`the server holds %d more files during the flood, more than the cap of %d`, after-before, maxConns)
	}
}

// holdConns is the flooding child: as many connections to target from
// 127.0.0.3 as its open-file limit allows (up to 20,000), each with an
// unfinished request, held until stdin closes. It reports how many reached
// the server, counting those the server reset before the dial returned.
func holdConns(target string) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	n := 20_000
	if room := int(lim.Cur) - 64; room < n {
		n = room
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}, Timeout: 5 * time.Second}
	var mu sync.Mutex
	var conns []net.Conn
	var reset atomic.Int64
	var wg sync.WaitGroup
	per := n / 8
	for range 8 {
		wg.Go(func() {
			for range per {
				c, err := d.Dial("tcp", target)
				if errors.Is(err, syscall.ECONNRESET) {
					reset.Add(1) // reached the server, which refused it at once
					continue
				}
				if err != nil {
					continue
				}
				_, _ = io.WriteString(c, "POST /login HTTP/1.1\r\nHost: parley\r\n")
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	fmt.Printf("held %d\n", len(conns)+int(reset.Load()))
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

// holdOpen opens a connection from src with a request that never ends
// and reports whether the server kept it (no close within a moment).
func holdOpen(t *testing.T, srv *apptest.Server, src string) (net.Conn, bool) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", srv.Listener.Addr().String())
	if errors.Is(err, syscall.ECONNRESET) {
		return nil, false // refused so fast that the dial saw it
	}
	if err != nil {
		t.Fatalf(`dial from %s: %v`, src, err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: parley\r\n")
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	ne, ok := err.(net.Error)
	return c, ok && ne.Timeout()
}

// The cap on connections per address frees a place when a connection
// closes, and does not apply to trusted proxies, which carry everyone.
func TestConnectionCapPerAddress(t *testing.T) {
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) {
		c.HTTP.MaxConnsPerIP = 3
		c.TrustedProxies = []string{"127.0.0.1/32"}
	}))
	var held []net.Conn
	for i := range 3 {
		c, ok := holdOpen(t, srv, "127.0.0.2")
		if !ok {
			t.Fatalf(`connection %d of 3 from 127.0.0.2 was closed`, i+1)
		}
		held = append(held, c)
	}
	if _, ok := holdOpen(t, srv, "127.0.0.2"); ok {
		t.Fatalf(`a 4th connection from 127.0.0.2 was kept with a cap of 3`)
	}
	if err := getHealthz(from("127.0.0.4"), srv); err != nil {
		t.Fatalf(`another address while 127.0.0.2 is at its cap: %v`, err)
	}
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := holdOpen(t, srv, "127.0.0.2"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf(`a closed connection never freed its place`)
		}
	}
	// The trusted proxy may hold many more than 3.
	for i := range 10 {
		if _, ok := holdOpen(t, srv, "127.0.0.1"); !ok {
			t.Fatalf(`connection %d from the trusted proxy was closed`, i+1)
		}
	}
	if err := getHealthz(from("127.0.0.1"), srv); err != nil {
		t.Fatalf(`the trusted proxy's request: %v`, err)
	}
}

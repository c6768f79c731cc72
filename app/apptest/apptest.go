// Package apptest provides test helpers: a migrated SQLite file in a temp
// dir, a running Parley server on httptest, logged-in HTTP clients and
// fixtures. Import it only from _test.go files.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/app/auth"
	"parley/app/config"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/store"
	"parley/app/web"
	"parley/app/wire"
	"parley/assets"
	"parley/db"
)

// NewStore returns a migrated database in t.TempDir(), closed at cleanup.
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatalf(`open store: %v`, err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := db.Migrate(context.Background(), st.Writer()); err != nil {
		t.Fatalf(`migrate: %v`, err)
	}
	return st
}

// Logger returns a logger that writes to the test log only when -v is set,
// so failures are readable and passing runs are quiet.
func Logger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Server is a running Parley with direct access to its parts, built by
// the same wire.Build as production.
type Server struct {
	*httptest.Server
	App      *wire.App
	Config   config.Config
	Store    *store.Store
	Auth     *auth.Service
	Livechat *livechat.Service
	Web      *web.Server

	lcOpts  livechat.Options
	handler atomic.Pointer[http.Handler]
}

// Option adjusts a test server's configuration and live chat options
// before it starts.
type Option func(*config.Config, *livechat.Options)

// WithConfig adjusts only the configuration.
func WithConfig(f func(*config.Config)) Option {
	return func(c *config.Config, _ *livechat.Options) { f(c) }
}

// AssetsDir is the checkout's assets folder, found from this file.
func AssetsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "assets")
}

// NewServer starts Parley on a random local port with a fresh database
// holding the default channel.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	st := NewStore(t)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	var lcOpts livechat.Options
	for _, o := range opts {
		o(&cfg, &lcOpts)
	}
	ts := httptest.NewUnstartedServer(nil)
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + ts.Listener.Addr().String()
	}
	cfg.Listen = ts.Listener.Addr().String()
	app, err := wire.Build(context.Background(), cfg, wire.Deps{Store: st, Logger: Logger(t), Assets: assets.FS(false, ""),
		Auth: auth.Options{BcryptCost: bcrypt.MinCost}, Livechat: lcOpts})
	if err != nil {
		t.Fatalf(`build: %v`, err)
	}
	app.Start()
	s := &Server{App: app, Config: cfg, Store: st, Auth: app.Auth, Livechat: app.Livechat, Web: app.Web, lcOpts: lcOpts}
	// The production HTTP settings: deadlines, header and per-address
	// connection caps.
	app.Web.ConfigureHTTP(ts.Config)
	// Requests go through an indirection that Restart swaps.
	h := ts.Config.Handler
	s.handler.Store(&h)
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*s.handler.Load()).ServeHTTP(w, r) })
	ts.Listener = app.Web.Listener(ts.Listener)
	ts.Start()
	s.Server = ts
	t.Cleanup(func() {
		// Close sockets before the test server waits for its handlers.
		_ = s.App.Shutdown(context.Background())
		ts.Close()
	})
	return s
}

// Restart stops the application and builds it again on the same database
// at the same address, as a process restart does: whatever it kept only
// in memory is gone.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.App.Shutdown(context.Background()); err != nil {
		t.Fatalf(`shutdown: %v`, err)
	}
	app, err := wire.Build(context.Background(), s.Config, wire.Deps{Store: s.Store, Logger: Logger(t), Assets: assets.FS(false, ""),
		Auth: auth.Options{BcryptCost: bcrypt.MinCost}, Livechat: s.lcOpts})
	if err != nil {
		t.Fatalf(`build after restart: %v`, err)
	}
	app.Start()
	s.App, s.Auth, s.Livechat, s.Web = app, app.Auth, app.Livechat, app.Web
	var hs http.Server
	app.Web.ConfigureHTTP(&hs)
	s.handler.Store(&hs.Handler)
}

// Password is the password of every user CreateUser makes.
const Password = "correct horse battery"

// CreateUser makes a user with Password; the first admin also becomes the
// operator of unstaffed channels, as in production.
func (s *Server) CreateUser(t testing.TB, email, name string, role model.Role) *model.User {
	t.Helper()
	n := auth.NewUser{Email: email, Name: name, Role: role, Password: Password}
	var u *model.User
	var err error
	if needs, _ := s.Auth.NeedsSetup(context.Background()); needs && role == model.RoleAdmin {
		u, err = s.Auth.CreateFirstAdmin(context.Background(), n)
	} else {
		u, err = s.Auth.CreateUser(context.Background(), n)
	}
	if err != nil {
		t.Fatalf(`create user %s: %v`, email, err)
	}
	return u
}

// WaitSession polls the stored session with that public id until ok
// holds, for what the server does after answering (the event bus, the
// queue, a chatbot saving its place); what says what was awaited when it
// never comes. The timeout is a hang guard.
func (s *Server) WaitSession(t testing.TB, publicID, what string, ok func(*model.Session) bool) *model.Session {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		x, err := s.Store.SessionByPublicID(context.Background(), publicID)
		if err != nil {
			t.Fatalf(`session %s: %v`, publicID, err)
		}
		if ok(x) {
			return x
		}
		if time.Now().After(deadline) {
			t.Fatalf(`session %s: %s never came`, publicID, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Client is a browser-like HTTP client with cookies and the page's CSRF token.
type Client struct {
	*http.Client
	t    testing.TB
	base string
	CSRF string
}

// NewClient returns an anonymous client that does not follow redirects.
func (s *Server) NewClient(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, base: s.URL, Client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// Get fetches path and remembers the CSRF token the page carries.
func (c *Client) Get(path string) (*http.Response, string) {
	c.t.Helper()
	res, err := c.Client.Get(c.base + path)
	if err != nil {
		c.t.Fatalf(`GET %s: %v`, path, err)
	}
	body := readAll(c.t, res)
	if m := csrfRe.FindStringSubmatch(body); m != nil {
		c.CSRF = m[1]
	}
	return res, body
}

// PostForm posts form values with the CSRF token the last page carried.
func (c *Client) PostForm(path string, v url.Values) (*http.Response, string) {
	c.t.Helper()
	if v == nil {
		v = url.Values{}
	}
	if c.CSRF != "" && v.Get("_csrf") == "" {
		v.Set("_csrf", c.CSRF)
	}
	res, err := c.Client.PostForm(c.base+path, v)
	if err != nil {
		c.t.Fatalf(`POST %s: %v`, path, err)
	}
	return res, readAll(c.t, res)
}

// Do sends req as htmx would, with the CSRF header.
func (c *Client) Do(method, path string, body io.Reader, headers map[string]string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("X-CSRF-Token", c.CSRF)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.Client.Do(req)
	if err != nil {
		c.t.Fatalf(`%s %s: %v`, method, path, err)
	}
	return res, readAll(c.t, res)
}

// Login signs the client in as email with Password and fails the test otherwise.
func (c *Client) Login(email string) {
	c.t.Helper()
	c.Get("/login")
	res, body := c.PostForm("/login", url.Values{"email": {email}, "password": {Password}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf(`login %s: status %d: %s`, email, res.StatusCode, body)
	}
	c.Get("/admin")
}

// LoggedIn returns a client logged in as a new user with role.
func (s *Server) LoggedIn(t testing.TB, email string, role model.Role) (*Client, *model.User) {
	u := s.CreateUser(t, email, strings.Split(email, "@")[0], role)
	c := s.NewClient(t)
	c.Login(email)
	return c, u
}

func readAll(t testing.TB, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf(`read body: %v`, err)
	}
	return string(b)
}

// Chromium returns the path of a Chromium binary, or skips the test with a
// clear message; under CI=true a missing browser fails instead.
// PARLEY_CHROMIUM=none pretends no browser is installed.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("PARLEY_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "none" {
			break
		}
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf(`browser tests need Chromium and CI=true: install Debian's chromium package (.ci/run does) or set PARLEY_CHROMIUM`)
	}
	t.Skip(`Chromium not found: install Debian's chromium package or set PARLEY_CHROMIUM to run browser tests`)
	return ""
}

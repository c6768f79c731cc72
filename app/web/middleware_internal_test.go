package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"parley/app/i18n"
)

func TestRedactURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/im_livechat/ws?token=pv_secret", "/im_livechat/ws?token=REDACTED"},
		{"/setup?token=abc&x=1", "/setup?token=REDACTED&x=1"},
		{"/admin/sessions?status=open", "/admin/sessions?status=open"},
		{"/login", "/login"},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.in)
		if got := redactURI(u); got != tt.want {
			t.Errorf(`redactURI(%q) = %q, want %q`, tt.in, got, tt.want)
		}
	}
}

// Logged URLs hold no other site's secrets, nothing of paths that are not
// ours, and never more than maxLoggedURI bytes.
func TestLogURI(t *testing.T) {
	page := url.QueryEscape("https://shop.example/account/reset?token=s3cret&email=ann%40example.com#top")
	tests := []struct {
		in     string
		status int
		want   string
	}{
		{"/im_livechat/init?channel_id=1&url=" + page, 200, "/im_livechat/init?channel_id=1&url=https%3A%2F%2Fshop.example%2Faccount%2Freset%3F%5Bdropped%5D"},
		{"/im_livechat/init?channel_id=1&url=https%3A%2F%2Fshop.example%2Fprices", 200, "/im_livechat/init?channel_id=1&url=https%3A%2F%2Fshop.example%2Fprices"},
		{"/im_livechat/ws?token=pv_secret", 101, "/im_livechat/ws?token=REDACTED"},
		{"/wp-login.php?user=admin&pass=hunter2", 404, "/wp-login.php?[dropped]"},
		{"/admin/sessions?status=open", 200, "/admin/sessions?status=open"},
		{"/x?" + strings.Repeat("a", 20000), 414, "/x?[dropped]"},
	}
	for _, tt := range tests {
		u, err := url.ParseRequestURI(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := logURI(u, tt.status); got != tt.want {
			t.Errorf("logURI(%.80q, %d)\n got %q\nwant %q", tt.in, tt.status, got, tt.want)
		}
	}
	u, _ := url.ParseRequestURI("/admin/sessions?q=" + strings.Repeat("é", 900_000))
	got := logURI(u, 200)
	if len(got) > maxLoggedURI+40 || !strings.HasPrefix(got, "/admin/sessions?q=") || !strings.Contains(got, "bytes]") || !utf8.ValidString(got) {
		t.Fatalf(`a 1.8 MB URL is logged as %d bytes: %.100q…`, len(got), got)
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "—"},
		{400 * time.Millisecond, "< 1 s"},
		{42 * time.Second, "42 s"},
		{4*time.Minute + 5*time.Second, "4 min 05 s"},
		{62 * time.Minute, "1 h 02 min"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.in); got != tt.want {
			t.Errorf(`humanDuration(%v) = %q, want %q`, tt.in, got, tt.want)
		}
	}
}

// TestRequestLogLine: every request gets an id in X-Request-Id and in its
// log line; the public hot paths log at debug unless they fail.
func TestRequestLogLine(t *testing.T) {
	var buf bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	e := echo.New()
	for _, c := range []struct {
		path   string
		status int
		level  string
	}{
		{"/im_livechat/init?channel_id=1", 200, "DEBUG"},
		{"/im_livechat/sessions/x/messages", 409, "INFO"},
		{"/admin/channels", 200, "INFO"},
		{"/static/abc/css/admin.css", 200, "DEBUG"},
	} {
		buf.Reset()
		rec := httptest.NewRecorder()
		ctx := e.NewContext(httptest.NewRequest(http.MethodGet, c.path, nil), rec)
		status := c.status
		if err := s.logRequests(func(c echo.Context) error { return c.NoContent(status) })(ctx); err != nil {
			t.Fatal(err)
		}
		id := rec.Header().Get("X-Request-Id")
		line := buf.String()
		if len(id) != 16 || !strings.Contains(line, "request_id="+id) || !strings.Contains(line, "level="+c.level) {
			t.Errorf("%s (%d): id %q, log %q; want the id and level %s", c.path, c.status, id, line, c.level)
		}
	}
}

// TestFailedRequestLogsItsID: the error handler's line for a 5xx names the
// request by the id its answer carries.
func TestFailedRequestLogsItsID(t *testing.T) {
	var buf bytes.Buffer
	texts, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{log: slog.New(slog.NewTextHandler(&buf, nil)), d: Deps{I18n: texts}}
	e := echo.New()
	e.HTTPErrorHandler = s.handleError
	rec := httptest.NewRecorder()
	ctx := e.NewContext(httptest.NewRequest(http.MethodGet, "/api/v1/sessions", nil), rec)
	if err := s.logRequests(func(echo.Context) error { return errors.New("disk on fire") })(ctx); err != nil {
		t.Fatal(err)
	}
	id := rec.Header().Get("X-Request-Id")
	if rec.Code != http.StatusInternalServerError || len(id) != 16 {
		t.Fatalf("status %d, id %q", rec.Code, id)
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(line, "request failed") {
			if !strings.Contains(line, "request_id="+id) {
				t.Fatalf("error line %q lacks request_id=%s", line, id)
			}
			return
		}
	}
	t.Fatalf("no error line in %q", buf.String())
}

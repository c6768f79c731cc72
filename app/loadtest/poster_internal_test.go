package loadtest

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The poster's answers, read one after the other off one connection as
// keep-alive gives them.
func TestPosterReadsAnswers(t *testing.T) {
	stream := "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"message\":{}}\n\n" +
		"HTTP/1.1 204 No Content\r\nX-Request-Id: 1\r\n\r\n" +
		"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" +
		"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}" +
		"HTTP/1.0 200 OK\r\n\r\nto the end"
	p := &poster{br: bufio.NewReader(strings.NewReader(stream))}
	for i, want := range []struct {
		status int
		body   string
		close  bool
	}{
		{201, "{\"message\":{}}\n\n", false},
		{204, "", false},
		{200, "hello world", false},
		{429, "{}", true},
		{200, "to the end", true},
	} {
		a, err := p.read()
		if err != nil || a.status != want.status || string(a.body) != want.body || a.close != want.close {
			t.Errorf("answer %d: %d %q close=%v, %v; want %d %q close=%v", i, a.status, a.body, a.close, err, want.status, want.body, want.close)
		}
	}
	if _, err := p.read(); err != io.EOF {
		t.Errorf("after the last answer: %v, want EOF", err)
	}
}

func TestPosterRefusesMalformedAnswers(t *testing.T) {
	for _, raw := range []string{
		"garbage\r\n\r\n",
		"HTTP/1.1 2xx Oops\r\n\r\n",
		"SMTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n",
	} {
		p := &poster{br: bufio.NewReader(strings.NewReader(raw))}
		if _, err := p.read(); !errors.Is(err, errAnswer) {
			t.Errorf("%q: %v, want a malformed answer", raw, err)
		}
	}
	// Cut short: the connection's error, not a made-up answer.
	p := &poster{br: bufio.NewReader(strings.NewReader("HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\nshort"))}
	if _, err := p.read(); err == nil {
		t.Error("a body cut short was read as whole")
	}
}

// What the poster writes is a request net/http's own server reads as meant.
func TestPosterRequestIsHTTP(t *testing.T) {
	base, err := baseURL("https://chat.example.com/parley/")
	if err != nil {
		t.Fatal(err)
	}
	r := &run{base: base}
	body := []byte(`{"body":"hello"}`)
	raw := r.appendRequest(nil, &visitor{token: "pv_abc", addr: "203.0.113.9"}, "/im_livechat/sessions/s1/messages", body)
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(raw))))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(req.Body)
	if req.Method != "POST" || req.URL.Path != "/parley/im_livechat/sessions/s1/messages" || req.Host != "chat.example.com" ||
		req.Header.Get("Authorization") != "Bearer pv_abc" || req.Header.Get("X-Forwarded-For") != "203.0.113.9" ||
		req.Header.Get("Content-Type") != "application/json" || string(got) != string(body) {
		t.Errorf("read back as %s %s host %q, headers %v, body %q", req.Method, req.URL, req.Host, req.Header, got)
	}
	// A visitor without a token yet (a page view) sends no Authorization.
	raw = r.appendRequest(nil, &visitor{}, "/im_livechat/pageviews", body)
	if req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(raw)))); err != nil || req.Header.Get("Authorization") != "" || req.Header.Get("X-Forwarded-For") != "" {
		t.Errorf("without a token: %v, %v", req, err)
	}
}

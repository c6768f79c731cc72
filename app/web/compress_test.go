package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"parley/app/apptest"
	"parley/app/model"
)

// get fetches path asking for gzip (Go's client would otherwise ask and
// decompress by itself, hiding the headers).
func getGzip(t *testing.T, srv *apptest.Server, path string, gz bool) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	} else {
		req.Header.Set("Accept-Encoding", "identity")
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r io.Reader = res.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatalf("%s: gzip: %v", path, err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestResponsesAreCompressed(t *testing.T) {
	srv := apptest.NewServer(t)
	_, login := getGzip(t, srv, "/login", false)
	css := regexp.MustCompile(`/static/[0-9a-f]+/css/admin\.css`).FindString(login)
	if css == "" {
		t.Fatal("no stylesheet link on the login page")
	}
	_, plain := getGzip(t, srv, css, false)
	for _, c := range []struct {
		path, want string
	}{
		{css, ".chat-window"},
		{"/login", "</html>"},
		{"/im_livechat/loader/1", "Parley"},
	} {
		res, body := getGzip(t, srv, c.path, true)
		if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") || !strings.Contains(body, c.want) {
			t.Errorf("%s: encoding %q vary %q, body has %q: %v", c.path, res.Header.Get("Content-Encoding"), res.Header.Get("Vary"), c.want, strings.Contains(body, c.want))
		}
		res, _ = getGzip(t, srv, c.path, false)
		if res.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s without gzip asked: encoding %q", c.path, res.Header.Get("Content-Encoding"))
		}
	}
	if _, body := getGzip(t, srv, css, true); body != plain {
		t.Error("the gzipped stylesheet differs from the plain one")
	}
	// A small JSON answer is not worth compressing.
	if res, _ := getGzip(t, srv, "/healthz", true); res.Header.Get("Content-Encoding") != "" {
		t.Errorf("/healthz compressed: %q", res.Header.Get("Content-Encoding"))
	}

	// A visitor's message goes by without the compressor, even a long one
	// (its answer repeats it): these are the requests of every chat.
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	vtok, sid := startChat(t, srv, admin, "en")
	long := strings.Repeat("a long message ", 200)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/im_livechat/sessions/"+sid+"/messages", strings.NewReader(`{"body":"`+long+`"}`))
	req.Header.Set("Authorization", "Bearer "+vtok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || res.Header.Get("Content-Encoding") != "" || !strings.Contains(string(b), strings.TrimSpace(long)) {
		t.Errorf("a visitor's message: %d, encoding %q, %d bytes", res.StatusCode, res.Header.Get("Content-Encoding"), len(b))
	}
}

// TestBrotliForStaticFiles asks as browsers do ("gzip, deflate, br"): the
// stylesheet, a script and the widget bundle come in brotli (after a first
// answer in gzip while it is made), decode to the plain
// files, and are smaller than their gzip; a client that refuses br (q=0)
// or does not name it gets gzip.
func TestBrotliForStaticFiles(t *testing.T) {
	srv := apptest.NewServer(t)
	srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	c := srv.NewClient(t)
	c.Login("ada@example.com")
	_, admin := c.Get("/admin")
	_, login := getGzip(t, srv, "/login", false)
	css := regexp.MustCompile(`/static/[0-9a-f]+/css/admin\.css`).FindString(login)
	_, loader := getGzip(t, srv, "/im_livechat/loader/1", false)
	bundle := regexp.MustCompile(`/im_livechat/widget\.[0-9a-f]+\.js`).FindString(loader)
	if css == "" || bundle == "" {
		t.Fatalf("stylesheet %q, bundle %q", css, bundle)
	}
	fetch := func(path, accept string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", accept)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	bundleCSS := regexp.MustCompile(`/im_livechat/widget\.[0-9a-f]+\.css`).FindString(loader)
	if bundleCSS == "" {
		t.Fatal("the loader names no widget stylesheet")
	}
	chatJS := regexp.MustCompile(`/static/[0-9a-f]+/js/chat\.js`).FindString(admin)
	for _, path := range []string{css, chatJS, bundle, bundleCSS} {
		_, plain := fetch(path, "identity")
		// The first request gets gzip while brotli is made in the background.
		res, br := fetch(path, "gzip, deflate, br, zstd")
		if res.Header.Get("Content-Encoding") == "gzip" {
			for end := time.Now().Add(10 * time.Second); res.Header.Get("Content-Encoding") == "gzip" && time.Now().Before(end); {
				time.Sleep(20 * time.Millisecond)
				res, br = fetch(path, "gzip, deflate, br, zstd")
			}
		}
		if res.Header.Get("Content-Encoding") != "br" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: encoding %q, vary %q; want br", path, res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
			continue
		}
		got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(br)))
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%s: brotli decodes to %d bytes (err %v), the file has %d", path, len(got), err, len(plain))
		}
		res, gz := fetch(path, "gzip, br;q=0")
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s with br refused: encoding %q", path, res.Header.Get("Content-Encoding"))
		}
		if len(br) >= len(gz) {
			t.Errorf("%s: brotli %d bytes, gzip %d", path, len(br), len(gz))
		}
		t.Logf("%s: %d bytes, gzip %d, brotli %d", path, len(plain), len(gz), len(br))
	}
}

package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/assets"
)

// widgetHash is the content hash the server must put in bundle URLs.
func widgetHash(t *testing.T, ext string) string {
	t.Helper()
	b, err := fs.ReadFile(assets.FS(false, ""), "widget/widget."+ext)
	if err != nil {
		t.Fatalf(`read widget.%s: %v`, ext, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:10]
}

func defaultChannelID(t *testing.T, srv *apptest.Server) int64 {
	t.Helper()
	chans, err := srv.Store.Channels(context.Background())
	if err != nil || len(chans) == 0 {
		t.Fatalf(`default channel: %v (%d channels)`, err, len(chans))
	}
	return chans[0].ID
}

var loaderConfigRe = regexp.MustCompile(`var c = (\{.*\});`)

// loaderConfig extracts window.ParleyConfig from a loader script.
func loaderConfig(t *testing.T, js string) map[string]any {
	t.Helper()
	m := loaderConfigRe.FindStringSubmatch(js)
	if m == nil {
		t.Fatalf(`no config in loader:\n%s`, js)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf(`loader config: %v`, err)
	}
	return cfg
}

func TestWidgetLoader(t *testing.T) {
	srv := apptest.NewServer(t)
	id := defaultChannelID(t, srv)
	c := srv.NewClient(t)

	res, js := c.Get(fmt.Sprintf("/im_livechat/loader/%d", id))
	if res.StatusCode != http.StatusOK {
		t.Fatalf(`loader status = %d: %s`, res.StatusCode, js)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/javascript") {
		t.Errorf(`Content-Type = %q`, ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf(`Cache-Control = %q, want a short public cache`, cc)
	}
	bundle := "/im_livechat/widget." + widgetHash(t, "js") + ".js"
	css := "/im_livechat/widget." + widgetHash(t, "css") + ".css"
	for _, want := range []string{bundle, css, srv.Config.PublicURL(), "ParleyConfig", "booted"} {
		if !strings.Contains(js, want) {
			t.Errorf(`loader lacks %q:\n%s`, want, js)
		}
	}
	cfg := loaderConfig(t, js)
	if cfg["server"] != srv.Config.PublicURL() || cfg["channelId"] != float64(id) || cfg["bundle"] != bundle || cfg["css"] != css {
		t.Errorf(`config = %v`, cfg)
	}
	if _, ok := cfg["autoOpen"]; ok {
		t.Errorf(`autoOpen set without ?open=1`)
	}
	_, js = c.Get(fmt.Sprintf("/im_livechat/loader/%d?open=1", id))
	if cfg := loaderConfig(t, js); cfg["autoOpen"] != true {
		t.Errorf(`?open=1: autoOpen = %v`, cfg["autoOpen"])
	}

	for _, path := range []string{"/im_livechat/loader/9999", "/im_livechat/loader/abc", "/im_livechat/loader/0"} {
		res, body := c.Get(path)
		if res.StatusCode != http.StatusNotFound || strings.TrimSpace(body) != "/* Parley: unknown channel */" {
			t.Errorf(`%s = %d %q, want 404 with a JS comment`, path, res.StatusCode, body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/javascript") {
			t.Errorf(`%s Content-Type = %q`, path, ct)
		}
	}
}

// TestWidgetLoaderStrings checks that every UI text the widget translates
// (t('...') in widget.js) comes translated from the loader, and that the
// loader sends no text the widget does not use.
func TestWidgetLoaderStrings(t *testing.T) {
	srv := apptest.NewServer(t)
	_, js := srv.NewClient(t).Get(fmt.Sprintf("/im_livechat/loader/%d", defaultChannelID(t, srv)))
	strs, _ := loaderConfig(t, js)["strings"].(map[string]any)

	src, err := os.ReadFile(filepath.Join(apptest.AssetsDir(), "widget", "widget.js"))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:^|[^\w.])t\('([^']+)'`).FindAllStringSubmatch(string(src), -1) {
		used[m[1]] = true
	}
	if len(used) < 20 {
		t.Fatalf(`found only %d t('...') calls in widget.js`, len(used))
	}
	var missing, unused []string
	for s := range used {
		if _, ok := strs[s]; !ok {
			missing = append(missing, s)
		}
	}
	for s := range strs {
		if !used[s] {
			unused = append(unused, s)
		}
	}
	sort.Strings(missing)
	sort.Strings(unused)
	if len(missing) > 0 {
		t.Errorf(`texts used by widget.js but not sent by the loader (add them to widgetStrings): %q`, missing)
	}
	if len(unused) > 0 {
		t.Errorf(`texts sent by the loader but unused by widget.js: %q`, unused)
	}
}

func TestWidgetBundle(t *testing.T) {
	srv := apptest.NewServer(t)
	c := srv.NewClient(t)
	for _, ext := range []string{"js", "css"} {
		want, err := fs.ReadFile(assets.FS(false, ""), "widget/widget."+ext)
		if err != nil {
			t.Fatal(err)
		}
		current := "/im_livechat/widget." + widgetHash(t, ext) + "." + ext
		res, body := c.Get(current)
		if res.StatusCode != http.StatusOK || body != string(want) {
			t.Fatalf(`%s = %d (%d bytes), want the file`, current, res.StatusCode, len(body))
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf(`%s Cache-Control = %q`, current, cc)
		}
		if o := res.Header.Get("Access-Control-Allow-Origin"); o != "*" {
			t.Errorf(`%s Access-Control-Allow-Origin = %q`, current, o)
		}
		wantCT := map[string]string{"js": "application/javascript", "css": "text/css"}[ext]
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantCT) {
			t.Errorf(`%s Content-Type = %q`, current, ct)
		}

		// A hash from before a deploy leads to the current file, uncached.
		res, _ = c.Get("/im_livechat/widget.0123456789." + ext)
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != current {
			t.Errorf(`stale %s = %d → %q, want 302 → %q`, ext, res.StatusCode, res.Header.Get("Location"), current)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf(`stale %s Cache-Control = %q`, ext, cc)
		}
	}
	for _, path := range []string{"/im_livechat/widget.abc.txt", "/im_livechat/widget.js", "/im_livechat/widget.abc"} {
		if res, _ := c.Get(path); res.StatusCode != http.StatusNotFound {
			t.Errorf(`%s = %d, want 404`, path, res.StatusCode)
		}
	}
}

func TestWidgetExternalLib(t *testing.T) {
	srv := apptest.NewServer(t)
	c := srv.NewClient(t)

	res, css := c.Get("/im_livechat/external_lib.css")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") || !strings.Contains(css, "#parley-livechat") {
		t.Errorf(`external_lib.css = %d %q: %s`, res.StatusCode, res.Header.Get("Content-Type"), css)
	}
	res, js := c.Get("/im_livechat/external_lib.js")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/javascript") {
		t.Fatalf(`external_lib.js = %d %q`, res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"currentScript", "data-channel", "/im_livechat/widget." + widgetHash(t, "js") + ".js"} {
		if !strings.Contains(js, want) {
			t.Errorf(`external_lib.js lacks %q:\n%s`, want, js)
		}
	}
	if _, ok := loaderConfig(t, js)["channelId"]; ok {
		t.Errorf(`external_lib.js names a channel itself`)
	}
}

func TestWidgetSupportPage(t *testing.T) {
	srv := apptest.NewServer(t)
	id := defaultChannelID(t, srv)
	ch, err := srv.Store.Channel(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	c := srv.NewClient(t)
	res, page := c.Get(fmt.Sprintf("/im_livechat/support/%d", id))
	if res.StatusCode != http.StatusOK {
		t.Fatalf(`support page = %d`, res.StatusCode)
	}
	for _, want := range []string{
		"<title>" + ch.Name + " · Live chat support",
		"<h1>" + ch.Name + "</h1>",
		fmt.Sprintf(`<script src="/im_livechat/loader/%d?open=1" async></script>`, id),
		"Live chat powered by Parley",
		"#7c7bad",
	} {
		if !strings.Contains(page, want) {
			t.Errorf(`support page lacks %q`, want)
		}
	}
	if !regexp.MustCompile(`<body class="[^"]*\bsupport\b`).MatchString(page) {
		t.Errorf(`support page body lacks the "support" class`)
	}
	// No operator is online yet: the page says so instead of staying empty.
	if !strings.Contains(page, "Nobody is available") {
		t.Errorf(`support page does not say that nobody is available`)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "connect-src 'self'") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf(`support page CSP = %q`, csp)
	}

	for _, path := range []string{"/im_livechat/support/9999", "/im_livechat/support/abc"} {
		if res, _ := c.Get(path); res.StatusCode != http.StatusNotFound {
			t.Errorf(`%s = %d, want 404`, path, res.StatusCode)
		}
	}
}

// TestWidgetJSSyntax parses widget.js with Node when it is installed.
func TestWidgetJSSyntax(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip(`node not installed: skipping the widget.js syntax check`)
	}
	file := filepath.Join(apptest.AssetsDir(), "widget", "widget.js")
	if out, err := exec.Command(node, "--check", file).CombinedOutput(); err != nil {
		t.Fatalf(`node --check widget.js: %v\n%s`, err, out)
	}
	// The loader too: it is JavaScript built in Go.
	srv := apptest.NewServer(t)
	c := srv.NewClient(t)
	for _, path := range []string{fmt.Sprintf("/im_livechat/loader/%d", defaultChannelID(t, srv)), "/im_livechat/external_lib.js"} {
		_, js := c.Get(path)
		f := filepath.Join(t.TempDir(), "loader.js")
		if err := os.WriteFile(f, []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(node, "--check", f).CombinedOutput(); err != nil {
			t.Errorf(`node --check %s: %v\n%s`, path, err, out)
		}
	}
}

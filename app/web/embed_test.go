package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"parley/app/apptest"
	"parley/app/livechat"
	"parley/app/model"
)

// fromPage calls the visitor API as a page of origin would ("" for a
// client that is not a browser).
func fromPage(t *testing.T, srv *apptest.Server, origin, method, path, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf(`%s %s: %v`, method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf(`%s %s: answer is not JSON: %s`, method, path, b)
		}
	}
	return res.StatusCode, res.Header, out
}

// dialStatus opens a visitor socket as a page of origin and reports the
// status of the upgrade (101 when it succeeded).
func dialStatus(t *testing.T, srv *apptest.Server, path, origin string) int {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+path, h)
	if err == nil {
		conn.Close()
		return http.StatusSwitchingProtocols
	}
	if res == nil {
		t.Fatalf(`dial %s: %v`, path, err)
	}
	return res.StatusCode
}

// limitDomains lets only the given sites embed the channel.
func limitDomains(t *testing.T, srv *apptest.Server, channelID int64, domains ...string) {
	t.Helper()
	ch, err := srv.Livechat.Channel(context.Background(), channelID)
	if err != nil {
		t.Fatal(err)
	}
	ch.AllowedDomains = domains
	if err := srv.Livechat.UpdateChannel(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
}

// TestEmbedLockdown: a channel limited to some sites answers their pages
// (CORS naming the page's origin) and refuses every other site's, on each
// visitor endpoint and the socket, with a 403 that says why.
func TestEmbedLockdown(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	ch := defaultChannel(t, srv)
	limitDomains(t, srv, ch.ID, "shop.example.com", "*.acme.test")
	open := &model.Channel{Name: "Anywhere", Options: model.DefaultChannelOptions()}
	if err := srv.Livechat.CreateChannel(context.Background(), open, admin.ID); err != nil {
		t.Fatal(err)
	}
	id := itoa(ch.ID)
	const (
		shop = "https://shop.example.com"
		sub  = "http://www.acme.test:8080"
		evil = "https://evil.test"
	)

	// Pages of allowed sites: everything works, readable by that origin only.
	allowed := func(what, origin string, code int, gotCode int, h http.Header, body map[string]any) {
		t.Helper()
		if gotCode != code {
			t.Fatalf(`%s from %s: %d %v, want %d`, what, origin, gotCode, body, code)
		}
		if acao := h.Get("Access-Control-Allow-Origin"); acao != origin {
			t.Errorf(`%s from %s: Access-Control-Allow-Origin %q, want the page's origin`, what, origin, acao)
		}
		if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
			t.Errorf(`%s: answers that depend on the Origin must say Vary: Origin`, what)
		}
	}
	code, h, body := fromPage(t, srv, shop, "GET", "/im_livechat/init?channel_id="+id+"&url=https://shop.example.com/", "", "")
	allowed("init", shop, 200, code, h, body)
	code, h, body = fromPage(t, srv, sub, "POST", "/im_livechat/pageviews", "", `{"channel_id":`+id+`,"url":"http://www.acme.test:8080/","title":"Home"}`)
	allowed("page view", sub, 201, code, h, body)
	token := body["visitor_token"].(string)
	code, h, body = fromPage(t, srv, sub, "POST", "/im_livechat/sessions", "", `{"channel_id":`+id+`,"visitor_token":"`+token+`","url":"http://www.acme.test:8080/"}`)
	allowed("start", sub, 201, code, h, body)
	sid := body["session"].(map[string]any)["id"].(string)
	sessionCalls := []struct{ method, path, body string }{
		{"GET", "/im_livechat/sessions/" + sid, ""},
		{"GET", "/im_livechat/sessions/" + sid + "/messages?after=0", ""},
		{"POST", "/im_livechat/sessions/" + sid + "/messages", `{"body":"Hello"}`},
		{"POST", "/im_livechat/sessions/" + sid + "/typing", `{"typing":true}`},
	}
	for _, sc := range sessionCalls {
		code, h, body = fromPage(t, srv, sub, sc.method, sc.path, token, sc.body)
		want := map[string]int{"GET": 200, "POST": 201}[sc.method]
		if strings.HasSuffix(sc.path, "/typing") {
			want = 204
		}
		allowed(sc.method+" "+sc.path, sub, want, code, h, body)
	}
	code, h, body = fromPage(t, srv, shop, "POST", "/im_livechat/offline_messages", "", `{"channel_id":`+id+`,"email":"bo@example.com","body":"Call me"}`)
	allowed("offline message", shop, 201, code, h, body)

	// Pages of other sites: 403 with the reason, and nothing they can read.
	refused := func(what string, code int, h http.Header, body map[string]any) {
		t.Helper()
		if code != http.StatusForbidden || body["code"] != "origin_not_allowed" {
			t.Fatalf(`%s from %s: %d %v, want 403 origin_not_allowed`, what, evil, code, body)
		}
		if msg, _ := body["error"].(string); !strings.Contains(msg, "not available on evil.test") {
			t.Errorf(`%s: message %q does not say which site is refused`, what, msg)
		}
		if acao := h.Get("Access-Control-Allow-Origin"); acao != "" {
			t.Errorf(`%s: Access-Control-Allow-Origin %q on a refused page`, what, acao)
		}
	}
	code, h, body = fromPage(t, srv, evil, "GET", "/im_livechat/init?channel_id="+id+"&url=https://evil.test/", "", "")
	refused("init", code, h, body)
	code, h, body = fromPage(t, srv, evil, "POST", "/im_livechat/pageviews", "", `{"channel_id":`+id+`,"url":"https://evil.test/"}`)
	refused("page view", code, h, body)
	code, h, body = fromPage(t, srv, evil, "POST", "/im_livechat/sessions", "", `{"channel_id":`+id+`,"url":"https://evil.test/"}`)
	refused("start", code, h, body)
	code, h, body = fromPage(t, srv, evil, "POST", "/im_livechat/offline_messages", "", `{"channel_id":`+id+`,"email":"x@example.com","body":"Hi"}`)
	refused("offline message", code, h, body)
	for _, sc := range append(sessionCalls, struct{ method, path, body string }{"POST", "/im_livechat/sessions/" + sid + "/close", ""}) {
		code, h, body = fromPage(t, srv, evil, sc.method, sc.path, token, sc.body)
		refused(sc.method+" "+sc.path, code, h, body)
	}
	if x, err := srv.Store.SessionByPublicID(context.Background(), sid); err != nil || x.Status != model.SessionOpen || x.MessageCount != 1 {
		t.Errorf(`refused calls changed the session: %+v, %v`, x, err)
	}
	// "null" is the origin of sandboxed frames and local files: not a site.
	code, h, body = fromPage(t, srv, "null", "GET", "/im_livechat/init?channel_id="+id, "", "")
	if code != http.StatusForbidden {
		t.Errorf(`init from origin null: %d %v`, code, body)
	}

	// Parley's own pages (the chat link) and clients that are not browsers pass.
	if code, _, body = fromPage(t, srv, srv.URL, "GET", "/im_livechat/init?channel_id="+id, "", ""); code != 200 {
		t.Errorf(`init from Parley's own page: %d %v`, code, body)
	}
	if code, _, body = fromPage(t, srv, "", "GET", "/im_livechat/init?channel_id="+id, "", ""); code != 200 {
		t.Errorf(`init without an Origin: %d %v`, code, body)
	}
	// A channel without a list stays open to any site, as before.
	code, h, body = fromPage(t, srv, evil, "GET", "/im_livechat/init?channel_id="+itoa(open.ID), "", "")
	if code != 200 || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf(`open channel from another site: %d, Access-Control-Allow-Origin %q`, code, h.Get("Access-Control-Allow-Origin"))
	}
	// A preflight names no channel: it lets the page ask, the answer decides.
	req, _ := http.NewRequest("OPTIONS", srv.URL+"/im_livechat/sessions", nil)
	req.Header.Set("Origin", evil)
	req.Header.Set("Access-Control-Request-Method", "POST")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Methods") == "" {
		t.Errorf(`preflight: %d %v`, res.StatusCode, res.Header)
	}

	// The socket: the page's Origin against the channel the widget names.
	ws := "/im_livechat/ws?token=" + url.QueryEscape(token)
	for _, tc := range []struct {
		path, origin string
		want         int
	}{
		{ws + "&channel_id=" + id, sub, http.StatusSwitchingProtocols},
		{ws + "&channel_id=" + id, evil, http.StatusForbidden},
		{ws + "&channel_id=" + id, "", http.StatusSwitchingProtocols}, // not a browser
		{ws + "&channel_id=" + id, srv.URL, http.StatusSwitchingProtocols},
		{ws + "&channel_id=" + itoa(open.ID), evil, http.StatusSwitchingProtocols},
		// Without channel_id (an older widget): the channels of the
		// visitor's open conversations decide.
		{ws, evil, http.StatusForbidden},
		{ws, shop, http.StatusSwitchingProtocols},
		{ws + "&channel_id=abc", shop, http.StatusBadRequest},
	} {
		if got := dialStatus(t, srv, tc.path, tc.origin); got != tc.want {
			t.Errorf(`socket %s from %q: %d, want %d`, tc.path, tc.origin, got, tc.want)
		}
	}
}

// TestSignedIdentity: the admin API manages the allowed domains and the
// identity settings (never showing the secret but once), the visitor API
// verifies signatures, and operators see verified visitors as such.
func TestSignedIdentity(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	op := srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	at, ot := token(t, srv, admin), token(t, srv, op)
	srv.Livechat.Presence.Connect(admin.ID)
	ch := defaultChannel(t, srv)
	base := "/api/v1/channels/" + itoa(ch.ID)

	code, _, body := call(t, srv, "GET", base, at, "")
	c := body["channel"].(map[string]any)
	if code != 200 || fmt.Sprint(c["allowed_domains"]) != "[]" || c["identity_enforce"] != false || c["has_identity_secret"] != false {
		t.Fatalf(`new channel: %d %v`, code, c)
	}
	// Enforcing needs a secret first.
	code, _, body = call(t, srv, "PATCH", base, at, `{"identity_enforce":true}`)
	if code != 422 || body["field"] != "identity_enforce" {
		t.Fatalf(`enforce without a secret: %d %v`, code, body)
	}
	if code, _, _ = call(t, srv, "POST", base+"/identity_secret", ot, ""); code != 403 {
		t.Errorf(`operator regenerating the secret: %d`, code)
	}
	code, _, body = call(t, srv, "POST", base+"/identity_secret", at, "")
	secret, _ := body["identity_secret"].(string)
	if code != 200 || len(secret) != 64 {
		t.Fatalf(`regenerate: %d %v`, code, body)
	}
	code, _, body = call(t, srv, "PATCH", base, at, `{"allowed_domains":["https://Shop.Example.com/cart","*.acme.test","shop.example.com:8443"],"identity_enforce":true}`)
	c = body["channel"].(map[string]any)
	if code != 200 || fmt.Sprint(c["allowed_domains"]) != "[shop.example.com *.acme.test]" || c["identity_enforce"] != true || c["has_identity_secret"] != true {
		t.Fatalf(`patch: %d %v`, code, body)
	}
	code, _, body = call(t, srv, "PATCH", base, at, `{"allowed_domains":["shop.example.com","not a domain"]}`)
	if code != 422 || body["field"] != "allowed_domains" || !strings.Contains(body["error"].(string), `"not a domain"`) {
		t.Fatalf(`invalid domain: %d %v`, code, body)
	}
	for _, path := range []string{base, "/api/v1/channels"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+at)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(b), secret) {
			t.Errorf(`GET %s shows the identity secret`, path)
		}
	}

	// The visitor API: enforce mode refuses unsigned and wrongly signed
	// chats, with a message the widget shows.
	start := func(extra string) (int, map[string]any) {
		t.Helper()
		code, _, body := fromPage(t, srv, "https://shop.example.com", "POST", "/im_livechat/sessions", "",
			`{"channel_id":`+itoa(ch.ID)+`,"url":"https://shop.example.com/account","visitor_name":"Grace Hopper"`+extra+`}`)
		return code, body
	}
	code, body = start("")
	if code != 403 || body["code"] != "identity_required" || !strings.Contains(body["error"].(string), "signed-in") {
		t.Fatalf(`unsigned start in enforce mode: %d %v`, code, body)
	}
	code, body = start(`,"visitor_external_id":"u-1815","visitor_signature":"` + livechat.IdentitySignature("not the secret", "u-1815") + `"`)
	if code != 403 || body["code"] != "identity_invalid" || !strings.Contains(body["error"].(string), "signature") {
		t.Fatalf(`wrong signature: %d %v`, code, body)
	}
	code, body = start(`,"visitor_external_id":"u-1815","visitor_signature":"` + livechat.IdentitySignature(secret, "u-1815") + `"`)
	if code != 201 {
		t.Fatalf(`signed start: %d %v`, code, body)
	}
	sid := body["session"].(map[string]any)["id"].(string)

	// Operators see the visitor verified, with the site's user id.
	code, _, body = call(t, srv, "GET", "/api/v1/sessions/"+sid, at, "")
	v := body["session"].(map[string]any)["visitor"].(map[string]any)
	if code != 200 || v["verified"] != true || v["external_id"] != "u-1815" {
		t.Fatalf(`operator API visitor: %d %v`, code, v)
	}
	x, err := srv.Store.SessionByPublicID(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	web := srv.NewClient(t)
	web.Login("ada@example.com")
	verifiedBadge := regexp.MustCompile(`<span class="badge badge-ok"[^>]*>Verified</span>`)
	for _, page := range []string{"/admin/sessions/" + sid, fmt.Sprintf("/admin/visitors/%d", x.VisitorID), "/admin/conversations?session=" + sid} {
		res, b := web.Get(page)
		expect(t, page, res, b, http.StatusOK, "u-1815")
		if !verifiedBadge.MatchString(b) {
			t.Errorf(`%s shows no Verified badge`, page)
		}
	}
}

// TestChannelFormEmbed: the Widget tab edits the allowed domains and the
// identity settings; only administrators see the secret.
func TestChannelFormEmbed(t *testing.T) {
	s, c, _, ch := channelsSetup(t)
	path := fmt.Sprintf("/admin/channels/%d", ch.ID)

	res, body := c.Get(path + "?tab=widget")
	expect(t, "widget tab", res, body, http.StatusOK, `name="allowed_domains" form="channel-form"`, `name="identity_enforce"`,
		"Generate a secret", `name="embed" value="1" form="channel-form"`, "openssl dgst -sha256 -hmac", "hash_hmac(", "createHmac(")

	form := optionsForm(ch)
	form.Set("tab", "widget")
	form.Set("embed", "1")
	form.Set("allowed_domains", "https://shop.example.com/\r\nbad domain!\r\n")
	res, body = c.PostForm(path, form)
	expect(t, "invalid domain", res, body, http.StatusUnprocessableEntity, html.EscapeString(`"bad domain!" is not a domain`), ">https://shop.example.com/\nbad domain!\n</textarea>")
	if !regexp.MustCompile(`id="tab-widget" role="tabpanel"\s*>`).MatchString(body) {
		t.Errorf(`the Widget tab is not the visible one after a domain error`)
	}
	form.Set("identity_enforce", "1")
	form.Set("allowed_domains", "https://shop.example.com/\r\n\r\n*.Acme.test")
	res, body = c.PostForm(path, form)
	expect(t, "enforce without a secret", res, body, http.StatusUnprocessableEntity, "Generate the identity secret before")

	res, body = hx(t, c, http.MethodPost, path+"/identity_secret", nil)
	expect(t, "generate", res, body, http.StatusOK, `id="identity-secret"`, "Regenerate")
	got, _ := s.Store.Channel(context.Background(), ch.ID)
	if len(got.IdentitySecret) != 64 || !strings.Contains(body, got.IdentitySecret) || !strings.Contains(body, livechat.IdentitySignature(got.IdentitySecret, "42")) {
		t.Fatalf(`generated secret %q not shown with its example signature: %s`, got.IdentitySecret, body)
	}
	res, _ = c.PostForm(path, form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?tab=widget" {
		t.Fatalf(`save: %d %s`, res.StatusCode, res.Header.Get("Location"))
	}
	saved, _ := s.Store.Channel(context.Background(), ch.ID)
	if strings.Join(saved.AllowedDomains, " ") != "shop.example.com *.acme.test" || !saved.IdentityEnforce || saved.IdentitySecret != got.IdentitySecret {
		t.Fatalf(`saved: %q enforce=%v secret kept=%v`, saved.AllowedDomains, saved.IdentityEnforce, saved.IdentitySecret == got.IdentitySecret)
	}
	res, body = c.Get(path + "?tab=widget")
	expect(t, "after save", res, body, http.StatusOK, "shop.example.com\n*.acme.test</textarea>", got.IdentitySecret)

	// The Options tab's own form (no embed marker) leaves them alone.
	res, _ = c.PostForm(path, optionsForm(saved))
	if after, _ := s.Store.Channel(context.Background(), ch.ID); res.StatusCode != http.StatusSeeOther || len(after.AllowedDomains) != 2 || !after.IdentityEnforce {
		t.Fatalf(`options save changed the widget settings: %d %+v`, res.StatusCode, after)
	}

	// Operators see the allowed domains, never the secret, and cannot regenerate it.
	oc, _ := s.LoggedIn(t, "olga@example.com", model.RoleOperator)
	res, body = oc.Get(path + "?tab=widget")
	expect(t, "operator's widget tab", res, body, http.StatusOK, "*.acme.test")
	if strings.Contains(body, got.IdentitySecret) || strings.Contains(body, "identity_secret") {
		t.Errorf(`an operator sees the identity secret`)
	}
	res, _ = hx(t, oc, http.MethodPost, path+"/identity_secret", nil)
	expect(t, "operator regenerate", res, "", http.StatusForbidden)
}

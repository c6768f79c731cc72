package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/auth"
	"parley/app/config"
	"parley/app/model"
)

var bg = context.Background()

func wantStatus(t *testing.T, what string, res *http.Response, body string, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf(`%s: status %d, want %d; body: %.600s`, what, res.StatusCode, want, body)
	}
}

func wantBody(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf(`%s: body lacks %q; body: %.1500s`, what, w, body)
		}
	}
}

// formBody encodes v for Client.Do.
func formBody(v url.Values) (io.Reader, map[string]string) {
	return strings.NewReader(v.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
}

// postNoCSRF posts a form with the client's cookies but without adding the
// CSRF token, as a forged cross-site form would.
func postNoCSRF(t *testing.T, s *apptest.Server, c *apptest.Client, path string, v url.Values, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, h := range headers {
		req.Header.Set(k, h)
	}
	res, err := c.Client.Do(req)
	if err != nil {
		t.Fatalf(`POST %s: %v`, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// bearer sends a request to the JSON API with an optional token and
// optional extra cookies.
func bearer(t *testing.T, s *apptest.Server, method, path, token string, cookies ...*http.Cookie) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf(`%s %s: %v`, method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf(`%s %s: status %d, body is not JSON: %.300s`, method, path, res.StatusCode, b)
	}
	return res, out
}

func sessionCookie(t *testing.T, s *apptest.Server, c *apptest.Client) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(s.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "parley_session" && ck.Value != "" {
			return ck
		}
	}
	t.Fatalf(`the client has no session cookie`)
	return nil
}

func userByEmail(t *testing.T, s *apptest.Server, email string) *model.User {
	t.Helper()
	u, err := s.Store.UserByEmail(bg, email)
	if err != nil {
		t.Fatalf(`user %s: %v`, email, err)
	}
	return u
}

func TestLoginPage(t *testing.T) {
	s := apptest.NewServer(t)
	s.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	c := s.NewClient(t)
	res, body := c.Get("/login")
	wantStatus(t, "GET /login", res, body, http.StatusOK)
	wantBody(t, "login page", body, `action="/login"`, `name="email"`, `name="password"`, `name="_csrf"`)
	if c.CSRF == "" {
		t.Fatalf(`the login page carries no CSRF token`)
	}
	if strings.Contains(body, "no administrator yet") {
		t.Fatalf(`the login page says there is no administrator while there is one`)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf(`Content-Type = %q, want text/html`, ct)
	}
}

func TestLoginFailures(t *testing.T) {
	s := apptest.NewServer(t)
	s.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	c := s.NewClient(t)
	c.Get("/login")

	var messages []string
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		res, body := c.PostForm("/login", url.Values{"email": {email}, "password": {"wrong password"}})
		wantStatus(t, "wrong login "+email, res, body, http.StatusUnauthorized)
		wantBody(t, "wrong login "+email, body, "Wrong email or password.", `value="`+email+`"`)
		for _, ck := range res.Cookies() {
			if ck.Name == "parley_session" && ck.Value != "" {
				t.Fatalf(`a failed login set a session cookie`)
			}
		}
		m := regexp.MustCompile(`data-error-message>([^<]*)<`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf(`no error message element in the page`)
		}
		messages = append(messages, m[1])
	}
	if messages[0] != messages[1] {
		t.Fatalf(`wrong password and unknown email show different messages: %q / %q`, messages[0], messages[1])
	}

	// Four more failures make five for ada: now even the right password waits.
	for range 4 {
		c.PostForm("/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong password"}})
	}
	res, body := c.PostForm("/login", url.Values{"email": {"ada@example.com"}, "password": {apptest.Password}})
	wantStatus(t, "throttled login", res, body, http.StatusTooManyRequests)
	wantBody(t, "throttled login", body, "Too many failed login attempts.")
	ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || ra <= 0 || ra > 15*60+1 {
		t.Fatalf(`Retry-After = %q, want seconds within the 15-minute window`, res.Header.Get("Retry-After"))
	}
}

func TestLoginToDashboard(t *testing.T) {
	s := apptest.NewServer(t)
	s.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)

	tests := []struct {
		next, want string
	}{
		{"", "/admin"},
		{"/admin/profile", "/admin/profile"},
		{"//evil.example/phish", "/admin"},
		{"https://evil.example/", "/admin"},
		{`/\evil.example`, "/admin"},
	}
	for _, tt := range tests {
		c := s.NewClient(t)
		c.Get("/login")
		res, body := c.PostForm("/login", url.Values{"email": {"ADA@example.com"}, "password": {apptest.Password}, "next": {tt.next}})
		wantStatus(t, "login next="+tt.next, res, body, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != tt.want {
			t.Errorf(`login with next=%q redirects to %q, want %q`, tt.next, loc, tt.want)
		}
		var session *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == "parley_session" {
				session = ck
			}
		}
		if session == nil || session.Value == "" || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Fatalf(`session cookie = %+v; want an HttpOnly, SameSite=Lax cookie`, session)
		}
		res, body = c.Get("/admin")
		wantStatus(t, "dashboard", res, body, http.StatusOK)
		wantBody(t, "dashboard", body, "Welcome, Ada Lovelace")
	}
}

func TestCSRF(t *testing.T) {
	s := apptest.NewServer(t)
	c, u := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	form := url.Values{"name": {"Changed"}, "chat_name": {""}, "email": {"ada@example.com"}}

	nameIs := func(what, want string) {
		t.Helper()
		if got := userByEmail(t, s, "ada@example.com").Name; got != want {
			t.Fatalf(`%s: name = %q, want %q`, what, got, want)
		}
	}
	withToken := func(tok string) url.Values {
		v := url.Values{}
		for k, vs := range form {
			v[k] = vs
		}
		v.Set("_csrf", tok)
		return v
	}
	refused := []struct {
		name    string
		form    url.Values
		headers map[string]string
		msg     string
	}{
		{"no token", form, nil, "Reload the page"},
		{"wrong token", withToken("wrong"), nil, "Reload the page"},
		{"another valid-looking token", withToken(auth.RandomToken()), nil, "Reload the page"},
		{"wrong header", form, map[string]string{"X-CSRF-Token": auth.RandomToken()}, "Reload the page"},
		{"cross-site with the right token", withToken(c.CSRF), map[string]string{"Sec-Fetch-Site": "cross-site"}, "came from another site"},
	}
	for _, tt := range refused {
		res, body := postNoCSRF(t, s, c, "/admin/profile", tt.form, tt.headers)
		wantStatus(t, tt.name, res, body, http.StatusForbidden)
		wantBody(t, tt.name, body, tt.msg)
		nameIs(tt.name, u.Name)
	}

	// The page's token in the X-CSRF-Token header, as htmx sends it.
	r, h := formBody(form)
	h["HX-Request"] = "true"
	h["Sec-Fetch-Site"] = "same-origin"
	res, body := c.Do(http.MethodPost, "/admin/profile", r, h)
	if res.StatusCode >= 400 {
		t.Fatalf(`htmx POST with the header token: status %d: %.300s`, res.StatusCode, body)
	}
	nameIs("htmx POST", "Changed")

	// And the form field, as a plain form sends it.
	form.Set("name", "Changed again")
	res, body = c.PostForm("/admin/profile", form)
	wantStatus(t, "form POST", res, body, http.StatusSeeOther)
	nameIs("form POST", "Changed again")
}

func TestLogout(t *testing.T) {
	s := apptest.NewServer(t)
	c, _ := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	old := sessionCookie(t, s, c)

	res, body := c.PostForm("/logout", nil)
	wantStatus(t, "logout", res, body, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/login" {
		t.Fatalf(`logout redirects to %q, want /login`, loc)
	}
	res, body = c.Get("/admin")
	wantStatus(t, "/admin after logout", res, body, http.StatusSeeOther)

	// The old cookie, replayed, no longer opens a session.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/admin", nil)
	req.AddCookie(&http.Cookie{Name: old.Name, Value: old.Value})
	res, err := s.NewClient(t).Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf(`replayed cookie: status %d to %q, want 303 to the login page`, res.StatusCode, res.Header.Get("Location"))
	}
	if _, _, err := s.Auth.Authenticate(bg, old.Value); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`the session survived logout: %v`, err)
	}
}

func TestAnonymousAdmin(t *testing.T) {
	s := apptest.NewServer(t)
	c := s.NewClient(t)
	res, body := c.Get("/admin")
	wantStatus(t, "anonymous /admin", res, body, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/login?next=%2Fadmin" {
		t.Fatalf(`Location = %q, want /login?next=%%2Fadmin`, loc)
	}

	res, body = c.Do(http.MethodGet, "/admin", nil, map[string]string{"HX-Request": "true"})
	if res.StatusCode < 400 {
		t.Fatalf(`anonymous htmx request: status %d, want an error status`, res.StatusCode)
	}
	if hx := res.Header.Get("HX-Redirect"); hx != "/login?next=%2Fadmin" {
		t.Fatalf(`HX-Redirect = %q, want /login?next=%%2Fadmin`, hx)
	}

	// A form posted after the session ended gets a page, not a redirect
	// that would lose the POST silently.
	c.Get("/login")
	res, body = c.PostForm("/admin/profile", url.Values{"name": {"x"}})
	wantStatus(t, "anonymous POST", res, body, http.StatusUnauthorized)
	wantBody(t, "anonymous POST", body, "log in again")
}

func TestRoles(t *testing.T) {
	s := apptest.NewServer(t)
	admin, adminUser := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	op, opUser := s.LoggedIn(t, "olga@example.com", model.RoleOperator)

	res, body := op.Get("/admin/config/users")
	wantStatus(t, "operator on users", res, body, http.StatusForbidden)
	wantBody(t, "operator on users", body, "<html", "Only administrators can do this.")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf(`403 Content-Type = %q, want text/html`, ct)
	}
	res, body = op.Get("/admin")
	wantStatus(t, "operator dashboard", res, body, http.StatusOK)
	if strings.Contains(body, `href="/admin/config/users"`) {
		t.Fatalf(`an operator's navigation links to the configuration`)
	}
	res, body = op.PostForm("/admin/config/users", url.Values{"email": {"evil@example.com"}, "name": {"Evil"}, "role": {"admin"}, "password": {"long enough pw"}})
	wantStatus(t, "operator creates a user", res, body, http.StatusForbidden)
	if _, err := s.Store.UserByEmail(bg, "evil@example.com"); err == nil {
		t.Fatalf(`an operator created a user`)
	}

	res, body = admin.Get("/admin/config/users")
	wantStatus(t, "admin on users", res, body, http.StatusOK)
	wantBody(t, "admin on users", body, "olga@example.com", "ada@example.com")

	// The same rule on the JSON API.
	opToken, _, err := s.Auth.CreateAPIToken(bg, opUser.ID, "op")
	if err != nil {
		t.Fatal(err)
	}
	adminToken, _, err := s.Auth.CreateAPIToken(bg, adminUser.ID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	res, js := bearer(t, s, http.MethodGet, "/api/v1/channels", opToken)
	if res.StatusCode != http.StatusForbidden || js["code"] != "forbidden" {
		t.Fatalf(`operator token on an admin API route: %d %v, want 403 forbidden`, res.StatusCode, js)
	}
	if res, js := bearer(t, s, http.MethodGet, "/api/v1/channels", adminToken); res.StatusCode != http.StatusOK {
		t.Fatalf(`admin token on an admin API route: %d %v`, res.StatusCode, js)
	}
}

func TestFirstRunSetup(t *testing.T) {
	s := apptest.NewServer(t)
	c := s.NewClient(t)
	res, body := c.Get("/login")
	wantStatus(t, "login without admin", res, body, http.StatusOK)
	wantBody(t, "login without admin", body, "Parley has no administrator yet")

	for _, q := range []string{"", "?token=", "?token=wrong"} {
		res, body = c.Get("/setup" + q)
		wantStatus(t, "setup"+q, res, body, http.StatusForbidden)
		wantBody(t, "setup"+q, body, "This setup link is invalid")
	}

	token := s.Auth.SetupToken()
	res, body = c.Get("/setup?token=" + url.QueryEscape(token))
	wantStatus(t, "setup form", res, body, http.StatusOK)
	wantBody(t, "setup form", body, `action="/setup"`, `name="token" value="`+token+`"`)

	form := url.Values{"token": {token}, "name": {"Grace Hopper"}, "email": {"grace@example.com"}, "password": {"a long password"}, "password_confirm": {"another password"}}
	res, body = c.PostForm("/setup", form)
	wantStatus(t, "setup with mismatched passwords", res, body, http.StatusUnprocessableEntity)
	wantBody(t, "setup with mismatched passwords", body, "The passwords do not match.", `value="grace@example.com"`)

	form.Set("password_confirm", "a long password")
	res, body = c.PostForm("/setup", form)
	wantStatus(t, "setup", res, body, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/admin" {
		t.Fatalf(`setup redirects to %q, want /admin`, loc)
	}
	res, body = c.Get("/admin")
	wantStatus(t, "dashboard after setup", res, body, http.StatusOK)
	wantBody(t, "dashboard after setup", body, "Welcome, Grace Hopper", "Welcome to Parley!")

	grace := userByEmail(t, s, "grace@example.com")
	if grace.Role != model.RoleAdmin {
		t.Fatalf(`setup created a %q, want an admin`, grace.Role)
	}
	channels, err := s.Store.Channels(bg)
	if err != nil || len(channels) != 1 {
		t.Fatalf(`channels = %v, %v; want the default channel`, channels, err)
	}
	ops, err := s.Store.ChannelOperatorIDs(bg, channels[0].ID)
	if err != nil || !slices.Contains(ops, grace.ID) {
		t.Fatalf(`default channel operators = %v, %v; want the new admin %d`, ops, err, grace.ID)
	}

	// The link works once.
	other := s.NewClient(t)
	res, body = other.Get("/login")
	if strings.Contains(body, "no administrator yet") {
		t.Fatalf(`the login page still says there is no administrator`)
	}
	res, body = other.Get("/setup?token=" + url.QueryEscape(token))
	if res.StatusCode == http.StatusOK {
		t.Fatalf(`the used setup link still shows the form`)
	}
	form.Set("email", "mallory@example.com")
	res, body = other.PostForm("/setup", form)
	wantStatus(t, "second setup", res, body, http.StatusForbidden)
	if _, err := s.Store.UserByEmail(bg, "mallory@example.com"); err == nil {
		t.Fatalf(`the used setup token created another user`)
	}
}

func TestNotFound(t *testing.T) {
	s := apptest.NewServer(t)
	u := s.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	tok, _, err := s.Auth.CreateAPIToken(bg, u.ID, "t")
	if err != nil {
		t.Fatal(err)
	}
	c := s.NewClient(t)
	res, body := c.Get("/no/such/page")
	wantStatus(t, "unknown page", res, body, http.StatusNotFound)
	wantBody(t, "unknown page", body, "<html", "This page does not exist.")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf(`404 page Content-Type = %q, want text/html`, ct)
	}

	for _, path := range []string{"/api/nope", "/api/v1/nope"} {
		res, js := bearer(t, s, http.MethodGet, path, tok)
		if res.StatusCode != http.StatusNotFound || js["code"] != "not_found" || js["error"] == "" || js["error"] == nil {
			t.Fatalf(`GET %s = %d %v, want 404 {"error", "code":"not_found"}`, path, res.StatusCode, js)
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	s := apptest.NewServer(t)
	s.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	c := s.NewClient(t)
	c.Get("/login")
	big := url.Values{"email": {"ada@example.com"}, "password": {apptest.Password}, "pad": {strings.Repeat("a", 1<<20+1)}}
	res, body := c.PostForm("/login", big)
	wantStatus(t, "oversized POST", res, body, http.StatusRequestEntityTooLarge)
	for _, ck := range res.Cookies() {
		if ck.Name == "parley_session" && ck.Value != "" {
			t.Fatalf(`an oversized login was processed`)
		}
	}
	// Just under the limit is fine.
	ok := url.Values{"email": {"ada@example.com"}, "password": {apptest.Password}, "pad": {strings.Repeat("a", 1<<19)}}
	res, body = c.PostForm("/login", ok)
	wantStatus(t, "large but allowed POST", res, body, http.StatusSeeOther)
}

func TestSecurityHeaders(t *testing.T) {
	s := apptest.NewServer(t)
	c, _ := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	for _, path := range []string{"/admin", "/admin/profile", "/admin/config/users", "/no/such/page"} {
		res, body := c.Get(path)
		if res.StatusCode >= 500 {
			t.Fatalf(`GET %s: %d %.300s`, path, res.StatusCode, body)
		}
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		var scriptSrc string
		for _, d := range strings.Split(csp, ";") {
			if d = strings.TrimSpace(d); strings.HasPrefix(d, "script-src ") {
				scriptSrc = d
			}
		}
		if scriptSrc != "script-src 'self'" {
			t.Errorf(`%s: CSP script-src = %q (CSP %q), want exactly script-src 'self'`, path, scriptSrc, csp)
		}
		if !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf(`%s: CSP %q lacks frame-ancestors 'none'`, path, csp)
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "strict-origin-when-cross-origin",
		} {
			if got := h.Get(k); got != want {
				t.Errorf(`%s: %s = %q, want %q`, path, k, got, want)
			}
		}
	}
	res, _ := c.Get("/admin")
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf(`admin page Cache-Control = %q, want no-store`, cc)
	}
}

func TestHealthz(t *testing.T) {
	s := apptest.NewServer(t)
	res, js := bearer(t, s, http.MethodGet, "/healthz", "")
	if res.StatusCode != http.StatusOK || js["status"] != "ok" || js["version"] == "" || js["version"] == nil {
		t.Fatalf(`/healthz = %d %v, want 200 {"status":"ok","version":…}`, res.StatusCode, js)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf(`/healthz Content-Type = %q`, ct)
	}
	head, err := http.Head(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != http.StatusOK {
		t.Fatalf(`HEAD /healthz = %d`, head.StatusCode)
	}
}

func TestStaticAssets(t *testing.T) {
	s := apptest.NewServer(t)
	c := s.NewClient(t)
	_, page := c.Get("/login")
	m := regexp.MustCompile(`/static/([0-9a-f]+)/css/admin\.css`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf(`the page links no hashed admin.css: %.800s`, page)
	}
	get := func(path string) *http.Response {
		t.Helper()
		res, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}

	res := get(m[0])
	if res.StatusCode != http.StatusOK {
		t.Fatalf(`GET %s = %d`, m[0], res.StatusCode)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=") {
		t.Fatalf(`current hash Cache-Control = %q, want a long immutable cache`, cc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Fatalf(`admin.css Content-Type = %q`, ct)
	}

	wrong := "0000000000"
	if wrong == m[1] {
		wrong = "1111111111"
	}
	res = get("/static/" + wrong + "/css/admin.css")
	if res.StatusCode != http.StatusOK {
		t.Fatalf(`old hash = %d, want the file still served`, res.StatusCode)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Fatalf(`old hash Cache-Control = %q, want no-cache`, cc)
	}

	for _, path := range []string{"/static/" + m[1] + "/css/missing.css", "/static/x/..%2f..%2ftemplates/layout/base.html", "/static/x/"} {
		if res := get(path); res.StatusCode != http.StatusNotFound {
			t.Errorf(`GET %s = %d, want 404`, path, res.StatusCode)
		}
	}
}

func TestAPIAuth(t *testing.T) {
	s := apptest.NewServer(t)
	c, u := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	tok, _, err := s.Auth.CreateAPIToken(bg, u.ID, "integration")
	if err != nil {
		t.Fatal(err)
	}
	res, js := bearer(t, s, http.MethodGet, "/api/v1/me", tok)
	if res.StatusCode != http.StatusOK {
		t.Fatalf(`/api/v1/me with a token = %d %v`, res.StatusCode, js)
	}
	me, _ := js["user"].(map[string]any)
	if me["email"] != "ada@example.com" || me["role"] != "admin" {
		t.Fatalf(`/api/v1/me user = %v`, js)
	}
	if _, leaked := me["password_hash"]; leaked {
		t.Fatalf(`/api/v1/me shows the password hash`)
	}

	tests := []struct {
		name, token, code string
	}{
		{"no token", "", "unauthorized"},
		{"unknown token", auth.TokenPrefix + auth.RandomToken(), "invalid_token"},
		{"token without prefix", strings.TrimPrefix(tok, auth.TokenPrefix), "invalid_token"},
	}
	for _, tt := range tests {
		res, js := bearer(t, s, http.MethodGet, "/api/v1/me", tt.token)
		if res.StatusCode != http.StatusUnauthorized || js["code"] != tt.code || js["error"] == nil {
			t.Errorf(`%s: %d %v, want 401 with code %q`, tt.name, res.StatusCode, js, tt.code)
		}
		if res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf(`%s: no WWW-Authenticate header`, tt.name)
		}
	}
	// A browser session is no credential for the API (no CSRF there).
	if res, js := bearer(t, s, http.MethodGet, "/api/v1/me", "", sessionCookie(t, s, c)); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf(`session cookie on the API = %d %v, want 401`, res.StatusCode, js)
	}
}

func TestProfile(t *testing.T) {
	s := apptest.NewServer(t)
	c, u := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	s.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	c.Get("/admin/profile")

	res, body := c.PostForm("/admin/profile", url.Values{"name": {" Ada Lovelace "}, "chat_name": {"Ada"}, "email": {"Ada.L@Example.com"}})
	wantStatus(t, "save profile", res, body, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/admin/profile" {
		t.Fatalf(`save redirects to %q`, loc)
	}
	res, body = c.Get("/admin/profile")
	wantBody(t, "profile after save", body, "Your profile was saved.", `value="Ada Lovelace"`, `value="Ada"`)
	got, err := s.Store.User(bg, u.ID)
	if err != nil || got.Name != "Ada Lovelace" || got.ChatName != "Ada" || got.Email != "ada.l@example.com" {
		t.Fatalf(`saved user = %+v, %v`, got, err)
	}

	invalid := []struct {
		name string
		form url.Values
		msg  string
	}{
		{"bad email", url.Values{"name": {"Ada"}, "email": {"not-an-email"}}, "Enter a valid email address."},
		{"taken email", url.Values{"name": {"Ada"}, "email": {"OLGA@example.com"}}, "A user with this email already exists."},
		{"empty name", url.Values{"name": {"  "}, "email": {"ada.l@example.com"}}, "The name is required."},
	}
	for _, tt := range invalid {
		res, body := c.PostForm("/admin/profile", tt.form)
		wantStatus(t, tt.name, res, body, http.StatusUnprocessableEntity)
		wantBody(t, tt.name, body, tt.msg)
		if got, _ := s.Store.User(bg, u.ID); got.Email != "ada.l@example.com" || got.Name != "Ada Lovelace" {
			t.Fatalf(`%s: the profile changed to %+v`, tt.name, got)
		}
	}

	// Password: refused changes keep the old one; a change signs other
	// browsers out but keeps this one.
	other := s.NewClient(t)
	other.Login("ada.l@example.com")
	pwTests := []struct {
		name string
		form url.Values
		msg  string
	}{
		{"wrong current", url.Values{"current_password": {"not it at all"}, "new_password": {"a new password"}, "new_password_confirm": {"a new password"}}, "The current password is wrong."},
		{"mismatch", url.Values{"current_password": {apptest.Password}, "new_password": {"a new password"}, "new_password_confirm": {"another one"}}, "The passwords do not match."},
		{"short", url.Values{"current_password": {apptest.Password}, "new_password": {"short"}, "new_password_confirm": {"short"}}, "at least 10 characters"},
	}
	for _, tt := range pwTests {
		res, body := c.PostForm("/admin/profile/password", tt.form)
		wantStatus(t, tt.name, res, body, http.StatusUnprocessableEntity)
		wantBody(t, tt.name, body, tt.msg)
	}
	if res, _ := other.Get("/admin"); res.StatusCode != http.StatusOK {
		t.Fatalf(`a refused password change signed the other browser out: %d`, res.StatusCode)
	}
	res, body = c.PostForm("/admin/profile/password", url.Values{"current_password": {apptest.Password}, "new_password": {"a new password"}, "new_password_confirm": {"a new password"}})
	wantStatus(t, "change password", res, body, http.StatusSeeOther)
	if res, _ := c.Get("/admin"); res.StatusCode != http.StatusOK {
		t.Fatalf(`the password change signed this browser out: %d`, res.StatusCode)
	}
	if res, _ := other.Get("/admin"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`the other browser is still signed in after a password change: %d`, res.StatusCode)
	}
	if _, _, err := s.Auth.Login(bg, "ada.l@example.com", "a new password", "192.0.2.1", ""); err != nil {
		t.Fatalf(`login with the new password: %v`, err)
	}
}

func TestProfileTokens(t *testing.T) {
	s := apptest.NewServer(t)
	c, _ := s.LoggedIn(t, "ada@example.com", model.RoleOperator)
	c.Get("/admin/profile")
	r, h := formBody(url.Values{"name": {"CRM bot"}})
	h["HX-Request"] = "true"
	res, frag := c.Do(http.MethodPost, "/admin/profile/tokens", r, h)
	wantStatus(t, "create token", res, frag, http.StatusOK)
	if strings.Contains(frag, "<html") {
		t.Fatalf(`the htmx answer is a full page, want the token list fragment`)
	}
	m := regexp.MustCompile(`id="new-token">(parley_[A-Za-z0-9_-]+)<`).FindStringSubmatch(frag)
	if m == nil {
		t.Fatalf(`the fragment shows no new token: %s`, frag)
	}
	plain := m[1]
	wantBody(t, "token fragment", frag, "CRM bot", "shown only once")

	if res, js := bearer(t, s, http.MethodGet, "/api/v1/me", plain); res.StatusCode != http.StatusOK {
		t.Fatalf(`the new token does not authenticate: %d %v`, res.StatusCode, js)
	}

	_, page := c.Get("/admin/profile")
	if strings.Contains(page, plain) {
		t.Fatalf(`the profile page shows the whole token again`)
	}
	wantBody(t, "profile token list", page, "CRM bot", "…"+plain[len(plain)-4:])

	id := regexp.MustCompile(`hx-delete="/admin/profile/tokens/(\d+)"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf(`no revoke button in the token list`)
	}
	res, frag = c.Do(http.MethodDelete, "/admin/profile/tokens/"+id[1], nil, map[string]string{"HX-Request": "true"})
	wantStatus(t, "revoke", res, frag, http.StatusOK)
	wantBody(t, "after revoke", frag, "No API token yet.")
	if res, js := bearer(t, s, http.MethodGet, "/api/v1/me", plain); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf(`a revoked token still authenticates: %d %v`, res.StatusCode, js)
	}
}

func TestUsersAdmin(t *testing.T) {
	s := apptest.NewServer(t)
	c, ada := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	res, body := c.Get("/admin/config/users/new")
	wantStatus(t, "new user form", res, body, http.StatusOK)

	res, body = c.PostForm("/admin/config/users", url.Values{"name": {"Olga"}, "email": {"olga@example.com"}, "role": {"operator"}, "password": {"long enough pw"}})
	wantStatus(t, "create operator", res, body, http.StatusSeeOther)
	olga := userByEmail(t, s, "olga@example.com")
	if olga.Role != model.RoleOperator || olga.Name != "Olga" {
		t.Fatalf(`created user = %+v`, olga)
	}
	_, body = c.Get("/admin/config/users")
	wantBody(t, "user list", body, "User Olga was created.", "olga@example.com")

	invalid := []struct {
		name string
		form url.Values
		msg  string
	}{
		{"duplicate email", url.Values{"name": {"Olga 2"}, "email": {"OLGA@example.com"}, "role": {"operator"}, "password": {"long enough pw"}}, "A user with this email already exists."},
		{"bad role", url.Values{"name": {"X"}, "email": {"x@example.com"}, "role": {"root"}, "password": {"long enough pw"}}, "The role must be admin or operator."},
		{"short password", url.Values{"name": {"X"}, "email": {"x@example.com"}, "role": {"operator"}, "password": {"short"}}, "at least 10 characters"},
	}
	for _, tt := range invalid {
		res, body := c.PostForm("/admin/config/users", tt.form)
		wantStatus(t, tt.name, res, body, http.StatusUnprocessableEntity)
		wantBody(t, tt.name, body, tt.msg)
	}
	if users, _ := s.Store.Users(bg, "", 0); len(users) != 2 {
		t.Fatalf(`invalid forms created users: %d users, want 2`, len(users))
	}

	adaPath := fmt.Sprintf("/admin/config/users/%d", ada.ID)
	demote := url.Values{"name": {"ada"}, "email": {"ada@example.com"}, "role": {"operator"}}
	res, body = c.PostForm(adaPath, demote)
	wantStatus(t, "demote the last admin", res, body, http.StatusUnprocessableEntity)
	wantBody(t, "demote the last admin", body, "This is the last administrator")
	if got := userByEmail(t, s, "ada@example.com"); got.Role != model.RoleAdmin {
		t.Fatalf(`the last admin was demoted`)
	}

	// With a second admin, demoting works and takes effect at once.
	res, body = c.PostForm(fmt.Sprintf("/admin/config/users/%d", olga.ID), url.Values{"name": {"Olga"}, "email": {"olga@example.com"}, "role": {"admin"}})
	wantStatus(t, "promote olga", res, body, http.StatusSeeOther)
	res, body = c.PostForm(adaPath, demote)
	wantStatus(t, "demote ada", res, body, http.StatusSeeOther)
	if res, body := c.Get("/admin/config/users"); res.StatusCode != http.StatusForbidden {
		t.Fatalf(`the demoted admin still reaches the configuration: %d %.200s`, res.StatusCode, body)
	}
}

// loginAttempt posts the login form with an X-Forwarded-For header.
func loginAttempt(t *testing.T, c *apptest.Client, email, password, xff string) int {
	t.Helper()
	r, h := formBody(url.Values{"email": {email}, "password": {password}})
	h["X-Forwarded-For"] = xff
	res, _ := c.Do(http.MethodPost, "/login", r, h)
	return res.StatusCode
}

func TestForwardedForNeedsTrustedProxy(t *testing.T) {
	// Ten failed logins (one per user, so the per-email limit never
	// applies) throttle the client IP. Whose IP that is shows whether
	// X-Forwarded-For was believed.
	setup := func(t *testing.T, opts ...apptest.Option) (*apptest.Server, *apptest.Client) {
		s := apptest.NewServer(t, opts...)
		s.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
		for i := range 10 {
			s.CreateUser(t, fmt.Sprintf("user%d@example.com", i), "User", model.RoleOperator)
		}
		c := s.NewClient(t)
		c.Get("/login")
		return s, c
	}

	t.Run("untrusted peer", func(t *testing.T) {
		_, c := setup(t)
		for i := range 10 {
			if code := loginAttempt(t, c, fmt.Sprintf("user%d@example.com", i), "wrong password", fmt.Sprintf("203.0.113.%d", i+1)); code != http.StatusUnauthorized {
				t.Fatalf(`failure %d: status %d`, i, code)
			}
		}
		// Had the header been believed, every failure came from another
		// address; ignored, they all came from 127.0.0.1.
		if code := loginAttempt(t, c, "ada@example.com", apptest.Password, "198.51.100.7"); code != http.StatusTooManyRequests {
			t.Fatalf(`login after 10 failures with forged X-Forwarded-For: status %d, want 429`, code)
		}
	})

	t.Run("trusted proxy", func(t *testing.T) {
		_, c := setup(t, apptest.WithConfig(func(cfg *config.Config) { cfg.TrustedProxies = []string{"127.0.0.1/32"} }))
		for i := range 10 {
			if code := loginAttempt(t, c, fmt.Sprintf("user%d@example.com", i), "wrong password", "203.0.113.1"); code != http.StatusUnauthorized {
				t.Fatalf(`failure %d: status %d`, i, code)
			}
		}
		if code := loginAttempt(t, c, "ada@example.com", apptest.Password, "203.0.113.2"); code != http.StatusSeeOther {
			t.Fatalf(`login from another client behind the proxy: status %d, want 303`, code)
		}
		if code := loginAttempt(t, c, "ada@example.com", apptest.Password, "203.0.113.1"); code != http.StatusTooManyRequests {
			t.Fatalf(`login from the throttled client behind the proxy: status %d, want 429`, code)
		}
		// The client may prepend anything; only the hop the proxy added counts.
		if code := loginAttempt(t, c, "ada@example.com", apptest.Password, "203.0.113.2, 203.0.113.1"); code != http.StatusTooManyRequests {
			t.Fatalf(`forged leftmost X-Forwarded-For escaped the throttle: status %d, want 429`, code)
		}
	})
}

// TestCSRFBoundToTheSession: a cookie/token pair that works for one login
// session (or one planted by a sibling subdomain) does not work for
// another, and a token from before login stops working after it.
func TestCSRFBoundToTheSession(t *testing.T) {
	s := apptest.NewServer(t)
	ada, _ := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	bo, _ := s.LoggedIn(t, "bo@example.com", model.RoleOperator)
	if ada.CSRF == bo.CSRF || ada.CSRF == "" {
		t.Fatalf("two sessions share a token: %q", ada.CSRF)
	}
	// Bo's browser sends Ada's token: refused.
	res, body := bo.PostForm("/admin/profile", url.Values{"_csrf": {ada.CSRF}, "name": {"X"}, "email": {"bo@example.com"}})
	wantStatus(t, "another session's token", res, body, http.StatusForbidden)

	// A planted anonymous cookie with a token made up for it is refused:
	// the token is an HMAC under a key the attacker does not have.
	anon := s.NewClient(t)
	u, _ := url.Parse(s.URL)
	planted := auth.RandomToken()
	anon.Jar.SetCookies(u, []*http.Cookie{{Name: "parley_csrf", Value: planted, Path: "/"}})
	res, body = anon.PostForm("/login", url.Values{"_csrf": {planted}, "email": {"ada@example.com"}, "password": {apptest.Password}})
	wantStatus(t, "planted cookie and token", res, body, http.StatusForbidden)

	// The anonymous token of the login page does not outlive the login.
	c := s.NewClient(t)
	c.Get("/login")
	before := c.CSRF
	res, body = c.PostForm("/login", url.Values{"email": {"ada@example.com"}, "password": {apptest.Password}})
	wantStatus(t, "login", res, body, http.StatusSeeOther)
	res, body = c.PostForm("/admin/profile", url.Values{"_csrf": {before}, "name": {"X"}, "email": {"ada@example.com"}})
	wantStatus(t, "the login page's token after login", res, body, http.StatusForbidden)
	c.Get("/admin/profile")
	if c.CSRF == before {
		t.Fatal("the token did not change at login")
	}
}

// TestHostPrefixedCookiesOverHTTPS: with an https base URL every cookie is
// __Host- prefixed and Secure.
func TestHostPrefixedCookiesOverHTTPS(t *testing.T) {
	s := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) { c.BaseURL = "https://chat.example.com" }))
	s.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	res, err := http.Get(s.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cks := res.Cookies()
	if len(cks) == 0 {
		t.Fatal("the login page set no cookie")
	}
	for _, ck := range cks {
		if !strings.HasPrefix(ck.Name, "__Host-") || !ck.Secure || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("cookie %+v: want __Host-, Secure, Path=/ and no Domain", ck)
		}
	}
}

// TestHTTPSSiteOverPlainHTTP: with an https base URL reached over plain
// HTTP, the login page says to open the https address, and a login there
// is refused with that advice rather than "the form expired".
func TestHTTPSSiteOverPlainHTTP(t *testing.T) {
	s := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) { c.BaseURL = "https://chat.example.com" }))
	s.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	c := s.NewClient(t)
	_, page := c.Get("/login")
	wantBody(t, "login page over http", page, "data-https-hint", "https://chat.example.com/login")
	// The browser drops the Secure cookie over http: nothing comes back.
	c.Jar, _ = cookiejar.New(nil)
	res, body := c.PostForm("/login", url.Values{"email": {"ada@example.com"}, "password": {apptest.Password}})
	wantStatus(t, "login over http", res, body, http.StatusForbidden)
	wantBody(t, "login over http", body, "open https://chat.example.com/login")

	// Behind a trusted proxy that terminated TLS, no hint.
	p := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) {
		c.BaseURL, c.TrustedProxies = "https://chat.example.com", []string{"127.0.0.1/32"}
	}))
	pc := p.NewClient(t)
	_, page = pc.Do(http.MethodGet, "/login", nil, map[string]string{"X-Forwarded-Proto": "https"})
	if strings.Contains(page, "data-https-hint") {
		t.Fatal("the hint shows behind a TLS-terminating proxy")
	}
}

// TestLoopbackPublicURLHint: an admin browsing from another address while
// the public URL is localhost is told, with the address in use.
func TestLoopbackPublicURLHint(t *testing.T) {
	s := apptest.NewServer(t) // its public URL is http://127.0.0.1:<port>
	c, _ := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	_, page := c.Get("/admin/channels/1?tab=widget")
	if strings.Contains(page, "data-loopback-hint") {
		t.Fatal("the hint shows to a browser on this machine")
	}
	// A browser elsewhere reaches this server as chat.lan:8080.
	base, _ := url.Parse(s.URL)
	asElsewhere := func(cl *apptest.Client, path string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		req.Host = "chat.lan:8080"
		for _, ck := range cl.Jar.Cookies(base) {
			req.AddCookie(ck)
		}
		return req
	}
	res, err := http.DefaultTransport.RoundTrip(asElsewhere(c, "/admin/channels/1?tab=widget"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("from another address: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	wantBody(t, "from another address", string(b), "data-loopback-hint", "You are using http://chat.lan:8080")
	op, _ := s.LoggedIn(t, "bo@example.com", model.RoleOperator)
	res, err = http.DefaultTransport.RoundTrip(asElsewhere(op, "/admin"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the operator's dashboard from another address: %d", res.StatusCode)
	}
	if strings.Contains(string(b), "data-loopback-hint") {
		t.Fatal("operators, who cannot change base_url, see the hint")
	}
}

package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
)

// htmx posts an htmx request without a body.
func htmxPost(c *apptest.Client, path string) (*http.Response, string) {
	return c.Do(http.MethodPost, path, nil, map[string]string{"HX-Request": "true"})
}

// waitClosed waits until the server closes s.
func waitClosed(t *testing.T, s *socket, what string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-s.frames:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf(`%s: the socket is still open`, what)
		}
	}
}

// An admin deactivates someone who left from their page in Configuration
// ▸ Users: signed out everywhere, tokens and sockets gone, login refused
// with a clear message, shown as deactivated; reactivation restores login.
func TestDeactivateUserFromAdmin(t *testing.T) {
	s := apptest.NewServer(t)
	admin, ada := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	olgaC, olga := s.LoggedIn(t, "olga@example.com", model.RoleOperator)
	eveC, _ := s.LoggedIn(t, "eve@example.com", model.RoleOperator)
	ch := defaultChannel(t, s)
	if err := s.Livechat.Join(bg, ch.ID, olga.ID); err != nil {
		t.Fatal(err)
	}
	tok := token(t, s, olga)
	sock := dial(t, s, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + tok}})
	waitOnline(t, s, olga.ID)
	page := fmt.Sprintf("/admin/config/users/%d", olga.ID)

	_, body := admin.Get(page)
	wantBody(t, "user page", body, `hx-post="`+page+`/deactivate"`, "hx-confirm=")

	// Refusals: an operator, oneself, an unknown user.
	res, body := htmxPost(eveC, page+"/deactivate")
	wantStatus(t, "operator deactivating", res, body, http.StatusForbidden)
	res, body = htmxPost(admin, fmt.Sprintf("/admin/config/users/%d/deactivate", ada.ID))
	wantStatus(t, "admin deactivating themself", res, body, http.StatusConflict)
	wantBody(t, "admin deactivating themself", body, "data-error-message", "You cannot deactivate your own account")
	for _, path := range []string{"/admin/config/users/999/deactivate", "/admin/config/users/abc/deactivate", "/admin/config/users/999/reactivate"} {
		res, body := htmxPost(admin, path)
		wantStatus(t, path, res, body, http.StatusNotFound)
	}
	_, body = admin.Get(fmt.Sprintf("/admin/config/users/%d", ada.ID))
	if strings.Contains(body, "/deactivate") {
		t.Fatalf(`the admin's own page offers to deactivate them`)
	}

	res, body = htmxPost(admin, page+"/deactivate")
	wantStatus(t, "deactivate", res, body, http.StatusOK)
	if res.Header.Get("HX-Redirect") != page {
		t.Fatalf(`deactivate redirects to %q, want %q`, res.Header.Get("HX-Redirect"), page)
	}
	waitClosed(t, sock, "deactivated operator's API socket")
	_, body = admin.Get(page)
	wantBody(t, "user page after", body, "olga was deactivated", "data-deactivated", `hx-post="`+page+`/reactivate"`, "A deactivated user has no API token")
	if got := userByEmail(t, s, "olga@example.com"); got.Active {
		t.Fatalf(`olga is still active`)
	}

	// Signed out, token revoked, login refused; a wrong password says only that.
	if res, _ := olgaC.Get("/admin"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`the deactivated user's browser is still signed in: %d`, res.StatusCode)
	}
	if res, js := bearer(t, s, http.MethodGet, "/api/v1/me", tok); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf(`the deactivated user's token still works: %d %v`, res.StatusCode, js)
	}
	login := s.NewClient(t)
	login.Get("/login")
	res, body = login.PostForm("/login", url.Values{"email": {"olga@example.com"}, "password": {apptest.Password}})
	wantStatus(t, "login while deactivated", res, body, http.StatusForbidden)
	wantBody(t, "login while deactivated", body, "This account is deactivated. Ask an administrator to reactivate it.")
	res, body = login.PostForm("/login", url.Values{"email": {"olga@example.com"}, "password": {"not the password"}})
	wantStatus(t, "wrong password while deactivated", res, body, http.StatusUnauthorized)
	wantBody(t, "wrong password while deactivated", body, "Wrong email or password.")
	if strings.Contains(body, "deactivated") {
		t.Fatalf(`a wrong password reveals the account is deactivated`)
	}

	// Shown as deactivated in the list, its filter and the channel's operators.
	_, body = admin.Get("/admin/config/users")
	wantBody(t, "users list", body, "data-deactivated", "olga@example.com", "eve@example.com")
	_, body = admin.Get("/admin/config/users?status=deactivated")
	wantBody(t, "deactivated filter", body, "olga@example.com")
	if strings.Contains(body, "eve@example.com") {
		t.Fatalf(`the deactivated filter lists an active user`)
	}
	_, body = admin.Get("/admin/config/users?status=active")
	if strings.Contains(body, "olga@example.com") || !strings.Contains(body, "eve@example.com") {
		t.Fatalf(`the active filter is wrong`)
	}
	res, body = admin.Get("/admin/config/users?status=gone")
	wantStatus(t, "unknown status", res, body, http.StatusUnprocessableEntity)
	_, body = admin.Get(fmt.Sprintf("/admin/channels/%d?tab=operators", ch.ID))
	wantBody(t, "channel operators", body, "data-deactivated")
	// No token can be made for a deactivated user.
	r, h := formBody(url.Values{"name": {"x"}})
	h["HX-Request"] = "true"
	res, body = admin.Do(http.MethodPost, page+"/tokens", r, h)
	wantStatus(t, "token for a deactivated user", res, body, http.StatusConflict)

	// Reactivation restores login; the old token stays revoked.
	res, body = htmxPost(eveC, page+"/reactivate")
	wantStatus(t, "operator reactivating", res, body, http.StatusForbidden)
	res, body = htmxPost(admin, page+"/reactivate")
	wantStatus(t, "reactivate", res, body, http.StatusOK)
	_, body = admin.Get(page)
	wantBody(t, "user page after reactivation", body, "olga was reactivated", `hx-post="`+page+`/deactivate"`)
	olgaC.Login("olga@example.com")
	if res, _ := bearer(t, s, http.MethodGet, "/api/v1/me", tok); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf(`the old token came back: %d`, res.StatusCode)
	}
}

// The last-admin rule counts active admins only.
func TestDemoteLastActiveAdmin(t *testing.T) {
	s := apptest.NewServer(t)
	admin, ada := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	bob := s.CreateUser(t, "bob@example.com", "Bob", model.RoleAdmin)
	admin.Get("/admin/config/users")
	res, body := htmxPost(admin, fmt.Sprintf("/admin/config/users/%d/deactivate", bob.ID))
	wantStatus(t, "deactivate bob", res, body, http.StatusOK)
	res, body = admin.PostForm(fmt.Sprintf("/admin/config/users/%d", ada.ID), url.Values{"name": {"ada"}, "email": {"ada@example.com"}, "role": {"operator"}})
	wantStatus(t, "demote the last active admin", res, body, http.StatusUnprocessableEntity)
	wantBody(t, "demote the last active admin", body, "This is the last administrator")
}

func TestUsersAPIDeactivate(t *testing.T) {
	s := apptest.NewServer(t)
	ada := s.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	olga := s.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	adminTok, olgaTok := token(t, s, ada), token(t, s, olga)
	path := func(id any, action string) string { return fmt.Sprintf("/api/v1/users/%v/%s", id, action) }

	tests := []struct {
		name, token, path string
		status            int
		code              string
	}{
		{"no token", "", path(olga.ID, "deactivate"), http.StatusUnauthorized, "unauthorized"},
		{"operator", olgaTok, path(ada.ID, "deactivate"), http.StatusForbidden, "forbidden"},
		{"operator reactivating", olgaTok, path(olga.ID, "reactivate"), http.StatusForbidden, "forbidden"},
		{"unknown user", adminTok, path(999, "deactivate"), http.StatusNotFound, "not_found"},
		{"not an id", adminTok, path("olga", "deactivate"), http.StatusNotFound, "not_found"},
		{"unknown user reactivated", adminTok, path(999, "reactivate"), http.StatusNotFound, "not_found"},
		{"self", adminTok, path(ada.ID, "deactivate"), http.StatusConflict, "cannot_deactivate_self"},
	}
	for _, tt := range tests {
		code, _, body := call(t, s, http.MethodPost, tt.path, tt.token, "")
		if code != tt.status || body["code"] != tt.code || body["error"] == "" || body["error"] == nil {
			t.Errorf(`%s: %d %v, want %d %q with a message`, tt.name, code, body, tt.status, tt.code)
		}
	}

	code, _, body := call(t, s, http.MethodPost, path(olga.ID, "deactivate"), adminTok, "")
	u, _ := body["user"].(map[string]any)
	if code != http.StatusOK || u["id"] != float64(olga.ID) || u["active"] != false || u["deactivated_at"] == nil {
		t.Fatalf(`deactivate: %d %v`, code, body)
	}
	if code, _, _ := call(t, s, http.MethodGet, "/api/v1/me", olgaTok, ""); code != http.StatusUnauthorized {
		t.Fatalf(`the deactivated user's token still works: %d`, code)
	}
	// Deactivating again answers the same user.
	if code, _, body := call(t, s, http.MethodPost, path(olga.ID, "deactivate"), adminTok, ""); code != http.StatusOK || body["user"].(map[string]any)["active"] != false {
		t.Fatalf(`deactivate twice: %d %v`, code, body)
	}
	code, _, body = call(t, s, http.MethodPost, path(olga.ID, "reactivate"), adminTok, "")
	u, _ = body["user"].(map[string]any)
	if code != http.StatusOK || u["active"] != true || u["deactivated_at"] != nil {
		t.Fatalf(`reactivate: %d %v`, code, body)
	}
	if code, _, body := call(t, s, http.MethodGet, "/api/v1/me", adminTok, ""); code != http.StatusOK || body["user"].(map[string]any)["active"] != true {
		t.Fatalf(`/api/v1/me shows the active flag: %d %v`, code, body)
	}
}

// A deactivated operator is not assigned a new visitor, even while their
// presence still counts them online.
func TestDeactivatedOperatorGetsNoChat(t *testing.T) {
	s := apptest.NewServer(t)
	admin, _ := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	olga := s.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	ch := defaultChannel(t, s)
	if err := s.Livechat.Join(bg, ch.ID, olga.ID); err != nil {
		t.Fatal(err)
	}
	// A presence with no socket behind it: closing her sockets cannot
	// take it away, so only the deactivation itself keeps chats from her.
	s.Livechat.Presence.Connect(olga.ID)
	initPath := fmt.Sprintf("/im_livechat/init?channel_id=%d&url=%s", ch.ID, url.QueryEscape("https://shop.example/"))
	if code, _, body := call(t, s, http.MethodGet, initPath, "", ""); code != http.StatusOK || body["operators_online"] != float64(1) {
		t.Fatalf(`init before: %d %v`, code, body)
	}

	admin.Get("/admin/config/users")
	res, body := htmxPost(admin, fmt.Sprintf("/admin/config/users/%d/deactivate", olga.ID))
	wantStatus(t, "deactivate", res, body, http.StatusOK)
	if s.Livechat.Presence.Status(olga.ID) != "online" {
		t.Fatalf(`the test needs olga's presence to remain`)
	}
	if code, _, body := call(t, s, http.MethodGet, initPath, "", ""); code != http.StatusOK || body["operators_online"] != float64(0) {
		t.Fatalf(`init after: %d %v, want nobody online`, code, body)
	}
	start := fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/","title":"Shop"}`, ch.ID)
	if code, _, body := call(t, s, http.MethodPost, "/im_livechat/sessions", "", start); code != http.StatusConflict || body["code"] != "no_operator_available" {
		t.Fatalf(`a visitor reached a deactivated operator: %d %v`, code, body)
	}
}

// TestForcedPasswordReset: an admin requires a new password; the user is
// signed out, and after logging in sees only the password form until they
// have chosen one.
func TestForcedPasswordReset(t *testing.T) {
	s := apptest.NewServer(t)
	admin, _ := s.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	bob, u := s.LoggedIn(t, "bob@example.com", model.RoleOperator)

	res, body := admin.Do(http.MethodPost, fmt.Sprintf("/admin/config/users/%d/require_password", u.ID), nil, map[string]string{"HX-Request": "true"})
	if res.StatusCode != http.StatusOK || res.Header.Get("HX-Redirect") == "" {
		t.Fatalf("require a new password: %d %s", res.StatusCode, body)
	}
	if res, _ := bob.Get("/admin"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("Bob's session survived: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	bob.Login("bob@example.com")
	for _, p := range []string{"/admin", "/admin/conversations", "/admin/channels"} {
		if res, _ := bob.Get(p); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/profile#password" {
			t.Errorf("GET %s before choosing a password: %d %s", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, page := bob.Get("/admin/profile")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "asked you to choose a new password") {
		t.Fatalf("profile: %d", res.StatusCode)
	}
	if res, _ := bob.Do(http.MethodGet, "/admin/api/sessions", nil, map[string]string{"Accept": "application/json"}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("the chat API before choosing a password: %d", res.StatusCode)
	}
	res, body = bob.PostForm("/admin/profile/password", url.Values{"current_password": {apptest.Password}, "new_password": {"a fresh passphrase"}, "new_password_confirm": {"a fresh passphrase"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d %s", res.StatusCode, body)
	}
	if res, _ := bob.Get("/admin/conversations"); res.StatusCode != http.StatusOK {
		t.Fatalf("after choosing a password: %d", res.StatusCode)
	}
	// Not for oneself, and not for operators.
	if res, _ := admin.Do(http.MethodPost, fmt.Sprintf("/admin/config/users/%d/require_password", mustUser(t, s, "ada@example.com").ID), nil, nil); res.StatusCode != http.StatusConflict {
		t.Fatalf("an admin forcing their own reset: %d", res.StatusCode)
	}
}

func mustUser(t *testing.T, s *apptest.Server, email string) *model.User {
	t.Helper()
	u, err := s.Store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

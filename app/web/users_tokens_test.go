package web_test

import (
	"context"
	"net/http"
	neturl "net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// An admin manages another user's API tokens from the user's page; an
// operator cannot.
func TestAdminManagesUserTokens(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	op := srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	base := "/admin/config/users/" + strconv.FormatInt(op.ID, 10)

	res, page := admin.Get(base)
	if res.StatusCode != 200 || !strings.Contains(page, `hx-post="`+base+`/tokens"`) {
		t.Fatalf(`user page lacks the token section: %d`, res.StatusCode)
	}
	res, frag := admin.Do("POST", base+"/tokens", strings.NewReader("name=CRM"), map[string]string{"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"})
	plain := regexp.MustCompile(`parley_[A-Za-z0-9_-]{20,}`).FindString(frag)
	if res.StatusCode != 200 || plain == "" {
		t.Fatalf(`create: %d %s`, res.StatusCode, frag)
	}
	u, err := srv.Auth.UserByAPIToken(context.Background(), plain)
	if err != nil || u.ID != op.ID {
		t.Fatalf(`the token must act as Olga: %v %v`, u, err)
	}
	toks, _ := srv.Store.APITokens(context.Background(), op.ID)
	res, _ = admin.Do("DELETE", base+"/tokens/"+strconv.FormatInt(toks[0].ID, 10), nil, map[string]string{"HX-Request": "true"})
	if res.StatusCode != 200 {
		t.Fatalf(`revoke: %d`, res.StatusCode)
	}
	if _, err := srv.Auth.UserByAPIToken(context.Background(), plain); err == nil {
		t.Fatalf(`revoked token still works`)
	}
	operator, _ := srv.LoggedIn(t, "eve@example.com", model.RoleOperator)
	if res, _ := operator.Do("POST", base+"/tokens", strings.NewReader("name=x"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); res.StatusCode != http.StatusForbidden {
		t.Fatalf(`operator creating tokens for others: %d`, res.StatusCode)
	}
	if res, _ := admin.Do("POST", "/admin/config/users/999/tokens", strings.NewReader("name=x"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); res.StatusCode != http.StatusNotFound {
		t.Fatalf(`unknown user: %d`, res.StatusCode)
	}
}

func TestSafeNext(t *testing.T) {
	srv := apptest.NewServer(t)
	srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	tests := []struct{ next, want string }{
		{"/admin/channels?tab=rules", "/admin/channels?tab=rules"},
		{"", "/admin"},
		{"https://evil.example/", "/admin"},
		{"//evil.example/", "/admin"},
		{"/\\evil.example/", "/admin"},
		{"/\t/evil.example/", "/admin"},
		{"/\n/evil.example", "/admin"},
		{"/%09/evil.example", "/%09/evil.example"}, // stays an escaped path on this site
		{"javascript:alert(1)", "/admin"},
	}
	for _, tt := range tests {
		c := srv.NewClient(t)
		c.Get("/login")
		res, _ := c.PostForm("/login", neturl.Values{"email": {"ada@example.com"}, "password": {apptest.Password}, "next": {tt.next}})
		if got := res.Header.Get("Location"); got != tt.want {
			t.Errorf(`next=%q: redirected to %q, want %q`, tt.next, got, tt.want)
		}
	}
}

// From a user's record an admin sets which channels the user operates;
// the last operator of a channel stays, with a message saying so.
func TestUserChannels(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	olga := srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	ch := defaultChannel(t, srv)
	page := "/admin/config/users/" + strconv.FormatInt(olga.ID, 10)
	admin.Get(page)
	res, _ := admin.PostForm(page+"/channels", neturl.Values{"channel_id": {strconv.FormatInt(ch.ID, 10)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`save: %d`, res.StatusCode)
	}
	ids, _ := srv.Store.ChannelOperatorIDs(context.Background(), ch.ID)
	if len(ids) != 2 {
		t.Fatalf(`olga did not join: %v`, ids)
	}
	// Ada unticks the only channel on her own record while Olga is there: fine.
	adaPage := "/admin/config/users/" + strconv.FormatInt(ada.ID, 10)
	admin.Get(adaPage)
	admin.PostForm(adaPage+"/channels", neturl.Values{})
	// Olga is now the last operator: unticking keeps her, with a message.
	admin.Get(page)
	admin.PostForm(page+"/channels", neturl.Values{})
	_, body := admin.Get(page)
	ids, _ = srv.Store.ChannelOperatorIDs(context.Background(), ch.ID)
	if len(ids) != 1 || ids[0] != olga.ID || !strings.Contains(body, "a channel needs at least one operator") {
		t.Fatalf(`last operator: %v`, ids)
	}
	if res, _ := admin.PostForm(page+"/channels", neturl.Values{"channel_id": {"abc"}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf(`bad channel id: %d`, res.StatusCode)
	}
}

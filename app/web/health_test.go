package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// TestDiskFullIs503AndDegraded fills the database up to a page limit, as a
// full disk would: message posts get 503 with Retry-After (not 500),
// /healthz reports the reason, and both recover once space is back.
func TestDiskFullIs503AndDegraded(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	chat := cvStart(t, srv, defaultChannel(t, srv).ID, "https://shop.example/", "Shop")
	if code, _, body := call(t, srv, "GET", "/healthz", "", ""); code != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("healthz before: %d %v", code, body)
	}
	w := srv.Store.Writer()
	var pages int
	if err := w.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 3900)
	var code int
	var hdr http.Header
	var body map[string]any
	for i := 0; i < 200; i++ {
		code, hdr, body = call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, fmt.Sprintf(`{"body":%q}`, big))
		if code != http.StatusCreated {
			break
		}
	}
	if code != http.StatusServiceUnavailable || body["code"] != "storage_unavailable" || hdr.Get("Retry-After") == "" {
		t.Fatalf("post on a full disk: %d %v %v", code, hdr, body)
	}
	code, _, body = call(t, srv, "GET", "/healthz", "", "")
	if code != http.StatusServiceUnavailable || body["status"] != "degraded" || !strings.Contains(body["error"].(string), "full") {
		t.Fatalf("healthz on a full disk: %d %v", code, body)
	}
	if _, err := w.Exec("PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, `{"body":"back"}`); code != http.StatusCreated {
		t.Fatalf("post once space is back: %d %v", code, body)
	}
	if code, _, body := call(t, srv, "GET", "/healthz", "", ""); code != http.StatusOK {
		t.Fatalf("healthz once space is back: %d %v", code, body)
	}
}

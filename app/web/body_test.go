package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// send posts body to path, announcing its length or (chunked) not.
func send(t *testing.T, srv *apptest.Server, path, contentType, body string, chunked bool) (int, map[string]any) {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // hides the length: the client sends it chunked
	}
	req, err := http.NewRequest("POST", srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf(`POST %s (%d bytes, chunked %v): %v`, path, len(body), chunked, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return res.StatusCode, out
}

// padded is a JSON page view of exactly n bytes (whitespace is valid JSON).
func padded(n int) string {
	s := `{"url":"https://shop.example/","title":"Shop"}`
	return s + strings.Repeat(" ", n-len(s))
}

// Bodies are limited to exactly 1 MiB, as docs/api.md says, and a larger
// one is a 413 whether its length is announced or it comes chunked (a
// chunked one used to get 400 with "code=413" in the message).
func TestBodyLimitIsOneMiB(t *testing.T) {
	srv := apptest.NewServer(t)
	const mib = 1 << 20
	for _, chunked := range []bool{false, true} {
		name := map[bool]string{false: "with Content-Length", true: "chunked"}[chunked]
		if code, body := send(t, srv, "/im_livechat/pageviews", "application/json", padded(mib), chunked); code != http.StatusCreated {
			t.Fatalf(`exactly 1 MiB, %s: %d %v, want 201`, name, code, body)
		}
		code, body := send(t, srv, "/im_livechat/pageviews", "application/json", padded(mib+1), chunked)
		if code != http.StatusRequestEntityTooLarge || body["code"] != "too_large" || !strings.Contains(fmt.Sprint(body["error"]), "1048576 bytes") {
			t.Fatalf(`1 MiB + 1 byte, %s: %d %v, want 413 too_large naming the limit`, name, code, body)
		}
	}
	// A form too large for the limit is a 413 too, not an empty form.
	srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	form := url.Values{"email": {"ada@example.com"}, "password": {apptest.Password}, "pad": {strings.Repeat("a", mib)}}.Encode()
	if code, _ := send(t, srv, "/login", "application/x-www-form-urlencoded", form, true); code != http.StatusRequestEntityTooLarge {
		t.Fatalf(`chunked oversized login form: %d, want 413`, code)
	}
}

// Field names are exact: encoding/json alone accepts "Body" for "body",
// although unknown fields are refused. The refusal names the field.
func TestJSONFieldNamesAreExact(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	ch := defaultChannel(t, srv)
	chat := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	at := token(t, srv, admin)
	rules := fmt.Sprintf("/api/v1/channels/%d/rules", ch.ID)
	tests := []struct {
		name, method, path, bearer, body string
		field, says                      string
	}{
		{"mis-cased", "POST", "/im_livechat/sessions/" + chat.ID + "/messages", chat.Token, `{"Body":"hi"}`, "Body", `did you mean "body"`},
		{"unknown", "POST", "/im_livechat/sessions/" + chat.ID + "/messages", chat.Token, `{"text":"hi"}`, "text", `Unknown field "text"`},
		{"mis-cased, nested", "PUT", rules, at, `{"rules":[{"action":"auto_popup"},{"Regex_URL":"/x"}]}`, "rules[1].Regex_URL", `did you mean "regex_url"`},
		{"mis-cased, bare list", "PUT", rules, at, `[{"ACTION":"hide_button"}]`, "[0].ACTION", `did you mean "action"`},
		{"mis-cased, start", "POST", "/im_livechat/sessions", "", fmt.Sprintf(`{"Channel_ID":%d}`, ch.ID), "Channel_ID", `did you mean "channel_id"`},
	}
	for _, tt := range tests {
		code, _, body := call(t, srv, tt.method, tt.path, tt.bearer, tt.body)
		if code != http.StatusBadRequest || body["code"] != "invalid_json" || body["field"] != tt.field ||
			!strings.Contains(fmt.Sprint(body["error"]), tt.says) {
			t.Errorf(`%s: %d %v, want 400 invalid_json naming %q and saying %q`, tt.name, code, body, tt.field, tt.says)
		}
	}
	// Exact names still work, and nothing was changed by the refusals.
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, `{"body":"hi"}`); code != http.StatusCreated {
		t.Fatalf(`exact field name: %d %v`, code, body)
	}
	if code, _, body := call(t, srv, "PUT", rules, at, `{"rules":[{"action":"hide_button","regex_url":"/x"}]}`); code != http.StatusOK {
		t.Fatalf(`exact rule fields: %d %v`, code, body)
	}
}

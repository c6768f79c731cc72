package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/geo/geotest"
	"parley/app/model"
)

func token(t *testing.T, srv *apptest.Server, u *model.User) string {
	t.Helper()
	plain, _, err := srv.Auth.CreateAPIToken(context.Background(), u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func defaultChannel(t *testing.T, srv *apptest.Server) *model.Channel {
	t.Helper()
	list, err := srv.Store.Channels(context.Background())
	if err != nil || len(list) == 0 {
		t.Fatalf(`default channel: %v %d`, err, len(list))
	}
	return list[0]
}

func TestAPIChannels(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	op := srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	at, ot := token(t, srv, admin), token(t, srv, op)
	ch := defaultChannel(t, srv)
	base := "/api/v1/channels/" + itoa(ch.ID)

	code, _, body := call(t, srv, "GET", "/api/v1/channels", at, "")
	if code != 200 || len(body["channels"].([]any)) != 1 {
		t.Fatalf(`list: %d %v`, code, body)
	}
	first := body["channels"].([]any)[0].(map[string]any)
	if first["name"] != "YourWebsite.com" || first["default_message"] != "Hello, how may I help you?" || first["button_background_color"] != "#875A7B" {
		t.Fatalf(`default channel data: %v`, first)
	}
	if ids := first["operator_ids"].([]any); len(ids) != 1 || ids[0].(float64) != float64(admin.ID) {
		t.Fatalf(`first admin must operate the default channel: %v`, ids)
	}

	tests := []struct {
		name, method, path, token, body string
		wantCode                        int
		wantInBody                      string
	}{
		{"operator refused", "GET", "/api/v1/channels", ot, "", 403, `"code":"forbidden"`},
		{"no token", "GET", "/api/v1/channels", "", "", 401, `"code":"unauthorized"`},
		{"unknown channel", "GET", "/api/v1/channels/999", at, "", 404, `"code":"not_found"`},
		{"non-numeric id", "GET", "/api/v1/channels/abc", at, "", 404, ``},
		{"patch colour and name", "PATCH", base, at, `{"name":"Support","button_background_color":"hsl(0, 100%, 50%)","published":true}`, 200, `"button_background_color":"#FF0000"`},
		{"patch bad colour", "PATCH", base, at, `{"title_color":"blurple"}`, 422, `"field":"title_color"`},
		{"patch empty name", "PATCH", base, at, `{"name":"  "}`, 422, `"field":"name"`},
		{"patch unknown field", "PATCH", base, at, `{"nmae":"x"}`, 400, `"code":"invalid_json"`},
		{"patch malformed", "PATCH", base, at, `{"name":`, 400, `"code":"invalid_json"`},
		{"patch wrong type", "PATCH", base, at, `{"published":"yes"}`, 400, `published`},
		{"operator patch refused", "PATCH", base, ot, `{"name":"Hijack"}`, 403, ``},
		{"rules empty", "GET", base + "/rules", at, "", 200, `"rules":[]`},
		{"put rules", "PUT", base + "/rules", at, `{"rules":[{"action":"auto_popup","regex_url":"/contact","auto_popup_timer":3,"countries":["be","FR"]},{"action":"hide_button","regex_url":"/admin"}]}`, 200, `"countries":["BE","FR"]`},
		{"put bad regex", "PUT", base + "/rules", at, `[{"action":"display_button","regex_url":"(unclosed"}]`, 422, `missing closing )`},
		{"put negative timer", "PUT", base + "/rules", at, `[{"action":"auto_popup","auto_popup_timer":-1}]`, 422, `"field":"auto_popup_timer"`},
		{"put unknown country", "PUT", base + "/rules", at, `[{"action":"display_button","countries":["XX"]}]`, 422, `"field":"countries"`},
		{"put unknown action", "PUT", base + "/rules", at, `[{"action":"explode"}]`, 422, `"field":"action"`},
		{"put duplicate ids", "PUT", base + "/rules", at, `[{"id":1,"action":"display_button"},{"id":1,"action":"hide_button"}]`, 422, `repeats the id`},
		{"put unknown chatbot", "PUT", base + "/rules", at, `[{"action":"display_button","chatbot_id":7}]`, 422, `chatbot`},
		{"operator rules refused", "PUT", base + "/rules", ot, `[]`, 403, ``},
		{"operator joins", "POST", base + "/join", ot, "", 200, `"joined":true`},
		{"operator leaves", "POST", base + "/leave", ot, "", 200, `"joined":false`},
		{"last operator cannot leave", "POST", base + "/leave", at, "", 422, `at least one operator`},
		{"join unknown channel", "POST", "/api/v1/channels/999/join", ot, "", 404, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantCode || !strings.Contains(string(b), tt.wantInBody) {
				t.Fatalf(`got %d %s; want %d containing %s`, res.StatusCode, b, tt.wantCode, tt.wantInBody)
			}
		})
	}
	// Failed rule saves left the good list in place, in order.
	rules, err := srv.Store.Rules(context.Background(), ch.ID)
	if err != nil || len(rules) != 2 || rules[0].Action != model.ActionAutoPopup || rules[1].Action != model.ActionHide {
		t.Fatalf(`rules after failed saves: %+v %v`, rules, err)
	}
}

func TestVisitorInit(t *testing.T) {
	mmdb := geotest.WriteMMDB(t, map[string]string{"203.0.113.0/24": "BE", "198.51.100.0/24": "FR"})
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) {
		c.GeoIP.Database = mmdb
		c.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	}))
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	ctx := context.Background()
	if _, err := srv.Livechat.SaveRules(ctx, ch.ID, []model.Rule{
		{Action: model.ActionHide, RegexURL: "/private"},
		{Action: model.ActionAutoPopup, RegexURL: "/contact", AutoPopupTimer: 4},
		{Action: model.ActionShowWithText, Countries: []string{"BE"}},
	}); err != nil {
		t.Fatal(err)
	}
	get := func(query, ip string) (int, map[string]any, http.Header) {
		req, _ := http.NewRequest("GET", srv.URL+"/im_livechat/init?"+query, nil)
		if ip != "" {
			req.Header.Set("X-Forwarded-For", ip)
		}
		req.Header.Set("Origin", "https://customer.example")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out, res.Header
	}
	id := itoa(ch.ID)

	// Nobody online: not available, whatever the rule.
	code, body, h := get("channel_id="+id+"&url=https://shop.example/contact", "")
	if code != 200 || body["available"] != false || body["operators_online"].(float64) != 0 {
		t.Fatalf(`offline: %d %v`, code, body)
	}
	if h.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf(`init must allow cross-origin embeds, got %q`, h.Get("Access-Control-Allow-Origin"))
	}

	srv.Livechat.Presence.Connect(admin.ID)
	tests := []struct {
		name, url, ip, wantAction string
		wantAvailable             bool
		wantTimer                 float64
	}{
		{"no match shows the button", "https://shop.example/", "", "display_button", true, 0},
		{"auto popup with timer", "https://shop.example/contact?x=1", "", "auto_popup", true, 4},
		{"hide", "https://shop.example/private/area", "", "hide_button", false, 0},
		{"country rule first", "https://shop.example/contact", "203.0.113.9", "display_button_and_text", true, 0},
		{"other country falls back", "https://shop.example/contact", "198.51.100.7", "auto_popup", true, 4},
		{"unknown ip falls back", "https://shop.example/contact", "192.0.2.1", "auto_popup", true, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := get("channel_id="+id+"&url="+tt.url, tt.ip)
			rule := body["rule"].(map[string]any)
			if code != 200 || body["available"] != tt.wantAvailable || rule["action"] != tt.wantAction || rule["auto_popup_timer"].(float64) != tt.wantTimer {
				t.Fatalf(`got %d %v`, code, body)
			}
			opts := body["options"].(map[string]any)
			if opts["button_text"] != model.DefaultButtonText || body["operators_online"].(float64) != 1 {
				t.Fatalf(`options/operators: %v`, body)
			}
		})
	}

	// A rule change shows at once: the cache is dropped on save.
	if _, err := srv.Livechat.SaveRules(ctx, ch.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, body, _ := get("channel_id="+id+"&url=https://shop.example/private", ""); body["rule"].(map[string]any)["action"] != "display_button" {
		t.Fatalf(`stale rules after save: %v`, body)
	}
	// An operator who went offline makes the channel unavailable.
	srv.Livechat.Presence.Disconnect(admin.ID)
	if _, body, _ := get("channel_id="+id+"&url=x", ""); body["available"] != false {
		t.Fatalf(`still available after disconnect: %v`, body)
	}

	for _, q := range []string{"channel_id=999", "channel_id=abc", ""} {
		code, body, _ := get(q, "")
		if code < 400 || code >= 500 || body["error"] == nil || body["code"] == nil {
			t.Fatalf(`init?%s: want a 4xx JSON error, got %d %v`, q, code, body)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustURL(s string) *neturl.URL {
	u, err := neturl.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// The first admin, created through the setup page, staffs the default
// channel; the cached channel data must see it at once.
func TestInitSeesAdminCreatedAtSetup(t *testing.T) {
	srv := apptest.NewServer(t)
	ch := defaultChannel(t, srv)
	path := "/im_livechat/init?channel_id=" + itoa(ch.ID) + "&url=x"
	if _, _, body := call(t, srv, "GET", path, "", ""); body["available"] != false {
		t.Fatalf(`before setup: %v`, body)
	}
	c := srv.NewClient(t)
	token := srv.Auth.SetupToken()
	c.Get("/setup?token=" + token)
	res, _ := c.PostForm("/setup", neturl.Values{"token": {token}, "name": {"Ada"}, "email": {"ada@example.com"},
		"password": {apptest.Password}, "password_confirm": {apptest.Password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`setup: %d`, res.StatusCode)
	}
	u, err := srv.Store.UserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	srv.Livechat.Presence.Connect(u.ID)
	if _, _, body := call(t, srv, "GET", path, "", ""); body["available"] != true || body["operators_online"].(float64) != 1 {
		t.Fatalf(`after setup the admin operates the default channel: %v`, body)
	}
}

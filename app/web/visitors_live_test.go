package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// TestVisitorsLiveAndChatRequest: a visitor's socket puts them in the live
// list and operators hear visitor frames; a chat request reaches the
// visitor's socket as chat_request; requests to a visitor who is not on
// the site, who is already chatting, or without a message are refused
// with 4xx and create nothing.
func TestVisitorsLiveAndChatRequest(t *testing.T) {
	srv := apptest.NewServer(t)
	c, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	id := defaultChannelID(t, srv)
	h := http.Header{"Origin": {srv.URL}}
	for _, ck := range c.Jar.Cookies(mustURL(srv.URL)) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ops := dial(t, srv, "/admin/api/ws", h)
	waitOnline(t, srv, ada.ID)

	status, _, body := call(t, srv, "POST", "/im_livechat/pageviews", "", fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/tents","title":"Tents","language":"es-MX"}`, id))
	if status != http.StatusCreated {
		t.Fatalf(`page view: %d %v`, status, body)
	}
	token := body["visitor_token"].(string)
	v, err := srv.Livechat.VisitorByToken(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	chatPath := fmt.Sprintf("/admin/visitors/%d/chat", v.ID)
	ask := func(body string) (*http.Response, string) {
		return c.PostForm(chatPath, url.Values{"_csrf": {c.CSRF}, "body": {body}})
	}

	// Not on the site: the page view alone does not make them online.
	if res, page := ask("Hello!"); res.StatusCode != http.StatusConflict || !strings.Contains(page, "no longer on the website") {
		t.Fatalf(`request to an offline visitor: %d %.300s`, res.StatusCode, page)
	}

	vis := dial(t, srv, fmt.Sprintf("/im_livechat/ws?token=%s&channel_id=%d", token, id), nil)
	// The page view's frame came first (not online yet); then the arrival.
	if f := ops.next("visitor"); f["online"] != false || f["url"] != "https://shop.example/tents" {
		t.Fatalf(`visitor frame of the page view: %v`, f)
	}
	if f := ops.next("visitor"); f["online"] != true || int64(f["id"].(float64)) != v.ID {
		t.Fatalf(`visitor frame on arrival: %v`, f)
	}
	res, page := c.Get("/admin/visitors")
	expect(t, "live list", res, page[strings.Index(page, "visitors-online"):], 200, `data-live-visitor="`+fmt.Sprint(v.ID)+`"`, "Tents", "Español de México", "Start a chat")

	// An empty message is refused; then the request goes through.
	if res, _ := ask("   "); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf(`empty first message: %d`, res.StatusCode)
	}
	res, _ = ask("Hello! Can I help you with the tents?")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/conversations?session=") {
		t.Fatalf(`chat request: %d → %q`, res.StatusCode, res.Header.Get("Location"))
	}
	// The conversation started: the list and the visitor's page hear it.
	if f := ops.next("visitor"); f["online"] != true || int64(f["id"].(float64)) != v.ID {
		t.Fatalf(`visitor frame on the new conversation: %v`, f)
	}
	req := vis.next("chat_request")
	sess, _ := req["session"].(map[string]any)
	op, _ := sess["operator"].(map[string]any)
	msgs, _ := req["messages"].([]any)
	if op == nil || int64(op["id"].(float64)) != ada.ID || len(msgs) != 1 || msgs[0].(map[string]any)["body"] != "Hello! Can I help you with the tents?" {
		t.Fatalf(`chat_request frame: %v`, req)
	}
	// The visitor can read and answer it with their token.
	status, _, body = call(t, srv, "POST", "/im_livechat/sessions/"+sess["id"].(string)+"/messages", token, `{"body":"Yes please"}`)
	if status != http.StatusCreated {
		t.Fatalf(`visitor answers: %d %v`, status, body)
	}

	// Already chatting: a second request is refused and creates nothing.
	if res, _ := ask("Hello again"); res.StatusCode != http.StatusConflict {
		t.Fatalf(`request to a visitor already chatting: %d`, res.StatusCode)
	}
	list, err := srv.Store.Sessions(t.Context(), model.SessionFilter{VisitorID: v.ID, Limit: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf(`sessions of the visitor: %d %v`, len(list), err)
	}

	// Leaving: the socket closes, operators hear it, the list empties.
	vis.conn.Close()
	if f := ops.next("visitor"); f["online"] != false {
		t.Fatalf(`visitor frame on leaving: %v`, f)
	}
	res, page = c.Get("/admin/visitors/online")
	expect(t, "live list after leaving", res, page, 200, "Nobody is on the website right now.")
}

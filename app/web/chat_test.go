package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/app/apptest"
	"parley/app/model"
)

// call sends a JSON request and returns status, headers and decoded body.
func call(t *testing.T, srv *apptest.Server, method, path, bearer, body string) (int, http.Header, map[string]any) {
	t.Helper()
	return fromPage(t, srv, "", method, path, bearer, body)
}

// socket is a test websocket client collecting frames.
type socket struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan map[string]any
}

func dial(t *testing.T, srv *apptest.Server, path string, header http.Header) *socket {
	t.Helper()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + path
	conn, res, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf(`dial %s: %v (status %d)`, path, err, status)
	}
	s := &socket{t: t, conn: conn, frames: make(chan map[string]any, 100)}
	go func() {
		defer close(s.frames)
		for {
			var f map[string]any
			if err := conn.ReadJSON(&f); err != nil {
				return
			}
			s.frames <- f
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return s
}

// next waits for the next frame of type typ, skipping others (presence,
// pongs). The timeout is a hang guard, not a performance assertion.
func (s *socket) next(typ string) map[string]any {
	s.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				s.t.Fatalf(`socket closed while waiting for a %q frame`, typ)
			}
			if f["type"] == typ {
				d, _ := f["data"].(map[string]any)
				return d
			}
		case <-deadline:
			s.t.Fatalf(`no %q frame arrived`, typ)
		}
	}
}

func (s *socket) send(v any) {
	s.t.Helper()
	if err := s.conn.WriteJSON(v); err != nil {
		s.t.Fatalf(`write frame: %v`, err)
	}
}

// waitOnline waits until the operator's socket registered their presence.
func waitOnline(t *testing.T, srv *apptest.Server, userID int64) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if srv.Livechat.Presence.Status(userID) == "online" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf(`operator %d never came online`, userID)
}

func TestChatEndToEnd(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	start := fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/pricing","title":"Pricing"}`, ch.ID)

	// Nobody online: the widget is told plainly, and can leave a message.
	code, _, body := call(t, srv, "POST", "/im_livechat/sessions", "", start)
	if code != http.StatusConflict || body["code"] != "no_operator_available" {
		t.Fatalf(`no operator: %d %v`, code, body)
	}
	code, _, body = call(t, srv, "POST", "/im_livechat/offline_messages", "", fmt.Sprintf(`{"channel_id":%d,"name":"Bo","email":"not-an-email","body":"hi"}`, ch.ID))
	if code != http.StatusUnprocessableEntity || body["field"] != "email" {
		t.Fatalf(`offline message with bad email: %d %v`, code, body)
	}
	code, _, _ = call(t, srv, "POST", "/im_livechat/offline_messages", "", fmt.Sprintf(`{"channel_id":%d,"name":"Bo","email":"bo@example.com","body":"Call me back"}`, ch.ID))
	if offline, _ := srv.Store.OfflineMessagesPage(context.Background(), 10, 0); code != http.StatusCreated || len(offline) != 1 || offline[0].Email != "bo@example.com" {
		t.Fatalf(`offline message: %d %+v`, code, offline)
	}

	// The operator's API socket makes them available.
	tok := token(t, srv, admin)
	op := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + tok}})
	waitOnline(t, srv, admin.ID)

	code, _, body = call(t, srv, "POST", "/im_livechat/sessions", "", start)
	if code != http.StatusCreated {
		t.Fatalf(`start: %d %v`, code, body)
	}
	vtoken := body["visitor_token"].(string)
	sess := body["session"].(map[string]any)
	sid := sess["id"].(string)
	if !strings.HasPrefix(sess["visitor_name"].(string), "Website Visitor #") || sess["status"] != "open" ||
		sess["operator"].(map[string]any)["name"] != "Ada" || len(body["messages"].([]any)) != 0 {
		t.Fatalf(`session: %v`, body)
	}
	if f := op.next("session"); f["id"] != sid || f["visitor"].(map[string]any)["current_url"] != "https://shop.example/pricing" {
		t.Fatalf(`operator was not told of the new session: %v`, f)
	}
	vis := dial(t, srv, "/im_livechat/ws?token="+vtoken, nil)

	// Visitor → operator, acknowledged after commit, with an id.
	code, _, body = call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/messages", vtoken, `{"body":"<script>alert(1)</script> Hello!"}`)
	if code != http.StatusCreated {
		t.Fatalf(`post: %d %v`, code, body)
	}
	m1 := body["message"].(map[string]any)
	if m1["body"] != "<script>alert(1)</script> Hello!" || m1["author"].(map[string]any)["kind"] != "visitor" {
		t.Fatalf(`message must be stored as plain text: %v`, m1)
	}
	if f := op.next("message"); f["id"] != m1["id"] || f["session_id"] != sid {
		t.Fatalf(`operator frame: %v, want id %v`, f, m1["id"])
	}
	if f := vis.next("message"); f["id"] != m1["id"] {
		t.Fatalf(`visitor's other tabs get their own message too: %v`, f)
	}

	// A tab that names itself gets its own posts in the answer only; the
	// visitor's other sockets and the operator still get them.
	tab := dial(t, srv, "/im_livechat/ws?tab=Tab_1-x&token="+vtoken, nil)
	code, _, body = call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/messages", vtoken, `{"body":"From a named tab","tab":"Tab_1-x"}`)
	if code != http.StatusCreated {
		t.Fatalf(`post from a named tab: %d %v`, code, body)
	}
	fromTab := body["message"].(map[string]any)["id"]
	if f := op.next("message"); f["id"] != fromTab {
		t.Fatalf(`operator frame: %v, want id %v`, f, fromTab)
	}
	if f := vis.next("message"); f["id"] != fromTab {
		t.Fatalf(`the visitor's other socket: %v, want id %v`, f, fromTab)
	}
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/messages", vtoken, `{"body":"hi","tab":"two words"}`); code != http.StatusUnprocessableEntity || body["code"] != "invalid_tab" {
		t.Fatalf(`a bad tab name: %d %v`, code, body)
	}
	if code := dialStatus(t, srv, "/im_livechat/ws?tab=two+words&token="+vtoken, ""); code != http.StatusUnprocessableEntity {
		t.Fatalf(`a socket with a bad tab name: %d`, code)
	}

	// Typing both ways, over HTTP and over the socket.
	call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/typing", vtoken, `{"typing":true}`)
	if f := op.next("typing"); f["typing"] != true || f["author"].(map[string]any)["kind"] != "visitor" {
		t.Fatalf(`visitor typing: %v`, f)
	}
	op.send(map[string]any{"type": "typing", "session_id": sid, "typing": true})
	if f := vis.next("typing"); f["typing"] != true || f["author"].(map[string]any)["name"] != "Ada" {
		t.Fatalf(`operator typing: %v`, f)
	}

	// Operator → visitor through the API.
	code, _, body = call(t, srv, "POST", "/api/v1/sessions/"+sid+"/messages", tok, `{"body":"Hi, how can I help?"}`)
	if code != http.StatusCreated {
		t.Fatalf(`operator post: %d %v`, code, body)
	}
	m2 := body["message"].(map[string]any)
	if f := vis.next("message"); f["id"] != m2["id"] || f["author"].(map[string]any)["name"] != "Ada" {
		t.Fatalf(`visitor frame: %v`, f)
	}
	if f := tab.next("message"); f["id"] != m2["id"] {
		t.Fatalf(`the named tab's first message frame is %v, want the operator's reply %v (not its own post)`, f["id"], m2["id"])
	}
	if m2["id"].(float64) <= m1["id"].(float64) {
		t.Fatalf(`ids must increase: %v then %v`, m1["id"], m2["id"])
	}

	// History and resume by id: nothing lost, nothing duplicated.
	_, _, body = call(t, srv, "GET", "/im_livechat/sessions/"+sid+"/messages", vtoken, "")
	if n := len(body["messages"].([]any)); n != 3 {
		t.Fatalf(`history: %d messages`, n)
	}
	_, _, body = call(t, srv, "GET", fmt.Sprintf("/im_livechat/sessions/%s/messages?after=%v", sid, fromTab), vtoken, "")
	if ms := body["messages"].([]any); len(ms) != 1 || ms[0].(map[string]any)["id"] != m2["id"] {
		t.Fatalf(`after=: %v`, ms)
	}

	// Starting again with the token continues the same session (reload, other tab).
	code, _, body = call(t, srv, "POST", "/im_livechat/sessions", vtoken, start)
	if code != http.StatusCreated || body["session"].(map[string]any)["id"] != sid || len(body["messages"].([]any)) != 3 {
		t.Fatalf(`continue: %d %v`, code, body)
	}

	// Operator listing shows the session with its unread count.
	_, _, body = call(t, srv, "GET", "/api/v1/sessions?status=open", tok, "")
	list := body["sessions"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["unread"].(float64) != 0 || list[0].(map[string]any)["last_message"] == nil {
		t.Fatalf(`operator sessions (their own reply marks the chat read): %v`, list)
	}

	// Page views move the operator's view of the visitor.
	if code, _, _ := call(t, srv, "POST", "/im_livechat/pageviews", vtoken, `{"url":"https://shop.example/checkout","title":"Checkout"}`); code != http.StatusNoContent {
		t.Fatalf(`page view: %d`, code)
	}
	if f := op.next("session"); f["visitor"].(map[string]any)["current_url"] != "https://shop.example/checkout" {
		t.Fatalf(`current page not pushed: %v`, f)
	}

	// The visitor leaves: the operator sees the notice and the closed session.
	code, _, body = call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/close", vtoken, "")
	if code != http.StatusOK || body["session"].(map[string]any)["status"] != "closed" {
		t.Fatalf(`close: %d %v`, code, body)
	}
	if f := op.next("message"); f["author"].(map[string]any)["kind"] != "system" || !strings.HasSuffix(f["body"].(string), "has left the conversation.") {
		t.Fatalf(`leave notice: %v`, f)
	}
	if f := op.next("session"); f["status"] != "closed" {
		t.Fatalf(`closed session frame: %v`, f)
	}
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/messages", vtoken, `{"body":"still there?"}`); code != http.StatusConflict {
		t.Fatalf(`post after close: %d %v`, code, body)
	}
	if code, _, body := call(t, srv, "POST", "/api/v1/sessions/"+sid+"/messages", tok, `{"body":"hello?"}`); code != http.StatusConflict {
		t.Fatalf(`operator post after close: %d %v`, code, body)
	}
}

func TestVisitorAPIBadInput(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	ch := defaultChannel(t, srv)
	start := fmt.Sprintf(`{"channel_id":%d}`, ch.ID)
	_, _, a := call(t, srv, "POST", "/im_livechat/sessions", "", start)
	_, _, b := call(t, srv, "POST", "/im_livechat/sessions", "", start)
	aTok, bTok := a["visitor_token"].(string), b["visitor_token"].(string)
	aSid := a["session"].(map[string]any)["id"].(string)
	if aTok == bTok || aSid == b["session"].(map[string]any)["id"] {
		t.Fatalf(`two visitors must get two tokens and sessions`)
	}
	call(t, srv, "POST", "/im_livechat/sessions/"+aSid+"/messages", aTok, `{"body":"secret"}`)

	tests := []struct {
		name, method, path, bearer, body string
		wantCode                         int
		wantCodeField                    string
	}{
		{"unknown channel", "POST", "/im_livechat/sessions", "", `{"channel_id":999}`, 404, "not_found"},
		{"missing channel", "POST", "/im_livechat/sessions", "", `{}`, 400, "invalid_channel_id"},
		{"malformed json", "POST", "/im_livechat/sessions", "", `{"channel_id":`, 400, "invalid_json"},
		{"another visitor's session", "GET", "/im_livechat/sessions/" + aSid + "/messages", bTok, "", 404, "not_found"},
		{"another visitor posts", "POST", "/im_livechat/sessions/" + aSid + "/messages", bTok, `{"body":"x"}`, 404, "not_found"},
		{"another visitor closes", "POST", "/im_livechat/sessions/" + aSid + "/close", bTok, "", 404, "not_found"},
		{"unknown session", "GET", "/im_livechat/sessions/nope", aTok, "", 404, "not_found"},
		{"no token", "GET", "/im_livechat/sessions/" + aSid, "", "", 401, "unauthorized"},
		{"bad token", "GET", "/im_livechat/sessions/" + aSid, "pv_forged", "", 401, "invalid_token"},
		{"bad token posts", "POST", "/im_livechat/sessions/" + aSid + "/messages", "pv_forged", `{"body":"x"}`, 401, "invalid_token"},
		{"bad token, unknown session", "POST", "/im_livechat/sessions/nope/messages", "pv_forged", `{"body":"x"}`, 401, "invalid_token"},
		{"unknown session posts", "POST", "/im_livechat/sessions/nope/messages", aTok, `{"body":"x"}`, 404, "not_found"},
		{"empty message", "POST", "/im_livechat/sessions/" + aSid + "/messages", aTok, `{"body":"   "}`, 422, "invalid_body"},
		{"too long", "POST", "/im_livechat/sessions/" + aSid + "/messages", aTok, `{"body":"` + strings.Repeat("é", 4001) + `"}`, 422, "invalid_body"},
		{"unknown field", "POST", "/im_livechat/sessions/" + aSid + "/messages", aTok, `{"text":"hi"}`, 400, "invalid_json"},
		{"bad after", "GET", "/im_livechat/sessions/" + aSid + "/messages?after=x", aTok, "", 400, "invalid_after"},
		{"page view without url", "POST", "/im_livechat/pageviews", aTok, `{"title":"x"}`, 422, "invalid_url"},
		{"operator API with visitor token", "GET", "/api/v1/sessions", aTok, "", 401, "invalid_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := call(t, srv, tt.method, tt.path, tt.bearer, tt.body)
			if code != tt.wantCode || body["code"] != tt.wantCodeField || body["error"] == "" {
				t.Fatalf(`got %d %v; want %d %s`, code, body, tt.wantCode, tt.wantCodeField)
			}
		})
	}

	// Another operator cannot read or write a session that is not theirs.
	other := srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	ot := token(t, srv, other)
	if code, _, _ := call(t, srv, "GET", "/api/v1/sessions/"+aSid+"/messages", ot, ""); code != 404 {
		t.Fatalf(`foreign operator read: %d`, code)
	}
	if code, _, _ := call(t, srv, "GET", "/api/v1/sessions?scope=all", ot, ""); code != 403 {
		t.Fatalf(`operator scope=all: %d`, code)
	}

	// A flood from one token gets 429 with Retry-After; nothing crashes.
	var got429 bool
	for i := 0; i < 30 && !got429; i++ {
		code, h, _ := call(t, srv, "POST", "/im_livechat/sessions/"+aSid+"/messages", aTok, `{"body":"spam"}`)
		if code == http.StatusTooManyRequests {
			got429 = h.Get("Retry-After") != ""
		}
	}
	if !got429 {
		t.Fatalf(`a flood of 30 messages was never rate limited with Retry-After`)
	}

	// Page views without a token create a visitor.
	code, _, body := call(t, srv, "POST", "/im_livechat/pageviews", "", `{"url":"https://shop.example/","title":"Home"}`)
	if code != http.StatusCreated || !strings.HasPrefix(body["visitor_token"].(string), "pv_") {
		t.Fatalf(`page view without token: %d %v`, code, body)
	}
	// A socket with a bad token is refused before upgrading.
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/im_livechat/ws?token=pv_nope"
	if _, res, err := websocket.DefaultDialer.Dial(url, nil); err == nil || res == nil || res.StatusCode != 401 {
		t.Fatalf(`socket with a bad token: %v`, err)
	}
	// The admin socket refuses pages of other origins.
	c, _ := srv.LoggedIn(t, "eve@example.com", model.RoleOperator)
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/admin/api/ws"
	h := http.Header{"Origin": {"https://evil.example"}}
	for _, ck := range c.Jar.Cookies(mustURL(srv.URL)) {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	if _, res, err := websocket.DefaultDialer.Dial(u, h); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf(`cross-origin admin socket must be refused: %v`, err)
	}
	h.Set("Origin", srv.URL)
	conn, _, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		t.Fatalf(`same-origin admin socket: %v`, err)
	}
	conn.Close()
}

// Revoking a token closes the sockets it opened: a revoked integration
// must not keep receiving chats.
func TestRevokedTokenLosesItsSocket(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, u := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	tok := token(t, srv, u)
	op := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + tok}})
	waitOnline(t, srv, u.ID)
	toks, _ := srv.Store.APITokens(context.Background(), u.ID)
	res, _ := admin.Do("DELETE", fmt.Sprintf("/admin/profile/tokens/%d", toks[0].ID), nil, map[string]string{"HX-Request": "true"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf(`revoke: %d`, res.StatusCode)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-op.frames:
			if !ok {
				if code, _, _ := call(t, srv, "GET", "/api/v1/sessions", tok, ""); code != http.StatusUnauthorized {
					t.Fatalf(`revoked token still authenticates: %d`, code)
				}
				return
			}
		case <-deadline:
			t.Fatalf(`the revoked token's socket is still open`)
		}
	}
}

func TestVisitorSocketAndTypingLimits(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	ch := defaultChannel(t, srv)
	_, _, body := call(t, srv, "POST", "/im_livechat/sessions", "", fmt.Sprintf(`{"channel_id":%d}`, ch.ID))
	vtok, sid := body["visitor_token"].(string), body["session"].(map[string]any)["id"].(string)
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		code, h, _ := call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/typing", vtok, `{"typing":true}`)
		limited = code == http.StatusTooManyRequests && h.Get("Retry-After") != ""
	}
	if !limited {
		t.Fatalf(`40 typing calls in a row were never limited`)
	}
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/im_livechat/ws?token=" + vtok
	refused := false
	for i := 0; i < 25 && !refused; i++ {
		conn, res, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			refused = res != nil && res.StatusCode == http.StatusTooManyRequests
			continue
		}
		defer conn.Close()
		time.Sleep(5 * time.Millisecond) // sockets register asynchronously
	}
	if !refused {
		t.Fatalf(`one visitor token opened 25 sockets`)
	}
}

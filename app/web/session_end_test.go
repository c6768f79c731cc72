package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/auth"
	"parley/app/model"
)

// TestOperatorEndsTransfersAndLeaves drives the operator's end of a chat
// through /api/v1 exactly as an integration would, bad inputs included.
func TestOperatorEndsTransfersAndLeaves(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleOperator)
	cy := srv.CreateUser(t, "cy@example.com", "Cy", model.RoleOperator)
	ch := defaultChannel(t, srv)
	for _, u := range []*model.User{bob, cy} {
		if err := srv.Livechat.Join(t.Context(), ch.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	bobTok, cyTok, adaTok := token(t, srv, bob), token(t, srv, cy), token(t, srv, ada)
	bobWS := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + bobTok}})
	waitOnline(t, srv, bob.ID)

	chat := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	bobWS.next("session")
	vis := dial(t, srv, "/im_livechat/ws?token="+chat.Token, nil)
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, `{"body":"Where is my order?"}`); code != http.StatusCreated {
		t.Fatalf("visitor post: %d %v", code, body)
	}
	vis.next("message")
	path := "/api/v1/sessions/" + chat.ID

	// Commands answer the operator alone and are never posted.
	code, _, body := call(t, srv, "POST", path+"/messages", bobTok, `{"body":"/help"}`)
	cmd, _ := body["command"].(map[string]any)
	if code != http.StatusOK || cmd["name"] != "help" || cmd["ok"] != true || !strings.Contains(cmd["text"].(string), "/leave") || cmd["html"] == "" {
		t.Fatalf("/help: %d %v", code, body)
	}
	code, _, body = call(t, srv, "POST", path+"/messages", bobTok, `{"body":"/frobnicate now"}`)
	if cmd, _ = body["command"].(map[string]any); code != http.StatusOK || cmd["ok"] != false || !strings.Contains(cmd["text"].(string), "Unknown command /frobnicate") {
		t.Fatalf("unknown command: %d %v", code, body)
	}
	_, _, body = call(t, srv, "GET", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, "")
	if ms := body["messages"].([]any); len(ms) != 1 {
		t.Fatalf("commands reached the visitor's history: %v", ms)
	}
	_, _, body = call(t, srv, "GET", "/api/v1/commands", bobTok, "")
	if cmds := body["commands"].([]any); len(cmds) < 2 {
		t.Fatalf("command list: %v", body)
	}

	// Transfer: bad inputs are refused with a message and change nothing.
	for _, c := range []struct {
		name, tok, body, code string
		status                int
	}{
		{"neither", bobTok, `{}`, "invalid_operator_id", http.StatusUnprocessableEntity},
		{"both", bobTok, fmt.Sprintf(`{"operator_id":%d,"channel_id":%d}`, cy.ID, ch.ID), "invalid_operator_id", http.StatusUnprocessableEntity},
		{"to oneself", bobTok, fmt.Sprintf(`{"operator_id":%d}`, bob.ID), "same_operator", http.StatusConflict},
		{"to an unavailable operator", bobTok, fmt.Sprintf(`{"operator_id":%d}`, cy.ID), "operator_unavailable", http.StatusConflict},
		{"to a channel without available operators", bobTok, fmt.Sprintf(`{"channel_id":%d}`, ch.ID), "no_operator_available", http.StatusConflict},
		{"to an unknown channel", bobTok, `{"channel_id":424242}`, "not_found", http.StatusNotFound},
		{"unknown field", bobTok, `{"operator":3}`, "", http.StatusBadRequest},
		{"another operator's session", cyTok, fmt.Sprintf(`{"operator_id":%d}`, cy.ID), "not_found", http.StatusNotFound},
	} {
		code, _, body := call(t, srv, "POST", path+"/transfer", c.tok, c.body)
		if code != c.status || (c.code != "" && body["code"] != c.code) || body["error"] == "" {
			t.Errorf("transfer %s: %d %v, want %d %s", c.name, code, body, c.status, c.code)
		}
	}
	if x, _ := srv.Store.SessionByPublicID(t.Context(), chat.ID); x.OperatorID != bob.ID {
		t.Fatalf("a refused transfer moved the session to %d", x.OperatorID)
	}

	// Cy comes online: the dialog offers them, and the transfer goes through.
	cyWS := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + cyTok}})
	waitOnline(t, srv, cy.ID)
	_, _, body = call(t, srv, "GET", path+"/transfer", bobTok, "")
	if ops := body["operators"].([]any); len(ops) != 1 || ops[0].(map[string]any)["name"] != "Cy" {
		t.Fatalf("transfer targets: %v", body)
	}
	code, _, body = call(t, srv, "POST", path+"/transfer", bobTok, fmt.Sprintf(`{"operator_id":%d}`, cy.ID))
	if code != http.StatusOK || body["session"].(map[string]any)["operator"].(map[string]any)["name"] != "Cy" {
		t.Fatalf("transfer: %d %v", code, body)
	}
	if f := cyWS.next("session"); f["id"] != chat.ID {
		t.Fatalf("Cy was not given the session: %v", f)
	}
	if f := vis.next("message"); f["author"].(map[string]any)["kind"] != "system" || f["body"] != "Bob transferred the conversation to Cy." {
		t.Fatalf("the visitor's notice: %v", f)
	}
	if f := vis.next("session"); f["operator"].(map[string]any)["name"] != "Cy" {
		t.Fatalf("the visitor sees who took over: %v", f)
	}
	if f := bobWS.next("session"); f["operator"].(map[string]any)["name"] != "Cy" {
		t.Fatalf("Bob is told the session is no longer his: %v", f)
	}
	_, _, body = call(t, srv, "GET", path+"/messages", cyTok, "")
	if ms := body["messages"].([]any); len(ms) != 2 || ms[0].(map[string]any)["body"] != "Where is my order?" {
		t.Fatalf("Cy reads the whole history: %v", ms)
	}
	if code, _, _ := call(t, srv, "GET", path, bobTok, ""); code != http.StatusNotFound {
		t.Fatalf("Bob still sees Cy's session: %d", code)
	}

	// End: Cy ends it; the visitor sees the notice and the closed session.
	code, _, body = call(t, srv, "POST", path+"/close", cyTok, "")
	if code != http.StatusOK || body["session"].(map[string]any)["status"] != "closed" {
		t.Fatalf("close: %d %v", code, body)
	}
	if f := vis.next("message"); f["body"] != "Cy ended the conversation." {
		t.Fatalf("end notice: %v", f)
	}
	if f := vis.next("session"); f["status"] != "closed" {
		t.Fatalf("closed frame: %v", f)
	}
	for _, p := range []string{"/close", "/leave"} {
		if code, _, body := call(t, srv, "POST", path+p, cyTok, ""); code != http.StatusConflict || body["code"] != "session_closed" {
			t.Errorf("%s on a closed session: %d %v", p, code, body)
		}
	}
	code, _, body = call(t, srv, "POST", path+"/transfer", cyTok, fmt.Sprintf(`{"operator_id":%d}`, bob.ID))
	if code != http.StatusConflict || body["code"] != "session_closed" {
		t.Fatalf("transfer of a closed session: %d %v", code, body)
	}

	// Leave: another chat, taken by an admin's leave on Bob's behalf is
	// refused for operators but allowed for admins.
	srv.Livechat.Presence.Disconnect(cy.ID)
	chat2 := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	path2 := "/api/v1/sessions/" + chat2.ID
	if code, _, _ := call(t, srv, "POST", path2+"/leave", cyTok, ""); code != http.StatusNotFound {
		t.Fatalf("Cy left Bob's chat: %d", code)
	}
	code, _, body = call(t, srv, "POST", path2+"/leave", bobTok, "")
	if code != http.StatusOK || body["session"].(map[string]any)["status"] != "closed" {
		t.Fatalf("leave: %d %v", code, body)
	}
	_, _, body = call(t, srv, "GET", "/api/v1/sessions?status=open", bobTok, "")
	if n := len(body["sessions"].([]any)); n != 0 {
		t.Fatalf("Bob's open list after leaving: %d sessions", n)
	}
	chat3 := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	if code, _, body := call(t, srv, "POST", "/api/v1/sessions/"+chat3.ID+"/close", adaTok, ""); code != http.StatusOK {
		t.Fatalf("an admin ends anyone's chat: %d %v", code, body)
	}
}

// TestClientIDMakesPostsIdempotent: a POST repeated with its client_id
// answers 200 with the original message, from both sides of the API.
func TestClientIDMakesPostsIdempotent(t *testing.T) {
	srv := apptest.NewServer(t)
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleAdmin)
	srv.Livechat.Presence.Connect(bob.ID)
	tok := token(t, srv, bob)
	chat := cvStart(t, srv, defaultChannel(t, srv).ID, "https://shop.example/", "Shop")
	for _, side := range []struct{ path, tok string }{
		{"/im_livechat/sessions/" + chat.ID + "/messages", chat.Token},
		{"/api/v1/sessions/" + chat.ID + "/messages", tok},
	} {
		code, _, first := call(t, srv, "POST", side.path, side.tok, `{"body":"Hello","client_id":"k-42"}`)
		if code != http.StatusCreated || first["message"].(map[string]any)["client_id"] != "k-42" {
			t.Fatalf("%s first: %d %v", side.path, code, first)
		}
		code, _, again := call(t, srv, "POST", side.path, side.tok, `{"body":"Hello","client_id":"k-42"}`)
		if code != http.StatusOK || again["message"].(map[string]any)["id"] != first["message"].(map[string]any)["id"] {
			t.Fatalf("%s retry: %d %v, want 200 and id %v", side.path, code, again, first["message"].(map[string]any)["id"])
		}
		code, _, bad := call(t, srv, "POST", side.path, side.tok, fmt.Sprintf(`{"body":"x","client_id":%q}`, strings.Repeat("k", 65)))
		if code != http.StatusUnprocessableEntity || bad["field"] != "client_id" {
			t.Fatalf("%s over-long client_id: %d %v", side.path, code, bad)
		}
	}
	_, _, body := call(t, srv, "GET", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, "")
	if n := len(body["messages"].([]any)); n != 2 {
		t.Fatalf("%d messages stored, want one per side", n)
	}
}

// TestDeactivatingAnOperatorHandsOverTheirChats: the chats of someone who
// left go to a colleague who is online, who receives them live.
func TestDeactivatingAnOperatorHandsOverTheirChats(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleOperator)
	ch := defaultChannel(t, srv)
	if err := srv.Livechat.Join(t.Context(), ch.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	bobTok, adaTok := token(t, srv, bob), token(t, srv, ada)
	dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + bobTok}})
	waitOnline(t, srv, bob.ID)
	chat := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	adaWS := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + adaTok}})
	waitOnline(t, srv, ada.ID)

	code, _, body := call(t, srv, "POST", fmt.Sprintf("/api/v1/users/%d/deactivate", bob.ID), adaTok, "")
	if code != http.StatusOK {
		t.Fatalf("deactivate: %d %v", code, body)
	}
	if f := adaWS.next("session"); f["id"] != chat.ID || f["operator"].(map[string]any)["name"] != "Ada" {
		t.Fatalf("Ada did not receive Bob's chat: %v", f)
	}
	_, _, body = call(t, srv, "GET", "/api/v1/sessions/"+chat.ID+"/messages", adaTok, "")
	ms := body["messages"].([]any)
	if last := ms[len(ms)-1].(map[string]any); last["body"] != "Bob transferred the conversation to Ada." {
		t.Fatalf("hand-over notice: %v", last)
	}
}

// TestVisitorExportAndEraseAPI: admins hand a visitor their data and erase
// it; operators may not.
func TestVisitorExportAndEraseAPI(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleOperator)
	srv.Livechat.Presence.Connect(ada.ID)
	chat := cvStart(t, srv, defaultChannel(t, srv).ID, "https://shop.example/", "Shop")
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, `{"body":"my address is 1 Main St"}`); code != http.StatusCreated {
		t.Fatalf("post: %d %v", code, body)
	}
	x, err := srv.Store.SessionByPublicID(t.Context(), chat.ID)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/visitors/%d", x.VisitorID)
	if code, _, _ := call(t, srv, "GET", path+"/export", token(t, srv, bob), ""); code != http.StatusForbidden {
		t.Fatalf("an operator exported a visitor: %d", code)
	}
	adaTok := token(t, srv, ada)
	code, hdr, body := call(t, srv, "GET", path+"/export", adaTok, "")
	convs, _ := body["conversations"].([]any)
	if code != http.StatusOK || len(convs) != 1 || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", code, body)
	}
	if code, _, body := call(t, srv, "DELETE", path, adaTok, ""); code != http.StatusOK || body["conversations"] != float64(1) {
		t.Fatalf("erase: %d %v", code, body)
	}
	if code, _, _ := call(t, srv, "GET", path+"/export", adaTok, ""); code != http.StatusNotFound {
		t.Fatalf("export after erase: %d, want 404", code)
	}
	if code, _, _ := call(t, srv, "GET", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, ""); code == http.StatusOK {
		t.Fatal("the erased visitor's token still reads the conversation")
	}
}

// TestLivePushesInTheReadersLanguage: what the system says is pushed to a
// Spanish visitor in Spanish and to an operator in their profile's
// language, while the same conversation's HTTP answers follow each
// request's language.
func TestLivePushesInTheReadersLanguage(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	es := "es"
	if _, err := srv.Auth.UpdateProfile(t.Context(), ada, ada.ID, auth.ProfileInput{Name: "Ada", Email: "ada@example.com", Language: &es}); err != nil {
		t.Fatal(err)
	}
	tok := token(t, srv, ada)
	op := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + tok}})
	waitOnline(t, srv, ada.ID)

	req, _ := http.NewRequest("POST", srv.URL+"/im_livechat/sessions", strings.NewReader(fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/"}`, defaultChannel(t, srv).ID)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "es-ES,es;q=0.9")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var started struct {
		Token   string `json:"visitor_token"`
		Session struct {
			ID string `json:"id"`
		} `json:"session"`
	}
	if err := json.NewDecoder(res.Body).Decode(&started); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if f := op.next("session"); !strings.HasPrefix(f["visitor_name"].(string), "Visitante del sitio web") {
		t.Fatalf("the Spanish operator's label for the visitor: %v", f["visitor_name"])
	}
	vis := dial(t, srv, "/im_livechat/ws?token="+started.Token, nil)
	if code, _, body := call(t, srv, "POST", "/api/v1/sessions/"+started.Session.ID+"/close", tok, ""); code != http.StatusOK {
		t.Fatalf("close: %d %v", code, body)
	}
	if f := vis.next("message"); f["body"] != "Ada finalizó la conversación." {
		t.Fatalf("the Spanish visitor's live notice: %v", f["body"])
	}
	if f := op.next("message"); f["body"] != "Ada finalizó la conversación." {
		t.Fatalf("the Spanish operator's live notice: %v", f["body"])
	}
}

package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
)

// command posts text as an operator through /api/v1 and returns the
// command answer, failing when the post was not answered as a command.
func command(t *testing.T, srv *apptest.Server, tok, sid, text string) map[string]any {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"body": text})
	code, _, body := call(t, srv, "POST", "/api/v1/sessions/"+sid+"/messages", tok, string(b))
	cmd, ok := body["command"].(map[string]any)
	if code != http.StatusOK || !ok {
		t.Fatalf("%s: %d %v", text, code, body)
	}
	for _, k := range []string{"name", "ok", "text", "html"} {
		if _, ok := cmd[k]; !ok {
			t.Fatalf("%s: the answer lacks %q: %v", text, k, cmd)
		}
	}
	return cmd
}

func answerOK(t *testing.T, cmd map[string]any, name string, ok bool, text string) {
	t.Helper()
	if cmd["name"] != name || cmd["ok"] != ok || !strings.Contains(cmd["text"].(string), text) {
		t.Errorf("answer = %v, want name %s ok %v with %q", cmd, name, ok, text)
	}
}

// TestOperatorCommandsThroughTheAPI runs every command, its aliases and its
// bad inputs as an integration would, and checks from the visitor's side
// (socket and messages API) that nothing of them reached the visitor.
func TestOperatorCommandsThroughTheAPI(t *testing.T) {
	srv := apptest.NewServer(t)
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleOperator)
	cy := srv.CreateUser(t, "cy@example.com", "Cy", model.RoleOperator)
	ch := defaultChannel(t, srv)
	if err := srv.Livechat.Join(t.Context(), ch.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	bobTok, cyTok := token(t, srv, bob), token(t, srv, cy)
	bobWS := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + bobTok}})
	waitOnline(t, srv, bob.ID)

	chat := cvStart(t, srv, ch.ID, "https://shop.example/chairs", "Chairs")
	bobWS.next("session")
	vis := dial(t, srv, "/im_livechat/ws?token="+chat.Token, nil)
	for _, u := range []string{"https://shop.example/", "https://shop.example/chairs", "https://shop.example/tables", "https://shop.example/chairs"} {
		if code, _, body := call(t, srv, "POST", "/im_livechat/pageviews", chat.Token, `{"url":"`+u+`","title":"Shop"}`); code != http.StatusNoContent {
			t.Fatalf("page view: %d %v", code, body)
		}
	}
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, `{"body":"I need 40 chairs"}`); code != http.StatusCreated {
		t.Fatalf("visitor post: %d %v", code, body)
	}
	vis.next("message")

	// /help and /ayuda: who the visitor is, the tips, every command.
	for _, name := range []string{"/help", "/ayuda", "/HELP"} {
		a := command(t, srv, bobTok, chat.ID, name)
		answerOK(t, a, "help", true, "You are in a private conversation with "+chat.Visitor)
		for _, want := range []string{":shortcut", "/history, /historial", "/lead, /iniciativa", "/helpdesk, /ticket", "/helpdesk_search, /search_tickets", "/leave"} {
			if !strings.Contains(a["text"].(string), want) {
				t.Errorf("%s lacks %q: %s", name, want, a["text"])
			}
		}
	}

	// /history: distinct pages, the latest view first, as links.
	a := command(t, srv, bobTok, chat.ID, "/historial")
	text := a["text"].(string)
	if a["name"] != "history" || strings.Count(text, "https://shop.example/chairs") != 1 || strings.Index(text, "/chairs") > strings.Index(text, "/tables") ||
		!strings.Contains(a["html"].(string), `<a href="https://shop.example/tables"`) {
		t.Errorf("/history = %v", a)
	}

	// /lead: usage without a title; with one, a lead with the transcript.
	answerOK(t, command(t, srv, bobTok, chat.ID, "/lead"), "lead", false, "/lead lead title")
	a = command(t, srv, bobTok, chat.ID, "/lead Forty chairs")
	answerOK(t, a, "lead", true, "Created a new lead: Forty chairs "+srv.Config.PublicURL()+"/admin/leads/")
	answerOK(t, command(t, srv, bobTok, chat.ID, "/iniciativa Tables too"), "lead", true, "Tables too")
	list, err := srv.App.Leads.Leads(t.Context(), "", "")
	if err != nil || len(list) != 2 {
		t.Fatalf("leads: %v %d", err, len(list))
	}
	l := list[1]
	if l.Title != "Forty chairs" || !strings.Contains(l.Notes, "I need 40 chairs") || l.Source != "Live Chat" || l.ReferrerID != bob.ID || l.SessionPub != chat.ID {
		t.Errorf("lead = %+v", l)
	}
	if !strings.Contains(a["html"].(string), `href="/admin/leads/`) {
		t.Errorf("lead html = %s", a["html"])
	}

	// /helpdesk: a clear answer while no team takes live chat tickets.
	answerOK(t, command(t, srv, bobTok, chat.ID, "/helpdesk"), "helpdesk", false, "/helpdesk ticket title")
	answerOK(t, command(t, srv, bobTok, chat.ID, "/helpdesk Broken chair"), "helpdesk", false, "No helpdesk team takes tickets from live chat")
	if err := srv.App.Helpdesk.SaveTeam(t.Context(), &model.HelpdeskTeam{Name: "Support", Sequence: 1, LiveChat: true}); err != nil {
		t.Fatal(err)
	}
	answerOK(t, command(t, srv, bobTok, chat.ID, "/helpdesk Broken chair"), "helpdesk", true, "Created a new ticket: #01 Broken chair")
	answerOK(t, command(t, srv, bobTok, chat.ID, "/ticket Wobbly table"), "helpdesk", true, "#02 Wobbly table")
	answerOK(t, command(t, srv, bobTok, chat.ID, "/helpdesk_search 2"), "helpdesk_search", true, "#02 Wobbly table (New)")
	a = command(t, srv, bobTok, chat.ID, "/search_tickets chair")
	answerOK(t, a, "helpdesk_search", true, "#01 Broken chair")
	if strings.Contains(a["text"].(string), "#02") {
		t.Errorf("search for chair found the table: %s", a["text"])
	}
	answerOK(t, command(t, srv, bobTok, chat.ID, "/helpdesk_search sofa"), "helpdesk_search", false, "No tickets found for sofa.")
	answerOK(t, command(t, srv, bobTok, chat.ID, "/helpdesk_search"), "helpdesk_search", false, "/helpdesk_search keyword")

	// Bad input: unknown command, over-long arguments (nothing created).
	answerOK(t, command(t, srv, bobTok, chat.ID, "/leed typo"), "leed", false, "Unknown command /leed")
	answerOK(t, command(t, srv, bobTok, chat.ID, "/lead "+strings.Repeat("x", 501)), "lead", false, "at most 500 characters")
	answerOK(t, command(t, srv, bobTok, chat.ID, "/lead "+strings.Repeat("x", 300)), "lead", false, "at most 200 characters")
	if list, _ := srv.App.Leads.Leads(t.Context(), "", ""); len(list) != 2 {
		t.Errorf("bad input created leads: %d", len(list))
	}
	// An operator who is not in the conversation cannot run anything in it.
	if code, _, body := call(t, srv, "POST", "/api/v1/sessions/"+chat.ID+"/messages", cyTok, `{"body":"/lead Steal"}`); code != http.StatusNotFound {
		t.Errorf("another operator's command: %d %v", code, body)
	}

	// A message after all this reaches the visitor; no command did.
	if code, _, body := call(t, srv, "POST", "/api/v1/sessions/"+chat.ID+"/messages", bobTok, `{"body":"Thanks, done"}`); code != http.StatusCreated {
		t.Fatalf("operator post: %d %v", code, body)
	}
	for {
		m := vis.next("message")
		body, _ := m["body"].(string)
		if strings.ContainsAny(body, "/#") || strings.Contains(body, "lead") || strings.Contains(body, "ticket") {
			t.Errorf("the visitor's socket carried %q", body)
		}
		if body == "Thanks, done" {
			break
		}
	}
	_, _, body := call(t, srv, "GET", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, "")
	var bodies []string
	for _, m := range body["messages"].([]any) {
		bodies = append(bodies, m.(map[string]any)["body"].(string))
	}
	if strings.Join(bodies, "|") != "I need 40 chairs|Thanks, done" {
		t.Errorf("the visitor's messages: %q", bodies)
	}

	// A closed conversation takes no more commands but /help.
	if code, _, body := call(t, srv, "POST", "/api/v1/sessions/"+chat.ID+"/close", bobTok, ""); code != http.StatusOK {
		t.Fatalf("close: %d %v", code, body)
	}
	answerOK(t, command(t, srv, bobTok, chat.ID, "/lead After the end"), "lead", false, "This conversation has ended.")
	answerOK(t, command(t, srv, bobTok, chat.ID, "/help"), "help", true, "/lead")
}

// TestHistoryWithoutPages: a visitor whose pages were never recorded.
func TestHistoryWithoutPages(t *testing.T) {
	srv := apptest.NewServer(t)
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleOperator)
	ch := defaultChannel(t, srv)
	if err := srv.Livechat.Join(t.Context(), ch.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	srv.Livechat.Presence.Connect(bob.ID)
	chat := cvStart(t, srv, ch.ID, "", "")
	answerOK(t, command(t, srv, token(t, srv, bob), chat.ID, "/history"), "history", true, "No history found")
}

// TestCannedResponsesAPIAndSubstitution: the shipped responses are listed
// in the reader's language, and a ":shortcut" in a post becomes its text.
func TestCannedResponsesAPIAndSubstitution(t *testing.T) {
	srv := apptest.NewServer(t)
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleOperator)
	ch := defaultChannel(t, srv)
	if err := srv.Livechat.Join(t.Context(), ch.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	srv.Livechat.Presence.Connect(bob.ID)
	tok := token(t, srv, bob)
	code, _, body := call(t, srv, "GET", "/api/v1/canned-responses", tok, "")
	got := map[string]string{}
	for _, r := range body["canned_responses"].([]any) {
		m := r.(map[string]any)
		got[m["shortcut"].(string)] = m["substitution"].(string) + "|" + m["texts"].(map[string]any)["es"].(string)
	}
	if code != 200 || got["hello"] != "Hello, how may I help you?|Hola, ¿en qué puedo ayudarle?" || got["bye"] != "Thanks for your feedback. Good bye!|Gracias por sus comentarios. ¡Adiós!" {
		t.Fatalf("canned responses: %d %v", code, body)
	}

	chat := cvStart(t, srv, ch.ID, "", "")
	post := func(text string) string {
		t.Helper()
		b, _ := json.Marshal(map[string]string{"body": text})
		code, _, body := call(t, srv, "POST", "/api/v1/sessions/"+chat.ID+"/messages", tok, string(b))
		if code != http.StatusCreated {
			t.Fatalf("post %q: %d %v", text, code, body)
		}
		return body["message"].(map[string]any)["body"].(string)
	}
	for in, want := range map[string]string{
		":hello":                 "Hello, how may I help you?",
		"::HELLO Ann":            "Hello, how may I help you? Ann",
		"Sure. :bye":             "Sure. Thanks for your feedback. Good bye!",
		"at 10:30 :nothing here": "at 10:30 :nothing here",
		"x:hello":                "x:hello",
	} {
		if got := post(in); got != want {
			t.Errorf("%q posted as %q, want %q", in, got, want)
		}
	}
	// The API speaks the request's language.
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/sessions/"+chat.ID+"/messages", strings.NewReader(`{"body":":hello"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "es-ES,es;q=0.9")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Message struct{ Body string } }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Message.Body != "Hola, ¿en qué puedo ayudarle?" {
		t.Errorf("a Spanish :hello = %q (%v)", out.Message.Body, err)
	}
}

// TestMentionsAreInternalNotes: a post that mentions users is a note the
// operators see and the visitor never does (socket and messages API), the
// mentioned user's inbox gets it live over their socket, and bad mentions
// are refused.
func TestMentionsAreInternalNotes(t *testing.T) {
	srv := apptest.NewServer(t)
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleOperator)
	cy := srv.CreateUser(t, "cy@example.com", "Cy", model.RoleOperator)
	gone := srv.CreateUser(t, "gone@example.com", "Gone", model.RoleOperator)
	ch := defaultChannel(t, srv)
	if err := srv.Livechat.Join(t.Context(), ch.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := srv.Store.DeactivateUser(t.Context(), gone.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	bobTok, cyTok := token(t, srv, bob), token(t, srv, cy)
	dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + bobTok}})
	waitOnline(t, srv, bob.ID)
	cyWS := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + cyTok}})
	chat := cvStart(t, srv, ch.ID, "", "")
	vis := dial(t, srv, "/im_livechat/ws?token="+chat.Token, nil)
	path := "/api/v1/sessions/" + chat.ID + "/messages"

	code, _, body := call(t, srv, "GET", "/api/v1/mentionable?q=cy", bobTok, "")
	if users := body["users"].([]any); code != 200 || len(users) != 1 || users[0].(map[string]any)["name"] != "Cy" {
		t.Fatalf("mentionable: %d %v", code, body)
	}
	if code, _, body = call(t, srv, "POST", path, bobTok, `{"body":"@Gone look","mentions":[`+itoa(gone.ID)+`]}`); code != http.StatusUnprocessableEntity {
		t.Errorf("a deactivated user mentioned: %d %v", code, body)
	}
	if code, _, body = call(t, srv, "POST", path, bobTok, `{"body":"@Nobody look","mentions":[999]}`); code != http.StatusUnprocessableEntity {
		t.Errorf("an unknown user mentioned: %d %v", code, body)
	}
	code, _, body = call(t, srv, "POST", path, bobTok, `{"body":"@Cy can you check the refund?","mentions":[`+itoa(cy.ID)+`]}`)
	note, _ := body["message"].(map[string]any)
	if code != http.StatusCreated || note["internal"] != true {
		t.Fatalf("note: %d %v", code, body)
	}
	n := cyWS.next("notification")
	if n["author"] != "Bob" || n["body"] != "@Cy can you check the refund?" || n["can_open"] != false || !strings.Contains(n["text"].(string), "Bob mentioned you in a conversation with Website Visitor") {
		t.Errorf("notification frame: %v", n)
	}
	code, _, body = call(t, srv, "GET", "/api/v1/inbox", cyTok, "")
	if items := body["notifications"].([]any); code != 200 || body["unread"] != float64(1) || len(items) != 1 {
		t.Fatalf("inbox: %d %v", code, body)
	}
	if code, _, _ = call(t, srv, "POST", "/api/v1/inbox/read", cyTok, ""); code != http.StatusNoContent {
		t.Fatalf("read: %d", code)
	}
	if _, _, body = call(t, srv, "GET", "/api/v1/inbox", cyTok, ""); body["unread"] != float64(0) {
		t.Errorf("after reading: %v", body)
	}
	// The operators' view has the note; the visitor's has none of it.
	_, _, body = call(t, srv, "GET", path, bobTok, "")
	if ms := body["messages"].([]any); len(ms) != 1 || ms[0].(map[string]any)["internal"] != true {
		t.Errorf("operator messages: %v", ms)
	}
	if code, _, body = call(t, srv, "POST", path, bobTok, `{"body":"Hello!"}`); code != http.StatusCreated {
		t.Fatalf("reply: %d %v", code, body)
	}
	if m := vis.next("message"); m["body"] != "Hello!" {
		t.Errorf("the visitor's first frame: %v", m)
	}
	_, _, body = call(t, srv, "GET", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, "")
	if ms := body["messages"].([]any); len(ms) != 1 || ms[0].(map[string]any)["body"] != "Hello!" {
		t.Errorf("the visitor's messages: %v", ms)
	}
}

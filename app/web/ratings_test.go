package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/model"
)

// TestFeedback rates a chat through the visitor API as the widget does:
// refused while open, then rated, replaced, and told to the operator live.
func TestFeedback(t *testing.T) {
	srv := apptest.NewServer(t)
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleOperator)
	ch := defaultChannel(t, srv)
	if err := srv.Livechat.Join(t.Context(), ch.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	bobTok := token(t, srv, bob)
	bobWS := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + bobTok}})
	waitOnline(t, srv, bob.ID)
	chat := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	other := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	bobWS.next("session")
	path := "/im_livechat/sessions/" + chat.ID + "/feedback"

	code, _, body := call(t, srv, "POST", path, chat.Token, `{"rating":5}`)
	if code != http.StatusConflict || body["code"] != "session_open" || body["error"] == "" {
		t.Fatalf("rating an open chat: %d %v", code, body)
	}
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/close", chat.Token, ""); code != http.StatusOK {
		t.Fatalf("close: %d %v", code, body)
	}
	for _, c := range []struct {
		name, tok, path, body string
		status                int
	}{
		{"rating 4", chat.Token, path, `{"rating":4}`, http.StatusUnprocessableEntity},
		{"no rating", chat.Token, path, `{}`, http.StatusUnprocessableEntity},
		{"rating as text", chat.Token, path, `{"rating":"5"}`, http.StatusBadRequest},
		{"reason on satisfied", chat.Token, path, `{"rating":5,"reason":"fine"}`, http.StatusUnprocessableEntity},
		{"over-long reason", chat.Token, path, fmt.Sprintf(`{"rating":1,"reason":%q}`, strings.Repeat("x", 1001)), http.StatusUnprocessableEntity},
		{"someone else's session", other.Token, path, `{"rating":1}`, http.StatusNotFound},
		{"no token", "", path, `{"rating":1}`, http.StatusUnauthorized},
	} {
		code, _, body := call(t, srv, "POST", c.path, c.tok, c.body)
		if code != c.status || body["error"] == "" {
			t.Errorf("%s: %d %v, want %d with a message", c.name, code, body, c.status)
		}
	}
	if n, _ := srv.Store.CountRatings(t.Context(), model.RatingFilter{}); n != 0 {
		t.Fatalf("refused feedback saved %d ratings", n)
	}

	code, _, body = call(t, srv, "POST", path, chat.Token, `{"rating":1,"reason":"Nobody knew"}`)
	if s, _ := body["session"].(map[string]any); code != http.StatusOK || s["rating"] != 1.0 {
		t.Fatalf("feedback: %d %v", code, body)
	}
	// The operator hears of it live: the notice, then the session's rating
	// (after the frames of the visitor leaving).
	for m := bobWS.next("message"); !strings.Contains(fmt.Sprint(m["body"]), "Rating"); m = bobWS.next("message") {
	}
	for s := bobWS.next("session"); s["rating"] == nil; s = bobWS.next("session") {
	}
	// Changing one's mind replaces the rating.
	if code, _, body := call(t, srv, "POST", path, chat.Token, `{"rating":5}`); code != http.StatusOK {
		t.Fatalf("second feedback: %d %v", code, body)
	}
	_, _, body = call(t, srv, "GET", "/api/v1/sessions/"+chat.ID+"/messages", bobTok, "")
	var notices []string
	for _, m := range body["messages"].([]any) {
		if b := fmt.Sprint(m.(map[string]any)["body"]); strings.HasPrefix(b, "Rating") {
			notices = append(notices, b)
		}
	}
	if want := []string{"Rating: 😞 Dissatisfied. Rating reason: Nobody knew", "Rating: 😊 Satisfied"}; strings.Join(notices, "|") != strings.Join(want, "|") {
		t.Errorf("operator's notices %q, want %q", notices, want)
	}
	_, _, body = call(t, srv, "GET", "/im_livechat/sessions/"+chat.ID, chat.Token, "")
	if s := body["session"].(map[string]any); s["rating"] != 5.0 {
		t.Errorf("session rating %v", s)
	}

	// The operator API lists it; another operator sees none of it.
	code, _, body = call(t, srv, "GET", "/api/v1/ratings?days=7&rating=5", bobTok, "")
	list, _ := body["ratings"].([]any)
	if code != http.StatusOK || len(list) != 1 || body["total"] != 1.0 {
		t.Fatalf("api ratings: %d %v", code, body)
	}
	if r := list[0].(map[string]any); r["session_id"] != chat.ID || r["rating"] != 5.0 || r["operator"].(map[string]any)["name"] != "Bob" {
		t.Errorf("api rating: %v", r)
	}
	cy := srv.CreateUser(t, "cy@example.com", "Cy", model.RoleOperator)
	if _, _, body := call(t, srv, "GET", "/api/v1/ratings", token(t, srv, cy), ""); body["total"] != 0.0 {
		t.Errorf("another operator reads Bob's ratings: %v", body)
	}
	for _, q := range []string{"days=3", "rating=4", "channel_id=x", "limit=0"} {
		if code, _, body := call(t, srv, "GET", "/api/v1/ratings?"+q, bobTok, ""); code != http.StatusBadRequest || body["error"] == "" {
			t.Errorf("%s: %d %v", q, code, body)
		}
	}
}

// rateChat runs a whole chat on ch and rates it v.
func rateChat(t *testing.T, srv *apptest.Server, ch *model.Channel, v int, reason string) {
	t.Helper()
	chat := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, `{"body":"Hello"}`); code != http.StatusCreated {
		t.Fatalf("post: %d %v", code, body)
	}
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/close", chat.Token, ""); code != http.StatusOK {
		t.Fatalf("close: %d %v", code, body)
	}
	b := fmt.Sprintf(`{"rating":%d}`, v)
	if reason != "" {
		b = fmt.Sprintf(`{"rating":%d,"reason":%q}`, v, reason)
	}
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/feedback", chat.Token, b); code != http.StatusOK {
		t.Fatalf("feedback: %d %v", code, body)
	}
}

func TestPublicRatingPages(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleOperator)
	ch := defaultChannel(t, srv)
	if err := srv.Livechat.Join(t.Context(), ch.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	srv.Livechat.Presence.Connect(bob.ID)
	for _, v := range []int{5, 5, 5, 3} {
		rateChat(t, srv, ch, v, "")
	}
	rateChat(t, srv, ch, 1, "secret complaint")
	anon := srv.NewClient(t)
	page := "/livechat/channel/" + fmt.Sprint(ch.ID)

	// Unpublished: not found for visitors, a preview for admins.
	if res, _ := anon.Get(page); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unpublished page: %d", res.StatusCode)
	}
	res, html := admin.Get(page)
	if res.StatusCode != http.StatusOK || !strings.Contains(html, "Preview") || res.Header.Get("ETag") != "" {
		t.Fatalf("admin preview: %d etag %q", res.StatusCode, res.Header.Get("ETag"))
	}
	if res, html := anon.Get("/livechat"); res.StatusCode != http.StatusOK || !strings.Contains(html, "There are no public live chat channels to show.") {
		t.Fatalf("empty index: %d %s", res.StatusCode, html)
	}

	ch.Published = true
	if err := srv.Livechat.UpdateChannel(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	res, html = anon.Get("/livechat")
	if res.StatusCode != http.StatusOK || !strings.Contains(html, `href="`+page+`"`) || !strings.Contains(html, "<title>Live chat support channels") {
		t.Fatalf("index: %d %s", res.StatusCode, html)
	}
	res, html = anon.Get(page)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("published page: %d", res.StatusCode)
	}
	for _, want := range []string{`data-rating="5"`, "60.0 %", "20.0 %", "The 5 last feedbacks", "Bob", `name="description"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "secret complaint") {
		t.Error("a reason is public")
	}
	etag := res.Header.Get("ETag")
	if etag == "" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("not cacheable: %v", res.Header)
	}
	res, _ = anon.Do("GET", page, nil, map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", res.StatusCode)
	}
	// A new rating changes the page and its ETag at once.
	rateChat(t, srv, ch, 5, "")
	res, html = anon.Do("GET", page, nil, map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == etag || !strings.Contains(html, "66.7 %") {
		t.Errorf("after a new rating: %d %q", res.StatusCode, res.Header.Get("ETag"))
	}
	// Spanish readers get Spanish.
	res, html = anon.Do("GET", page, nil, map[string]string{"Accept-Language": "es"})
	if res.StatusCode != http.StatusOK || !strings.Contains(html, "Estadísticas") || !strings.Contains(html, "66,7 %") {
		t.Errorf("Spanish page: %d", res.StatusCode)
	}
	for _, p := range []string{"/livechat/channel/999", "/livechat/channel/abc"} {
		if res, _ := anon.Get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}

func TestPublicIndexCanBeTurnedOff(t *testing.T) {
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) { c.Livechat.PublicIndex = false }))
	ch := defaultChannel(t, srv)
	ch.Published = true
	if err := srv.Livechat.UpdateChannel(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	anon := srv.NewClient(t)
	if res, _ := anon.Get("/livechat"); res.StatusCode != http.StatusNotFound {
		t.Errorf("index off: %d", res.StatusCode)
	}
	if res, _ := anon.Get(fmt.Sprintf("/livechat/channel/%d", ch.ID)); res.StatusCode != http.StatusOK {
		t.Errorf("channel page with the index off: %d", res.StatusCode)
	}
}

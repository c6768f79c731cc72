package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// cvChat is a conversation a test visitor started through the visitor API.
type cvChat struct {
	ID, Token, Visitor string
}

// cvStart opens a chat on channel as a new visitor; whoever is connected
// among the channel's operators takes it.
func cvStart(t *testing.T, srv *apptest.Server, channelID int64, url, title string) cvChat {
	t.Helper()
	code, _, body := call(t, srv, "POST", "/im_livechat/sessions", "", fmt.Sprintf(`{"channel_id":%d,"url":%q,"title":%q}`, channelID, url, title))
	if code != http.StatusCreated {
		t.Fatalf(`start chat: %d %v`, code, body)
	}
	s := body["session"].(map[string]any)
	return cvChat{ID: s["id"].(string), Token: body["visitor_token"].(string), Visitor: s["visitor_name"].(string)}
}

// cvAssignTo makes only op available, so the next chats go to them.
func cvAssignTo(srv *apptest.Server, online *int64, op int64) {
	if *online != 0 {
		srv.Livechat.Presence.Disconnect(*online)
	}
	srv.Livechat.Presence.Connect(op)
	*online = op
}

func cvLogin(t *testing.T, srv *apptest.Server, email string) *apptest.Client {
	t.Helper()
	c := srv.NewClient(t)
	c.Login(email)
	return c
}

func cvGet(t *testing.T, c *apptest.Client, path string, want int) string {
	t.Helper()
	res, body := c.Get(path)
	if res.StatusCode != want {
		t.Fatalf(`GET %s: status %d, want %d: %.400s`, path, res.StatusCode, want, body)
	}
	return body
}

func cvContains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf(`%s: missing %q`, what, w)
		}
	}
}

func cvLacks(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf(`%s: must not contain %q`, what, w)
		}
	}
}

var cvRowRe = regexp.MustCompile(`<tr class="row-link">`)

func TestConversationPages(t *testing.T) {
	srv := apptest.NewServer(t)
	ctx := context.Background()
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	olga := srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	piet := srv.CreateUser(t, "piet@example.com", "Piet", model.RoleOperator)
	ch := defaultChannel(t, srv)
	if err := srv.Livechat.AddOperators(ctx, ch.ID, []int64{olga.ID, piet.ID}); err != nil {
		t.Fatal(err)
	}
	other := &model.Channel{Name: "Billing", Options: model.DefaultChannelOptions()}
	if err := srv.Livechat.CreateChannel(ctx, other, admin.ID); err != nil {
		t.Fatal(err)
	}

	var online int64
	cvAssignTo(srv, &online, olga.ID)
	a := cvStart(t, srv, ch.ID, "https://shop.example/pricing", "Pricing")
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token,
		`{"body":"<script>alert(1)</script> see https://shop.example/faq.\nsecond line"}`); code != http.StatusCreated {
		t.Fatalf(`visitor post: %d %v`, code, body)
	}
	if code, _, _ := call(t, srv, "POST", "/im_livechat/pageviews", a.Token, `{"url":"https://shop.example/checkout","title":"Checkout <now>"}`); code != http.StatusNoContent {
		t.Fatalf(`page view: %d`, code)
	}
	cvAssignTo(srv, &online, piet.ID)
	b := cvStart(t, srv, ch.ID, "https://shop.example/", "Home")
	call(t, srv, "POST", "/im_livechat/sessions/"+b.ID+"/messages", b.Token, `{"body":"Piet's visitor here"}`)
	if code, _, _ := call(t, srv, "POST", "/im_livechat/sessions/"+b.ID+"/close", b.Token, ""); code != http.StatusOK {
		t.Fatalf(`close: %d`, code)
	}

	oc := cvLogin(t, srv, "olga@example.com")
	pc := cvLogin(t, srv, "piet@example.com")
	ac := cvLogin(t, srv, "ada@example.com")

	t.Run("nav", func(t *testing.T) {
		body := cvGet(t, oc, "/admin/conversations", 200)
		nav := body[strings.Index(body, `<nav class="mainnav"`):]
		nav = nav[:strings.Index(nav, "</nav>")]
		order := []string{"/admin/conversations", "/admin/channels", "/admin/sessions", "/admin/visitors"}
		last := -1
		for _, href := range order {
			i := strings.Index(nav, `href="`+href+`"`)
			if i <= last {
				t.Fatalf(`nav order: %s at %d (after %d) in %s`, href, i, last, nav)
			}
			last = i
		}
		cvContains(t, "nav", nav, "data-chat-unread")
		cvLacks(t, "operator nav", nav, "/admin/config/users")
		cvContains(t, "admin nav", cvGet(t, ac, "/admin/sessions", 200), `href="/admin/config/users"`)
		cvContains(t, "every page", body, `id="chat-dock"`, `id="chat-window-tpl"`, "/js/chat.js")
	})

	t.Run("conversations", func(t *testing.T) {
		body := cvGet(t, oc, "/admin/conversations", 200)
		cvContains(t, "olga's conversations", body, a.Visitor, "&lt;script&gt;alert(1)&lt;/script&gt;", `data-session="`+a.ID+`"`)
		cvLacks(t, "olga's conversations", body, b.Visitor, "<script>alert(1)")
		body = cvGet(t, oc, "/admin/conversations?session="+a.ID, 200)
		cvContains(t, "selected conversation", body, `data-selected="`+a.ID+`"`, "Checkout &lt;now&gt;",
			`href="https://shop.example/checkout"`, `href="/admin/sessions/`+a.ID+`"`, "Current page")
		cvGet(t, oc, "/admin/conversations?session="+b.ID, 404)
		cvGet(t, oc, "/admin/conversations?session=nope", 404)
		body = cvGet(t, pc, "/admin/conversations", 200)
		cvContains(t, "piet's closed chat", body, b.Visitor, "Recently closed")
		// An admin may open anyone's conversation by link.
		cvGet(t, ac, "/admin/conversations?session="+a.ID, 200)
	})

	t.Run("sessions list", func(t *testing.T) {
		body := cvGet(t, oc, "/admin/sessions", 200)
		if n := len(cvRowRe.FindAllString(body, -1)); n != 1 {
			t.Fatalf(`olga sees %d sessions, want her 1`, n)
		}
		cvContains(t, "olga's sessions", body, a.Visitor, "/admin/sessions/"+a.ID, "Olga")
		cvLacks(t, "olga's sessions", body, b.Visitor, `name="operator_id"`)
		// The operator filter is for admins; operators cannot widen their view.
		body = cvGet(t, oc, fmt.Sprintf("/admin/sessions?operator_id=%d", piet.ID), 200)
		cvLacks(t, "operator_id from an operator", body, b.Visitor)

		body = cvGet(t, ac, "/admin/sessions", 200)
		if n := len(cvRowRe.FindAllString(body, -1)); n != 2 {
			t.Fatalf(`admin sees %d sessions, want 2`, n)
		}
		cvContains(t, "admin filters", body, `name="operator_id"`, `name="channel_id"`, `name="status"`)
		tests := []struct {
			name, query string
			want        int
			visitor     string
		}{
			{"by operator", fmt.Sprintf("operator_id=%d", piet.ID), 1, b.Visitor},
			{"open", "status=open", 1, a.Visitor},
			{"closed", "status=closed", 1, b.Visitor},
			{"by channel", fmt.Sprintf("channel_id=%d", ch.ID), 2, a.Visitor},
			{"other channel", fmt.Sprintf("channel_id=%d", other.ID), 0, ""},
			{"combined", fmt.Sprintf("channel_id=%d&status=closed&operator_id=%d", ch.ID, olga.ID), 0, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				body := cvGet(t, ac, "/admin/sessions?"+tt.query, 200)
				if n := len(cvRowRe.FindAllString(body, -1)); n != tt.want {
					t.Fatalf(`%s: %d rows, want %d`, tt.query, n, tt.want)
				}
				if tt.visitor != "" {
					cvContains(t, tt.query, body, tt.visitor)
				}
				if tt.want == 0 {
					cvContains(t, tt.query, body, "No session matches these filters.")
				}
			})
		}
	})

	t.Run("transcript", func(t *testing.T) {
		body := cvGet(t, oc, "/admin/sessions/"+a.ID, 200)
		cvContains(t, "transcript", body, "&lt;script&gt;alert(1)&lt;/script&gt; see ",
			`<a href="https://shop.example/faq" target="_blank" rel="noopener noreferrer nofollow">https://shop.example/faq</a>.`+"\nsecond line",
			"Open in Conversations", "/admin/conversations?session="+a.ID, "Checkout &lt;now&gt;", "<time datetime=")
		cvLacks(t, "transcript", body, "<script>alert(1)")
		cvGet(t, pc, "/admin/sessions/"+a.ID, 404)
		cvGet(t, oc, "/admin/sessions/"+b.ID, 404)
		body = cvGet(t, ac, "/admin/sessions/"+b.ID, 200)
		cvContains(t, "closed transcript", body, "has left the conversation.", "Piet&#39;s visitor here")
		cvLacks(t, "closed transcript", body, "/admin/conversations?session="+b.ID)
	})

	t.Run("visitors", func(t *testing.T) {
		body := cvGet(t, oc, "/admin/visitors", 200)
		cvContains(t, "visitors", body, a.Visitor, b.Visitor, "Checkout &lt;now&gt;", "data-relative")
		xa, err := srv.Store.SessionByPublicID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		xb, _ := srv.Store.SessionByPublicID(ctx, b.ID)
		body = cvGet(t, oc, fmt.Sprintf("/admin/visitors/%d", xa.VisitorID), 200)
		cvContains(t, "visitor page", body, "https://shop.example/checkout", "/admin/sessions/"+a.ID)
		// Olga sees Piet's visitor, but not Piet's conversation with them.
		body = cvGet(t, oc, fmt.Sprintf("/admin/visitors/%d", xb.VisitorID), 200)
		cvLacks(t, "another operator's visitor", body, "/admin/sessions/"+b.ID)
		cvContains(t, "admin on the visitor page", cvGet(t, ac, fmt.Sprintf("/admin/visitors/%d", xb.VisitorID), 200), "/admin/sessions/"+b.ID)
		cvGet(t, oc, "/admin/visitors/999999", 404)
		cvGet(t, oc, "/admin/visitors/x", 404)
	})

	t.Run("pagination", func(t *testing.T) {
		for i := 0; i < 26; i++ {
			v, _, err := srv.Livechat.NewVisitor(ctx, "BE")
			if err != nil {
				t.Fatal(err)
			}
			x := &model.Session{PublicID: fmt.Sprintf("bulk-%02d", i), ChannelID: ch.ID, VisitorID: v.ID, VisitorName: v.DisplayName(),
				OperatorID: olga.ID, OperatorName: "Olga", Country: "BE"}
			if err := srv.Store.CreateSession(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		body := cvGet(t, oc, "/admin/sessions?status=open", 200)
		if n := len(cvRowRe.FindAllString(body, -1)); n != 25 {
			t.Fatalf(`page 1: %d rows, want 25`, n)
		}
		cvContains(t, "page 1", body, "1–25 of 27", `href="/admin/sessions?page=2&amp;status=open" rel="next"`, "(Belgium)")
		body = cvGet(t, oc, "/admin/sessions?status=open&page=2", 200)
		if n := len(cvRowRe.FindAllString(body, -1)); n != 2 {
			t.Fatalf(`page 2: %d rows, want 2`, n)
		}
		cvContains(t, "page 2", body, "26–27 of 27", `rel="prev"`)
		// A page past the end shows the last one.
		if n := len(cvRowRe.FindAllString(cvGet(t, oc, "/admin/sessions?status=open&page=99", 200), -1)); n != 2 {
			t.Fatalf(`page 99: %d rows, want the last page's 2`, n)
		}
	})
}

func TestOfflineMessagesHandled(t *testing.T) {
	srv := apptest.NewServer(t)
	srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	ch := defaultChannel(t, srv)
	code, _, _ := call(t, srv, "POST", "/im_livechat/offline_messages", "",
		fmt.Sprintf(`{"channel_id":%d,"name":"Bo <b>","email":"bo@example.com","body":"Call me <img src=x onerror=alert(1)>","url":"https://shop.example/contact"}`, ch.ID))
	if code != http.StatusCreated {
		t.Fatalf(`offline message: %d`, code)
	}
	list, err := srv.Store.OfflineMessagesPage(context.Background(), 10, 0)
	if err != nil || len(list) != 1 {
		t.Fatalf(`offline messages: %v %d`, err, len(list))
	}
	id := list[0].ID

	oc := cvLogin(t, srv, "olga@example.com")
	body := cvGet(t, oc, "/admin/sessions", 200)
	cvContains(t, "sessions page", body, `href="/admin/offline"`, `data-offline-count>1<`)
	body = cvGet(t, oc, "/admin/offline", 200)
	cvContains(t, "offline page", body, `href="mailto:bo@example.com"`, "Bo &lt;b&gt;", "Call me &lt;img src=x onerror=alert(1)&gt;",
		"https://shop.example/contact", fmt.Sprintf(`hx-post="/admin/offline/%d/handled"`, id), "1 to handle")
	cvLacks(t, "offline page", body, "<img src=x")

	path := fmt.Sprintf("/admin/offline/%d/handled", id)
	res, _ := oc.Client.Post(srv.URL+path, "application/x-www-form-urlencoded", nil)
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf(`handled without CSRF: %d, want 403`, res.StatusCode)
	}
	res, frag := oc.Do("POST", path, nil, map[string]string{"HX-Request": "true"})
	if res.StatusCode != http.StatusOK || !strings.Contains(frag, "Handled") || !strings.Contains(frag, `class="offline-row handled"`) || strings.Contains(frag, "<html") {
		t.Fatalf(`handled: %d %s`, res.StatusCode, frag)
	}
	if res, frag := oc.Do("POST", path, nil, map[string]string{"HX-Request": "true"}); res.StatusCode != http.StatusOK || !strings.Contains(frag, "Handled") {
		t.Fatalf(`handled twice: %d %s`, res.StatusCode, frag)
	}
	if res, _ := oc.Do("POST", "/admin/offline/999/handled", nil, map[string]string{"HX-Request": "true"}); res.StatusCode != http.StatusNotFound {
		t.Fatalf(`unknown message: %d`, res.StatusCode)
	}
	// Without htmx the form comes back to the list.
	if res, _ := oc.PostForm(path, nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/offline" {
		t.Fatalf(`plain form: %d %s`, res.StatusCode, res.Header.Get("Location"))
	}
	body = cvGet(t, oc, "/admin/sessions", 200)
	cvLacks(t, "sessions page after handling", body, "data-offline-count")
}

// TestAdminChatAPI drives the browser's operator API with the session
// cookie and the CSRF header, as chat.js does.
func TestAdminChatAPI(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	ch := defaultChannel(t, srv)
	a := cvStart(t, srv, ch.ID, "https://shop.example/", "Home")
	_, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+a.ID+"/messages", a.Token, `{"body":"hello"}`)
	first := body["message"].(map[string]any)["id"].(float64)

	ac := cvLogin(t, srv, "ada@example.com")
	json := map[string]string{"Content-Type": "application/json"}
	res, out := ac.Do("GET", "/admin/api/sessions?status=open", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(out, a.ID) || !strings.Contains(out, `"unread":1`) {
		t.Fatalf(`sessions: %d %s`, res.StatusCode, out)
	}
	res, out = ac.Do("POST", "/admin/api/sessions/"+a.ID+"/messages", strings.NewReader(`{"body":"Hi! How can I help?"}`), json)
	if res.StatusCode != http.StatusCreated || !strings.Contains(out, `"kind":"operator"`) {
		t.Fatalf(`post: %d %s`, res.StatusCode, out)
	}
	res, out = ac.Do("GET", fmt.Sprintf("/admin/api/sessions/%s/messages?after=%d", a.ID, int64(first)), nil, nil)
	if res.StatusCode != 200 || !strings.Contains(out, "How can I help?") || strings.Contains(out, `"hello"`) {
		t.Fatalf(`messages after: %d %s`, res.StatusCode, out)
	}
	if res, out := ac.Do("POST", "/admin/api/sessions/"+a.ID+"/read", strings.NewReader(fmt.Sprintf(`{"message_id":%d}`, int64(first))), json); res.StatusCode != http.StatusNoContent {
		t.Fatalf(`read: %d %s`, res.StatusCode, out)
	}
	if res, out := ac.Do("POST", "/admin/api/sessions/"+a.ID+"/typing", strings.NewReader(`{"typing":true}`), json); res.StatusCode != http.StatusNoContent {
		t.Fatalf(`typing: %d %s`, res.StatusCode, out)
	}

	// Without the CSRF header a POST is refused, whatever the cookie says.
	req, _ := http.NewRequest("POST", srv.URL+"/admin/api/sessions/"+a.ID+"/messages", strings.NewReader(`{"body":"forged"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := ac.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), `"code":"csrf"`) {
		t.Fatalf(`POST without CSRF: %d %s`, res.StatusCode, b)
	}
	// Without a session cookie the API answers 401 in JSON.
	if code, _, body := call(t, srv, "GET", "/admin/api/sessions", "", ""); code != http.StatusUnauthorized || body["code"] != "unauthorized" {
		t.Fatalf(`anonymous: %d %v`, code, body)
	}
}

package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
)

// An operator who starts a chat with a visitor on a channel they have not
// joined is told so on the visitor's page, and becomes one of its
// operators with the chat; a refused request adds nobody.
func TestChatRequestJoinsTheChannel(t *testing.T) {
	srv := apptest.NewServer(t)
	ada, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	otto, ottoUser := srv.LoggedIn(t, "otto@example.com", model.RoleOperator)
	id := defaultChannelID(t, srv)
	ch := defaultChannel(t, srv)
	if ids := operatorIDs(t, srv, id); slices.Contains(ids, ottoUser.ID) {
		t.Fatalf("Otto is an operator of %s from the start", ch.Name)
	}

	status, _, body := call(t, srv, "POST", "/im_livechat/pageviews", "", fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/tents","title":"Tents"}`, id))
	if status != http.StatusCreated {
		t.Fatalf("page view: %d %v", status, body)
	}
	token := body["visitor_token"].(string)
	v, err := srv.Livechat.VisitorByToken(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	dial(t, srv, fmt.Sprintf("/im_livechat/ws?token=%s&channel_id=%d", token, id), nil)
	for i := 0; ; i++ {
		if _, on := srv.Livechat.Live.Online(v.ID); on {
			break
		}
		if i > 500 {
			t.Fatal("the visitor never came online")
		}
		time.Sleep(10 * time.Millisecond)
	}
	page := fmt.Sprintf("/admin/visitors/%d", v.ID)
	ask := func(c *apptest.Client, body string) *http.Response {
		c.Get(page)
		res, _ := c.PostForm(page+"/chat", url.Values{"body": {body}})
		return res
	}

	res, html := otto.Get(page)
	expect(t, "visitor page for a non-member", res, html, http.StatusOK, "data-join-channel", "You are not an operator of "+ch.Name)
	res, html = ada.Get(page)
	if res.StatusCode != http.StatusOK || strings.Contains(html, "data-join-channel") {
		t.Fatalf("a member is told they would join: %d", res.StatusCode)
	}

	// Ada (a member) asks first; Otto's request is refused and adds nobody.
	if res := ask(ada, "Hello from Ada"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("Ada's request: %d", res.StatusCode)
	}
	if res := ask(otto, "Hello from Otto"); res.StatusCode != http.StatusConflict {
		t.Fatalf("Otto's request to a visitor already chatting: %d", res.StatusCode)
	}
	if slices.Contains(operatorIDs(t, srv, id), ottoUser.ID) {
		t.Fatal("a refused request made Otto an operator")
	}

	// The visitor's chat ends; Otto's request goes through and he joins.
	open, err := srv.Store.OpenSessionsOfVisitor(t.Context(), v.ID)
	if err != nil || len(open) != 1 {
		t.Fatalf("open sessions: %d %v", len(open), err)
	}
	if _, err := srv.Livechat.CloseByVisitor(t.Context(), open[0]); err != nil {
		t.Fatal(err)
	}
	if res := ask(otto, "Hello from Otto"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("Otto's request: %d", res.StatusCode)
	}
	if !slices.Contains(operatorIDs(t, srv, id), ottoUser.ID) {
		t.Fatal("Otto started a chat on the channel without becoming its operator")
	}
	info, err := srv.Livechat.Info(t.Context(), id)
	if err != nil || !slices.Contains(info.OperatorIDs, ottoUser.ID) {
		t.Fatalf("the channel's cached operators miss Otto: %v %v", info, err)
	}
	open, _ = srv.Store.OpenSessionsOfVisitor(t.Context(), v.ID)
	if len(open) != 1 || open[0].OperatorID != ottoUser.ID {
		t.Fatalf("open sessions after Otto's request: %+v", open)
	}
}

package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"parley/app/livechat"
	"parley/app/model"
)

// Operators see the visitors waiting in their channels' queues: on the
// Conversations page, in the operator API and as a dashboard figure, and
// their socket says when a line changes. Operators of other channels see
// nobody.
func TestOperatorsSeeWaitingVisitors(t *testing.T) {
	s, c, admin, ch := channelsSetup(t)
	ctx := context.Background()
	ws := dial(t, s, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + token(t, s, admin)}})
	waitOnline(t, s, admin.ID)
	if err := s.Livechat.SetUserMaxChats(ctx, admin.ID, "1"); err != nil {
		t.Fatal(err)
	}
	start := func(name string) *livechat.StartResult {
		t.Helper()
		res, err := s.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: ch.ID, VisitorName: name, Country: "ES"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	served := start("Bo")
	first, second := start(""), start("Cy")
	if !first.Session.Waiting() || second.Session.QueuePosition != 2 {
		t.Fatalf("sessions = %+v, %+v; want two waiting", first.Session, second.Session)
	}
	for {
		f := ws.next("waiting")
		if f["channel_id"] != float64(ch.ID) {
			t.Fatalf("waiting frame %v, want channel %d", f, ch.ID)
		}
		if f["count"] == float64(2) {
			break
		}
	}

	res, body := c.Get("/admin/conversations")
	expect(t, "conversations", res, body, http.StatusOK, `id="conv-waiting"`, `hx-get="/admin/conversations/waiting"`,
		`data-waiting-count>2<`, fmt.Sprintf("Website Visitor #%d", first.Visitor.ID), "#1 in line", "Cy", "#2 in line", ch.Name)
	if strings.Index(body, fmt.Sprintf("Website Visitor #%d", first.Visitor.ID)) > strings.Index(body, ">Cy<") {
		t.Fatal("the waiting list is not in queue order")
	}
	code, _, api := call(t, s, "GET", "/api/v1/waiting", token(t, s, admin), "")
	list, _ := api["waiting"].([]any)
	if code != http.StatusOK || len(list) != 2 {
		t.Fatalf("API waiting: %d %v", code, api)
	}
	if w := list[0].(map[string]any); w["session_id"] != first.Session.PublicID || w["position"] != float64(1) ||
		w["channel_name"] != ch.Name || w["waiting_since"] == "" {
		t.Fatalf("first waiting = %v", w)
	}
	res, body = c.Get("/admin/stats")
	expect(t, "dashboard figures", res, body, http.StatusOK, `data-stat="waiting"><strong>2</strong><span>visitors waiting`)

	// An operator of no channel sees nobody waiting.
	other, _ := s.LoggedIn(t, "otto@example.com", model.RoleOperator)
	res, body = other.Get("/admin/conversations/waiting")
	if res.StatusCode != http.StatusOK || strings.Contains(body, "in line") {
		t.Fatalf("another channel's operator sees the waiting list: %d %s", res.StatusCode, body)
	}

	// Ada ends her chat: the first in line is served, the line shortens.
	if _, err := s.Livechat.EndSession(ctx, served.Session, admin); err != nil {
		t.Fatal(err)
	}
	for f := ws.next("waiting"); f["count"] != float64(1); f = ws.next("waiting") {
	}
	res, body = c.Get("/admin/conversations/waiting")
	expect(t, "waiting fragment", res, body, http.StatusOK, "Cy", "#1 in line", `data-waiting-count>1<`)
	if strings.Contains(body, fmt.Sprintf("Website Visitor #%d", first.Visitor.ID)) {
		t.Fatalf("the served visitor is still listed as waiting: %s", body)
	}
	// The last one leaves: nobody waits, and the section goes.
	if _, err := s.Livechat.CloseByVisitor(ctx, second.Session); err != nil {
		t.Fatal(err)
	}
	for f := ws.next("waiting"); f["count"] != float64(0); f = ws.next("waiting") {
	}
	res, body = c.Get("/admin/conversations/waiting")
	if res.StatusCode != http.StatusOK || strings.TrimSpace(body) != "" {
		t.Fatalf("empty line: %d %q", res.StatusCode, body)
	}
}

package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// TestOperatorToolsPages drives Configuration ▸ Canned Responses, Sales
// Teams and Helpdesk Teams, the lead and ticket forms and lists, with their
// bad inputs, as a browser posting forms would.
func TestOperatorToolsPages(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	op, bob := srv.LoggedIn(t, "bob@example.com", model.RoleOperator)
	ctx := t.Context()

	// Canned responses: the shipped ones listed, a duplicate shortcut
	// refused in any letter case, an edit, a delete.
	res, page := admin.Get("/admin/config/canned")
	if res.StatusCode != 200 || !strings.Contains(page, "<code>:hello</code>") || !strings.Contains(page, "Hola, ¿en qué puedo ayudarle?") {
		t.Fatalf("canned page: %d", res.StatusCode)
	}
	res, page = admin.PostForm("/admin/config/canned", url.Values{"shortcut": {"HELLO"}, "substitution": {"Hi"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Another canned response already uses the shortcut") {
		t.Fatalf("duplicate shortcut: %d", res.StatusCode)
	}
	for _, bad := range []url.Values{{"shortcut": {"two words"}, "substitution": {"x"}}, {"shortcut": {"ok"}, "substitution": {" "}},
		{"shortcut": {strings.Repeat("a", 41)}, "substitution": {"x"}}, {"shortcut": {"ok"}, "substitution": {strings.Repeat("a", 4001)}}} {
		if res, _ := admin.PostForm("/admin/config/canned", bad); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d", bad, res.StatusCode)
		}
	}
	if res, _ = admin.PostForm("/admin/config/canned", url.Values{"shortcut": {":thanks"}, "substitution": {"Thank you!"}, "text_es": {"¡Gracias!"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	list, _ := srv.App.Canned.List(ctx)
	var thanks *model.CannedResponse
	for _, r := range list {
		if r.Shortcut == "thanks" {
			thanks = r
		}
	}
	if len(list) != 3 || thanks == nil || thanks.In("es") != "¡Gracias!" {
		t.Fatalf("canned after create: %d %+v", len(list), thanks)
	}
	res, _ = admin.Do("POST", "/admin/config/canned/"+itoa(thanks.ID)+"/delete", nil, map[string]string{"HX-Request": "true"})
	if res.StatusCode != http.StatusNoContent || res.Header.Get("HX-Redirect") != "/admin/config/canned" {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if res, _ = op.Get("/admin/config/canned"); res.StatusCode != http.StatusForbidden {
		t.Errorf("an operator reached the canned responses' configuration: %d", res.StatusCode)
	}

	// Teams.
	if res, _ = admin.PostForm("/admin/config/sales-teams", url.Values{"name": {" "}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("nameless team: %d", res.StatusCode)
	}
	if res, _ = admin.PostForm("/admin/config/sales-teams", url.Values{"name": {"Europe"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sales team: %d", res.StatusCode)
	}
	teams, _ := srv.App.Leads.Teams(ctx, true)
	if res, _ = admin.PostForm("/admin/config/sales-teams/"+itoa(teams[0].ID), url.Values{"name": {"Europe"}, "archived": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("archive: %d", res.StatusCode)
	}
	if active, _ := srv.App.Leads.Teams(ctx, false); len(active) != 0 {
		t.Errorf("the archived team is still active")
	}
	if res, _ = admin.PostForm("/admin/config/helpdesk-teams", url.Values{"name": {"Support"}, "sequence": {"abc"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("priority abc: %d", res.StatusCode)
	}
	if res, _ = admin.PostForm("/admin/config/helpdesk-teams", url.Values{"name": {"Support"}, "sequence": {"3"}, "live_chat": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("helpdesk team: %d", res.StatusCode)
	}

	// A lead and a ticket from a conversation, then their pages.
	ch := defaultChannel(t, srv)
	if err := srv.Livechat.Join(ctx, ch.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	srv.Livechat.Presence.Connect(bob.ID)
	chat := cvStart(t, srv, ch.ID, "", "")
	tok := token(t, srv, bob)
	command(t, srv, tok, chat.ID, "/lead Forty chairs")
	command(t, srv, tok, chat.ID, "/helpdesk Broken chair")
	leadsList, _ := srv.App.Leads.Leads(ctx, "", "")
	lid := itoa(leadsList[0].ID)
	if res, page = op.Get("/admin/leads"); res.StatusCode != 200 || !strings.Contains(page, "Forty chairs") || !strings.Contains(page, `data-stage="new"`) {
		t.Fatalf("kanban: %d", res.StatusCode)
	}
	if res, page = op.Get("/admin/leads?view=list&stage=won"); res.StatusCode != 200 || strings.Contains(page, "Forty chairs") {
		t.Errorf("won list shows a new lead: %d", res.StatusCode)
	}
	if res, _ = op.Get("/admin/leads?stage=maybe"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown stage filter: %d", res.StatusCode)
	}
	op.Get("/admin/leads/" + lid)
	if res, _ = op.PostForm("/admin/leads/"+lid, url.Values{"title": {"Forty chairs"}, "stage": {"maybe"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad stage: %d", res.StatusCode)
	}
	if res, _ = op.PostForm("/admin/leads/"+lid, url.Values{"title": {"Forty chairs"}, "stage": {"won"}, "team_id": {"999"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown team: %d", res.StatusCode)
	}
	res, _ = op.Do("POST", "/admin/leads/"+lid+"/stage", strings.NewReader("stage=qualified"), map[string]string{"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"})
	if l, _ := srv.App.Leads.Lead(ctx, leadsList[0].ID); res.StatusCode != http.StatusNoContent || l.Stage != model.StageQualified {
		t.Errorf("kanban move: %d %+v", res.StatusCode, l)
	}
	tickets, _ := srv.App.Helpdesk.Search(ctx, "", 10)
	if res, page = op.Get("/admin/helpdesk?q=%2301"); res.StatusCode != 200 || !strings.Contains(page, `data-ticket="#01"`) {
		t.Errorf("ticket search by number: %d", res.StatusCode)
	}
	if _, page = op.Get("/admin/helpdesk?q=sofa"); !strings.Contains(page, "No ticket matches.") {
		t.Errorf("ticket search for sofa found something")
	}
	kid := itoa(tickets[0].ID)
	if res, page = op.Get("/admin/helpdesk/tickets/" + kid); res.StatusCode != 200 || !strings.Contains(page, "#01 Broken chair") {
		t.Fatalf("ticket page: %d", res.StatusCode)
	}
	if res, _ = op.PostForm("/admin/helpdesk/tickets/"+kid, url.Values{"title": {"Broken chair"}, "status": {"solved"}, "team_id": {itoa(tickets[0].TeamID)}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("solve: %d", res.StatusCode)
	}
	if k, _ := srv.App.Helpdesk.Ticket(ctx, tickets[0].ID); k.Status != model.TicketSolved {
		t.Errorf("ticket = %+v", k)
	}
	if res, _ = op.Get("/admin/helpdesk/tickets/999"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown ticket: %d", res.StatusCode)
	}
}

package helpdesk_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/helpdesk"
	"parley/app/model"
)

func TestTicketsGoToTheFirstLiveChatTeamWithNumbersAndTranscript(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	svc := helpdesk.New(st)
	v := &model.Visitor{Name: "Dee", Email: "dee@example.com"}
	if err := st.CreateVisitor(ctx, v, "h"); err != nil {
		t.Fatal(err)
	}
	ch := &model.Channel{Name: "Web"}
	if err := st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	x := &model.Session{PublicID: "p1", ChannelID: ch.ID, VisitorID: v.ID, VisitorName: "Dee"}
	if err := st.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	if _, err := st.InsertMessages(ctx, []*model.Message{{SessionID: x.ID, AuthorKind: model.AuthorVisitor, AuthorName: "Dee", Body: "My printer is on fire"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateTicket(ctx, x.ID, "Printer", helpdesk.Contact{}, helpdesk.Options{}); !errors.Is(err, helpdesk.ErrNoLiveChatTeam) {
		t.Fatalf("without a live chat team: %v", err)
	}
	for _, tm := range []*model.HelpdeskTeam{{Name: "Back office", Sequence: 1}, {Name: "Level 2", Sequence: 20, LiveChat: true}, {Name: "Level 1", Sequence: 5, LiveChat: true}} {
		if err := svc.SaveTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	var made []*model.Ticket
	for _, title := range []string{"Printer on fire", "Invoice missing", "Printer jams"} {
		k, err := svc.CreateTicket(ctx, x.ID, title, helpdesk.Contact{Phone: "123"}, helpdesk.Options{})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, k)
	}
	k, _ := svc.Ticket(ctx, made[0].ID)
	if k.Ref() != "#01" || made[2].Ref() != "#03" || k.TeamName != "Level 1" || k.Description != "Dee: My printer is on fire" || k.Email != "dee@example.com" || k.Phone != "123" {
		t.Fatalf("ticket = %+v (%s)", k, made[2].Ref())
	}
	refs := func(q string) string {
		list, err := svc.Search(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range list {
			out = append(out, k.Ref())
		}
		return strings.Join(out, " ")
	}
	for q, want := range map[string]string{"#02": "#02", "2": "#02", "printer": "#03 #01", "PRINTER jams": "#03 #01", "nothing": "", "": "#03 #02 #01", "100%": ""} {
		if got := refs(q); got != want {
			t.Errorf("search %q = %q, want %q", q, got, want)
		}
	}
}

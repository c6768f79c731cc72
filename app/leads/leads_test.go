package leads_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/leads"
	"parley/app/model"
	"parley/app/store"
)

// conversation stores a visitor and a conversation with a few messages.
func conversation(t *testing.T, st *store.Store, v *model.Visitor) *model.Session {
	t.Helper()
	ctx := context.Background()
	if err := st.CreateVisitor(ctx, v, "hash-"+v.Name+v.Email); err != nil {
		t.Fatal(err)
	}
	ch := &model.Channel{Name: "Web " + v.Email}
	if err := st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	x := &model.Session{PublicID: "pub-" + v.Email, ChannelID: ch.ID, VisitorID: v.ID, VisitorName: v.Name, Country: "BE"}
	if err := st.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	if _, err := st.InsertMessages(ctx, []*model.Message{
		{SessionID: x.ID, AuthorKind: model.AuthorVisitor, AuthorName: v.Name, Body: "I want 40 chairs"},
		{SessionID: x.ID, AuthorKind: model.AuthorSystem, Notice: &model.Notice{Code: "operator_joined"}},
		{SessionID: x.ID, AuthorKind: model.AuthorOperator, AuthorName: "Marc", Body: "Let me make you an offer."},
	}); err != nil {
		t.Fatal(err)
	}
	return x
}

func TestCreateLeadCarriesTheTranscriptAndTheVisitor(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	svc := leads.New(st)
	x := conversation(t, st, &model.Visitor{Email: "ann@example.com"})
	team := &model.SalesTeam{Name: "Europe", Active: true}
	if err := svc.SaveTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	l, err := svc.CreateLead(ctx, x.ID, "  Big order ", leads.Contact{Phone: "+32 470"}, leads.Options{TeamID: team.ID})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Lead(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "Website Visitor #1: I want 40 chairs\nMarc: Let me make you an offer.\n"
	if got.Title != "Big order" || got.Notes != strings.TrimSpace(want) || got.Email != "ann@example.com" || got.Phone != "+32 470" ||
		got.Country != "BE" || got.Source != "Live Chat" || got.Stage != model.StageNew || got.TeamName != "Europe" || got.SessionPub != x.PublicID {
		t.Fatalf("lead = %+v", got)
	}
}

func TestCreateLeadRefusesBadInputAndCreatesNothing(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	svc := leads.New(st)
	x := conversation(t, st, &model.Visitor{Name: "Bo", Email: "bo@example.com"})
	var fe *model.FieldError
	if _, err := svc.CreateLead(ctx, x.ID, "   ", leads.Contact{}, leads.Options{}); !errors.As(err, &fe) || fe.Field != "title" {
		t.Fatalf("empty title: %v", err)
	}
	if _, err := svc.CreateLead(ctx, x.ID, strings.Repeat("é", leads.MaxTitle+1), leads.Contact{}, leads.Options{}); !errors.As(err, &fe) {
		t.Fatalf("long title: %v", err)
	}
	if _, err := svc.CreateLead(ctx, 999, "Order", leads.Contact{}, leads.Options{}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	if _, err := svc.CreateLead(ctx, x.ID, "Order", leads.Contact{}, leads.Options{TeamID: 42}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("unknown team: %v", err)
	}
	if all, _ := svc.Leads(ctx, "", ""); len(all) != 0 {
		t.Fatalf("bad input created %d leads", len(all))
	}
}

func TestLeadStagesAndTeams(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	svc := leads.New(st)
	x := conversation(t, st, &model.Visitor{Name: "Cy", Email: "cy@example.com"})
	l, err := svc.CreateLead(ctx, x.ID, "Order", leads.Contact{}, leads.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.ContactName != "Cy" {
		t.Errorf("contact = %q", l.ContactName)
	}
	if _, err := svc.SetStage(ctx, l.ID, "maybe"); err == nil {
		t.Fatal("an unknown stage was accepted")
	}
	if _, err := svc.SetStage(ctx, l.ID, model.StageWon); err != nil {
		t.Fatal(err)
	}
	if won, _ := svc.Leads(ctx, model.StageWon, ""); len(won) != 1 {
		t.Fatalf("won = %d", len(won))
	}
	team := &model.SalesTeam{Name: "Direct", Active: true}
	if err := svc.SaveTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	team.Active = false
	if err := svc.SaveTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	if active, _ := svc.Teams(ctx, false); len(active) != 0 {
		t.Errorf("archived team listed: %v", active)
	}
	if all, _ := svc.Teams(ctx, true); len(all) != 1 {
		t.Errorf("archived team lost: %v", all)
	}
	if err := svc.SaveTeam(ctx, &model.SalesTeam{Name: " "}); err == nil {
		t.Error("a team without a name was saved")
	}
}

// TestLeadTakesThePreChatPhone: a lead made without a phone takes the one
// the visitor gave in the pre-chat form.
func TestLeadTakesThePreChatPhone(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	v := &model.Visitor{Name: "Di", Email: "di@example.com"}
	x := conversation(t, st, v)
	v.Phone = "+34 600 123 456"
	if err := st.UpdateVisitor(ctx, v); err != nil {
		t.Fatal(err)
	}
	l, err := leads.New(st).CreateLead(ctx, x.ID, "Call back", leads.Contact{}, leads.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Phone != "+34 600 123 456" || l.Email != "di@example.com" {
		t.Errorf("lead contact: phone %q, email %q", l.Phone, l.Email)
	}
}

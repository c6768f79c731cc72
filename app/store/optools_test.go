package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
)

// TestInternalNotesAndPages: an internal note round-trips its flag and is
// no answer for the missed-conversation mail nor for the reports; recent
// pages are distinct, the latest view first.
func TestInternalNotesAndPages(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	ch := newChannel(t, st, "Web")
	op := newUser(t, st, "op@example.com", model.RoleOperator)
	v, x := newOpenSession(t, st, ch.ID, op.ID, "h", "p")
	if _, err := st.InsertMessages(ctx, []*model.Message{
		{SessionID: x.ID, AuthorKind: model.AuthorVisitor, Body: "hello?"},
		{SessionID: x.ID, AuthorKind: model.AuthorOperator, AuthorID: op.ID, AuthorName: "Op", Body: "@Ada who is this?", Internal: true},
	}); err != nil {
		t.Fatal(err)
	}
	msgs, err := st.Messages(ctx, x.ID, 0, 10)
	if err != nil || len(msgs) != 2 || msgs[0].Internal || !msgs[1].Internal {
		t.Fatalf("messages: %v %+v", err, msgs)
	}
	missed, err := st.MissedSessions(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Minute), 10)
	if err != nil || len(missed) != 1 {
		t.Errorf("a conversation with only a note is missed: %v %d", err, len(missed))
	}
	rep, err := st.SessionReport(ctx, model.ReportFilter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Unanswered != 1 {
		t.Errorf("the report counts a note as an answer: %+v", rep.Total)
	}

	for _, u := range []string{"/a", "/b", "/a", "/c", "/b"} {
		if err := st.AddPageView(ctx, &model.PageView{VisitorID: v.ID, URL: u}, ""); err != nil {
			t.Fatal(err)
		}
	}
	pages, err := st.RecentPages(ctx, v.ID, 15)
	if err != nil || len(pages) != 3 || pages[0].URL != "/b" || pages[1].URL != "/c" || pages[2].URL != "/a" {
		t.Errorf("recent pages: %v %+v", err, pages)
	}
}

// TestCannedShortcutsAndTicketNumbers: shortcuts are unique in any letter
// case; tickets are numbered in order.
func TestCannedShortcutsAndTicketNumbers(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	if err := st.SaveCannedResponse(ctx, &model.CannedResponse{Shortcut: "Hello", Substitution: "Hi"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveCannedResponse(ctx, &model.CannedResponse{Shortcut: "hello", Substitution: "Hi again"}); !errors.Is(err, model.ErrConflict) {
		t.Errorf("a shortcut differing in case: %v", err)
	}
	c, err := st.CannedByShortcut(ctx, "HELLO")
	if err != nil || c.Substitution != "Hi" {
		t.Errorf("by shortcut: %v %+v", err, c)
	}
	for i := 1; i <= 3; i++ {
		k := &model.Ticket{Title: "t"}
		if err := st.CreateTicket(ctx, k); err != nil || k.Number != int64(i) {
			t.Fatalf("ticket %d: %v %d", i, err, k.Number)
		}
	}
}

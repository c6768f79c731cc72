package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
	"parley/app/store"
)

// A session created joining makes its operator an operator of the channel
// in the same transaction: a session that cannot be created (the visitor
// already has one open there) leaves the membership as it was.
func TestCreateSessionJoining(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	ada := newUser(t, st, "ada@example.com", model.RoleAdmin)
	otto := newUser(t, st, "otto@example.com", model.RoleOperator)
	ch := newChannel(t, st, "Web", ada.ID)
	v := &model.Visitor{}
	if err := st.CreateVisitor(ctx, v, "h"); err != nil {
		t.Fatal(err)
	}
	members := func() []int64 {
		ids, err := st.ChannelOperatorIDs(ctx, ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if joined, err := st.CreateSessionJoining(ctx, &model.Session{PublicID: "a", ChannelID: ch.ID, VisitorID: v.ID, OperatorID: ada.ID}); err != nil || joined {
		t.Fatalf("a member's session: joined %v, %v; want no join", joined, err)
	}
	_, err := st.CreateSessionJoining(ctx, &model.Session{PublicID: "b", ChannelID: ch.ID, VisitorID: v.ID, OperatorID: otto.ID})
	if !errors.Is(err, store.ErrConflict) || slices.Contains(members(), otto.ID) {
		t.Fatalf("conflicting session: %v, operators %v; want ErrConflict and Otto not added", err, members())
	}
	w := &model.Visitor{}
	if err := st.CreateVisitor(ctx, w, "h2"); err != nil {
		t.Fatal(err)
	}
	joined, err := st.CreateSessionJoining(ctx, &model.Session{PublicID: "c", ChannelID: ch.ID, VisitorID: w.ID, OperatorID: otto.ID})
	if err != nil || !joined || !slices.Contains(members(), otto.ID) {
		t.Fatalf("Otto's session: joined %v, %v, operators %v", joined, err, members())
	}
}

// A visitor's request finds its session by public id and token hash in
// one read; a session that is not theirs, or a token nobody holds, finds
// nothing.
func TestSessionOfVisitor(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	ada := newUser(t, st, "ada@example.com", model.RoleAdmin)
	ch := newChannel(t, st, "Web", ada.ID)
	v, w := &model.Visitor{}, &model.Visitor{}
	if err := st.CreateVisitor(ctx, v, "hv"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateVisitor(ctx, w, "hw"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, &model.Session{PublicID: "pv", ChannelID: ch.ID, VisitorID: v.ID, OperatorID: ada.ID, VisitorLanguage: "es"}); err != nil {
		t.Fatal(err)
	}
	x, err := st.SessionOfVisitor(ctx, "hv", "pv")
	if err != nil || x.VisitorID != v.ID || x.ChannelName != "Web" || x.OperatorID != ada.ID || x.VisitorLanguage != "es" {
		t.Fatalf("own session: %+v, %v", x, err)
	}
	for _, c := range []struct{ hash, public string }{{"hw", "pv"}, {"nobody", "pv"}, {"hv", "nothing"}} {
		if x, err := st.SessionOfVisitor(ctx, c.hash, c.public); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token %q, session %q: %+v, %v; want ErrNotFound", c.hash, c.public, x, err)
		}
	}
}

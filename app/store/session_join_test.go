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

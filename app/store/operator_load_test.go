package store_test

import (
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
)

// The open-chat counter routing reads must equal the open sessions it
// stands for after every way a session opens, waits, is taken, handed
// over, closed or deleted.
func TestOperatorOpenCounterFollowsEveryPath(t *testing.T) {
	st := apptest.NewStore(t)
	ann := newUser(t, st, "ann@example.com", model.RoleOperator)
	bob := newUser(t, st, "bob@example.com", model.RoleOperator)
	ch := newChannel(t, st, "Site", ann.ID, bob.ID)
	check := func(step string) {
		t.Helper()
		caps, err := st.OperatorChatCaps(ctx, []int64{ann.ID, bob.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []*model.User{ann, bob} {
			var want int
			if err := st.Writer().QueryRow(`SELECT count(*) FROM chat_sessions WHERE operator_id = ? AND status = 'open'`, u.ID).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if caps[u.ID].Open != want {
				t.Fatalf(`%s: %s's counter says %d open, the sessions %d`, step, u.Name, caps[u.ID].Open, want)
			}
		}
	}
	visitor := func() int64 {
		v := &model.Visitor{}
		if err := st.CreateVisitor(ctx, v, time.Now().String()); err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	open := func(op int64) *model.Session {
		x := &model.Session{PublicID: time.Now().Format(time.RFC3339Nano), ChannelID: ch.ID, VisitorID: visitor(), OperatorID: op}
		if err := st.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	a1, a2, _ := open(ann.ID), open(ann.ID), open(bob.ID)
	check("opened")
	if ok, err := st.TransferSession(ctx, a1.ID, ann.ID, bob.ID, "bob", ch.ID); err != nil || !ok {
		t.Fatalf(`transfer: %v %v`, ok, err)
	}
	check("transferred")
	if ok, err := st.CloseSession(ctx, a2.ID); err != nil || !ok {
		t.Fatalf(`close: %v %v`, ok, err)
	}
	if ok, _ := st.CloseSession(ctx, a2.ID); ok {
		t.Fatal(`closed twice`)
	}
	check("closed")
	// A visitor who waits, then is taken by Ann.
	w := &model.Session{PublicID: "waiting", ChannelID: ch.ID, VisitorID: visitor(), QueuedAt: time.Now()}
	if err := st.CreateSession(ctx, w); err != nil {
		t.Fatal(err)
	}
	check("waiting")
	if id, err := st.AssignWaiting(ctx, ch.ID, ann.ID, "ann", 0); err != nil || id != w.ID {
		t.Fatalf(`assign waiting: %d %v`, id, err)
	}
	check("assigned from the queue")
	// Erasing a visitor deletes their open session; deleting an operator
	// leaves their sessions without one.
	if _, err := st.EraseVisitor(ctx, w.VisitorID); err != nil {
		t.Fatal(err)
	}
	check("erased")
	if _, err := st.Writer().Exec(`DELETE FROM users WHERE id = ?`, bob.ID); err != nil {
		t.Fatal(err)
	}
	check("operator deleted")
}

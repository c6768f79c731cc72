package store_test

import (
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
	"parley/app/store"
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
		_, caps, err := st.OperatorRouting(ctx, ch.ID, time.Now())
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

// Routing's one read: the channel's queue, and each of its operators'
// maximum, open chats (every channel), load (open, and closed after a
// message since the load's start), language (My Profile's, else the
// browser's) and names.
func TestOperatorRoutingReadsAllInOne(t *testing.T) {
	st := apptest.NewStore(t)
	ann := newUser(t, st, "ann@example.com", model.RoleOperator)
	bob := newUser(t, st, "bob@example.com", model.RoleOperator)
	ch := newChannel(t, st, "Site", ann.ID, bob.ID)
	other := newChannel(t, st, "Other", ann.ID)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := st.Writer().Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE users SET max_chats = 2, browser_language = 'fr' WHERE id = ?`, ann.ID)
	exec(`UPDATE users SET chat_name = 'Bobby', language = 'de', browser_language = 'fr' WHERE id = ?`, bob.ID)
	newOpenSession(t, st, ch.ID, ann.ID, "h1", "p1")
	newOpenSession(t, st, other.ID, ann.ID, "h2", "p2")
	since := time.Now().Add(-30 * time.Minute)
	_, recent := newOpenSession(t, st, ch.ID, bob.ID, "h3", "p3")
	_, old := newOpenSession(t, st, ch.ID, bob.ID, "h4", "p4")
	_, silent := newOpenSession(t, st, ch.ID, bob.ID, "h5", "p5")
	for _, x := range []*model.Session{recent, old, silent} {
		if ok, err := st.CloseSession(ctx, x.ID); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	exec(`UPDATE chat_sessions SET closed_at = ?, last_message_at = ? WHERE id = ?`, time.Now().UnixMilli(), time.Now().UnixMilli(), recent.ID)
	exec(`UPDATE chat_sessions SET closed_at = ?, last_message_at = ? WHERE id = ?`, since.Add(-time.Hour).UnixMilli(), since.Add(-time.Hour).UnixMilli(), old.ID)
	exec(`UPDATE chat_sessions SET closed_at = ?, last_message_at = ? WHERE id = ?`, time.Now().UnixMilli(), since.Add(-time.Hour).UnixMilli(), silent.ID)
	for i, h := range []string{"w1", "w2"} {
		v := &model.Visitor{}
		if err := st.CreateVisitor(ctx, v, h); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateSession(ctx, &model.Session{PublicID: h, ChannelID: ch.ID, VisitorID: v.ID, QueuedAt: time.Now().Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}

	waiting, figs, err := st.OperatorRouting(ctx, ch.ID, since)
	if err != nil {
		t.Fatal(err)
	}
	wantAnn := store.RoutingFigures{Max: 2, Open: 2, Load: 2, Language: "fr", Name: "ann"}
	wantBob := store.RoutingFigures{Open: 0, Load: 1, Language: "de", Name: "bob", ChatName: "Bobby"}
	if waiting != 2 || len(figs) != 2 || figs[ann.ID] != wantAnn || figs[bob.ID] != wantBob {
		t.Fatalf("waiting %d, %+v; want 2, Ann %+v and Bob %+v", waiting, figs, wantAnn, wantBob)
	}
	// The other channel: Ann alone, and nobody waiting.
	if waiting, figs, err := st.OperatorRouting(ctx, other.ID, since); err != nil || waiting != 0 || len(figs) != 1 || figs[ann.ID] != wantAnn {
		t.Fatalf("the other channel: waiting %d, %+v, %v; want 0 and Ann alone", waiting, figs, err)
	}
	// A channel without operators still says who waits.
	empty := newChannel(t, st, "Empty")
	v := &model.Visitor{}
	if err := st.CreateVisitor(ctx, v, "w3"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, &model.Session{PublicID: "w3", ChannelID: empty.ID, VisitorID: v.ID, QueuedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if waiting, figs, err := st.OperatorRouting(ctx, empty.ID, since); err != nil || waiting != 1 || len(figs) != 0 {
		t.Fatalf("a channel without operators: waiting %d, %+v, %v; want 1 and no figures", waiting, figs, err)
	}
}

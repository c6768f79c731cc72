package store_test

import (
	"errors"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
	"parley/app/store"
)

// A chat's start is one write: the routing figures read in it, the
// visitor and the session; when any part fails, nothing of it is kept.
func TestStartChatIsOneWrite(t *testing.T) {
	st := apptest.NewStore(t)
	ann := newUser(t, st, "ann@example.com", model.RoleOperator)
	ch := newChannel(t, st, "Site", ann.ID)
	if _, err := st.Writer().Exec(`UPDATE users SET chat_name = 'Annie' WHERE id = ?`, ann.ID); err != nil {
		t.Fatal(err)
	}
	queuedAt := time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond)
	start := func(v *model.Visitor, token string, route func(int, map[int64]store.RoutingFigures) (store.Routed, error)) (*model.Session, error) {
		x := &model.Session{PublicID: token, ChannelID: ch.ID, VisitorName: v.Name}
		err := st.StartChat(ctx, &store.ChatStart{Visitor: v, TokenHash: token, Session: x, Route: route,
			LoadSince: time.Now().Add(-30 * time.Minute), QueuedAt: queuedAt})
		return x, err
	}
	visitors := func() int {
		var n int
		if err := st.Writer().QueryRow(`SELECT count(*) FROM visitors`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Routed to Ann, who has no chat yet: the session is hers, the new
	// visitor prefers her from now on, and their token is known at once.
	var seen store.RoutingFigures
	v := &model.Visitor{Name: "Ada"}
	x, err := start(v, "t1", func(waiting int, figs map[int64]store.RoutingFigures) (store.Routed, error) {
		seen = figs[ann.ID]
		return store.Routed{OperatorID: ann.ID, Name: "Annie", Limit: 1}, nil
	})
	if err != nil || x.ID == 0 || x.OperatorID != ann.ID || x.OperatorName != "Annie" || !x.QueuedAt.IsZero() {
		t.Fatalf("routed to Ann: %+v, %v", x, err)
	}
	if seen.ChatName != "Annie" || seen.Open != 0 {
		t.Fatalf("the figures route saw: %+v", seen)
	}
	stored, err := st.Visitor(ctx, v.ID)
	if err != nil || stored.LastOperatorID != ann.ID || stored.Name != "Ada" || v.LastOperatorID != ann.ID {
		t.Fatalf("the new visitor: %+v, %v", stored, err)
	}
	if id, err := st.VisitorIDByToken(ctx, "t1"); err != nil || id != v.ID {
		t.Fatalf("the new token: %d, %v", id, err)
	}

	// Ann is at her maximum of one: a route that takes her anyway is
	// refused, and the new visitor is not kept.
	before := visitors()
	w := &model.Visitor{Name: "Bo"}
	if _, err := start(w, "t2", func(int, map[int64]store.RoutingFigures) (store.Routed, error) {
		return store.Routed{OperatorID: ann.ID, Name: "Annie", Limit: 1}, nil
	}); !errors.Is(err, store.ErrOperatorFull) || w.ID != 0 || visitors() != before {
		t.Fatalf("past the maximum: %v, visitor %d, visitors %d → %d; want ErrOperatorFull and nothing kept", err, w.ID, before, visitors())
	}
	// Route's own error, likewise.
	boom := errors.New("boom")
	if _, err := start(w, "t2", func(int, map[int64]store.RoutingFigures) (store.Routed, error) { return store.Routed{}, boom }); !errors.Is(err, boom) || visitors() != before {
		t.Fatalf("route failed: %v, visitors %d; want its error and nothing kept", err, visitors())
	}
	// Queued: no operator, the given queue time, the visitor's preference
	// unchanged.
	y, err := start(w, "t3", func(waiting int, _ map[int64]store.RoutingFigures) (store.Routed, error) {
		return store.Routed{Queued: true}, nil
	})
	if err != nil || y.OperatorID != 0 || !y.QueuedAt.Equal(queuedAt) || w.LastOperatorID != 0 {
		t.Fatalf("queued: %+v, %v", y, err)
	}
	var waiting int
	if _, err := start(&model.Visitor{}, "t4", func(n int, _ map[int64]store.RoutingFigures) (store.Routed, error) {
		waiting = n
		return store.Routed{Queued: true}, nil
	}); err != nil || waiting != 1 {
		t.Fatalf("the queue route saw: %d, %v; want 1", waiting, err)
	}

	// A known visitor who already has an open chat on the channel: the
	// conflict comes back and their row keeps what it had.
	v.Name, v.CurrentURL = "Ada Lovelace", "https://example.com/other"
	if _, err := start(v, "t1", nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a second open chat: %v; want ErrConflict", err)
	}
	var name string
	if err := st.Writer().QueryRow(`SELECT name FROM visitors WHERE id = ?`, v.ID).Scan(&name); err != nil || name != "Ada" {
		t.Fatalf("after the conflict the visitor's name is %q, %v; want the row unchanged", name, err)
	}
}

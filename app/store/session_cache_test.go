package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
	"parley/app/store"
)

// The visitor's hot path answers from memory, and every change to the
// session made through this process is seen by the next lookup, while the
// visitor's own messages keep it cached.
func TestLiveSessionOfVisitorSeesEveryChange(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	ada := newUser(t, st, "ada@example.com", model.RoleAdmin)
	otto := newUser(t, st, "otto@example.com", model.RoleOperator)
	ch := newChannel(t, st, "Web", ada.ID)
	v, x := newOpenSession(t, st, ch.ID, ada.ID, "hv", "pv")
	lookup := func() *model.Session {
		t.Helper()
		got, err := st.LiveSessionOfVisitor(ctx, "hv", "pv")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	hits := func() int64 { h, _ := st.SessionCacheStats(); return h }
	exec := func(q string, args ...any) {
		t.Helper()
		if err := st.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.Exec(q, args...); return err }); err != nil {
			t.Fatal(err)
		}
	}

	lookup()
	h0 := hits()
	if got := lookup(); got.OperatorID != ada.ID || hits() != h0+1 {
		t.Fatalf("second lookup: operator %d, hits %d → %d; want Ada from memory", got.OperatorID, h0, hits())
	}
	// What a caller does to its copy stays with it.
	got := lookup()
	got.OperatorID = 999
	if lookup().OperatorID != ada.ID {
		t.Fatal("a caller's change to its copy reached the cache")
	}

	// Messages keep the session cached.
	errs, err := st.InsertMessages(ctx, []*model.Message{{SessionID: x.ID, AuthorKind: model.AuthorVisitor, Body: "hello"}})
	if err != nil || errs[0] != nil {
		t.Fatal(err, errs)
	}
	h1 := hits()
	lookup()
	if hits() != h1+1 {
		t.Fatal("a visitor's message evicted its session")
	}

	// A transfer is seen at once.
	exec(`UPDATE chat_sessions SET operator_id = ?, operator_name = 'Otto' WHERE id = ?`, otto.ID, x.ID)
	if got := lookup(); got.OperatorID != otto.ID {
		t.Fatalf("after the transfer: operator %d; want Otto (%d)", got.OperatorID, otto.ID)
	}
	// So is a renamed channel.
	exec(`UPDATE channels SET name = 'Shop' WHERE id = ?`, ch.ID)
	if got := lookup(); got.ChannelName != "Shop" {
		t.Fatalf("after renaming the channel: %q", got.ChannelName)
	}
	// And the end of the conversation.
	exec(`UPDATE chat_sessions SET status = 'closed', closed_at = 1 WHERE id = ?`, x.ID)
	if got := lookup(); got.Status != model.SessionClosed {
		t.Fatalf("after closing: %s", got.Status)
	}
	// Someone else's token never gets the session, cached or not.
	if _, err := st.LiveSessionOfVisitor(ctx, "other", "pv"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another token: %v; want ErrNotFound", err)
	}
	// An erased visitor's session is gone with them.
	exec(`DELETE FROM visitors WHERE id = ?`, v.ID)
	if _, err := st.LiveSessionOfVisitor(ctx, "hv", "pv"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after erasing the visitor: %v; want ErrNotFound", err)
	}
}

// A session waiting in the queue is read every time: its place in the
// line changes with other sessions' rows.
func TestLiveSessionOfVisitorWaiting(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	ada := newUser(t, st, "ada@example.com", model.RoleAdmin)
	ch := newChannel(t, st, "Web", ada.ID)
	var pos []int
	for _, h := range []string{"h1", "h2"} {
		v := &model.Visitor{}
		if err := st.CreateVisitor(ctx, v, h); err != nil {
			t.Fatal(err)
		}
		if err := st.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO chat_sessions (public_id, channel_id, visitor_id, visitor_name, country, operator_name, status, url, title, created_at, queued_at, visitor_language)
				VALUES (?, ?, ?, '', '', '', 'open', '', '', 1, ?, '')`, "p"+h, ch.ID, v.ID, len(pos)+1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		x, err := st.LiveSessionOfVisitor(ctx, h, "p"+h)
		if err != nil {
			t.Fatal(err)
		}
		pos = append(pos, x.QueuePosition)
	}
	if err := st.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE chat_sessions SET assigned_at = 2, operator_id = ? WHERE public_id = 'ph1'`, ada.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	x, err := st.LiveSessionOfVisitor(ctx, "h2", "ph2")
	if err != nil || pos[1] != 2 || x.QueuePosition != 1 {
		t.Fatalf("second in line: %v then %+v, %v; want 2 then 1", pos, x, err)
	}
}

// A socket's opening finds the visitor behind a token from memory once the
// token was seen (here at the visitor's creation with its first page
// view), and a visitor deleted through this process is unknown at once.
func TestVisitorIDByTokenFromMemory(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	v := &model.Visitor{}
	if err := st.CreateVisitorWithPageView(ctx, v, "hv", &model.PageView{URL: "https://example.com/", Title: "Home"}, ""); err != nil {
		t.Fatal(err)
	}
	// Another process's deletion is not seen by this one's hook: that
	// the id still comes back shows it came from memory.
	other, err := sql.Open("sqlite", st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`DELETE FROM page_views; DELETE FROM visitors WHERE id = ?`, v.ID); err != nil {
		t.Fatal(err)
	}
	if id, err := st.VisitorIDByToken(ctx, "hv"); err != nil || id != v.ID {
		t.Fatalf("after its creation: visitor %d, %v; want %d from memory", id, err, v.ID)
	}
	if _, err := st.VisitorIDByToken(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown token: %v; want ErrNotFound", err)
	}

	// A visitor found by a read is remembered too, and forgotten when
	// this process deletes visitors.
	w := &model.Visitor{}
	if err := st.CreateVisitor(ctx, w, "hw"); err != nil {
		t.Fatal(err)
	}
	if id, err := st.VisitorIDByToken(ctx, "hw"); err != nil || id != w.ID {
		t.Fatalf("visitor %d, %v; want %d", id, err, w.ID)
	}
	if err := st.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.Exec(`DELETE FROM visitors WHERE id = ?`, w.ID); return err }); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"hw", "hv"} {
		if id, err := st.VisitorIDByToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token %s after deleting visitors: visitor %d, %v; want ErrNotFound", h, id, err)
		}
	}
}

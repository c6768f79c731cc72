package livechat_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"parley/app/livechat"
	"parley/app/model"
)

// waitFor polls the stored session until ok accepts it: assignments follow
// the freeing change asynchronously, through the event bus.
func (f *fixture) waitFor(t *testing.T, id int64, what string, ok func(*model.Session) bool) *model.Session {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		x, err := f.st.Session(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(x) {
			return x
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %d never %s: %+v", id, what, x)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fixture) openOf(t *testing.T, opID int64) int {
	t.Helper()
	n, err := f.st.CountSessions(context.Background(), model.SessionFilter{OperatorID: opID, Status: model.SessionOpen})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// With every operator at their maximum the next visitors wait in line,
// told their place; the first operator to free up takes the oldest one,
// the one behind moves up, and nobody goes past their maximum.
func TestQueueServesTheOldestFirst(t *testing.T) {
	f := newFixture(t, 2, func(int) int { return 0 })
	ctx := context.Background()
	olga, eve := f.ops[0], f.ops[1]
	f.lc.Presence.Connect(olga.ID)
	f.lc.Presence.Connect(eve.ID)
	if err := f.lc.SaveRouting(ctx, &model.ChannelRouting{ChannelID: f.ch.ID, MaxChats: 1}); err != nil {
		t.Fatal(err)
	}
	a, b := f.start(t, nil), f.start(t, nil)
	if a.Session.OperatorID == 0 || b.Session.OperatorID == 0 || a.Session.OperatorID == b.Session.OperatorID {
		t.Fatalf("the first two chats = operators %d and %d; want one each", a.Session.OperatorID, b.Session.OperatorID)
	}
	c, d := f.start(t, nil), f.start(t, nil)
	for i, w := range []*livechat.StartResult{c, d} {
		x := w.Session
		if x.OperatorID != 0 || !x.Waiting() || x.QueuePosition != i+1 || !x.AssignedAt.IsZero() {
			t.Fatalf("waiting chat %d = %+v; want position %d without an operator", i, x, i+1)
		}
	}
	// A reload continues the waiting chat, in the same place.
	again := f.start(t, c.Visitor)
	if again.Created || again.Session.ID != c.Session.ID || again.Session.QueuePosition != 1 {
		t.Fatalf("the waiting visitor came back to %+v (created %v)", again.Session, again.Created)
	}

	// The visitor of the first chat leaves: its operator takes c, and d
	// is next.
	freed := a.Session.OperatorID
	if _, err := f.lc.CloseByVisitor(ctx, a.Session); err != nil {
		t.Fatal(err)
	}
	got := f.waitFor(t, c.Session.ID, "assigned", func(x *model.Session) bool { return x.OperatorID != 0 })
	if got.OperatorID != freed || got.AssignedAt.IsZero() || got.QueuePosition != 0 || got.WaitingTime(time.Now()) < 0 {
		t.Fatalf("oldest waiting chat after a freed place = %+v; want operator %d", got, freed)
	}
	f.rec.wait(t, livechat.VisitorTopic(c.Visitor.ID), livechat.EventSession, func(v any) bool {
		s := v.(livechat.SessionView)
		return s.Operator != nil && s.QueuePosition == 0
	})
	f.rec.wait(t, livechat.VisitorTopic(d.Visitor.ID), livechat.EventQueue, func(v any) bool {
		return v.(livechat.QueueView).Position == 1
	})
	if x, _ := f.st.Session(ctx, d.Session.ID); x.OperatorID != 0 || x.QueuePosition != 1 {
		t.Fatalf("the second waiting chat = %+v; want it next, still waiting", x)
	}
	for _, op := range []int64{olga.ID, eve.ID} {
		if n := f.openOf(t, op); n != 1 {
			t.Fatalf("operator %d has %d open chats; the maximum is 1", op, n)
		}
	}

	// The other operator ends theirs: d is served.
	other := b.Session.OperatorID
	u := olga
	if other == eve.ID {
		u = eve
	}
	if _, err := f.lc.EndSession(ctx, b.Session, u); err != nil {
		t.Fatal(err)
	}
	if x := f.waitFor(t, d.Session.ID, "assigned", func(x *model.Session) bool { return x.OperatorID != 0 }); x.OperatorID != other {
		t.Fatalf("the second waiting chat went to %d, want %d", x.OperatorID, other)
	}

	// Session Statistics count the chats that waited and their mean wait.
	x, _ := f.st.Session(ctx, d.Session.ID)
	if _, err := f.lc.PostVisitorMessage(ctx, x, "Still there?", ""); err != nil {
		t.Fatal(err)
	}
	rep, err := f.st.SessionReport(ctx, model.ReportFilter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if want := x.AssignedAt.Sub(x.QueuedAt); rep.Total.Queued != 1 || rep.Total.AvgWait != want.Truncate(time.Millisecond) {
		t.Fatalf("report: %d queued, average wait %v; want 1 and %v", rep.Total.Queued, rep.Total.AvgWait, want)
	}
}

// Nobody online is still "no operator": a queue is only for operators who
// are there but busy.
func TestQueueNeedsSomeoneOnline(t *testing.T) {
	f := newFixture(t, 1, nil)
	if _, err := f.lc.StartSession(context.Background(), livechat.StartInput{ChannelID: f.ch.ID}); !errors.Is(err, livechat.ErrNoOperator) {
		t.Fatalf("nobody online: %v, want ErrNoOperator", err)
	}
}

// Several operators freeing up at once, and passes over the queue running
// side by side, never give one visitor to two operators nor an operator
// more than their maximum; the oldest visitors are the ones served.
func TestQueueConcurrentFreeing(t *testing.T) {
	f := newFixture(t, 3, nil)
	ctx := context.Background()
	for _, op := range f.ops {
		f.lc.Presence.Connect(op.ID)
	}
	if err := f.lc.SaveRouting(ctx, &model.ChannelRouting{ChannelID: f.ch.ID, MaxChats: 1}); err != nil {
		t.Fatal(err)
	}
	var busy, waiting []*livechat.StartResult
	for range 3 {
		busy = append(busy, f.start(t, nil))
	}
	for range 5 {
		waiting = append(waiting, f.start(t, nil))
	}
	var wg sync.WaitGroup
	for _, r := range busy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.lc.CloseByVisitor(ctx, r.Session); err != nil {
				t.Error(err)
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.lc.ServeQueue(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, w := range waiting[:3] {
		f.waitFor(t, w.Session.ID, "assigned", func(x *model.Session) bool { return x.OperatorID != 0 })
	}
	if err := f.lc.ServeQueue(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, w := range waiting[:3] {
		x, _ := f.st.Session(ctx, w.Session.ID)
		if seen[x.OperatorID] {
			t.Fatalf("operator %d took two waiting chats past a maximum of 1", x.OperatorID)
		}
		seen[x.OperatorID] = true
	}
	for i, w := range waiting[3:] {
		if x, _ := f.st.Session(ctx, w.Session.ID); x.OperatorID != 0 || x.QueuePosition != i+1 {
			t.Fatalf("a newer waiting chat = %+v; want it still waiting at %d", x, i+1)
		}
	}
	for _, op := range f.ops {
		if n := f.openOf(t, op.ID); n != 1 {
			t.Fatalf("operator %d has %d open chats; the maximum is 1", op.ID, n)
		}
	}
}

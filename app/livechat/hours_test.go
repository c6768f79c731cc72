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

// Outside office hours nobody is offered: init says closed with the away
// message and when the channel opens, and a chat cannot start; inside them
// it starts as usual.
func TestOfficeHoursCloseTheChannel(t *testing.T) {
	now := time.Date(2025, 1, 11, 12, 0, 0, 0, time.UTC) // Saturday, 13:00 in Madrid
	f := newFixtureOpts(t, 1, livechat.Options{Now: func() time.Time { return now }, Intn: func(int) int { return 0 }})
	ctx := context.Background()
	f.lc.Presence.Connect(f.ops[0].ID)
	r := &model.ChannelRouting{ChannelID: f.ch.ID, HoursEnabled: true, Timezone: "Europe/Madrid",
		Hours: "mon-fri 09:00-17:00", AwayMessage: "  We are closed.  "}
	if err := f.lc.SaveRouting(ctx, r); err != nil {
		t.Fatal(err)
	}
	saved, err := f.lc.Routing(ctx, f.ch.ID)
	if err != nil || saved.Hours != "Mon 09:00-17:00\nTue 09:00-17:00\nWed 09:00-17:00\nThu 09:00-17:00\nFri 09:00-17:00" || saved.AwayMessage != "We are closed." {
		t.Fatalf("saved routing = %+v, %v", saved, err)
	}
	boot, err := f.lc.Init(ctx, f.ch.ID, "https://shop.example/", "BE")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 1, 13, 8, 0, 0, 0, time.UTC)
	if !boot.Availability.Closed || boot.Availability.AwayMessage != "We are closed." || !boot.Availability.NextOpening.Equal(want) || boot.Decision.Available || boot.OperatorsOnline != 0 {
		t.Fatalf("Init on Saturday = %+v", boot)
	}
	if _, err := f.lc.StartSession(ctx, livechat.StartInput{ChannelID: f.ch.ID}); !errors.Is(err, livechat.ErrNoOperator) {
		t.Fatalf("start outside hours: %v, want ErrNoOperator", err)
	}
	now = time.Date(2025, 1, 13, 8, 0, 0, 0, time.UTC) // Monday 09:00 in Madrid
	f.lc.Presence.Activity(f.ops[0].ID)                // she is back at her desk
	boot, _ = f.lc.Init(ctx, f.ch.ID, "https://shop.example/", "BE")
	if boot.Availability.Closed || !boot.Decision.Available {
		t.Fatalf("Init on Monday morning = %+v", boot)
	}
	if res := f.start(t, nil); res.Session.OperatorID != f.ops[0].ID {
		t.Fatalf("start inside hours: %+v", res.Session)
	}
}

func TestSaveRoutingRefusesBadInput(t *testing.T) {
	f := newFixture(t, 1, nil)
	ctx := context.Background()
	for _, c := range []struct {
		r     model.ChannelRouting
		field string
	}{
		{model.ChannelRouting{HoursEnabled: true, Hours: "Mon 09:00-12:00\nMon 11:00-13:00"}, "hours"},
		{model.ChannelRouting{HoursEnabled: true}, "hours"},
		{model.ChannelRouting{Timezone: "Europe/Atlantis"}, "timezone"},
		{model.ChannelRouting{Holidays: "25/12/2025"}, "holidays"},
		{model.ChannelRouting{MaxChats: -1}, "max_chats"},
	} {
		c.r.ChannelID = f.ch.ID
		var fe *model.FieldError
		if err := f.lc.SaveRouting(ctx, &c.r); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("SaveRouting(%+v) = %v, want an error on %s", c.r, err, c.field)
		}
	}
	if r, err := f.lc.Routing(ctx, f.ch.ID); err != nil || r.HoursEnabled || r.Hours != "" {
		t.Fatalf("refused input was saved: %+v, %v", r, err)
	}
	for _, in := range []string{"0", "-3", "1000", "two"} {
		if _, err := livechat.ParseMaxChats("max_chats", in); err == nil {
			t.Errorf("ParseMaxChats(%q) accepted", in)
		}
	}
	if n, err := livechat.ParseMaxChats("max_chats", " "); n != 0 || err != nil {
		t.Errorf("empty maximum = %d, %v; want none", n, err)
	}
}

// An operator at their maximum of concurrent chats is not chosen; their
// own maximum wins over the channel's; with everyone at the maximum nobody
// is offered and the visitor waits in the queue.
func TestOperatorAtMaximumIsNotChosen(t *testing.T) {
	f := newFixture(t, 2, func(int) int { return 0 })
	ctx := context.Background()
	olga, eve := f.ops[0], f.ops[1]
	f.lc.Presence.Connect(olga.ID)
	f.lc.Presence.Connect(eve.ID)
	if err := f.lc.SaveRouting(ctx, &model.ChannelRouting{ChannelID: f.ch.ID, MaxChats: 1}); err != nil {
		t.Fatal(err)
	}
	if err := f.lc.SetUserMaxChats(ctx, eve.ID, "2"); err != nil {
		t.Fatal(err)
	}
	if err := f.lc.SetUserMaxChats(ctx, eve.ID, "0"); err == nil {
		t.Fatal("a maximum of 0 was accepted")
	}
	got := map[int64]int{}
	for i := 0; i < 3; i++ {
		got[f.start(t, nil).Session.OperatorID]++
	}
	if got[olga.ID] != 1 || got[eve.ID] != 2 {
		t.Fatalf("chats per operator = %v; want olga 1 (the channel's maximum), eve 2 (her own)", got)
	}
	if x := f.start(t, nil).Session; x.OperatorID != 0 || !x.Waiting() || x.QueuePosition != 1 {
		t.Fatalf("everyone at the maximum: session %+v, want it first in the queue without an operator", x)
	}
}

// Chats starting at once never take an operator past their maximum: the
// choice and the session are one write, so each start sees the places the
// others took.
func TestConcurrentStartsKeepTheMaximum(t *testing.T) {
	f := newFixture(t, 2, nil)
	ctx := context.Background()
	for _, op := range f.ops {
		f.lc.Presence.Connect(op.ID)
	}
	if err := f.lc.SaveRouting(ctx, &model.ChannelRouting{ChannelID: f.ch.ID, MaxChats: 3}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	sessions := make([]*model.Session, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.lc.StartSession(ctx, livechat.StartInput{ChannelID: f.ch.ID, Country: "BE"})
			if err == nil {
				sessions[i] = res.Session
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	got, queued := map[int64]int{}, 0
	for i, x := range sessions {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		if x.OperatorID == 0 {
			if !x.Waiting() {
				t.Fatalf("start %d: neither an operator nor the queue: %+v", i, x)
			}
			queued++
			continue
		}
		got[x.OperatorID]++
	}
	if got[f.ops[0].ID] != 3 || got[f.ops[1].ID] != 3 || queued != n-6 {
		t.Fatalf("chats per operator %v, %d waiting; want 3 each (the maximum) and %d waiting", got, queued, n-6)
	}
}

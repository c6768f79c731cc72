package outbox_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
	"parley/app/outbox"
	"parley/app/store"
	"parley/db"
)

// clock is a settable time for the worker, so back-off is observed without
// waiting for it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// eventually waits for cond, checking often; it fails the test after a
// deadline far beyond what the work needs, so it never decides a result
// by timing.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf(`timed out waiting for %s`, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func item(t *testing.T, st *store.Store, id int64) model.OutboxItem {
	t.Helper()
	it, err := st.OutboxItem(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// newWorker starts a worker whose poll is an hour, so a delivery that
// happens at all was woken, not polled.
func newWorker(t *testing.T, st *store.Store, o outbox.Options, kind string, h outbox.Handler) *outbox.Worker {
	t.Helper()
	if o.Poll == 0 {
		o.Poll = time.Hour
	}
	o.Logger = apptest.Logger(t)
	w := outbox.New(st, o)
	w.Handle(kind, h)
	w.Start()
	t.Cleanup(w.Stop)
	return w
}

func TestEnqueueWakesTheWorkerAndDelivers(t *testing.T) {
	st := apptest.NewStore(t)
	got := make(chan model.OutboxItem, 4)
	w := newWorker(t, st, outbox.Options{}, "test", func(_ context.Context, it model.OutboxItem) error { got <- it; return nil })
	it, err := w.Enqueue(context.Background(), "test", "ref:1", []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	d := <-got
	if d.ID != it.ID || d.Ref != "ref:1" || string(d.Payload) != `{"a":1}` {
		t.Fatalf(`delivered %+v, want item %d with its ref and payload`, d, it.ID)
	}
	eventually(t, "sent", func() bool { return item(t, st, it.ID).Status == model.OutboxSent })
	if x := item(t, st, it.ID); x.Attempts != 1 || x.DoneAt.IsZero() {
		t.Fatalf(`sent item: %+v, want 1 attempt and a done time`, x)
	}
}

func TestEnqueueInATransactionIsDeliveredAfterCommitOnly(t *testing.T) {
	st := apptest.NewStore(t)
	got := make(chan model.OutboxItem, 4)
	newWorker(t, st, outbox.Options{}, "test", func(_ context.Context, it model.OutboxItem) error { got <- it; return nil })
	ctx := context.Background()
	boom := errors.New("boom")
	err := st.Tx(ctx, func(tx *sql.Tx) error {
		if err := st.EnqueueTx(tx, &model.OutboxItem{Kind: "test", Ref: "rolled back"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf(`tx: %v`, err)
	}
	var committed model.OutboxItem
	committed.Kind, committed.Ref = "test", "committed"
	if err := st.Tx(ctx, func(tx *sql.Tx) error { return st.EnqueueTx(tx, &committed) }); err != nil {
		t.Fatal(err)
	}
	if d := <-got; d.Ref != "committed" {
		t.Fatalf(`delivered %q, want only the committed item`, d.Ref)
	}
	list, err := st.OutboxPage(ctx, store.OutboxFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf(`outbox holds %d rows (%v), want the committed one only`, len(list), err)
	}
}

func TestBackoffGrowsAndPermanentFailureStops(t *testing.T) {
	st := apptest.NewStore(t)
	clk := &clock{t: time.Now()}
	var calls atomic.Int32
	permanent := errors.New("550 no such user")
	w := newWorker(t, st, outbox.Options{Now: clk.Now, BaseDelay: 30 * time.Second, MaxDelay: time.Hour}, "test",
		func(_ context.Context, it model.OutboxItem) error {
			calls.Add(1)
			if it.Ref == "bad" {
				return outbox.Permanent(permanent)
			}
			return errors.New("421 try later")
		})
	ctx := context.Background()
	it, _ := w.Enqueue(ctx, "test", "flaky", nil)
	var delays []time.Duration
	for attempt := 1; attempt <= 4; attempt++ {
		eventually(t, "attempt recorded", func() bool { x := item(t, st, it.ID); return x.Attempts == attempt && x.Status == model.OutboxQueued })
		x := item(t, st, it.ID)
		if x.LastError != "421 try later" {
			t.Fatalf(`last error %q`, x.LastError)
		}
		delays = append(delays, x.NextAttemptAt.Sub(clk.Now()))
		clk.Add(x.NextAttemptAt.Sub(clk.Now()) + time.Second)
		w.Wake()
	}
	for i := 1; i < len(delays); i++ {
		if delays[i] <= delays[i-1] {
			t.Fatalf(`delays %v do not grow`, delays)
		}
	}
	if delays[0] < 20*time.Second || delays[0] > 40*time.Second {
		t.Fatalf(`first delay %v, want about the base delay`, delays[0])
	}

	bad, _ := w.Enqueue(ctx, "test", "bad", nil)
	eventually(t, "failed", func() bool { return item(t, st, bad.ID).Status == model.OutboxFailed })
	if x := item(t, st, bad.ID); x.Attempts != 1 || x.LastError != permanent.Error() {
		t.Fatalf(`permanently refused item: %+v, want failed after 1 attempt with the server's answer`, x)
	}
}

func TestOutOfAttemptsFails(t *testing.T) {
	st := apptest.NewStore(t)
	clk := &clock{t: time.Now()}
	w := newWorker(t, st, outbox.Options{Now: clk.Now, MaxAttempts: 2}, "test",
		func(context.Context, model.OutboxItem) error { return errors.New("down") })
	it, _ := w.Enqueue(context.Background(), "test", "", nil)
	eventually(t, "first attempt", func() bool { return item(t, st, it.ID).Attempts == 1 })
	clk.Add(2 * time.Hour)
	w.Wake()
	eventually(t, "failed", func() bool { return item(t, st, it.ID).Status == model.OutboxFailed })
	if x := item(t, st, it.ID); x.Attempts != 2 {
		t.Fatalf(`attempts %d, want 2`, x.Attempts)
	}
}

func TestWaitKeepsTheItemWithoutUsingAnAttemptAndRetryNowDelivers(t *testing.T) {
	st := apptest.NewStore(t)
	var ready atomic.Bool
	w := newWorker(t, st, outbox.Options{}, "test", func(context.Context, model.OutboxItem) error {
		if !ready.Load() {
			return outbox.Wait(errors.New("not configured"))
		}
		return nil
	})
	ctx := context.Background()
	it, _ := w.Enqueue(ctx, "test", "", nil)
	eventually(t, "waiting", func() bool { return item(t, st, it.ID).LastError == "not configured" })
	if x := item(t, st, it.ID); x.Attempts != 0 || x.Status != model.OutboxQueued {
		t.Fatalf(`waiting item: %+v, want queued with no attempt used`, x)
	}
	ready.Store(true)
	if err := w.DueNow(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "sent", func() bool { return item(t, st, it.ID).Status == model.OutboxSent })
	if err := w.RetryNow(ctx, it.ID); err == nil {
		t.Fatal(`retry of a sent item accepted`)
	}
}

func TestRetryNowRequeuesAFailedItem(t *testing.T) {
	st := apptest.NewStore(t)
	var fixed atomic.Bool
	w := newWorker(t, st, outbox.Options{}, "test", func(context.Context, model.OutboxItem) error {
		if fixed.Load() {
			return nil
		}
		return outbox.Permanent(errors.New("refused"))
	})
	ctx := context.Background()
	it, _ := w.Enqueue(ctx, "test", "", nil)
	eventually(t, "failed", func() bool { return item(t, st, it.ID).Status == model.OutboxFailed })
	fixed.Store(true)
	if err := w.RetryNow(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "sent", func() bool { return item(t, st, it.ID).Status == model.OutboxSent })
	if n, err := w.Depth(ctx, ""); err != nil || n != 0 {
		t.Fatalf(`depth %d (%v), want 0`, n, err)
	}
}

// A stop during a delivery puts the row back untouched, and a crash that
// leaves rows "sending" is repaired at the next start, on a reopened file.
func TestSurvivesStopAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx, st.Writer()); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 1)
	w := outbox.New(st, outbox.Options{Poll: time.Hour, Logger: apptest.Logger(t)})
	w.Handle("test", func(ctx context.Context, _ model.OutboxItem) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	w.Start()
	it, _ := w.Enqueue(ctx, "test", "", nil)
	<-started
	w.Stop()
	if x := item(t, st, it.ID); x.Status != model.OutboxQueued || x.Attempts != 0 {
		t.Fatalf(`after stop: %+v, want queued with no attempt used`, x)
	}
	// What a crash mid-delivery leaves behind.
	if _, err := st.Writer().Exec(`UPDATE outbox SET status = 'sending' WHERE id = ?`, it.ID); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := make(chan int64, 1)
	newWorker(t, st, outbox.Options{}, "test", func(_ context.Context, x model.OutboxItem) error { got <- x.ID; return nil })
	if id := <-got; id != it.ID {
		t.Fatalf(`delivered %d, want %d`, id, it.ID)
	}
	eventually(t, "sent", func() bool { return item(t, st, it.ID).Status == model.OutboxSent })
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	base, maxDelay := 30*time.Second, time.Hour
	for attempts, want := range map[int]time.Duration{1: base, 2: 2 * base, 3: 4 * base, 30: maxDelay} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := outbox.Backoff(attempts, base, maxDelay)
			if d < want*3/4 || d > want*5/4 {
				t.Fatalf(`Backoff(%d) = %v, want within 25%% of %v`, attempts, d, want)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Fatalf(`Backoff(%d) never varies: no jitter`, attempts)
		}
	}
}

// Package outbox delivers what Parley sends outside itself (mail, webhook
// calls) from a durable queue: rows are committed in the transaction of
// what caused them (store.EnqueueTx) and a worker hands each to the handler
// registered for its kind, retrying with exponential back-off until it is
// delivered, refused for good, or out of attempts. Nothing is lost to a
// restart or to a receiving server that is down.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"parley/app/model"
	"parley/app/store"
)

// Handler delivers one item. It returns nil when delivered, an error made
// with Permanent when retrying cannot help, an error made with Wait when it
// could not even try (nothing configured), or any other error to retry.
type Handler func(ctx context.Context, item model.OutboxItem) error

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as final: the item fails at once (a mail server that
// rejects the recipient will reject them again).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool { return errors.As(err, new(permanentError)) }

type waitError struct{ err error }

func (e waitError) Error() string { return e.err.Error() }
func (e waitError) Unwrap() error { return e.err }

// Wait marks err as "not tried": the item stays queued without using up an
// attempt and is tried again at the next poll or when woken.
func Wait(err error) error {
	if err == nil {
		return nil
	}
	return waitError{err}
}

// Options tune the worker; zero values take the defaults.
type Options struct {
	Logger      *slog.Logger
	Poll        time.Duration // how often due rows are looked for when nobody wakes the worker (30s)
	BaseDelay   time.Duration // the first retry's delay, doubled each attempt (30s)
	MaxDelay    time.Duration // the longest delay between attempts (1h)
	MaxAttempts int           // attempts before an item fails (20: about a day)
	Timeout     time.Duration // the longest one delivery may take (1m)
	Now         func() time.Time
}

// Worker claims due outbox rows and delivers them, one at a time.
type Worker struct {
	st   *store.Store
	o    Options
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	handlers map[string]Handler
	stop     context.CancelFunc
	done     chan struct{}
}

// New returns a worker on st; register handlers, then Start it.
func New(st *store.Store, o Options) *Worker {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Poll <= 0 {
		o.Poll = 30 * time.Second
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 30 * time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = time.Hour
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 20
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	w := &Worker{st: st, o: o, log: o.Logger.With("component", "outbox"), wake: make(chan struct{}, 1), handlers: map[string]Handler{}}
	st.OnOutbox(w.Wake)
	return w
}

// Handle registers the handler of kind. Register before Start.
func (w *Worker) Handle(kind string, h Handler) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.handlers[kind] = h
}

func (w *Worker) kinds() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.handlers))
	for k := range w.handlers {
		out = append(out, k)
	}
	return out
}

func (w *Worker) handler(kind string) Handler {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.handlers[kind]
}

// Wake makes the worker look for due rows now; it never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Start puts back in the queue what a previous run left half-sent and runs
// the worker until Stop.
func (w *Worker) Start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop, w.done = cancel, make(chan struct{})
	go w.run(ctx)
}

// Stop ends the worker and waits for it; a delivery in flight is cancelled
// and its row goes back in the queue untouched.
func (w *Worker) Stop() {
	w.mu.Lock()
	stop, done := w.stop, w.done
	w.stop = nil
	w.mu.Unlock()
	if stop == nil {
		return
	}
	stop()
	<-done
}

func (w *Worker) run(ctx context.Context) {
	defer close(w.done)
	if n, err := w.st.RequeueSending(ctx); err != nil {
		w.log.Error("requeue interrupted deliveries", "error", err)
	} else if n > 0 {
		w.log.Info("requeued interrupted deliveries", "count", n)
	}
	for {
		w.drain(ctx)
		wait := w.o.Poll
		if next, err := w.st.NextOutboxDue(ctx, w.kinds()); err == nil {
			if d := next.Sub(w.o.Now()); d < wait {
				wait = max(d, 0)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// batch is how many rows one claim takes: small, so a row claimed is a row
// delivered soon, and a stop leaves few rows to put back.
const batch = 10

func (w *Worker) drain(ctx context.Context) {
	for ctx.Err() == nil {
		items, err := w.st.ClaimOutbox(ctx, w.o.Now(), w.kinds(), batch)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Error("claim outbox", "error", err)
			}
			return
		}
		for i, it := range items {
			if ctx.Err() != nil {
				w.putBack(items[i:])
				return
			}
			w.deliver(ctx, it)
		}
		if len(items) < batch {
			return
		}
	}
}

// putBack returns claimed rows to the queue as they were.
func (w *Worker) putBack(items []model.OutboxItem) {
	ctx := context.Background()
	for _, it := range items {
		if err := w.st.OutboxWait(ctx, it.ID, it.NextAttemptAt, it.LastError); err != nil {
			w.log.Error("put back outbox item", "id", it.ID, "error", err)
		}
	}
}

func (w *Worker) deliver(ctx context.Context, it model.OutboxItem) {
	h := w.handler(it.Kind)
	dctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	err := h(dctx, it)
	cancel()
	// The row's new state is written even while stopping.
	sctx := context.WithoutCancel(ctx)
	log := w.log.With("id", it.ID, "kind", it.Kind, "ref", it.Ref)
	var werr waitError
	switch {
	case err == nil:
		err = w.st.OutboxSent(sctx, it.ID)
		log.Debug("delivered")
	case ctx.Err() != nil:
		// Stopping cut the delivery short: not the item's fault.
		w.putBack([]model.OutboxItem{it})
		return
	case errors.As(err, &werr):
		err = w.st.OutboxWait(sctx, it.ID, w.o.Now().Add(w.o.Poll), werr.Error())
	case IsPermanent(err) || it.Attempts+1 >= w.o.MaxAttempts:
		log.Warn("delivery failed for good", "attempts", it.Attempts+1, "error", err)
		err = w.st.OutboxFailed(sctx, it.ID, err.Error())
	default:
		d := Backoff(it.Attempts+1, w.o.BaseDelay, w.o.MaxDelay)
		log.Info("delivery failed; will retry", "attempts", it.Attempts+1, "in", d.Round(time.Second), "error", err)
		err = w.st.OutboxRetry(sctx, it.ID, w.o.Now().Add(d), err.Error())
	}
	if err != nil {
		log.Error("record delivery", "error", err)
	}
}

// Backoff is the delay before the next try after attempts failed ones:
// base doubled per attempt, capped at max, then spread by ±25% so items
// that failed together do not all come back together.
func Backoff(attempts int, base, maxDelay time.Duration) time.Duration {
	d := base
	for i := 1; i < attempts && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	return d*3/4 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// Enqueue adds an item in a transaction of its own and wakes the worker.
// To commit an item with what caused it, use store.EnqueueTx in that
// transaction instead.
func (w *Worker) Enqueue(ctx context.Context, kind, ref string, payload []byte) (model.OutboxItem, error) {
	it := model.OutboxItem{Kind: kind, Ref: ref, Payload: payload}
	if err := w.st.Enqueue(ctx, &it); err != nil {
		return it, fmt.Errorf("outbox: %w", err)
	}
	return it, nil
}

// List returns the newest items, for the admin's outbox table.
func (w *Worker) List(ctx context.Context, kind string, status model.OutboxStatus, limit int) ([]model.OutboxItem, error) {
	return w.st.OutboxPage(ctx, store.OutboxFilter{Kind: kind, Status: status, Limit: limit})
}

// RetryNow queues a waiting or failed item for delivery at once.
func (w *Worker) RetryNow(ctx context.Context, id int64) error {
	if err := w.st.RetryOutboxNow(ctx, id); err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return model.Refuse(model.NotFound, "outbox_not_retryable", "This item is sent or being sent; there is nothing to retry.")
		}
		return err
	}
	return nil
}

// DueNow makes every queued item of kind due at once, for when what held
// them back changed (the mail settings were saved).
func (w *Worker) DueNow(ctx context.Context, kind string) error {
	return w.st.OutboxDueNow(ctx, kind)
}

// Depth counts the items of kind ("" for all) waiting for delivery.
func (w *Worker) Depth(ctx context.Context, kind string) (int, error) {
	return w.st.OutboxDepth(ctx, kind)
}

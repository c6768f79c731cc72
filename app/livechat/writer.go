package livechat

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"parley/app/model"
	"parley/app/store"
)

// ErrBusy means the message queue is full; clients retry later (503).
var ErrBusy = errors.New("livechat: too many messages in flight")

// ErrSessionClosed refuses messages to a closed session.
var ErrSessionClosed = &model.FieldError{Field: "session", Message: "This conversation has ended."}

// Group commit: every chat message goes through one goroutine that drains
// whatever is queued (up to maxBatch), commits it in one transaction, then
// emits and acknowledges each message in id order. One commit serves
// hundreds of messages, and nobody is told "sent" before it. Emitting only
// queues the event: subscribers run elsewhere and cannot stall this loop.
const (
	queueSize = 8192
	maxBatch  = 256
)

type writeJob struct {
	msg     *model.Message
	session *model.Session
	// shared: the caller hands x and the message over, so the commit's
	// event may carry them as they are instead of copies.
	shared bool
	done   chan error
}

type writer struct {
	st   *store.Store
	log  *slog.Logger
	emit func(x *model.Session, m *model.Message, shared bool)
	// onCommit hears each group commit's size and duration (metrics).
	onCommit func(messages int, took time.Duration)
	q        chan writeJob
	stop     chan struct{}
	stopped  sync.Once
	wg       sync.WaitGroup
}

func newWriter(st *store.Store, log *slog.Logger, emit func(x *model.Session, m *model.Message, shared bool)) *writer {
	return &writer{st: st, log: log, emit: emit, q: make(chan writeJob, queueSize), stop: make(chan struct{})}
}

func (w *writer) start() {
	w.wg.Add(1)
	go w.loop()
}

// close stops the writer after committing everything already queued.
func (w *writer) close() {
	w.stopped.Do(func() { close(w.stop) })
	w.wg.Wait()
}

// write queues m and waits for its commit. With shared, the caller no
// longer changes x or m once write returns.
func (w *writer) write(ctx context.Context, x *model.Session, m *model.Message, shared bool) error {
	j := writeJob{msg: m, session: x, shared: shared, done: make(chan error, 1)}
	select {
	case w.q <- j:
	default:
		return ErrBusy
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		// The message may still commit; the client will see it with ?after=.
		return ctx.Err()
	}
}

func (w *writer) loop() {
	defer w.wg.Done()
	batch := make([]writeJob, 0, maxBatch)
	for {
		select {
		case j := <-w.q:
			batch = append(batch[:0], j)
		case <-w.stop:
			// Drain what is queued so acknowledged-pending writers get an answer.
			for {
				select {
				case j := <-w.q:
					w.commit([]writeJob{j})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case j := <-w.q:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// safeEmit keeps the one writer goroutine alive if emitting panics: the
// message is committed and clients catch up with ?after=.
func (w *writer) safeEmit(x *model.Session, m *model.Message, shared bool) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("emit message panicked", "session_id", x.ID, "message_id", m.ID, "panic", r)
		}
	}()
	w.emit(x, m, shared)
}

func (w *writer) commit(batch []writeJob) {
	msgs := make([]*model.Message, len(batch))
	for i, j := range batch {
		msgs[i] = j.msg
	}
	start := time.Now()
	errs, err := w.st.InsertMessages(context.Background(), msgs)
	if w.onCommit != nil {
		w.onCommit(len(msgs), time.Since(start))
	}
	for i, j := range batch {
		e := err
		if e == nil && errs[i] != nil {
			e = errs[i]
			if errors.Is(e, store.ErrConflict) {
				e = ErrSessionClosed
			}
		}
		if e == nil && !j.msg.Replayed {
			w.safeEmit(j.session, j.msg, j.shared)
		}
		j.done <- e
	}
}

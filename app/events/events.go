// Package events carries domain events to whoever reacts to them after the
// fact: the realtime push, mail, webhooks, ratings. Events are emitted only
// after the change they describe is committed, and a subscriber runs on its
// own goroutine, so it can neither see uncommitted state nor slow down or
// break the code that emitted the event (above all the group-commit writer).
package events

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"parley/app/model"
)

// Event is one of the types below.
type Event interface{ event() }

// SessionStarted: a visitor opened a chat and it was assigned. Visitor,
// when set, is the visitor as the start left them, which spares a
// subscriber reading them back.
type SessionStarted struct {
	Session *model.Session
	Visitor *model.Visitor
}

// MessageCommitted: a message (or a system notice) is on disk.
type MessageCommitted struct {
	Session *model.Session
	Message *model.Message
}

// SessionClosed: a conversation ended. By says who ended it: the visitor,
// an operator (ByID is the user), or the system (abandoned, stale).
type SessionClosed struct {
	Session *model.Session
	By      model.AuthorKind
	ByID    int64
}

// OperatorJoined: an operator took a conversation: the one it was assigned
// to when it started, or the one it was transferred to.
type OperatorJoined struct {
	Session    *model.Session
	OperatorID int64
}

// SessionAssigned: a conversation that waited in its channel's queue got
// its operator (Session holds the new state; OperatorJoined follows).
type SessionAssigned struct{ Session *model.Session }

// OperatorLeft: an operator left a conversation that goes on without them
// (another operator remains) or ends (nobody remains; SessionClosed follows).
type OperatorLeft struct {
	Session    *model.Session
	OperatorID int64
}

// SessionTransferred: the conversation moved from one operator (and
// channel) to another; Session holds the new state.
type SessionTransferred struct {
	Session        *model.Session
	FromOperatorID int64
	FromChannelID  int64
}

// ChatbotChanged: a conversation's chatbot script ended, restarted or
// forwarded the visitor to an operator (Session holds the new state).
type ChatbotChanged struct{ Session *model.Session }

// OfflineMessageLeft: a visitor left a message while nobody was available.
type OfflineMessageLeft struct{ Message *model.OfflineMessage }

// RatingLeft: a visitor rated a conversation, or changed their rating;
// Session carries the new rating. The notice the operator reads comes as
// its own MessageCommitted.
type RatingLeft struct {
	Session *model.Session
	Rating  *model.Rating
}

// UserDeactivated: an admin deactivated a user (someone who left); their
// open chats must go to someone else.
type UserDeactivated struct{ User *model.User }

func (SessionStarted) event()     {}
func (MessageCommitted) event()   {}
func (SessionClosed) event()      {}
func (OperatorJoined) event()     {}
func (OperatorLeft) event()       {}
func (SessionAssigned) event()    {}
func (SessionTransferred) event() {}
func (OfflineMessageLeft) event() {}
func (ChatbotChanged) event()     {}
func (UserDeactivated) event()    {}
func (RatingLeft) event()         {}

// Handler reacts to one event. It runs on its subscription's goroutine;
// events reach it one at a time in the order they were emitted.
type Handler func(Event)

// queueSize bounds each subscriber's backlog. A subscriber that falls this
// far behind loses events (logged and counted) rather than holding memory
// without bound or blocking the emitter: durable consumers (mail, webhooks)
// write their outbox in the emitter's transaction and use events only as a
// wake-up, and live clients catch up by message id.
const queueSize = 4096

// Bus fans events out to subscribers. The zero value is not usable; call New.
type Bus struct {
	log *slog.Logger

	mu     sync.RWMutex
	subs   []*subscription
	closed bool
	wg     sync.WaitGroup
}

type subscription struct {
	name    string
	fn      Handler
	q       chan Event
	dropped atomic.Int64
}

// New returns a bus with no subscribers.
func New(log *slog.Logger) *Bus {
	if log == nil {
		log = slog.Default()
	}
	return &Bus{log: log.With("component", "events")}
}

// Subscribe registers fn under name (for logs) and starts its goroutine.
func (b *Bus) Subscribe(name string, fn Handler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	s := &subscription{name: name, fn: fn, q: make(chan Event, queueSize)}
	b.subs = append(b.subs, s)
	b.wg.Add(1)
	go b.run(s)
}

// Emit hands e to every subscriber without waiting for any of them. Call it
// only after the change e describes is committed.
func (b *Bus) Emit(e Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return
	}
	for _, s := range b.subs {
		select {
		case s.q <- e:
		default:
			if n := s.dropped.Add(1); n == 1 || n%1000 == 0 {
				b.log.Warn("event subscriber is too slow; events dropped", "subscriber", s.name, "dropped", n)
			}
		}
	}
}

// Dropped reports how many events the named subscriber has lost.
func (b *Bus) Dropped(name string) int64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var n int64
	for _, s := range b.subs {
		if s.name == name {
			n += s.dropped.Load()
		}
	}
	return n
}

// Close delivers what is queued, stops every subscriber and waits for them.
// Emit after Close does nothing.
func (b *Bus) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	for _, s := range b.subs {
		close(s.q)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *Bus) run(s *subscription) {
	defer b.wg.Done()
	for e := range s.q {
		b.deliver(s, e)
	}
}

// deliver keeps a subscriber alive when one event makes it panic.
func (b *Bus) deliver(s *subscription, e Event) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("event subscriber panicked", "subscriber", s.name, "event", slog.AnyValue(e).String(), "panic", r)
		}
	}()
	s.fn(e)
}

package events

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"parley/app/model"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestEventsArriveInOrderAfterEmit(t *testing.T) {
	b := New(quiet())
	var mu sync.Mutex
	var got []int64
	b.Subscribe("test", func(e Event) {
		mu.Lock()
		got = append(got, e.(MessageCommitted).Message.ID)
		mu.Unlock()
	})
	for i := int64(1); i <= 100; i++ {
		b.Emit(MessageCommitted{Session: &model.Session{}, Message: &model.Message{ID: i}})
	}
	b.Close() // delivers what is queued
	if len(got) != 100 {
		t.Fatalf("delivered %d of 100 events", len(got))
	}
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("event %d has id %d: out of order", i, id)
		}
	}
}

func TestSlowSubscriberNeverBlocksTheEmitter(t *testing.T) {
	b := New(quiet())
	release := make(chan struct{})
	b.Subscribe("stuck", func(Event) { <-release })
	fast := make(chan Event, queueSize*2+10)
	b.Subscribe("fast", func(e Event) { fast <- e })

	done := make(chan struct{})
	go func() {
		for i := 0; i < queueSize*2; i++ {
			b.Emit(SessionStarted{Session: &model.Session{ID: int64(i)}})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Emit blocked behind a stuck subscriber")
	}
	if d := b.Dropped("stuck"); d == 0 {
		t.Fatal("the stuck subscriber's overflow was not counted as dropped")
	}
	close(release)
	b.Close()
	// A subscriber that keeps up gets everything; one that falls a whole
	// queue behind (a busy machine can do that to any goroutine) loses
	// what overflowed, counted: nothing vanishes unaccounted for.
	if got := int64(len(fast)) + b.Dropped("fast"); got != queueSize*2 {
		t.Fatalf("the fast subscriber got %d and dropped %d of %d events", len(fast), b.Dropped("fast"), queueSize*2)
	}
}

func TestPanickingSubscriberKeepsReceiving(t *testing.T) {
	b := New(quiet())
	var n int
	b.Subscribe("flaky", func(e Event) {
		n++
		if e.(SessionClosed).ByID == 1 {
			panic("boom")
		}
	})
	b.Emit(SessionClosed{Session: &model.Session{}, ByID: 1})
	b.Emit(SessionClosed{Session: &model.Session{}, ByID: 2})
	b.Close()
	if n != 2 {
		t.Fatalf("handled %d events, want 2 (the panic must not stop the subscriber)", n)
	}
	b.Emit(SessionClosed{}) // after Close: ignored, no panic on a closed channel
}

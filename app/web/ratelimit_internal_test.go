package web

import (
	"fmt"
	"testing"
	"time"

	"parley/app/config"
)

// A flood of new keys must not reset everyone (the limiter used to start
// over at 100,000 keys): a key in active use keeps its empty bucket while
// the flood pushes out the keys unused for longest, and memory stays
// bounded.
func TestLimiterFloodKeepsActiveKeys(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(config.Rate{Every: time.Minute, Burst: 3}, 1000)
	l.now = func() time.Time { return now }
	for range 3 {
		if ok, _ := l.allow("attacker"); !ok {
			t.Fatalf(`the first 3 requests were refused`)
		}
	}
	if ok, wait := l.allow("attacker"); ok || wait <= 0 {
		t.Fatalf(`the 4th request passed (%v, %v)`, ok, wait)
	}
	for i := range 50_000 {
		now = now.Add(time.Microsecond)
		if ok, _ := l.allow(fmt.Sprintf("flood-%d", i)); !ok {
			t.Fatalf(`a new key was refused`)
		}
		if i%500 == 0 {
			if ok, _ := l.allow("attacker"); ok {
				t.Fatalf(`after %d new keys the attacker's bucket was refilled`, i)
			}
		}
		if n := l.buckets.Len(); n > 1000 {
			t.Fatalf(`the limiter holds %d buckets, more than its 1000`, n)
		}
	}
	// The keys unused for longest were the ones forgotten.
	if _, ok := l.buckets.Peek("flood-0"); ok {
		t.Fatalf(`the oldest flood key is still remembered`)
	}
	if _, ok := l.buckets.Peek("flood-49999"); !ok {
		t.Fatalf(`the newest flood key was forgotten`)
	}
}

// A bucket idle long enough to have refilled holds nothing a new one
// would not: it is dropped, and its key starts with a full burst.
func TestLimiterForgetsRefilledBuckets(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(config.Rate{Every: time.Second, Burst: 5}, 1000)
	l.now = func() time.Time { return now }
	for i := range 300 {
		l.allow(fmt.Sprintf("k%d", i))
	}
	for range 5 {
		l.allow("busy")
	}
	if ok, _ := l.allow("busy"); ok {
		t.Fatalf(`the 6th request of a burst of 5 passed`)
	}
	now = now.Add(5 * time.Second) // a full refill
	for range 10 {
		l.allow("other")
	}
	if n := l.buckets.Len(); n > 2 {
		t.Fatalf(`%d buckets remain after they all refilled`, n)
	}
	for range 5 {
		if ok, _ := l.allow("busy"); !ok {
			t.Fatalf(`a refilled key did not get its burst back`)
		}
	}
}

package auth

import (
	"fmt"
	"testing"
	"time"
)

// A flood of failures for made-up emails must not wipe the record of the
// address doing it (the limiter used to start over at 100,000 keys), and
// memory stays bounded.
func TestLimiterFloodKeepsActiveKeys(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	l := NewBoundedLimiter(10, 5, 15*time.Minute, 1000, clock)
	for i := range 9 {
		l.Fail("198.51.100.7", fmt.Sprintf("victim%d@example.com", i))
	}
	for i := range 20_000 {
		// Other addresses, one failure each: 40,000 new keys.
		l.Fail(fmt.Sprintf("203.0.%d.%d", i/250, i%250), fmt.Sprintf("nobody%d@example.com", i))
		if i%100 == 0 {
			l.Fail("198.51.100.7", "victim@example.com") // still active
			l.Reset("victim@example.com")
		}
		if n := l.failures.Len(); n > 1000 {
			t.Fatalf(`the limiter holds %d keys, more than its 1000`, n)
		}
	}
	if wait := l.Blocked("198.51.100.7", "someone@example.com"); wait == 0 {
		t.Fatalf(`the active address's failures were forgotten in the flood`)
	}
	if wait := l.Blocked("203.0.0.1", "nobody1@example.com"); wait != 0 {
		t.Fatalf(`an address with one failure is blocked for %v`, wait)
	}
}

// Keys whose failures left the window are dropped, however many there
// were, and blocking ends with the window.
func TestLimiterExpiresOldKeys(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := NewBoundedLimiter(3, 3, time.Minute, 10_000, func() time.Time { return now })
	for i := range 500 {
		l.Fail(fmt.Sprintf("10.0.%d.%d", i/200, i%200), "x@example.com")
	}
	if l.Blocked("10.9.9.9", "x@example.com") == 0 {
		t.Fatalf(`500 failures for one email did not block it`)
	}
	now = now.Add(time.Minute)
	for range 20 { // each call drops a bounded number of expired keys
		l.Blocked("10.9.9.9", "y@example.com")
	}
	if n := l.failures.Len(); n != 0 {
		t.Fatalf(`%d keys remain after their window`, n)
	}
	if l.Blocked("10.9.9.9", "x@example.com") != 0 {
		t.Fatalf(`the email is still blocked after the window`)
	}
}

package auth

import (
	"sync"
	"time"
)

// Limiter counts failed logins per IP and per email in a sliding window.
// It is in memory on purpose: a restart forgetting failures is harmless,
// and it keeps failed logins off the database writer.
type Limiter struct {
	perIP, perEmail int
	window          time.Duration
	now             func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewLimiter allows perIP failures per IP and perEmail per email within window.
func NewLimiter(perIP, perEmail int, window time.Duration, now func() time.Time) *Limiter {
	return &Limiter{perIP: perIP, perEmail: perEmail, window: window, now: now, failures: map[string][]time.Time{}}
}

func (l *Limiter) recent(key string, now time.Time) []time.Time {
	ts := l.failures[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = ts
	}
	return ts
}

// Blocked returns how long the ip or email must wait, or 0.
func (l *Limiter) Blocked(ip, email string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	check := func(key string, max int) {
		ts := l.recent(key, now)
		if len(ts) >= max {
			if w := l.window - now.Sub(ts[len(ts)-max]); w > wait {
				wait = w
			}
		}
	}
	check("ip:"+ip, l.perIP)
	check("email:"+email, l.perEmail)
	return wait
}

// Fail records a failed attempt.
func (l *Limiter) Fail(ip, email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range []string{"ip:" + ip, "email:" + email} {
		l.failures[k] = append(l.recent(k, now), now)
	}
	// Bound memory under a credential-stuffing flood.
	if len(l.failures) > 100_000 {
		l.failures = map[string][]time.Time{}
	}
}

// Reset forgets an email's failures after a successful login.
func (l *Limiter) Reset(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, "email:"+email)
}

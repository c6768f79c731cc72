package auth

import (
	"sync"
	"time"

	"parley/app/lru"
)

// Limiter counts failed logins per client address and per email in a
// sliding window. It is in memory on purpose: a restart forgetting
// failures is harmless, and it keeps failed logins off the database
// writer.
//
// Memory is bounded without ever forgetting everyone at once (which would
// let a flood of made-up emails wipe an attacker's own record): keys whose
// failures all left the window are dropped, and when the limiter is full
// the key whose last failure is oldest makes room.
type Limiter struct {
	perIP, perEmail int
	window          time.Duration
	now             func() time.Time

	mu       sync.Mutex
	failures *lru.Map[string, *failures] // ordered by last failure
}

type failures struct{ at []time.Time }

// DefaultMaxKeys is how many addresses and emails a Limiter remembers
// unless told otherwise.
const DefaultMaxKeys = 100_000

// expirePerCall bounds the expired keys one call drops, so no login pays
// for sweeping the whole table.
const expirePerCall = 64

// NewLimiter allows perIP failures per IP and perEmail per email within
// window, remembering at most DefaultMaxKeys keys.
func NewLimiter(perIP, perEmail int, window time.Duration, now func() time.Time) *Limiter {
	return NewBoundedLimiter(perIP, perEmail, window, DefaultMaxKeys, now)
}

// NewBoundedLimiter is NewLimiter remembering at most maxKeys addresses
// and emails together.
func NewBoundedLimiter(perIP, perEmail int, window time.Duration, maxKeys int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{perIP: perIP, perEmail: perEmail, window: window, now: now, failures: lru.New[string, *failures](maxKeys)}
}

// expire drops keys whose last failure left the window.
func (l *Limiter) expire(now time.Time) {
	for range expirePerCall {
		_, f, ok := l.failures.Oldest()
		if !ok || now.Sub(f.at[len(f.at)-1]) < l.window {
			return
		}
		l.failures.RemoveOldest()
	}
}

// recent returns key's failures within the window, without changing the
// key's place in the eviction order.
func (l *Limiter) recent(key string, now time.Time) *failures {
	f, ok := l.failures.Peek(key)
	if !ok {
		return &failures{}
	}
	i := 0
	for i < len(f.at) && now.Sub(f.at[i]) >= l.window {
		i++
	}
	f.at = f.at[i:]
	if len(f.at) == 0 {
		l.failures.Remove(key)
	}
	return f
}

// Blocked returns how long the ip or email must wait, or 0.
func (l *Limiter) Blocked(ip, email string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.expire(now)
	var wait time.Duration
	check := func(key string, max int) {
		ts := l.recent(key, now).at
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
	l.expire(now)
	for _, k := range []string{"ip:" + ip, "email:" + email} {
		f := l.recent(k, now)
		f.at = append(f.at, now)
		l.failures.Put(k, f)
	}
}

// Reset forgets an email's failures after a successful login.
func (l *Limiter) Reset(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures.Remove("email:" + email)
}

package web

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// limiter is a set of token buckets by key (a visitor token, an IP). Idle
// buckets are forgotten so memory stays bounded under a flood of keys.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{rate: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// allow takes a token for key, or says how long to wait for one.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{l: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// limits are the visitor API's flood guards: generous for a person typing,
// tight for a script.
type limits struct {
	messagesPerToken *limiter
	messagesPerIP    *limiter
	sessionsPerIP    *limiter
	pageViewsPerIP   *limiter
	offlinePerIP     *limiter
}

func newLimits() *limits {
	return &limits{
		messagesPerToken: newLimiter(1, 10),  // a burst of 10, then one a second
		messagesPerIP:    newLimiter(10, 60), // many visitors may share an office NAT
		sessionsPerIP:    newLimiter(0.2, 10),
		pageViewsPerIP:   newLimiter(5, 60),
		offlinePerIP:     newLimiter(1.0/60, 5),
	}
}

// check answers 429 with Retry-After when any of the buckets is empty.
func check(c echo.Context, pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		l, key := pairs[i].(*limiter), pairs[i+1].(string)
		if ok, wait := l.allow(key); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
			return userErr(http.StatusTooManyRequests, "rate_limited", "Too many requests; wait %d seconds and try again.", secs)
		}
	}
	return nil
}

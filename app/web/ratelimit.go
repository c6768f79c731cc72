package web

import (
	"math"
	"net/http"
	"net/netip"
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

const maxBuckets = 100_000

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
	if b == nil && len(l.buckets) >= maxBuckets {
		// A flood of distinct keys: start over rather than grow without
		// bound; honest clients lose at most one burst's worth of history.
		l.buckets = map[string]*bucket{}
	}
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
	typingPerToken   *limiter
	socketsPerIP     *limiter
}

func newLimits() *limits {
	return &limits{
		messagesPerToken: newLimiter(1, 10),  // a burst of 10, then one a second
		messagesPerIP:    newLimiter(10, 60), // many visitors may share an office NAT
		sessionsPerIP:    newLimiter(0.2, 10),
		pageViewsPerIP:   newLimiter(5, 60),
		offlinePerIP:     newLimiter(1.0/60, 5),
		typingPerToken:   newLimiter(2, 10),
		socketsPerIP:     newLimiter(1, 30), // reconnects after a server restart come in a burst
	}
}

// maxSocketsPerVisitor bounds the sockets one visitor token may hold open
// (one per open tab).
const maxSocketsPerVisitor = 20

// ipKey is the rate-limit key for the client address: IPv6 clients are
// limited per /64, since one host may use any address in its subnet.
func ipKey(c echo.Context) string {
	a, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return c.RealIP()
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
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

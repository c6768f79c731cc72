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

	"parley/app/config"
	"parley/app/lru"
)

// limiter is a set of token buckets by key (a visitor token, an address).
// Memory is bounded without ever forgetting everyone at once: a bucket
// idle long enough to have refilled is dropped (it holds nothing a new one
// would not), and when the limiter is full the least recently used bucket
// makes room, so the keys in active use keep their state under a flood of
// new ones.
type limiter struct {
	rate  rate.Limit
	burst int
	idle  time.Duration // time for an empty bucket to refill
	now   func() time.Time

	mu      sync.Mutex
	buckets *lru.Map[string, *bucket]
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

// expirePerCall bounds the idle buckets one call drops, so that no request
// pays for sweeping a whole table; every bucket is dropped at most once,
// so the sweeping keeps up.
const expirePerCall = 64

func newLimiter(r config.Rate, maxKeys int) *limiter {
	return &limiter{rate: rate.Every(r.Every), burst: r.Burst, idle: r.Every * time.Duration(r.Burst),
		now: time.Now, buckets: lru.New[string, *bucket](maxKeys)}
}

// allow takes a token for key, or says how long to wait for one.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for range expirePerCall {
		_, b, ok := l.buckets.Oldest()
		if !ok || now.Sub(b.seen) < l.idle {
			break
		}
		l.buckets.RemoveOldest()
	}
	b, ok := l.buckets.Get(key)
	if !ok {
		b = &bucket{l: rate.NewLimiter(l.rate, l.burst)}
		l.buckets.Put(key, b)
	}
	b.seen = now
	r := b.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// limits are the flood guards: generous for a person, tight for a script.
// They come from the limits section of the configuration.
type limits struct {
	messagesPerToken *limiter
	messagesPerIP    *limiter
	readsPerIP       *limiter
	typingPerToken   *limiter
	typingPerIP      *limiter
	sessionsPerIP    *limiter
	pageViewsPerIP   *limiter
	initPerIP        *limiter
	offlinePerIP     *limiter
	transcripts      *limiter // per visitor
	socketsPerIP     *limiter

	socketsPerVisitor      int // sockets one visitor token may hold open (one per tab)
	operatorSocketsPerUser int // sockets one user may hold open (tabs and integrations)
	sockets                slots
}

func newLimits(c config.Limits) *limits {
	n := c.MaxTrackedKeys
	return &limits{
		messagesPerToken:       newLimiter(c.MessagesPerToken, n),
		messagesPerIP:          newLimiter(c.MessagesPerIP, n),
		readsPerIP:             newLimiter(c.MessageReadsPerIP, n),
		typingPerToken:         newLimiter(c.TypingPerToken, n),
		typingPerIP:            newLimiter(c.TypingPerIP, n),
		sessionsPerIP:          newLimiter(c.SessionsPerIP, n),
		pageViewsPerIP:         newLimiter(c.PageViewsPerIP, n),
		initPerIP:              newLimiter(c.InitPerIP, n),
		offlinePerIP:           newLimiter(c.OfflineMessagesPerIP, n),
		transcripts:            newLimiter(c.TranscriptsPerVisitor, n),
		socketsPerIP:           newLimiter(c.SocketsPerIP, n),
		socketsPerVisitor:      c.SocketsPerVisitor,
		operatorSocketsPerUser: c.OperatorSocketsPerUser,
		sockets:                slots{n: map[string]int{}},
	}
}

// slots counts what is open per key (sockets per visitor, per user). A
// slot is taken before the socket is upgraded and given back when it
// closes, so a burst of simultaneous upgrades cannot overshoot the cap the
// way counting registered sockets would.
type slots struct {
	mu sync.Mutex
	n  map[string]int
}

// take reserves one of max slots for key.
func (s *slots) take(key string, max int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key] >= max {
		return false
	}
	s.n[key]++
	return true
}

// give returns a slot taken for key.
func (s *slots) give(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key] <= 1 {
		delete(s.n, key)
		return
	}
	s.n[key]--
}

// addrKey is the key of a client address for limits: IPv6 clients count
// per /64, since one host may use any address in its subnet.
func addrKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	return netip.PrefixFrom(a, a.BitLen())
}

// ipKey is the rate-limit key for the client address (see addrKey).
func ipKey(c echo.Context) string {
	a, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return c.RealIP()
	}
	if p := addrKey(a); p.Addr().Is6() {
		return p.String()
	}
	return a.Unmap().String()
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

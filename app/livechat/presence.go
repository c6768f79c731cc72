package livechat

import (
	"sync"
	"time"
)

// AwayAfter is how long an operator may show no activity before they count
// as away and stop receiving new chats (Odoo's 30 minutes).
const AwayAfter = 30 * time.Minute

// Status is an operator's presence.
type Status string

// Presence statuses, as the admin shows them (green, amber, grey).
const (
	Online  Status = "online"
	Away    Status = "away"
	Offline Status = "offline"
)

// Presence tracks which operators have a live connection (an admin tab or
// an API socket) and when they last showed activity. It is in memory: after
// a restart every operator is offline until their tabs reconnect, which they
// do by themselves.
type Presence struct {
	now func() time.Time

	mu    sync.Mutex
	users map[int64]*presence
	subs  []func(userID int64, st Status)
}

type presence struct {
	conns    int
	activity time.Time
	last     Status
}

// NewPresence returns an empty tracker.
func NewPresence(now func() time.Time) *Presence {
	if now == nil {
		now = time.Now
	}
	return &Presence{now: now, users: map[int64]*presence{}}
}

// OnChange registers fn to hear status changes; fn must not block.
func (p *Presence) OnChange(fn func(userID int64, st Status)) {
	p.mu.Lock()
	p.subs = append(p.subs, fn)
	p.mu.Unlock()
}

func (p *Presence) status(u *presence, now time.Time) Status {
	switch {
	case u == nil || u.conns == 0:
		return Offline
	case now.Sub(u.activity) > AwayAfter:
		return Away
	}
	return Online
}

// change reports the new status to subscribers when it differs from the
// last one reported. Called with p.mu held; returns the callbacks to run
// after unlocking.
func (p *Presence) change(userID int64, u *presence, now time.Time) []func() {
	st := p.status(u, now)
	if st == u.last {
		return nil
	}
	u.last = st
	var fns []func()
	for _, fn := range p.subs {
		fns = append(fns, func() { fn(userID, st) })
	}
	return fns
}

func (p *Presence) update(userID int64, f func(u *presence, now time.Time)) {
	p.mu.Lock()
	now := p.now()
	u := p.users[userID]
	if u == nil {
		u = &presence{last: Offline}
		p.users[userID] = u
	}
	f(u, now)
	fns := p.change(userID, u, now)
	if u.conns == 0 {
		delete(p.users, userID)
	}
	p.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Connect records a new connection of userID; a connection is activity.
func (p *Presence) Connect(userID int64) {
	p.update(userID, func(u *presence, now time.Time) { u.conns++; u.activity = now })
}

// Disconnect records a closed connection.
func (p *Presence) Disconnect(userID int64) {
	p.update(userID, func(u *presence, now time.Time) {
		if u.conns > 0 {
			u.conns--
		}
	})
}

// Activity records that the operator did something (typed, navigated, sent).
func (p *Presence) Activity(userID int64) {
	p.mu.Lock()
	_, connected := p.users[userID]
	p.mu.Unlock()
	if !connected {
		return // activity without a live connection does not make anyone reachable
	}
	p.update(userID, func(u *presence, now time.Time) { u.activity = now })
}

// Status returns userID's current status.
func (p *Presence) Status(userID int64) Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status(p.users[userID], p.now())
}

// Online filters ids down to the online ones, keeping their order.
func (p *Presence) Online(ids []int64) []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	var out []int64
	for _, id := range ids {
		if p.status(p.users[id], now) == Online {
			out = append(out, id)
		}
	}
	return out
}

// Sweep reports operators who turned away since the last call; run it
// every minute so the admin's dots turn amber without any event.
func (p *Presence) Sweep() {
	p.mu.Lock()
	now := p.now()
	var fns []func()
	for id, u := range p.users {
		fns = append(fns, p.change(id, u, now)...)
	}
	p.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

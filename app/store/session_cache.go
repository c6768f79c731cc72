package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"parley/app/lru"
	"parley/app/model"
)

// A visitor's every message, typing signal and catch-up read names its
// session by public id and proves itself with its token. Reading that from
// SQLite was a fifth of the server's CPU under load: each commit changes
// the WAL, which empties every reader's page cache, so the lookup went back
// to the disk page by page. The sessions being talked in are kept here
// instead, and SQLite itself says when one changes: a pre-update hook on
// the writer connection (every write of this process goes through it)
// notes each changed session, and the committer forgets them after the
// commit and before anyone hears it succeeded, so nobody who changed a
// session reads the old one back.
//
// A message's own bookkeeping on its session (last_message_at and the
// counters) does not evict it, or every message would: a cached session's
// LastMessageAt and MessageCount may lag behind. Sessions waiting in the
// queue are not kept (their place in the line changes with others' rows),
// and a change to channels (a session carries its channel's name) or the
// deletion of visitors forgets everything. A write by another process
// (the CLI's `visitor erase` while the server runs) is not seen by the
// hook, so an entry is kept for sessionCacheTTL at most: meanwhile the
// message path still checks the session is open in the same statement
// that records the message, so an erased session takes no message.
const (
	sessionCacheSize = 20000
	sessionCacheTTL  = time.Minute
)

type cachedSession struct {
	tokenHash string
	x         model.Session
	at        time.Time // when it was read
}

// A visitor's socket opens on every page the visitor loads and names the
// visitor by token. Under writes that point read cost as much as the rest
// of the socket's opening (the reader's empty page cache again, and the
// goroutine's stack grown for SQLite), and a token names the same visitor
// for the row's whole life, so the answer is kept here too: forgotten
// with everything else when visitors are deleted, and after
// sessionCacheTTL for a deletion by another process.
type cachedVisitor struct {
	id int64
	at time.Time
}

type sessionCache struct {
	mu       sync.Mutex
	entries  *lru.Map[string, *cachedSession] // by public id
	ids      map[int64]string                 // session id → public id
	visitors *lru.Map[string, cachedVisitor]  // by token hash
	// gen counts the flushes that forgot something: a lookup that read
	// SQLite before such a flush must not store what it read.
	gen      uint64
	dirty    []int64
	dirtyAll bool
	// touching is set while the message path records messages on their
	// sessions (committer goroutine only).
	touching atomic.Bool
	hits     atomic.Int64
	misses   atomic.Int64
	ttl      time.Duration
}

func newSessionCache() *sessionCache {
	return &sessionCache{entries: lru.New[string, *cachedSession](sessionCacheSize), ids: make(map[int64]string),
		visitors: lru.New[string, cachedVisitor](sessionCacheSize), ttl: sessionCacheTTL}
}

// visitorID returns the visitor that tokenHash names (0 when not cached),
// and the generation a miss must pass to putVisitor.
func (c *sessionCache) visitorID(tokenHash string) (id int64, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.visitors.Get(tokenHash); ok {
		if time.Since(e.at) > c.ttl {
			c.visitors.Remove(tokenHash)
		} else {
			id = e.id
		}
	}
	return id, c.gen
}

// generation is what a lookup about to read SQLite passes to put or
// putVisitor afterwards.
func (c *sessionCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// putVisitor keeps the visitor a token names unless a flush happened
// since the lookup (or the creation) that found it began.
func (c *sessionCache) putVisitor(gen uint64, tokenHash string, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.visitors.Put(tokenHash, cachedVisitor{id: id, at: time.Now()})
	}
}

// get returns the session publicID when it is cached as the visitor's with
// that token hash, and the generation a miss must pass to put. The session
// is a copy unless shared, when it is the cache's own, which nobody may
// change.
func (c *sessionCache) get(tokenHash, publicID string, shared bool) (*model.Session, uint64) {
	c.mu.Lock()
	var hit *cachedSession
	if e, ok := c.entries.Get(publicID); ok {
		if time.Since(e.at) > c.ttl {
			c.entries.Remove(publicID)
			delete(c.ids, e.x.ID)
		} else if e.tokenHash == tokenHash {
			hit = e
		}
	}
	gen := c.gen
	c.mu.Unlock()
	if hit == nil {
		c.misses.Add(1)
		return nil, gen
	}
	// The copy is made outside the lock, which every visitor request
	// takes: an entry is never changed once put (put and flush replace or
	// drop it), and copying under the lock made a request whose goroutine
	// was descheduled there hold up all the others.
	c.hits.Add(1)
	if shared {
		return &hit.x, gen
	}
	return cloneSession(&hit.x), gen
}

// put keeps x unless a flush happened since the lookup that read it began.
func (c *sessionCache) put(gen uint64, tokenHash string, x *model.Session) {
	if x.Waiting() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.entries.Peek(x.PublicID); !ok && c.entries.Len() >= sessionCacheSize {
		if _, old, ok := c.entries.Oldest(); ok {
			delete(c.ids, old.x.ID)
		}
		c.entries.RemoveOldest()
	}
	c.entries.Put(x.PublicID, &cachedSession{tokenHash: tokenHash, x: *cloneSession(x), at: time.Now()})
	c.ids[x.ID] = x.PublicID
}

// changed is the writer connection's pre-update hook.
func (c *sessionCache) changed(d sqlite.SQLitePreUpdateData) {
	switch d.TableName {
	case "chat_sessions":
		if c.touching.Load() || d.Op == sqlite3.SQLITE_INSERT {
			return // a new session is in nobody's cache
		}
		c.mu.Lock()
		c.dirty = append(c.dirty, d.OldRowID)
		c.mu.Unlock()
	case "channels", "visitors":
		if d.TableName == "visitors" && d.Op != sqlite3.SQLITE_DELETE {
			return // a visitor's name or page changes no session row
		}
		c.mu.Lock()
		c.dirtyAll = true
		c.mu.Unlock()
	}
}

// flush forgets the sessions changed since the last flush; the committer
// calls it after each batch, before answering the batch's callers.
func (c *sessionCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirtyAll && len(c.dirty) == 0 {
		return
	}
	if c.dirtyAll {
		c.entries = lru.New[string, *cachedSession](sessionCacheSize)
		clear(c.ids)
		c.visitors = lru.New[string, cachedVisitor](sessionCacheSize)
	}
	for _, id := range c.dirty {
		if pub, ok := c.ids[id]; ok {
			c.entries.Remove(pub)
			delete(c.ids, id)
		}
	}
	c.dirty, c.dirtyAll = c.dirty[:0], false
	if cap(c.dirty) > 1024 {
		c.dirty = nil // a purge of many sessions does not keep its list
	}
	c.gen++
}

func cloneSession(x *model.Session) *model.Session {
	y := *x
	y.Chatbot.Answers = slices.Clone(x.Chatbot.Answers)
	return &y
}

// hookedConnector opens the writer's connections with the session cache's
// pre-update hook, so a connection database/sql replaces has it too.
type hookedConnector struct {
	driver.Connector
	hook func(sqlite.SQLitePreUpdateData)
}

func (h hookedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := h.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	r, ok := conn.(sqlite.HookRegisterer)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("store: the SQLite driver's connection takes no hooks")
	}
	r.RegisterPreUpdateHook(h.hook)
	return conn, nil
}

// LiveSessionOfVisitor is SessionOfVisitor for the visitor's hot paths
// (messages, typing, catch-up reads), answered from memory for sessions
// asked before. Its LastMessageAt and MessageCount may lag behind: ask
// SessionOfVisitor for a session to show.
func (s *Store) LiveSessionOfVisitor(ctx context.Context, tokenHash, publicID string) (*model.Session, error) {
	return s.liveSessionOfVisitor(ctx, tokenHash, publicID, false)
}

// SharedLiveSessionOfVisitor is LiveSessionOfVisitor for a caller that
// only reads the session (a visitor's message post, the hottest path,
// where the copy was a twelfth of what a message allocated): from memory
// it is the cache's own, which nothing may change.
func (s *Store) SharedLiveSessionOfVisitor(ctx context.Context, tokenHash, publicID string) (*model.Session, error) {
	return s.liveSessionOfVisitor(ctx, tokenHash, publicID, true)
}

func (s *Store) liveSessionOfVisitor(ctx context.Context, tokenHash, publicID string, shared bool) (*model.Session, error) {
	x, gen := s.live.get(tokenHash, publicID, shared)
	if x != nil {
		return x, nil
	}
	x, err := s.SessionOfVisitor(ctx, tokenHash, publicID)
	if err != nil {
		return nil, err
	}
	s.live.put(gen, tokenHash, x)
	return x, nil
}

// SessionCacheStats says how often LiveSessionOfVisitor answered from
// memory, for /metrics.
func (s *Store) SessionCacheStats() (hits, misses int64) {
	return s.live.hits.Load(), s.live.misses.Load()
}

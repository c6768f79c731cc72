// Package realtime pushes events to browsers and API clients over
// websockets. It never touches the database: callers persist first, then
// publish here.
//
// Each connection is subscribed to topics ("visitor:12", "operator:3",
// "presence") when it connects; Publish writes one marshalled frame to the
// connections of one topic through melody's per-connection buffers, so a
// slow reader never blocks the publisher. A connection whose buffer fills
// up is closed: the client reconnects and catches up with ?after=.
package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/olahol/melody"
)

// Event is the frame clients receive: {"type": ..., "data": ...}.
type Event struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// Identity says who is behind a connection; it is attached before the
// socket starts, so handlers never see an anonymous connection.
type Identity struct {
	Kind   string   // "visitor" or "operator"
	ID     int64    // visitor id or user id
	Topics []string // subscribed for the connection's whole life
	API    bool     // an integration's socket (bearer token), not a browser tab
	// Channel is the channel whose widget opened a visitor's socket (0 when
	// it named none).
	Channel int64
	// Tab is the name a visitor's browser tab gave its socket ('' when it
	// gave none): the messages that tab posts come back to it in the post's
	// answer, and PublishExcept skips its socket.
	Tab string
}

// Frame is one frame a client sent.
type Frame struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
	// Visitors send typing flat: {"type":"typing","session_id":...,"typing":true}.
	SessionID string `json:"session_id"`
	Typing    bool   `json:"typing"`
}

// Limits bound what one connection may send, and what may wait to be
// written to it. Outbound room is counted in bytes: an integration's
// operator socket carries hundreds of conversations and must ride out a
// burst (or a stall of a second) without being dropped; only a consumer
// that stops reading for longer loses its socket, and catches up with
// ?after= when it reconnects. A visitor's socket carries one conversation.
const (
	MaxFrameSize = 4 << 10 // inbound; clients only send small control frames

	visitorQueueBytes  = 256 << 10
	visitorQueueFrames = 32
	operatorQueueBytes = 16 << 20
	// The frame count only bounds melody's channel (40 bytes a slot,
	// allocated up front per socket); the byte count is the real limit.
	operatorQueueFrames = 4096
)

const connKey = "conn"

// conn is the hub's state of one socket.
type conn struct {
	id       Identity
	s        *melody.Session
	limit    int64        // bytes that may wait to be written
	queued   atomic.Int64 // bytes waiting to be written
	dropping atomic.Bool
	ready    chan struct{}  // closed once the socket is registered
	out      *coalescedConn // operators' sockets: the connection under gorilla
	// A conn is subscribed before its upgrade is answered, so that nothing
	// published between the client seeing the socket open (and catching
	// up) and the server registering it is lost; what comes before the
	// socket exists waits in pending (up to limit) and is written first.
	mu             sync.Mutex
	live           atomic.Bool
	pending        [][]byte
	pendingBytes   int64
	closeOnConnect bool // CloseTopic came while it was upgrading
	// Last accepted inbound frame of each throttled kind (UnixNano); only
	// the socket's read loop touches them.
	lastTyping, lastPing, lastActivity int64
}

// Hub owns the melody instances and the topic index.
type Hub struct {
	// Visitors and operators have their own melody: their outbound
	// channels are sized differently, and visitors are most sockets.
	visitors, operators *melody.Melody
	log                 *slog.Logger

	mu     sync.RWMutex
	topics map[string]map[*conn]struct{}
	kinds  map[string]int // open sockets by identity kind, for metrics

	dropped atomic.Int64 // slow clients whose socket was closed

	onFrame      func(id Identity, f Frame)
	onConnect    func(id Identity)
	onDisconnect func(id Identity)
}

// Options configure a Hub.
type Options struct {
	Logger *slog.Logger
	// CheckOrigin decides whether a browser page may open a socket.
	CheckOrigin func(r *http.Request) bool
	// OnFrame receives every accepted inbound frame except pings.
	OnFrame func(id Identity, f Frame)
	// OnConnect and OnDisconnect track presence.
	OnConnect, OnDisconnect func(id Identity)
}

// New returns a hub; melody's defaults (any origin, 512-byte frames) are
// replaced with ours.
func New(o Options) *Hub {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.CheckOrigin == nil {
		o.CheckOrigin = func(*http.Request) bool { return false }
	}
	h := &Hub{log: o.Logger.With("component", "realtime"), topics: map[string]map[*conn]struct{}{}, kinds: map[string]int{},
		onFrame: o.OnFrame, onConnect: o.OnConnect, onDisconnect: o.OnDisconnect}
	h.visitors = h.newMelody(o, visitorQueueFrames)
	h.operators = h.newMelody(o, operatorQueueFrames)
	return h
}

// writeBuffers lend a write buffer to a socket only while it writes, so
// thousands of idle sockets hold none (gorilla's WriteBufferPool).
var writeBuffers sync.Pool

func (h *Hub) newMelody(o Options, frames int) *melody.Melody {
	m := melody.New()
	m.Config.MaxMessageSize = MaxFrameSize
	m.Config.MessageBufferSize = frames
	m.Config.PongWait = 60 * time.Second
	m.Config.PingPeriod = 25 * time.Second
	m.Config.WriteWait = 10 * time.Second
	// Small per-socket buffers: frames are small, and memory per idle
	// visitor is what bounds how many a server holds.
	m.Upgrader.ReadBufferSize = 512
	m.Upgrader.WriteBufferSize = 512
	m.Upgrader.WriteBufferPool = &writeBuffers
	m.Upgrader.CheckOrigin = o.CheckOrigin
	m.HandleConnect(h.connect)
	m.HandleDisconnect(h.disconnect)
	m.HandleMessage(h.message)
	m.HandleSentMessage(func(s *melody.Session, b []byte) {
		if c := connOf(s); c != nil {
			c.queued.Add(-int64(len(b)))
		}
	})
	m.HandleError(func(s *melody.Session, err error) {
		if errors.Is(err, melody.ErrMessageBufferFull) {
			if c := connOf(s); c != nil {
				h.drop(c)
			}
		}
	})
	return m
}

// drop closes the socket of a consumer that stopped reading. Session.Close
// would queue a close frame behind everything already waiting; closing the
// socket itself ends its read loop and the hub forgets it.
func (h *Hub) drop(c *conn) {
	if c.dropping.Swap(true) {
		return
	}
	h.dropped.Add(1)
	h.log.Warn("dropping a websocket client that stopped reading", "kind", c.id.Kind, "id", c.id.ID, "api", c.id.API,
		"remote", c.s.RemoteAddr().String(), "queued_bytes", c.queued.Load())
	_ = c.s.WebsocketConnection().Close()
}

// send queues b on c, or drops c when its queue is over its limit.
func (h *Hub) send(c *conn, b []byte) {
	if !c.live.Load() {
		c.mu.Lock()
		if !c.live.Load() { // not upgraded yet: connect writes it first
			if c.pendingBytes+int64(len(b)) <= c.limit {
				c.pending = append(c.pending, b)
				c.pendingBytes += int64(len(b))
			}
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
	h.write(c, b)
}

func (h *Hub) write(c *conn, b []byte) {
	if c.queued.Add(int64(len(b))) > c.limit {
		c.queued.Add(-int64(len(b)))
		h.drop(c)
		return
	}
	if err := c.s.Write(b); err != nil {
		c.queued.Add(-int64(len(b))) // closed or full (dropped by the error handler)
	}
}

// Serve upgrades the request and returns once the socket is open (or
// failed to open); the socket then lives on its own goroutine and onClose
// runs when it ends (also after a failed upgrade). Returning lets the HTTP
// server forget the connection: held inside the handler, each idle socket
// kept the server's read and write buffers and the handler's deep stack,
// about half of what an idle visitor cost.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, id Identity, onClose func()) error {
	c := &conn{id: id, limit: visitorQueueBytes, ready: make(chan struct{})}
	m := h.visitors
	if id.Kind != "visitor" {
		// A visitor's socket carries one conversation, whose frames
		// rarely come together: only operators' sockets coalesce.
		c.limit, m = operatorQueueBytes, h.operators
		w = &coalescing{ResponseWriter: w, c: c}
	}
	h.subscribe(c)
	done := make(chan error, 1)
	go func() {
		err := m.HandleRequestWithKeys(w, r, map[string]any{connKey: c})
		if !c.live.Load() {
			h.unsubscribe(c) // the upgrade failed: connect never ran
		}
		if onClose != nil {
			onClose()
		}
		done <- err
	}()
	select {
	case <-c.ready:
		return nil
	case err := <-done:
		return err
	}
}

func connOf(s *melody.Session) *conn {
	v, _ := s.Get(connKey)
	c, _ := v.(*conn)
	return c
}

func (h *Hub) connect(s *melody.Session) {
	c := connOf(s)
	c.s = s
	if c.out != nil {
		c.out.armed.Store(true) // the upgrade's answer is written: frames from here on
	}
	// Nothing reads the upgrade request again; do not keep its headers
	// for the socket's life.
	s.Request = nil
	defer close(c.ready)
	// Write what was published since the subscription, then go live;
	// publishers wait on c.mu meanwhile, so the order holds.
	c.mu.Lock()
	for _, b := range c.pending {
		h.write(c, b)
	}
	c.pending, c.pendingBytes = nil, 0
	c.live.Store(true)
	closeNow := c.closeOnConnect
	c.mu.Unlock()
	if closeNow {
		_ = s.WebsocketConnection().Close()
	}
	id := c.id
	h.mu.Lock()
	h.kinds[id.Kind]++
	h.mu.Unlock()
	if h.onConnect != nil {
		h.onConnect(id)
	}
}

func (h *Hub) subscribe(c *conn) {
	h.mu.Lock()
	for _, t := range c.id.Topics {
		set := h.topics[t]
		if set == nil {
			set = map[*conn]struct{}{}
			h.topics[t] = set
		}
		set[c] = struct{}{}
	}
	h.mu.Unlock()
}

func (h *Hub) unsubscribe(c *conn) {
	h.mu.Lock()
	for _, t := range c.id.Topics {
		if set := h.topics[t]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(h.topics, t)
			}
		}
	}
	h.mu.Unlock()
}

func (h *Hub) disconnect(s *melody.Session) {
	c := connOf(s)
	id := c.id
	h.unsubscribe(c)
	h.mu.Lock()
	h.kinds[id.Kind]--
	h.mu.Unlock()
	if h.onDisconnect != nil {
		h.onDisconnect(id)
	}
}

var pong = []byte(`{"type":"pong","data":null}`)

func (h *Hub) message(s *melody.Session, raw []byte) {
	var f Frame
	if err := json.Unmarshal(raw, &f); err != nil || f.Type == "" {
		return // not ours; ignore rather than tear down a visitor's chat
	}
	c := connOf(s)
	// "Stopped typing" always passes: dropping it would leave the other
	// side's indicator on; only the repeats of "typing" are throttled.
	if !(f.Type == "typing" && !f.Typing) && !c.allow(f.Type, time.Now()) {
		return
	}
	if f.Type == "ping" {
		h.send(c, pong)
	}
	if h.onFrame != nil {
		h.onFrame(c.id, f)
	}
}

// Minimum intervals between inbound frames of each kind per connection: the
// upgrade is rate-limited by HTTP, frames are not, so one socket could
// otherwise drive unbounded fan-out.
const (
	typingEvery   = 300 * time.Millisecond
	pingEvery     = 2 * time.Second
	activityEvery = 5 * time.Second
)

// allow applies the per-connection interval of a frame kind; unknown kinds
// are refused. Only the socket's read loop calls it.
func (c *conn) allow(kind string, now time.Time) bool {
	var last *int64
	var min time.Duration
	switch kind {
	case "typing":
		last, min = &c.lastTyping, typingEvery
	case "ping":
		last, min = &c.lastPing, pingEvery
	case "activity":
		last, min = &c.lastActivity, activityEvery
	default:
		return false
	}
	t := now.UnixNano()
	if *last != 0 && time.Duration(t-*last) < min {
		return false
	}
	*last = t
	return true
}

// JSONAppender is event data that writes its own JSON, as encoding/json
// would (a chat message's view): the hub appends it to the frame as it is,
// where encoding/json would scan a Marshaler's output once more to check
// and compact it, which cost more than the reflection it replaced.
type JSONAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// encodeEvent is json.Marshal(Event{typ, data}).
func encodeEvent(typ string, data any) ([]byte, error) {
	a, ok := data.(JSONAppender)
	if !ok {
		return json.Marshal(Event{Type: typ, Data: data})
	}
	t, err := json.Marshal(typ)
	if err != nil {
		return nil, err
	}
	// The frame is written in a pooled buffer and copied out at its size:
	// a frame's length is not known ahead, and growing a fresh buffer
	// allocated about twice what the frame kept.
	sp := frameScratch.Get().(*[]byte)
	defer frameScratch.Put(sp)
	b := append((*sp)[:0], `{"type":`...)
	b = append(b, t...)
	b = append(b, `,"data":`...)
	b, err = a.AppendJSON(b)
	if err == nil {
		b = append(b, '}')
	}
	if cap(b) <= maxScratch {
		*sp = b
	}
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// frameScratch lends encodeEvent a buffer; one grown past maxScratch (a
// frame with a long history, say) is not kept.
var frameScratch = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxScratch = 64 << 10

// Publish sends one event to every connection subscribed to topic.
func (h *Hub) Publish(topic, typ string, data any) { h.PublishExcept(topic, "", typ, data) }

// PublishExcept is Publish to every connection of topic but those opened by
// the tab named except: a visitor's own message reaches that tab in the
// answer to its post, and writing it to the tab's socket as well would cost
// a frame per message on both ends.
func (h *Hub) PublishExcept(topic, except, typ string, data any) {
	// Most topics have one or two sockets: copy them out without
	// allocating, so the lock is not held while writing.
	var small [4]*conn
	h.mu.RLock()
	conns := small[:0]
	for c := range h.topics[topic] {
		if except == "" || c.id.Tab != except {
			conns = append(conns, c)
		}
	}
	h.mu.RUnlock()
	if len(conns) == 0 {
		// Nobody to tell, which is the common case for a visitor's own
		// message (its only tab posted it): encoding the frame anyway
		// was half the hub's share of the CPU at 5,000 messages a second.
		return
	}
	b, err := encodeEvent(typ, data)
	if err != nil {
		h.log.Error("marshal event", "type", typ, "error", err)
		return
	}
	for _, c := range conns {
		h.send(c, b)
	}
}

// Listening says whether PublishExcept(topic, except, …) would reach a
// socket now: a publisher may skip building what nobody receives. A
// socket that opens just after misses that frame as it would have missed
// it a moment earlier; clients catch up from their last message on
// (after=).
func (h *Hub) Listening(topic, except string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.topics[topic] {
		if except == "" || c.id.Tab != except {
			return true
		}
	}
	return false
}

// CloseTopic disconnects every connection subscribed to topic: a revoked
// token or a logout must not leave a socket still receiving chats.
// Browser tabs whose own session is still valid reconnect by themselves.
func (h *Hub) CloseTopic(topic string) {
	h.mu.RLock()
	conns := make([]*conn, 0, len(h.topics[topic]))
	for c := range h.topics[topic] {
		conns = append(conns, c)
	}
	h.mu.RUnlock()
	for _, c := range conns {
		c.mu.Lock()
		if !c.live.Load() {
			c.closeOnConnect = true // still upgrading: connect closes it
			c.mu.Unlock()
			continue
		}
		c.mu.Unlock()
		_ = c.s.WebsocketConnection().Close()
	}
}

// Subscribers returns how many connections listen on topic.
func (h *Hub) Subscribers(topic string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.topics[topic])
}

// Connections counts the open sockets by identity kind ("visitor",
// "operator").
func (h *Hub) Connections() map[string]int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make(map[string]int, len(h.kinds))
	for k, n := range h.kinds {
		out[k] = n
	}
	return out
}

// Dropped counts the clients whose socket was closed for reading too
// slowly (they catch up by message id when they reconnect).
func (h *Hub) Dropped() int64 { return h.dropped.Load() }

// Close disconnects every client, telling them the server is going away so
// they reconnect.
func (h *Hub) Close() error {
	msg := melody.FormatCloseMessage(1001, "server shutting down")
	return errors.Join(h.visitors.CloseWithMsg(msg), h.operators.CloseWithMsg(msg))
}

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
}

// Frame is one frame a client sent.
type Frame struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
	// Visitors send typing flat: {"type":"typing","session_id":...,"typing":true}.
	SessionID string `json:"session_id"`
	Typing    bool   `json:"typing"`
}

// Limits bound what one connection may send.
const (
	MaxFrameSize = 4 << 10 // inbound; clients only send small control frames
	bufferFrames = 64      // outbound frames queued per connection before it is dropped
)

// Minimum intervals between inbound frames of each kind per connection: the
// upgrade is rate-limited by HTTP, frames are not, so one socket could
// otherwise drive unbounded fan-out.
var minInterval = map[string]time.Duration{
	"typing":   300 * time.Millisecond,
	"ping":     2 * time.Second,
	"activity": 5 * time.Second,
}

const identityKey = "identity"

// Hub owns the melody instance and the topic index.
type Hub struct {
	m   *melody.Melody
	log *slog.Logger

	mu     sync.RWMutex
	topics map[string]map[*melody.Session]struct{}
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
	m := melody.New()
	m.Config.MaxMessageSize = MaxFrameSize
	m.Config.MessageBufferSize = bufferFrames
	m.Config.PongWait = 60 * time.Second
	m.Config.PingPeriod = 25 * time.Second
	m.Config.WriteWait = 10 * time.Second
	m.Upgrader.ReadBufferSize = 1024
	m.Upgrader.WriteBufferSize = 1024
	m.Upgrader.CheckOrigin = o.CheckOrigin
	if m.Upgrader.CheckOrigin == nil {
		m.Upgrader.CheckOrigin = func(*http.Request) bool { return false }
	}
	h := &Hub{m: m, log: o.Logger.With("component", "realtime"), topics: map[string]map[*melody.Session]struct{}{}, kinds: map[string]int{},
		onFrame: o.OnFrame, onConnect: o.OnConnect, onDisconnect: o.OnDisconnect}
	m.HandleConnect(h.connect)
	m.HandleDisconnect(h.disconnect)
	m.HandleMessage(h.message)
	m.HandleError(func(s *melody.Session, err error) {
		if errors.Is(err, melody.ErrMessageBufferFull) {
			// Session.Close would queue a close frame into the very buffer
			// that is full (and re-enter this handler); close the socket
			// itself: its read loop ends and the hub forgets it.
			if _, dropping := s.Get("dropping"); !dropping {
				s.Set("dropping", true)
				h.dropped.Add(1)
				h.log.Debug("dropping slow websocket client", "remote", s.RemoteAddr())
			}
			_ = s.WebsocketConnection().Close()
		}
	})
	return h
}

// Serve upgrades the request and runs the connection until it closes.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, id Identity) error {
	return h.m.HandleRequestWithKeys(w, r, map[string]any{identityKey: id})
}

func identityOf(s *melody.Session) Identity {
	id, _ := s.MustGet(identityKey).(Identity)
	return id
}

func (h *Hub) connect(s *melody.Session) {
	id := identityOf(s)
	h.mu.Lock()
	for _, t := range id.Topics {
		set := h.topics[t]
		if set == nil {
			set = map[*melody.Session]struct{}{}
			h.topics[t] = set
		}
		set[s] = struct{}{}
	}
	h.kinds[id.Kind]++
	h.mu.Unlock()
	if h.onConnect != nil {
		h.onConnect(id)
	}
}

func (h *Hub) disconnect(s *melody.Session) {
	id := identityOf(s)
	h.mu.Lock()
	for _, t := range id.Topics {
		if set := h.topics[t]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(h.topics, t)
			}
		}
	}
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
	// "Stopped typing" always passes: dropping it would leave the other
	// side's indicator on; only the repeats of "typing" are throttled.
	if !(f.Type == "typing" && !f.Typing) && !h.allow(s, f.Type) {
		return
	}
	if f.Type == "ping" {
		_ = s.Write(pong)
	}
	if h.onFrame != nil {
		h.onFrame(identityOf(s), f)
	}
}

// allow applies the per-connection interval of a frame kind; unknown kinds
// are refused.
func (h *Hub) allow(s *melody.Session, kind string) bool {
	min, ok := minInterval[kind]
	if !ok {
		return false
	}
	key := "last_" + kind
	now := time.Now()
	if v, ok := s.Get(key); ok {
		if now.Sub(v.(time.Time)) < min {
			return false
		}
	}
	s.Set(key, now)
	return true
}

// Publish sends one event to every connection subscribed to topic.
func (h *Hub) Publish(topic, typ string, data any) {
	b, err := json.Marshal(Event{Type: typ, Data: data})
	if err != nil {
		h.log.Error("marshal event", "type", typ, "error", err)
		return
	}
	h.mu.RLock()
	set := h.topics[topic]
	conns := make([]*melody.Session, 0, len(set))
	for s := range set {
		conns = append(conns, s)
	}
	h.mu.RUnlock()
	for _, s := range conns {
		_ = s.Write(b) // buffered; a full buffer closes the connection via the error handler
	}
}

// CloseTopic disconnects every connection subscribed to topic: a revoked
// token or a logout must not leave a socket still receiving chats.
// Browser tabs whose own session is still valid reconnect by themselves.
func (h *Hub) CloseTopic(topic string) {
	h.mu.RLock()
	conns := make([]*melody.Session, 0, len(h.topics[topic]))
	for s := range h.topics[topic] {
		conns = append(conns, s)
	}
	h.mu.RUnlock()
	for _, s := range conns {
		_ = s.WebsocketConnection().Close()
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
	return h.m.CloseWithMsg(melody.FormatCloseMessage(1001, "server shutting down"))
}

package realtime

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// recorder is the TCP connection under a coalescedConn: it keeps each
// write it is asked for.
type recorder struct {
	net.Conn
	writes [][]byte
}

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, append([]byte(nil), p...))
	return len(p), nil
}

// frame is a server frame as gorilla writes it: unmasked, final.
func frame(op byte, payload string) []byte {
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	case n < 1<<16:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, payload...)
}

func newCoalesced() (*coalescedConn, *recorder, *atomic.Int64) {
	rec := &recorder{}
	var waiting atomic.Int64
	w := &coalescedConn{Conn: rec, waiting: &waiting}
	w.armed.Store(true)
	return w, rec, &waiting
}

// write hands frame f to w as gorilla would: counted as waiting before,
// uncounted after.
func write(t *testing.T, w *coalescedConn, waiting *atomic.Int64, payload string, parts ...int) {
	t.Helper()
	f := frame(1, payload)
	for _, n := range parts {
		if _, err := w.Write(f[:n]); err != nil {
			t.Fatal(err)
		}
		f = f[n:]
	}
	if _, err := w.Write(f); err != nil {
		t.Fatal(err)
	}
	waiting.Add(-int64(len(payload)))
}

func TestCoalescedConnHoldsFramesWhileMoreWait(t *testing.T) {
	w, rec, waiting := newCoalesced()
	msgs := []string{"one", "two", strings.Repeat("3", 300), strings.Repeat("4", 70000)}
	for _, m := range msgs {
		waiting.Add(int64(len(m)))
	}
	for _, m := range msgs[:3] {
		write(t, w, waiting, m)
	}
	if len(rec.writes) != 0 {
		t.Fatalf(`wrote %d times while more frames waited`, len(rec.writes))
	}
	// The last one arrives in two pieces, as gorilla writes a frame
	// larger than its buffer: held until whole, then written with the rest.
	write(t, w, waiting, msgs[3], 600)
	var want []byte
	for _, m := range msgs {
		want = append(want, frame(1, m)...)
	}
	if len(rec.writes) != 1 || !bytes.Equal(rec.writes[0], want) {
		t.Fatalf(`%d writes, want the four frames in one`, len(rec.writes))
	}
}

func TestCoalescedConnWritesALoneFrameAtOnce(t *testing.T) {
	w, rec, waiting := newCoalesced()
	waiting.Add(5)
	write(t, w, waiting, "alone")
	if len(rec.writes) != 1 || !bytes.Equal(rec.writes[0], frame(1, "alone")) {
		t.Fatalf(`writes %q`, rec.writes)
	}
	// A frame split in two is written once, whole, even with nothing
	// else waiting.
	waiting.Add(200)
	write(t, w, waiting, strings.Repeat("s", 200), 10)
	if len(rec.writes) != 2 || !bytes.Equal(rec.writes[1], frame(1, strings.Repeat("s", 200))) {
		t.Fatalf(`%d writes, want the split frame in one`, len(rec.writes))
	}
}

// Control frames (ping, pong, close) go out at once, after what is held.
func TestCoalescedConnFlushesOnControlFrames(t *testing.T) {
	w, rec, waiting := newCoalesced()
	waiting.Add(int64(len("held") + len("later")))
	write(t, w, waiting, "held")
	if len(rec.writes) != 0 {
		t.Fatal(`a frame with another waiting was written alone`)
	}
	if _, err := w.Write(frame(9, "")); err != nil { // melody's ping
		t.Fatal(err)
	}
	if len(rec.writes) != 1 || !bytes.Equal(rec.writes[0], append(frame(1, "held"), frame(9, "")...)) {
		t.Fatalf(`writes %q, want the held frame and the ping`, rec.writes)
	}
}

// A burst longer than what one socket may hold is written in pieces, not
// after it ends.
func TestCoalescedConnBoundsWhatItHolds(t *testing.T) {
	w, rec, waiting := newCoalesced()
	body := strings.Repeat("b", 1000)
	waiting.Add(1 << 30) // an endless stream
	for range 200 {
		write(t, w, waiting, body)
	}
	if len(rec.writes) < 2 {
		t.Fatalf(`%d writes for 200 KB`, len(rec.writes))
	}
	for i, b := range rec.writes {
		if len(b) > maxHeld+len(frame(1, body)) {
			t.Fatalf(`write %d is %d bytes`, i, len(b))
		}
	}
}

// The upgrade's answer, written before the socket is registered, is not a
// frame and passes through untouched.
func TestCoalescedConnPassesTheUpgradeThrough(t *testing.T) {
	w, rec, waiting := newCoalesced()
	w.armed.Store(false)
	waiting.Add(100)
	answer := "HTTP/1.1 101 Switching Protocols\r\n\r\n"
	if _, err := w.Write([]byte(answer)); err != nil {
		t.Fatal(err)
	}
	if len(rec.writes) != 1 || string(rec.writes[0]) != answer {
		t.Fatalf(`writes %q`, rec.writes)
	}
}

// Through the hub: frames published while another is on its way (counted
// but not queued yet, as a publisher leaves it between the two) are held,
// then written together, whole and in order.
func TestOperatorFramesAreCoalesced(t *testing.T) {
	h, url := newTestHub(t, nil)
	ws, _, err := websocket.DefaultDialer.Dial(url+"?topic=ops&kind=operator", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	waitSubscribers(t, h, "ops", 1)
	c := h.connOfTopic("ops")
	if c == nil || c.out == nil {
		t.Fatal(`the operator's socket is not coalesced`)
	}
	upgrade := c.out.writes.Load()
	const burst = 500
	c.queued.Add(1)
	for i := range burst - 1 {
		h.Publish("ops", "message", fmt.Sprint("m", i))
	}
	c.queued.Add(-1)
	h.Publish("ops", "message", fmt.Sprint("m", burst-1))
	for i := range burst {
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		var ev Event
		if err := ws.ReadJSON(&ev); err != nil {
			t.Fatalf(`frame %d: %v`, i, err)
		}
		if ev.Data != fmt.Sprint("m", i) {
			t.Fatalf(`frame %d is %v`, i, ev.Data)
		}
	}
	if n := c.out.writes.Load() - upgrade; n != 1 {
		t.Fatalf(`%d writes for %d frames, want 1`, n, burst)
	}
	// Alone, a frame goes out at once: the pong to a ping.
	if err := ws.WriteJSON(map[string]string{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ev Event
	if err := ws.ReadJSON(&ev); err != nil || ev.Type != "pong" {
		t.Fatalf(`got %+v %v, want a pong`, ev, err)
	}
	// Visitors' sockets write each frame as it comes.
	v, _, err := websocket.DefaultDialer.Dial(url+"?topic=v", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	waitSubscribers(t, h, "v", 1)
	if c := h.connOfTopic("v"); c.out != nil {
		t.Fatal(`a visitor's socket is coalesced`)
	}
}

func (h *Hub) connOfTopic(topic string) *conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.topics[topic] {
		return c
	}
	return nil
}

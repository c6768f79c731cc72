package realtime

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"
)

func newTestHub(t *testing.T, onFrame func(Identity, Frame)) (*Hub, string) {
	t.Helper()
	var h *Hub
	h = New(Options{
		CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") != "https://evil.example" },
		OnFrame:     onFrame,
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := "visitor"
		if k := r.URL.Query().Get("kind"); k != "" {
			kind = k
		}
		q := r.URL.Query()
		_ = h.Serve(w, r, Identity{Kind: kind, ID: 1, Topics: []string{q.Get("topic")}, Tab: q.Get("tab")}, nil)
	}))
	t.Cleanup(func() { h.Close(); srv.Close() })
	return h, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func waitSubscribers(t *testing.T, h *Hub, topic string, n int) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if h.Subscribers(topic) == n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf(`topic %s: %d subscribers, want %d`, topic, h.Subscribers(topic), n)
}

func TestPublishReachesOnlyTheTopic(t *testing.T) {
	h, url := newTestHub(t, nil)
	a, _, err := websocket.DefaultDialer.Dial(url+"?topic=a", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, _, err := websocket.DefaultDialer.Dial(url+"?topic=b", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	waitSubscribers(t, h, "a", 1)
	waitSubscribers(t, h, "b", 1)
	h.Publish("a", "message", map[string]string{"body": "for a"})
	h.Publish("b", "message", map[string]string{"body": "for b"})
	var ev struct {
		Type string            `json:"type"`
		Data map[string]string `json:"data"`
	}
	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := a.ReadJSON(&ev); err != nil || ev.Data["body"] != "for a" {
		t.Fatalf(`a got %+v %v`, ev, err)
	}
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := b.ReadJSON(&ev); err != nil || ev.Data["body"] != "for b" {
		t.Fatalf(`b got %+v %v`, ev, err)
	}
	a.Close()
	waitSubscribers(t, h, "a", 0)
}

// A message a tab posted reaches the visitor's other tabs (and a socket that
// named no tab), but not the tab that posted it.
func TestPublishExceptSkipsOnlyThePostingTab(t *testing.T) {
	h, url := newTestHub(t, nil)
	dial := func(q string) *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial(url+"?topic=v"+q, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	poster, other, plain := dial("&tab=t1"), dial("&tab=t2"), dial("")
	waitSubscribers(t, h, "v", 3)
	h.PublishExcept("v", "t1", "message", map[string]string{"body": "posted by t1"})
	h.Publish("v", "message", map[string]string{"body": "for every tab"})
	read := func(c *websocket.Conn) string {
		var ev struct {
			Data map[string]string `json:"data"`
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if err := c.ReadJSON(&ev); err != nil {
			t.Fatal(err)
		}
		return ev.Data["body"]
	}
	for name, c := range map[string]*websocket.Conn{"other tab": other, "socket without a tab": plain} {
		if a, b := read(c), read(c); a != "posted by t1" || b != "for every tab" {
			t.Errorf("%s got %q, %q", name, a, b)
		}
	}
	if got := read(poster); got != "for every tab" {
		t.Errorf("the posting tab's first frame is %q, want the next event only", got)
	}
}

// countedFrame counts how often the hub encodes it.
type countedFrame struct{ n *atomic.Int32 }

func (f countedFrame) MarshalJSON() ([]byte, error) {
	f.n.Add(1)
	return []byte(`{"body":"counted"}`), nil
}

// A frame nobody will receive is not encoded: a visitor's own message
// goes to its visitor topic with the only tab there excepted.
func TestPublishEncodesOnlyForListeners(t *testing.T) {
	h, url := newTestHub(t, nil)
	c, _, err := websocket.DefaultDialer.Dial(url+"?topic=v&tab=t1", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	waitSubscribers(t, h, "v", 1)
	var n atomic.Int32
	h.Publish("nobody", "message", countedFrame{&n})
	h.PublishExcept("v", "t1", "message", countedFrame{&n})
	if got := n.Load(); got != 0 {
		t.Fatalf("encoded %d frames nobody receives", got)
	}
	if h.Listening("nobody", "") || h.Listening("v", "t1") {
		t.Fatal("Listening says yes where PublishExcept reaches nobody")
	}
	if !h.Listening("v", "") || !h.Listening("v", "t2") {
		t.Fatal("Listening says no where PublishExcept reaches the socket of tab t1")
	}
	h.Publish("v", "message", countedFrame{&n})
	var ev struct {
		Data map[string]string `json:"data"`
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.ReadJSON(&ev); err != nil {
		t.Fatal(err)
	}
	if ev.Data["body"] != "counted" || n.Load() != 1 {
		t.Fatalf("frame %v after %d encodings, want the counted frame after 1", ev.Data, n.Load())
	}
}

// A client that never reads must not hold up the publisher: its buffer
// fills, it is dropped, and everyone else keeps receiving.
func TestSlowReaderIsDroppedNotWaitedFor(t *testing.T) {
	h, url := newTestHub(t, nil)
	slow, _, err := websocket.DefaultDialer.Dial(url+"?topic=t", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast, _, err := websocket.DefaultDialer.Dial(url+"?topic=t", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	waitSubscribers(t, h, "t", 2)
	const total, burst = 3200, 16
	received := make(chan int, total)
	go func() {
		for n := 1; n <= total; n++ {
			fast.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, _, err := fast.ReadMessage(); err != nil {
				return
			}
			received <- n
		}
	}()
	big := strings.Repeat("x", 8<<10) // 24 MB in all: far more than the slow client's socket buffers
	start := time.Now()
	for i := 0; i < total; i += burst {
		for j := 0; j < burst; j++ {
			h.Publish("t", "message", big)
		}
		// Pace the publisher to the reading client, as real chats are.
		for n := 0; n < i+burst; {
			select {
			case n = <-received:
			case <-time.After(5 * time.Second):
				t.Fatalf(`the reading client stalled at %d of %d frames`, n, i+burst)
			}
		}
	}
	if time.Since(start) > 30*time.Second { // hang guard, not a performance figure
		t.Fatalf(`publishing was held up by the slow reader`)
	}
	waitSubscribers(t, h, "t", 1) // the slow one was dropped
}

func TestInboundFrames(t *testing.T) {
	var mu sync.Mutex
	var frames []Frame
	h, url := newTestHub(t, func(_ Identity, f Frame) {
		mu.Lock()
		frames = append(frames, f)
		mu.Unlock()
	})
	_ = h
	c, _, err := websocket.DefaultDialer.Dial(url+"?topic=x", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send := func(v string) {
		if err := c.WriteMessage(websocket.TextMessage, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"type":"typing","session_id":"s1","typing":true}`)
	send(`{"type":"typing","session_id":"s1","typing":true}`)  // a repeat within 300 ms: dropped
	send(`{"type":"typing","session_id":"s1","typing":false}`) // "stopped typing" always passes
	send(`{"type":"delete_everything"}`)                       // unknown: dropped
	send(`not json`)                                           // ignored
	send(`{"type":"ping"}`)
	var ev Event
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.ReadJSON(&ev); err != nil || ev.Type != "pong" {
		t.Fatalf(`ping: %+v %v`, ev, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(frames) != 3 || frames[0].Type != "typing" || frames[0].SessionID != "s1" || !frames[0].Typing ||
		frames[1].Type != "typing" || frames[1].Typing || frames[2].Type != "ping" {
		b, _ := json.Marshal(frames)
		t.Fatalf(`frames handled: %s`, b)
	}
	// An oversized frame closes the connection.
	send(`{"type":"typing","session_id":"` + strings.Repeat("x", MaxFrameSize) + `"}`)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatalf(`connection survived a frame over %d bytes`, MaxFrameSize)
	}
}

func TestCheckOrigin(t *testing.T) {
	_, url := newTestHub(t, nil)
	_, res, err := websocket.DefaultDialer.Dial(url+"?topic=x", http.Header{"Origin": {"https://evil.example"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf(`refused origin: %v`, err)
	}
	// Defaults refuse every browser origin rather than melody's accept-all.
	h := New(Options{})
	for _, m := range []*melody.Melody{h.visitors, h.operators} {
		if m.Upgrader.CheckOrigin(&http.Request{Header: http.Header{"Origin": {"https://x"}}}) {
			t.Fatalf(`default CheckOrigin must refuse`)
		}
	}
}

// An operator's socket carrying many conversations must ride out a burst
// far longer than a visitor's queue while it is slow to read, and only a
// socket that stops reading for good is dropped — counted and logged.
func TestBusyOperatorIsNotDroppedByABurst(t *testing.T) {
	h, url := newTestHub(t, nil)
	busy, _, err := websocket.DefaultDialer.Dial(url+"?topic=ops&kind=operator", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	waitSubscribers(t, h, "ops", 1)
	// 3,000 frames of 400 bytes at once (1.2 MB): a hundred times what a
	// visitor's socket may queue, while the reader naps before reading.
	const burst = 3000
	body := strings.Repeat("y", 400)
	for range burst {
		h.Publish("ops", "message", body)
	}
	time.Sleep(300 * time.Millisecond)
	for n := range burst {
		busy.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := busy.ReadMessage(); err != nil {
			t.Fatalf(`the busy operator was dropped after %d of %d frames: %v`, n, burst, err)
		}
	}
	if h.Dropped() != 0 {
		t.Fatalf(`dropped %d sockets`, h.Dropped())
	}

	// A socket that never reads is dropped once its queue passes the limit.
	stuck, _, err := websocket.DefaultDialer.Dial(url+"?topic=stuck&kind=operator", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	waitSubscribers(t, h, "stuck", 1)
	big := strings.Repeat("z", 64<<10)
	for i := 0; i < 2*operatorQueueBytes/len(big) && h.Subscribers("stuck") == 1; i++ {
		h.Publish("stuck", "message", big)
	}
	waitSubscribers(t, h, "stuck", 0)
	if h.Dropped() != 1 {
		t.Fatalf(`dropped %d sockets, want 1`, h.Dropped())
	}
}

// Serve returns as soon as the socket is open, so the HTTP server forgets
// the connection, and runs onClose once when the socket ends — also when
// the upgrade is refused.
func TestServeReturnsAndReportsTheEnd(t *testing.T) {
	h := New(Options{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "" }})
	defer h.Close()
	returned := make(chan error, 4)
	closed := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		returned <- h.Serve(w, r, Identity{Kind: "visitor", ID: 7, Topics: []string{"v"}}, func() { closed <- struct{}{} })
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-returned:
		if err != nil {
			t.Fatalf(`Serve: %v`, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal(`Serve did not return while the socket is open`)
	}
	// The socket still works after the handler returned.
	waitSubscribers(t, h, "v", 1)
	h.Publish("v", "message", "still here")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, b, err := c.ReadMessage(); err != nil || !strings.Contains(string(b), "still here") {
		t.Fatalf(`after Serve returned: %s %v`, b, err)
	}
	select {
	case <-closed:
		t.Fatal(`onClose ran while the socket is open`)
	default:
	}
	c.Close()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal(`onClose did not run when the socket closed`)
	}
	waitSubscribers(t, h, "v", 0)

	// A refused upgrade returns its error and runs onClose too.
	if _, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"https://elsewhere.example"}}); err == nil {
		t.Fatal(`a refused origin connected`)
	}
	if err := <-returned; err == nil {
		t.Fatal(`Serve of a refused upgrade returned no error`)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal(`onClose did not run after a refused upgrade`)
	}
}

// What is published while a socket is being upgraded (the server took the
// request, the socket is not registered yet) reaches it, before anything
// later: a client that catches up as soon as it sees the socket open
// misses nothing. A refused upgrade leaves no subscriber behind, and a
// topic closed meanwhile closes the socket once it opens.
func TestNothingPublishedDuringTheUpgradeIsLost(t *testing.T) {
	var h *Hub
	h = New(Options{CheckOrigin: func(r *http.Request) bool {
		// The upgrade runs this before answering and before registering.
		h.Publish("v", "message", "during the upgrade")
		if r.Header.Get("Origin") == "https://closing.example" {
			h.CloseTopic("c")
		}
		return r.Header.Get("Origin") != "https://evil.example"
	}})
	defer h.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h.Serve(w, r, Identity{Kind: "visitor", ID: 7, Topics: []string{r.URL.Query().Get("topic")}}, nil)
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	c, _, err := websocket.DefaultDialer.Dial(url+"?topic=v", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h.Publish("v", "message", "after")
	for _, want := range []string{"during the upgrade", "after"} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, b, err := c.ReadMessage(); err != nil || !strings.Contains(string(b), want) {
			t.Fatalf(`want %q next: %s %v`, want, b, err)
		}
	}

	if _, _, err := websocket.DefaultDialer.Dial(url+"?topic=v", http.Header{"Origin": {"https://evil.example"}}); err == nil {
		t.Fatal(`a refused origin connected`)
	}
	waitSubscribers(t, h, "v", 1)

	d, _, err := websocket.DefaultDialer.Dial(url+"?topic=c", http.Header{"Origin": {"https://closing.example"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, b, err := d.ReadMessage(); err == nil {
		t.Fatalf(`a socket whose topic was closed during its upgrade got %s`, b)
	} else if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		t.Fatal(`a socket whose topic was closed during its upgrade stayed open`)
	}
	waitSubscribers(t, h, "c", 0)
}

// appendedFrame writes its JSON both ways, as livechat's message view does.
type appendedFrame struct{ Body string }

func (f appendedFrame) AppendJSON(b []byte) ([]byte, error) {
	return append(b, `{"body":"`+f.Body+`"}`...), nil
}

func (f appendedFrame) MarshalJSON() ([]byte, error) { return f.AppendJSON(nil) }

// Data that appends its own JSON is framed as encoding/json frames it.
func TestEncodeEventAppendsWhatMarshalWrites(t *testing.T) {
	long := strings.Repeat("y", 2*maxScratch) // past what the scratch buffers keep
	var frames [][]byte
	var wants []string
	for _, data := range []any{appendedFrame{"hi"}, appendedFrame{long}, appendedFrame{"after"}, map[string]string{"body": "hi"}, nil} {
		got, err := encodeEvent("message <1>", data)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(Event{Type: "message <1>", Data: data})
		if string(got) != string(want) {
			t.Errorf("%T: %.80s, want %.80s", data, got, want)
		}
		frames, wants = append(frames, got), append(wants, string(want))
	}
	// Frames are handed to sockets that write them later: none may share
	// memory with the buffer the next one is written in.
	for i, f := range frames {
		if string(f) != wants[i] {
			t.Errorf("frame %d changed after later ones were encoded: %.80s", i, f)
		}
	}
}

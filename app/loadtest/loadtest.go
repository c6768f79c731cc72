// Package loadtest drives a running Parley through its public contract
// only — the visitor API and sockets the widget uses, and the operator
// API socket an integration uses — and measures what a business needs to
// size its server: how fast visitors connect, how long a visitor's message
// takes to reach an operator, whether every acknowledged message arrived
// live, and what an idle visitor costs in memory.
//
// The load is open loop: every message has a scheduled time and its
// latency is charged from that time, so a server that falls behind shows
// it in the figures instead of slowing the sender down.
package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Options describe one run.
type Options struct {
	// URL is the server's address as visitors reach it ("http://host:8069").
	URL string
	// ChannelID is the channel whose widget the visitors use.
	ChannelID int64
	// Idle visitors are on a page with the widget's socket open, not
	// chatting (a page view gives them a token, as the widget does).
	Idle int
	// Chatting visitors open a conversation and a socket, then post Rate
	// messages per second of Size bytes each for Duration.
	Chatting int
	Rate     float64
	Size     int
	Duration time.Duration
	// OperatorTokens are API tokens of operators of the channel; each opens
	// /api/v1/ws and receives the messages of its conversations.
	OperatorTokens []string
	// Forwarded gives every visitor its own address in X-Forwarded-For, as
	// a reverse proxy would (the server must list the loader's address in
	// trusted_proxies): the per-address limits then apply per visitor.
	Forwarded bool
	// Concurrency bounds the connects and the posts in flight.
	Concurrency int
	// PID, when set, is the server's process on this machine: its resident
	// memory is read before and after the idle visitors connect.
	PID int
	// Grace is how long to wait after the last send for deliveries.
	Grace time.Duration
	// Progress receives a line now and then (nil: silent), in the
	// language of T (English when nil).
	Progress io.Writer
	Lang     Translator
}

// Translator gives an English text in the reader's language.
type Translator interface {
	T(format string, args ...any) string
}

// English is the Translator for English readers.
type English struct{}

// T formats the English text.
func (English) T(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// OptionError names an option with a bad value; Format and Args are the
// English message for a translator.
type OptionError struct {
	Format string
	Args   []any
}

func (e *OptionError) Error() string { return fmt.Sprintf(e.Format, e.Args...) }

func optionErr(format string, args ...any) error { return &OptionError{Format: format, Args: args} }

func (o *Options) check() error {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return optionErr("--url %q: want the server's http(s) address, like http://127.0.0.1:8069", o.URL)
	}
	switch {
	case o.ChannelID <= 0:
		return optionErr("--channel %d: want a channel's number", o.ChannelID)
	case o.Idle < 0 || o.Chatting < 0:
		return optionErr("--idle and --chatting must be ≥ 0")
	case o.Idle == 0 && o.Chatting == 0:
		return optionErr("nothing to do: give --idle or --chatting visitors")
	case o.Chatting > 0 && len(o.OperatorTokens) == 0:
		return optionErr("chatting visitors need operators: give --tokens FILE or --operators N")
	case o.Chatting > 0 && (o.Rate <= 0 || o.Rate > 1000):
		return optionErr("--rate %g: want messages per second per chatting visitor, > 0 and ≤ 1000", o.Rate)
	case o.Chatting > 0 && o.Duration <= 0:
		return optionErr("--duration %s: want how long the chatting visitors send, > 0", o.Duration)
	case o.Size < minBody || o.Size > 4096:
		return optionErr("--size %d: want message bytes between %d and 4096", o.Size, minBody)
	}
	if o.Lang == nil {
		o.Lang = English{}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 256
	}
	if o.Grace <= 0 {
		o.Grace = 5 * time.Second
	}
	o.URL = strings.TrimRight(o.URL, "/")
	return nil
}

// minBody holds the marker every message carries: visitor, sequence and
// scheduled time.
const minBody = 48

// Report is what a run measured.
type Report struct {
	Idle, Chatting, Operators int
	// ConnectRate is visitors connected per second (page view or session
	// start, then the socket), over the connect phases.
	IdleConnectRate, ChattingConnectRate float64
	// Memory: the server's resident memory before and after the idle
	// visitors connected (0 without a PID). RSSFileBefore is the part of
	// RSSBefore mapped from files, mostly the executable's own code and
	// tables: pages shared with the page cache, which the kernel can drop
	// and read again, unlike the rest.
	RSSBefore, RSSFileBefore, RSSAfterIdle, RSSEnd int64
	// ConnectCPU and SendCPU: where the processor time went while the
	// idle visitors connected and while the messages were sent.
	ConnectCPU, SendCPU    CPU
	Scheduled, Sent, Acked int64
	Delivered, Late        int64 // Late: delivered after Grace ended
	AckedNotDelivered      int64
	Ack, Delivery          Summary
	// SendLag: how far behind its schedule the loader itself sent (a
	// loader that cannot keep up makes the server look better than it is).
	SendLag  Summary
	Errors   map[string]int64
	Elapsed  time.Duration
	Achieved float64 // messages acknowledged per second of the send phase
}

// Run drives the server as o says and reports what it saw.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	base, err := baseURL(o.URL)
	if err != nil {
		return nil, err
	}
	r := &run{o: o, base: base, errs: map[string]int64{}, wsBase: "ws" + strings.TrimPrefix(o.URL, "http")}
	r.dialer = &websocket.Dialer{HandshakeTimeout: 15 * time.Second, ReadBufferSize: 512, WriteBufferSize: 512}
	start := time.Now()
	rep := &Report{Idle: o.Idle, Chatting: o.Chatting, Operators: len(o.OperatorTokens)}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer r.closeAll()

	if err := r.connectOperators(ctx); err != nil {
		return nil, err
	}
	rep.RSSBefore, rep.RSSFileBefore = memory(o.PID)
	if o.Idle > 0 {
		r.progress("connecting %d idle visitors", o.Idle)
		t0, c0 := time.Now(), sampleCPU(o.PID)
		n := r.connectVisitors(ctx, 0, o.Idle, false)
		rep.IdleConnectRate = float64(n) / time.Since(t0).Seconds()
		rep.ConnectCPU = sampleCPU(o.PID).since(c0)
		// Let the server settle (buffers returned to pools, the GC run)
		// before reading its memory.
		time.Sleep(2 * time.Second)
		rep.RSSAfterIdle, _ = memory(o.PID)
	}
	if o.Chatting > 0 {
		r.progress("starting %d conversations", o.Chatting)
		t0 := time.Now()
		n := r.connectVisitors(ctx, o.Idle, o.Chatting, true)
		rep.ChattingConnectRate = float64(n) / time.Since(t0).Seconds()
		if n > 0 {
			r.progress("sending %.0f msg/s from %d conversations for %s", o.Rate*float64(n), n, o.Duration)
			r.send(ctx, rep)
		}
	}
	rep.RSSEnd, _ = memory(o.PID)
	rep.Errors = r.errorCounts()
	rep.Elapsed = time.Since(start)
	return rep, ctx.Err()
}

type visitor struct {
	idx     int
	addr    string
	token   string
	session string
	conn    *websocket.Conn
}

type run struct {
	o      Options
	base   *url.URL // o.URL, parsed
	dialer *websocket.Dialer
	wsBase string

	mu       sync.Mutex
	errs     map[string]int64
	chatting []*visitor
	conns    []*websocket.Conn

	tl        atomic.Pointer[timeline]
	ackLat    latencies
	delLat    latencies
	lagLat    latencies
	delivered atomic.Int64
	late      atomic.Int64
	sendDone  atomic.Bool
}

func (r *run) progress(format string, args ...any) {
	if r.o.Progress != nil {
		fmt.Fprintf(r.o.Progress, "loadtest: %s\n", r.o.Lang.T(format, args...))
	}
}

func (r *run) fail(kind string) {
	r.mu.Lock()
	r.errs[kind]++
	r.mu.Unlock()
}

func (r *run) errorCounts() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int64, len(r.errs))
	for k, v := range r.errs {
		out[k] = v
	}
	return out
}

func (r *run) keep(c *websocket.Conn) {
	r.mu.Lock()
	r.conns = append(r.conns, c)
	r.mu.Unlock()
}

func (r *run) closeAll() {
	r.mu.Lock()
	conns := r.conns
	r.conns = nil
	r.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// address is visitor i's own address when Forwarded: 10.x.y.z.
func address(i int) string {
	i++ // never 10.0.0.0
	return fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
}

// errKind names an error for the report without its variable parts.
func errKind(step string, err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return step + ": timeout"
	case errors.Is(err, websocket.ErrBadHandshake):
		return step + ": refused"
	case strings.Contains(err.Error(), "connection reset"):
		return step + ": connection reset"
	case strings.Contains(err.Error(), "connection refused"):
		return step + ": connection refused"
	case strings.Contains(err.Error(), "too many open files"):
		return step + ": too many open files (raise ulimit -n)"
	case strings.Contains(err.Error(), "EOF"):
		return step + ": connection closed"
	}
	return step + ": " + err.Error()
}

func (r *run) connectOperators(ctx context.Context) error {
	for i, tok := range r.o.OperatorTokens {
		h := http.Header{"Authorization": {"Bearer " + tok}}
		c, resp, err := r.dialer.DialContext(ctx, r.wsBase+"/api/v1/ws", h)
		if err != nil {
			if resp != nil {
				return errors.New(r.o.Lang.T("operator %d: the server refused its socket with %s (a token of an operator of channel %d?)", i+1, resp.Status, r.o.ChannelID))
			}
			return fmt.Errorf("operator %d: %w", i+1, err)
		}
		r.keep(c)
		go r.readOperator(c)
		go keepAlive(c)
	}
	// A connected socket is what makes an operator available; give the
	// server a moment to see them before visitors ask for one.
	time.Sleep(200 * time.Millisecond)
	return nil
}

// keepAlive pings like the admin's tabs do, so the operator stays active.
func keepAlive(c *websocket.Conn) {
	t := time.NewTicker(20 * time.Second)
	defer t.Stop()
	for range t.C {
		if err := c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)); err != nil {
			return
		}
	}
}

// marker opens every message body: "lt <visitor> <seq> " then padding.
var marker = []byte(`"body":"lt `)

func (r *run) readOperator(c *websocket.Conn) {
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			if !r.sendDone.Load() {
				r.fail(errKind("operator socket", err))
			}
			return
		}
		now := time.Now()
		if !bytes.HasPrefix(b, []byte(`{"type":"message"`)) {
			continue
		}
		i := bytes.Index(b, marker)
		if i < 0 {
			continue
		}
		rest := b[i+len(marker):]
		vi, rest, ok := number(rest)
		if !ok {
			continue
		}
		seq, _, ok := number(rest)
		tl := r.tl.Load()
		if !ok || tl == nil {
			continue
		}
		slot := tl.slot(vi, seq)
		if slot < 0 {
			continue
		}
		if old := tl.track[slot].Or(2); old&2 != 0 {
			continue // a second copy (another tab of the operator)
		}
		r.delivered.Add(1)
		if r.sendDone.Load() {
			r.late.Add(1)
		}
		r.delLat.add(now.Sub(tl.scheduled(vi, seq)))
	}
}

// number reads a decimal number and the space after it.
func number(b []byte) (int, []byte, bool) {
	n, i := 0, 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int(b[i]-'0')
	}
	if i == 0 || i >= len(b) || b[i] != ' ' {
		return 0, nil, false
	}
	return n, b[i+1:], true
}

// connectVisitors brings n visitors (indexes from first) onto the site,
// with a conversation each when chatting, and returns how many made it.
func (r *run) connectVisitors(ctx context.Context, first, n int, chatting bool) int {
	var ok atomic.Int64
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(r.o.Concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &poster{r: r}
			defer p.close()
			for i := range work {
				v := &visitor{idx: i}
				if r.o.Forwarded {
					v.addr = address(i)
				}
				var err error
				if chatting {
					err = r.startSession(ctx, p, v)
				} else {
					err = r.pageView(ctx, p, v)
				}
				if err != nil {
					continue
				}
				if err := r.openSocket(ctx, v); err != nil {
					continue
				}
				ok.Add(1)
				if chatting {
					r.mu.Lock()
					r.chatting = append(r.chatting, v)
					r.mu.Unlock()
				}
			}
		}()
	}
	for i := first; i < first+n && ctx.Err() == nil; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return int(ok.Load())
}

func (r *run) pageView(ctx context.Context, p *poster, v *visitor) error {
	body := fmt.Appendf(nil, `{"channel_id":%d,"url":"https://loadtest.invalid/page/%d","title":"Load test","language":"en"}`, r.o.ChannelID, v.idx)
	var out struct {
		Token string `json:"visitor_token"`
	}
	if err := p.do(ctx, "page view", v, "/im_livechat/pageviews", body, http.StatusCreated, &out); err != nil {
		return err
	}
	v.token = out.Token
	return nil
}

func (r *run) startSession(ctx context.Context, p *poster, v *visitor) error {
	body := fmt.Appendf(nil, `{"channel_id":%d,"url":"https://loadtest.invalid/chat/%d","title":"Load test"}`, r.o.ChannelID, v.idx)
	var out struct {
		Token   string `json:"visitor_token"`
		Session struct {
			ID string `json:"id"`
		} `json:"session"`
	}
	if err := p.do(ctx, "session start", v, "/im_livechat/sessions", body, http.StatusCreated, &out); err != nil {
		return err
	}
	v.token, v.session = out.Token, out.Session.ID
	return nil
}

func (r *run) openSocket(ctx context.Context, v *visitor) error {
	h := http.Header{}
	if v.addr != "" {
		h.Set("X-Forwarded-For", v.addr)
	}
	// The socket is named like a widget's tab, so the visitor's own posts
	// come back in their answers only, as they do for the widget.
	c, _, err := r.dialer.DialContext(ctx, fmt.Sprintf("%s/im_livechat/ws?token=%s&channel_id=%d&tab=lt-%d", r.wsBase, url.QueryEscape(v.token), r.o.ChannelID, v.idx), h)
	if err != nil {
		r.fail(errKind("visitor socket", err))
		return err
	}
	v.conn = c
	r.keep(c)
	go func() {
		// Read (and drop) what the server pushes, answering its pings, as
		// the widget does.
		for {
			if _, _, err := c.NextReader(); err != nil {
				return
			}
		}
	}()
	return nil
}

// timeline is the send phase's schedule and what became of each message.
type timeline struct {
	n        int // chatting visitors
	perVis   int // messages each
	sched0   time.Time
	interval time.Duration
	// track holds one state per scheduled message: 1 acked, 2 delivered.
	track []atomic.Uint32
}

// scheduled is when message seq of chatting visitor vi is due: visitors
// are spread evenly over one interval so the rate is smooth.
func (t *timeline) scheduled(vi, seq int) time.Time {
	offset := time.Duration(int64(t.interval) * int64(vi) / int64(t.n))
	return t.sched0.Add(offset + time.Duration(seq)*t.interval)
}

// slot is message seq of visitor vi in track, or -1.
func (t *timeline) slot(vi, seq int) int {
	if vi < 0 || vi >= t.n || seq < 0 || seq >= t.perVis {
		return -1
	}
	return vi*t.perVis + seq
}

type job struct {
	v   *visitor
	vi  int
	seq int
}

func (r *run) send(ctx context.Context, rep *Report) {
	r.mu.Lock()
	vs := r.chatting
	r.mu.Unlock()
	// Visitor indexes in markers are positions in vs.
	tl := &timeline{n: len(vs), interval: time.Duration(float64(time.Second) / r.o.Rate)}
	tl.perVis = int(r.o.Duration / tl.interval)
	tl.track = make([]atomic.Uint32, tl.n*tl.perVis)
	tl.sched0 = time.Now().Add(200 * time.Millisecond)
	r.tl.Store(tl)
	c0 := sampleCPU(r.o.PID)

	jobs := make(chan job, len(vs)*4)
	var sent atomic.Int64
	var wg sync.WaitGroup
	for range r.o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pad := strings.Repeat("x", r.o.Size)
			buf := make([]byte, 0, r.o.Size+128)
			p := &poster{r: r}
			defer p.close()
			for j := range jobs {
				due := tl.scheduled(j.vi, j.seq)
				r.lagLat.add(time.Since(due))
				buf = r.body(buf[:0], j.vi, j.seq, j.v.idx, pad)
				sent.Add(1)
				if err := p.post(ctx, j.v, "/im_livechat/sessions/"+j.v.session+"/messages", buf); err != nil {
					continue
				}
				r.ackLat.add(time.Since(due))
				tl.track[tl.slot(j.vi, j.seq)].Or(1)
			}
		}()
	}
	// One scheduler walks the timeline: each visitor's next message, in
	// time order, handed to the senders when due.
	var scheduled int64
	for seq := 0; seq < tl.perVis; seq++ {
		stop := false
		for vi := 0; vi < tl.n; vi++ {
			due := tl.scheduled(vi, seq)
			if d := time.Until(due); d > time.Millisecond {
				time.Sleep(d)
			}
			if ctx.Err() != nil {
				stop = true
				break
			}
			jobs <- job{v: vs[vi], vi: vi, seq: seq}
			scheduled++
		}
		if stop {
			break
		}
		if seq%max(1, int(r.o.Rate)) == 0 {
			r.progress("%ds: %d sent, %d acknowledged, %d delivered", int(time.Since(tl.sched0).Seconds()), sent.Load(), r.ackLat.count(), r.delivered.Load())
		}
	}
	close(jobs)
	wg.Wait()
	sendEnd := time.Now()
	rep.SendCPU = sampleCPU(r.o.PID).since(c0)
	// Wait for deliveries still on their way.
	deadline := time.Now().Add(r.o.Grace)
	for time.Now().Before(deadline) && r.delivered.Load() < int64(r.ackLat.count()) {
		time.Sleep(20 * time.Millisecond)
	}
	r.sendDone.Store(true)

	rep.Scheduled = scheduled
	rep.Sent = sent.Load()
	rep.Acked = int64(r.ackLat.count())
	rep.Delivered = r.delivered.Load()
	rep.Late = r.late.Load()
	for i := range tl.track {
		if tl.track[i].Load() == 1 {
			rep.AckedNotDelivered++
		}
	}
	rep.Ack = r.ackLat.summary()
	rep.Delivery = r.delLat.summary()
	rep.SendLag = r.lagLat.summary()
	if d := sendEnd.Sub(tl.sched0).Seconds(); d > 0 {
		rep.Achieved = float64(rep.Acked) / d
	}
}

// body is the message JSON: the marker, then padding up to Size bytes,
// and the posting visitor's tab (openSocket).
func (r *run) body(buf []byte, vi, seq, tab int, pad string) []byte {
	buf = append(buf, `{"body":"lt `...)
	buf = strconv.AppendInt(buf, int64(vi), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(seq), 10)
	buf = append(buf, ' ')
	head := len(buf) - len(`{"body":"`)
	if fill := r.o.Size - head; fill > 0 {
		buf = append(buf, pad[:fill]...)
	}
	buf = append(buf, `","client_id":"lt-`...)
	buf = strconv.AppendInt(buf, int64(vi), 10)
	buf = append(buf, '-')
	buf = strconv.AppendInt(buf, int64(seq), 10)
	buf = append(buf, `","tab":"lt-`...)
	buf = strconv.AppendInt(buf, int64(tab), 10)
	buf = append(buf, `"}`...)
	return buf
}

// CPU is where the processor time of a phase went, in cores (seconds of
// CPU a second): the server's (with its PID), the load tool's own, and the
// whole machine's. A machine near 100 % busy measures itself, not Parley.
type CPU struct {
	Server, Loader float64
	MachineBusy    float64 // share of all cores, 0–1
	Cores          int
}

type cpuSample struct {
	at           time.Time
	server, self int64 // clock ticks
	busy, total  int64 // ticks of all cores
	cores        int
}

// userHZ is the unit of /proc's CPU times on Linux.
const userHZ = 100

// sampleCPU reads /proc (Linux; zeros elsewhere or without a PID).
func sampleCPU(pid int) cpuSample {
	c := cpuSample{at: time.Now(), self: procTicks("self")}
	if pid > 0 {
		c.server = procTicks(strconv.Itoa(pid))
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 5 && f[0] == "cpu":
			for i, v := range f[1:] {
				n, _ := strconv.ParseInt(v, 10, 64)
				if i < 8 { // user nice system idle iowait irq softirq steal
					c.total += n
					if i != 3 && i != 4 {
						c.busy += n
					}
				}
			}
		case len(f) > 0 && strings.HasPrefix(f[0], "cpu"):
			c.cores++
		}
	}
	return c
}

// procTicks is a process's user and system time from /proc/<pid>/stat.
func procTicks(pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count from its closing ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

func (c cpuSample) since(c0 cpuSample) CPU {
	secs := c.at.Sub(c0.at).Seconds()
	if secs <= 0 {
		return CPU{}
	}
	out := CPU{Loader: float64(c.self-c0.self) / userHZ / secs, Cores: c.cores}
	if c.server > 0 {
		out.Server = float64(c.server-c0.server) / userHZ / secs
	}
	if t := c.total - c0.total; t > 0 {
		out.MachineBusy = float64(c.busy-c0.busy) / float64(t)
	}
	return out
}

// memory reads a process's resident memory and the part of it mapped
// from files, in bytes (Linux; 0 elsewhere or without a PID).
func memory(pid int) (rss, file int64) {
	if pid <= 0 {
		return 0, 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	kb := func(v string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		return n << 10
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			rss = kb(v)
		} else if v, ok := strings.CutPrefix(sc.Text(), "RssFile:"); ok {
			file = kb(v)
		}
	}
	return rss, file
}

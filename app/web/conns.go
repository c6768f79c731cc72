package web

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// connCap is a listener that bounds the open connections of each client
// address (IPv6 per /64). One address holding thousands of connections
// that never finish a request used to take every file descriptor, and the
// server stopped answering anyone. A connection over the cap is reset as
// soon as it is accepted, before it costs a goroutine or a buffer; the
// count lasts until the connection closes, hijacked websockets included.
type connCap struct {
	net.Listener
	max    int
	exempt func(netip.Addr) bool
	log    *slog.Logger

	mu   sync.Mutex
	open map[netip.Prefix]int

	refused atomic.Int64
	logged  atomic.Int64 // unix seconds of the last warning
}

func newConnCap(ln net.Listener, max int, exempt func(netip.Addr) bool, log *slog.Logger) *connCap {
	return &connCap{Listener: ln, max: max, exempt: exempt, log: log, open: map[netip.Prefix]int{}}
}

func (l *connCap) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr, ok := remoteAddr(c)
		if !ok || l.exempt(addr) {
			return c, nil
		}
		key := addrKey(addr)
		if l.take(key) {
			return &cappedConn{Conn: c, l: l, key: key}, nil
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // reset: no TIME_WAIT left behind for a flood
		}
		_ = c.Close()
		l.warn(key)
	}
}

func remoteAddr(c net.Conn) (netip.Addr, bool) {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap(), true
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap.Addr().Unmap(), err == nil
}

func (l *connCap) take(key netip.Prefix) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key] >= l.max {
		return false
	}
	l.open[key]++
	return true
}

func (l *connCap) give(key netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key] <= 1 {
		delete(l.open, key)
		return
	}
	l.open[key]--
}

// warn logs refused connections at most every ten seconds, so a flood
// cannot flood the log too.
func (l *connCap) warn(key netip.Prefix) {
	n := l.refused.Add(1)
	now := time.Now().Unix()
	last := l.logged.Load()
	if now-last < 10 || !l.logged.CompareAndSwap(last, now) {
		return
	}
	l.refused.Add(-n)
	client := key.String()
	if key.Addr().Is4() {
		client = key.Addr().String()
	}
	l.log.Warn("refused connections over the per-address cap (http.max_conns_per_ip)",
		"client", client, "max", l.max, "refused", n)
}

// cappedConn gives its place back when closed, once.
type cappedConn struct {
	net.Conn
	l      *connCap
	key    netip.Prefix
	closed atomic.Bool
}

// ReadFrom keeps the kernel's zero-copy path (sendfile) for static files.
func (c *cappedConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

func (c *cappedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.give(c.key)
	}
	return c.Conn.Close()
}

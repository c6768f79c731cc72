package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// poster sends visitors' posts (page views, conversation starts,
// messages) one at a time over a keep-alive connection of its own. It
// writes each request and reads each answer itself, as plain HTTP/1.1:
// http.Transport's reader and writer goroutines were a third of the load
// tool's CPU at thousands of posts a second, and building an http.Request
// and parsing the answer's headers into a map half of what remained, all
// of it taken from the server beside it.
type poster struct {
	r    *run
	conn net.Conn
	br   *bufio.Reader
	req  []byte // the request being sent, reused
	body []byte // the last answer's body, reused
}

// maxAnswer bounds an answer's body (a conversation start carries its
// messages).
const maxAnswer = 1 << 20

// post sends a visitor's message.
func (p *poster) post(ctx context.Context, v *visitor, path string, body []byte) error {
	return p.do(ctx, "post", v, path, body, http.StatusCreated, nil)
}

// do posts body as visitor v, counts any answer but want as an error of
// step, and decodes the JSON answer into out (when not nil).
func (p *poster) do(ctx context.Context, step string, v *visitor, path string, body []byte, want int, out any) error {
	if err := p.dial(ctx); err != nil {
		p.r.fail(errKind(step, err))
		return err
	}
	p.req = p.r.appendRequest(p.req[:0], v, path, body)
	_ = p.conn.SetDeadline(time.Now().Add(30 * time.Second))
	_, err := p.conn.Write(p.req)
	var a answer
	if err == nil {
		a, err = p.read()
	}
	if err != nil {
		p.close()
		p.r.fail(errKind(step, err))
		return err
	}
	if a.close {
		p.close()
	}
	if a.status != want {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(a.body, &e)
		p.r.fail(fmt.Sprintf("%s: %d %s", step, a.status, e.Error))
		return fmt.Errorf("%s: %d %s", step, a.status, http.StatusText(a.status))
	}
	if out != nil {
		return json.Unmarshal(a.body, out)
	}
	return nil
}

// appendRequest appends a visitor's POST of a JSON body to buf, with the
// headers a widget's request carries that the server reads.
func (r *run) appendRequest(buf []byte, v *visitor, path string, body []byte) []byte {
	buf = append(buf, "POST "...)
	buf = append(buf, r.base.Path...)
	buf = append(buf, path...)
	buf = append(buf, " HTTP/1.1\r\nHost: "...)
	buf = append(buf, r.base.Host...)
	buf = append(buf, "\r\nUser-Agent: parley-loadtest\r\nContent-Type: application/json\r\n"...)
	if v.token != "" {
		buf = append(buf, "Authorization: Bearer "...)
		buf = append(buf, v.token...)
		buf = append(buf, "\r\n"...)
	}
	if v.addr != "" {
		buf = append(buf, "X-Forwarded-For: "...)
		buf = append(buf, v.addr...)
		buf = append(buf, "\r\n"...)
	}
	buf = append(buf, "Content-Length: "...)
	buf = strconv.AppendInt(buf, int64(len(body)), 10)
	buf = append(buf, "\r\n\r\n"...)
	return append(buf, body...)
}

// answer is what the load tool needs of an HTTP answer. body is only valid
// until the poster's next request.
type answer struct {
	status int
	body   []byte
	close  bool // the server closes the connection after it
}

var errAnswer = errors.New("malformed HTTP answer")

// read reads one HTTP/1.1 answer: its status, its body (by length, chunked,
// or to the connection's end) and whether the connection stays open.
func (p *poster) read() (answer, error) {
	var a answer
	line, err := p.br.ReadSlice('\n')
	if err != nil {
		return a, err
	}
	// "HTTP/1.1 201 Created"
	line = bytes.TrimRight(line, "\r\n")
	proto, rest, _ := bytes.Cut(line, []byte(" "))
	code, _, _ := bytes.Cut(rest, []byte(" "))
	if !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(code) != 3 {
		return a, fmt.Errorf("%w: status line %q", errAnswer, line)
	}
	if a.status, err = strconv.Atoi(string(code)); err != nil {
		return a, fmt.Errorf("%w: status line %q", errAnswer, line)
	}
	a.close = string(proto) == "HTTP/1.0"
	length, chunked := -1, false
	for {
		line, err := p.br.ReadSlice('\n')
		if err != nil {
			return a, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return a, fmt.Errorf("%w: header %q", errAnswer, line)
		}
		val = bytes.TrimSpace(val)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			n, err := strconv.Atoi(string(val))
			if err != nil || n < 0 {
				return a, fmt.Errorf("%w: Content-Length %q", errAnswer, val)
			}
			length = n
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(val, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			a.close = bytes.EqualFold(val, []byte("close"))
		}
	}
	switch {
	case a.status/100 == 1 || a.status == http.StatusNoContent || a.status == http.StatusNotModified:
		a.body = p.body[:0]
	case chunked:
		if a.body, err = readMost(p.body[:0], httputil.NewChunkedReader(p.br)); err == nil {
			err = p.skipTrailer()
		}
	case length >= 0:
		if length > maxAnswer {
			return a, fmt.Errorf("%w: an answer of %d bytes", errAnswer, length)
		}
		if cap(p.body) < length {
			p.body = make([]byte, length)
		}
		a.body = p.body[:length]
		_, err = io.ReadFull(p.br, a.body)
	default: // the body runs to the end of the connection
		a.close = true
		a.body, err = readMost(p.body[:0], p.br)
	}
	if cap(a.body) > cap(p.body) {
		p.body = a.body[:0]
	}
	return a, err
}

// skipTrailer reads past a chunked body's trailer, up to its empty line.
func (p *poster) skipTrailer() error {
	for {
		line, err := p.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return nil
		}
	}
}

// readMost appends r to buf, refusing more than maxAnswer bytes.
func readMost(buf []byte, r io.Reader) ([]byte, error) {
	b := bytes.NewBuffer(buf)
	if _, err := b.ReadFrom(io.LimitReader(r, maxAnswer+1)); err != nil {
		return nil, err
	}
	if b.Len() > maxAnswer {
		return nil, fmt.Errorf("%w: an answer over %d bytes", errAnswer, maxAnswer)
	}
	return b.Bytes(), nil
}

func (p *poster) dial(ctx context.Context) error {
	if p.conn != nil {
		return nil
	}
	u := p.r.base
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), map[bool]string{true: "443", false: "80"}[u.Scheme == "https"])
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	var c net.Conn
	var err error
	if u.Scheme == "https" {
		c, err = (&tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: u.Hostname()}}).DialContext(ctx, "tcp", addr)
	} else {
		c, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	p.conn, p.br = c, bufio.NewReaderSize(c, 4096)
	return nil
}

func (p *poster) close() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

// baseURL is the server's address as parsed once: the host, and a path
// prefix when Parley is served under one (no trailing slash).
func baseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

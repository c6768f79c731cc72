// Package mailtest runs a real SMTP server in the test process
// (github.com/emersion/go-smtp) that keeps what it receives, can refuse
// recipients, and can be stopped and started again on the same port to
// play a mail server that is down. Import it only from _test.go files.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"github.com/emersion/go-sasl"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Received is one message as the server got it.
type Received struct {
	From string   // envelope sender (MAIL FROM)
	To   []string // envelope recipients (RCPT TO)
	Data []byte   // the message as sent (headers and body)
	User string   // the user name the client logged in with, "" without AUTH
}

// Server is a running in-process SMTP server.
type Server struct {
	t    testing.TB
	host string
	port int

	mu       sync.Mutex
	srv      *smtp.Server
	l        net.Listener
	got      []Received
	arrived  chan struct{}
	rejectTo func(rcpt string) error
	tls      *tls.Config // set by StartTLS: STARTTLS offered, or implicit TLS
	implicit bool
}

// Start runs a server on a free local port, stopped at cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, host: "127.0.0.1", arrived: make(chan struct{}, 1)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf(`mailtest: listen: %v`, err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

// StartTLS runs a server with a certificate for 127.0.0.1 made for the
// test: it offers STARTTLS, or with implicit speaks TLS from the first byte
// (port 465 style). The returned file holds the certificate in PEM, for a
// client to trust (SSL_CERT_FILE).
func StartTLS(t testing.TB, implicit bool) (*Server, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "mailtest.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, host: "127.0.0.1", arrived: make(chan struct{}, 1), implicit: implicit,
		tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf(`mailtest: listen: %v`, err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	s.serve(l)
	t.Cleanup(s.Stop)
	return s, file
}

// Host and Port are where the server listens.
func (s *Server) Host() string { return s.host }

// Port is the server's TCP port, the same across Stop and Restart.
func (s *Server) Port() int { return s.port }

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "mailtest.local"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = true
	if s.tls != nil {
		srv.TLSConfig = s.tls
		if s.implicit {
			l = tls.NewListener(l, s.tls)
		}
	}
	s.mu.Lock()
	s.srv, s.l = srv, l
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// Stop closes the server: connections are refused until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, l := s.srv, s.l
	s.srv, s.l = nil, nil
	s.mu.Unlock()
	// Close the listener too: Serve may not have taken it yet, and then
	// the server's Close would not know it.
	if l != nil {
		_ = l.Close()
	}
	if srv != nil {
		_ = srv.Close()
	}
}

// Restart listens again on the same port after Stop.
func (s *Server) Restart() {
	s.t.Helper()
	var l net.Listener
	var err error
	// The port was just released; the kernel may take a moment to let it go.
	for range 100 {
		if l, err = net.Listen("tcp", s.Addr()); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf(`mailtest: listen again on %s: %v`, s.Addr(), err)
	}
	s.serve(l)
}

// RejectRecipients makes RCPT TO answer with the error fn returns (nil
// accepts); an *smtp.SMTPError sets the code, as in Permanent.
func (s *Server) RejectRecipients(fn func(rcpt string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectTo = fn
}

// Permanent is a 550 "no such user" answer for RejectRecipients.
func Permanent(rcpt string) error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user: " + rcpt}
}

// Messages returns what was received so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// Wait returns the first n messages once they have arrived, failing the
// test if they do not within a deadline far beyond what sending needs.
func (s *Server) Wait(n int) []Received {
	s.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if got := s.Messages(); len(got) >= n {
			return got[:n]
		}
		select {
		case <-s.arrived:
		case <-deadline:
			s.t.Fatalf(`mailtest: %d messages received, want %d`, len(s.Messages()), n)
		}
	}
}

type session struct {
	s    *Server
	user string // logged in with AUTH
	from string
	to   []string
}

// AuthMechanisms and Auth take SMTP AUTH PLAIN with any credentials and
// keep the user name, so a test can check that the client logged in.
func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, _ string) error {
		x.user = user
		return nil
	}), nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	reject := x.s.rejectTo
	x.s.mu.Unlock()
	if reject != nil {
		if err := reject(to); err != nil {
			return err
		}
	}
	x.to = append(x.to, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.got = append(x.s.got, Received{From: x.from, To: x.to, Data: b, User: x.user})
	x.s.mu.Unlock()
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

// Parsed is a received message taken apart: its headers (decoded) and its
// plain-text and HTML parts (decoded from their transfer encoding).
type Parsed struct {
	Header mail.Header
	Text   string
	HTML   string
}

// Get returns a header with RFC 2047 words decoded.
func (p Parsed) Get(name string) string {
	v := p.Header.Get(name)
	if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// Parse takes r apart, failing the test when it is not well-formed MIME.
func (r Received) Parse(t testing.TB) Parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf(`mailtest: read message: %v`, err)
	}
	p := Parsed{Header: m.Header}
	if err := walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, &p); err != nil {
		t.Fatalf(`mailtest: parse MIME: %v`, err)
	}
	return p
}

func walk(contentType, encoding string, body io.Reader, p *Parsed) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, p); err != nil {
				return err
			}
		}
	}
	b, err := decode(encoding, body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		p.Text = string(b)
	case "text/html":
		p.HTML = string(b)
	}
	return nil
}

func decode(encoding string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		return io.ReadAll(newQP(r))
	case "base64":
		return io.ReadAll(newB64(r))
	}
	return io.ReadAll(r)
}

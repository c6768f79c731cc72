package mail

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/app/apptest/mailtest"
)

// TestSendOverTLS sends through a server offering STARTTLS (the default
// security) and one speaking TLS from the first byte, each with a
// certificate the system trusts only through SSL_CERT_FILE, and checks that
// STARTTLS mode refuses a server that cannot encrypt rather than sending in
// the clear. No other test in this package verifies a certificate, so the
// system roots are read here first, with the test's file.
func TestSendOverTLS(t *testing.T) {
	starttls, cert1 := mailtest.StartTLS(t, false)
	implicit, cert2 := mailtest.StartTLS(t, true)
	plain := mailtest.Start(t)
	var pems []byte
	for _, f := range []string{cert1, cert2} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pems = append(pems, b...)
	}
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, pems, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", roots)

	m := &Message{To: []string{"bo@example.com"}, Subject: "Over TLS", Text: "plain", HTML: "<p>html</p>"}
	for _, c := range []struct {
		name string
		srv  *mailtest.Server
		mode string
	}{{"starttls", starttls, "starttls"}, {"implicit tls", implicit, "tls"}} {
		cfg := SMTP{Host: c.srv.Host(), Port: c.srv.Port(), From: "Parley <chat@example.com>", TLS: c.mode,
			Username: "parley", Password: "secret"}
		if _, err := send(context.Background(), cfg, m); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := c.srv.Wait(1)
		if len(got) != 1 || got[0].Parse(t).Get("Subject") != "Over TLS" || got[0].User != "parley" {
			t.Fatalf("%s: received %d mails (logged in as %q)", c.name, len(got), got[0].User)
		}
	}
	cfg := SMTP{Host: plain.Host(), Port: plain.Port(), From: "Parley <chat@example.com>", TLS: "starttls"}
	_, err := send(context.Background(), cfg, m)
	if err == nil || len(plain.Messages()) != 0 {
		t.Fatalf("STARTTLS required but the server cannot encrypt: err %v, %d mails sent in the clear", err, len(plain.Messages()))
	}
	if !strings.Contains(strings.ToLower(err.Error()), "tls") {
		t.Errorf("the error does not say TLS was missing: %v", err)
	}
}

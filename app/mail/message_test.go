package mail

import (
	"context"
	"errors"
	"strings"
	"testing"

	"parley/app/apptest/mailtest"
	"parley/app/model"
	"parley/app/outbox"
)

func TestValidateRefusesBadMail(t *testing.T) {
	ok := Message{To: []string{"bo@example.com"}, Subject: "Hello", Text: "t", HTML: "h"}
	tests := []struct {
		name  string
		edit  func(*Message)
		field string
	}{
		{"valid", func(*Message) {}, ""},
		{"no recipient", func(m *Message) { m.To = nil }, "to"},
		{"invalid recipient", func(m *Message) { m.To = []string{"not an address"} }, "to"},
		{"two recipients in one", func(m *Message) { m.To = []string{"a@example.com, b@example.com"} }, "to"},
		{"named recipient", func(m *Message) { m.To = []string{"Bo <bo@example.com>"} }, "to"},
		{"injection in recipient", func(m *Message) { m.To = []string{"bo@example.com\r\nBcc: eve@example.com"} }, "to"},
		{"injection in reply-to", func(m *Message) { m.ReplyTo = "bo@example.com\nBcc: eve@example.com" }, "reply_to"},
		{"invalid reply-to", func(m *Message) { m.ReplyTo = "bo@" }, "reply_to"},
		{"injection in subject", func(m *Message) { m.Subject = "Hi\r\nBcc: eve@example.com" }, "subject"},
		{"empty subject", func(m *Message) { m.Subject = " " }, "subject"},
		{"long subject", func(m *Message) { m.Subject = strings.Repeat("é", MaxSubject+1) }, "subject"},
		{"longest subject", func(m *Message) { m.Subject = strings.Repeat("é", MaxSubject) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			m.To = append([]string(nil), ok.To...)
			tt.edit(&m)
			err := m.Validate()
			var fe *model.FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf(`refused: %v`, err)
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
				t.Fatalf(`got %v, want a field error on %s`, err, tt.field)
			}
		})
	}
}

func TestPagesEscapeWhatVisitorsWrite(t *testing.T) {
	p := &page{Lang: "en", Title: "T", Quote: `<script>alert("x")</script>`,
		Lines:  []line{{Time: "12:00", Author: "<b>Eve</b>", Body: "a & b"}},
		Button: button{Label: "Open", URL: "javascript:alert(1)"}}
	h, err := p.html()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<b>Eve", `href="javascript:`} {
		if strings.Contains(h, bad) {
			t.Fatalf(`HTML part holds %q unescaped:\n%s`, bad, h)
		}
	}
	if !strings.Contains(h, "&lt;script&gt;") || !strings.Contains(p.text(), `> <script>alert("x")</script>`) {
		t.Fatalf(`quote missing from a part`)
	}
}

// A mail sent through a real SMTP server arrives with From as configured,
// Message-ID and Date, both parts; a 5xx refusal is permanent, a server
// that is down is not.
func TestSendThroughSMTP(t *testing.T) {
	srv := mailtest.Start(t)
	c := SMTP{Host: srv.Host(), Port: srv.Port(), From: "Parley <chat@example.com>", TLS: "none"}
	m := &Message{To: []string{"bo@example.com"}, ReplyTo: "ann@example.com", Subject: "Ünïcode subject", Text: "plain ü", HTML: "<p>html ü</p>"}
	answer, err := send(context.Background(), c, m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer, "queued") {
		t.Fatalf(`server answer %q, want the server's "OK: queued"`, answer)
	}
	got := srv.Wait(1)[0]
	p := got.Parse(t)
	if got.From != "chat@example.com" || len(got.To) != 1 || got.To[0] != "bo@example.com" {
		t.Fatalf(`envelope %s → %v`, got.From, got.To)
	}
	if p.Get("From") != `"Parley" <chat@example.com>` && p.Get("From") != "Parley <chat@example.com>" {
		t.Fatalf(`From %q`, p.Get("From"))
	}
	if p.Get("Subject") != "Ünïcode subject" || p.Get("Reply-To") != "<ann@example.com>" && p.Get("Reply-To") != "ann@example.com" {
		t.Fatalf(`Subject %q, Reply-To %q`, p.Get("Subject"), p.Get("Reply-To"))
	}
	if !strings.HasSuffix(p.Get("Message-Id"), "@example.com>") || p.Get("Date") == "" {
		t.Fatalf(`Message-ID %q, Date %q`, p.Get("Message-Id"), p.Get("Date"))
	}
	if strings.TrimSpace(p.Text) != "plain ü" || strings.TrimSpace(p.HTML) != "<p>html ü</p>" {
		t.Fatalf(`parts: %q / %q`, p.Text, p.HTML)
	}

	srv.RejectRecipients(mailtest.Permanent)
	_, err = send(context.Background(), c, m)
	if err == nil || !outbox.IsPermanent(classify(err)) {
		t.Fatalf(`550 answer: %v, want a permanent failure`, err)
	}
	srv.RejectRecipients(nil)
	srv.Stop()
	_, err = send(context.Background(), c, m)
	if err == nil || outbox.IsPermanent(classify(err)) {
		t.Fatalf(`server down: %v, want a failure to retry`, err)
	}
	if _, err := send(context.Background(), SMTP{}, m); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf(`no host: %v`, err)
	}
}

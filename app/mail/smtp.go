package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"parley/app/config"
	"parley/app/model"
	"parley/app/outbox"
	"parley/app/settings"
)

// SMTP is the effective mail server configuration: the file's and the
// environment's values, overridden by what an admin saved in
// Configuration ▸ Mail.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string // starttls | tls | none
}

// The settings keys an admin may override, named as in the configuration.
const (
	keyHost     = "smtp.host"
	keyPort     = "smtp.port"
	keyUsername = "smtp.username"
	keyPassword = "smtp.password"
	keyFrom     = "smtp.from"
	keyTLS      = "smtp.tls"
)

func effective(def config.SMTP, o settings.Snapshot) SMTP {
	return SMTP{
		Host:     o.String(keyHost, def.Host),
		Port:     o.Int(keyPort, def.Port),
		Username: o.String(keyUsername, def.Username),
		Password: o.String(keyPassword, def.Password),
		From:     o.String(keyFrom, def.From),
		TLS:      o.String(keyTLS, def.TLS),
	}
}

// ErrNotConfigured is the answer while no SMTP host is set: mail waits in
// the outbox.
var ErrNotConfigured = errors.New("no SMTP server is configured (Configuration ▸ Mail); the mail waits in the outbox")

// dialTimeout bounds connecting and each SMTP exchange.
const dialTimeout = 20 * time.Second

// send hands m to the server c describes and returns the server's answer
// to the message (such as "2.0.0 Ok: queued as 4F2A").
func send(ctx context.Context, c SMTP, m *Message) (string, error) {
	if c.Host == "" {
		return "", ErrNotConfigured
	}
	opts := []gomail.Option{gomail.WithPort(c.Port), gomail.WithTimeout(dialTimeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12})}
	switch c.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.Username != "" {
		auth := gomail.SMTPAuthPlain
		if c.TLS == "none" {
			// The admin chose a plain connection; PLAIN would refuse to
			// send the password over it otherwise.
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	client, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return "", fmt.Errorf("mail: %w", err)
	}
	msg, err := build(c, m)
	if err != nil {
		return "", err
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return "", err
	}
	return msg.ServerResponse(), nil
}

// build turns m into go-mail's message: From as configured, Message-ID and
// Date set, the plain-text part first and the HTML alternative after it.
func build(c SMTP, m *Message) (*gomail.Msg, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg()
	if err := msg.From(c.From); err != nil {
		return nil, fmt.Errorf("mail: from %q: %w", c.From, err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("mail: to: %w", err)
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, fmt.Errorf("mail: reply-to: %w", err)
		}
	}
	msg.Subject(m.Subject)
	id := m.MessageID
	if id == "" {
		id = newMessageID(c.From)
	}
	msg.SetMessageIDWithValue(id)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// newMessageID makes a unique id on the sender's domain.
func newMessageID(from string) string {
	domain := "parley.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			domain = d
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) + "@" + domain
}

// classify tells the outbox what a failure means: the server refused this
// mail for good (5xx) or the mail itself is invalid → give up; anything
// else (down, 4xx, timeout) → try again later.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrNotConfigured) {
		return outbox.Wait(err)
	}
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return outbox.Permanent(fmt.Errorf("invalid mail: %s", fe.Text()))
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 500 && code < 600 {
			return outbox.Permanent(err)
		}
	}
	return err
}

// checkSMTP validates what an admin enters for the server.
func checkSMTP(c SMTP) error {
	if strings.ContainsAny(c.Host, " \t\r\n/") || len(c.Host) > 253 {
		return &model.FieldError{Field: "host", Message: "Enter a host name such as smtp.example.com, without a scheme or spaces."}
	}
	if c.Port < 1 || c.Port > 65535 {
		return &model.FieldError{Field: "port", Message: "The port must be a number between 1 and 65535."}
	}
	switch c.TLS {
	case "starttls", "tls", "none":
	default:
		return &model.FieldError{Field: "tls", Message: "The security must be STARTTLS, TLS or none."}
	}
	if strings.ContainsAny(c.Username+c.Password, "\r\n") {
		return &model.FieldError{Field: "username", Message: "A mail header must not contain line breaks."}
	}
	if c.From != "" {
		// The sender may carry a name: "Parley <noreply@example.com>".
		if a, err := mail.ParseAddress(c.From); strings.ContainsAny(c.From, "\r\n") || err != nil || !strings.Contains(a.Address, "@") {
			return &model.FieldError{Field: "from", Message: "%q is not a valid email address.", Args: []any{c.From}}
		}
	}
	if c.Host != "" && c.From == "" {
		return &model.FieldError{Field: "from", Message: "Enter the sender address: a mail server needs one."}
	}
	return nil
}

func hostPort(c SMTP) string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

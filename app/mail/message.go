package mail

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"parley/app/model"
)

// Message is a mail ready to send, as the outbox keeps it: composed in the
// recipient's language when it was caused, so a retry sends the same mail.
type Message struct {
	To        []string `json:"to"`
	ReplyTo   string   `json:"reply_to,omitempty"`
	Subject   string   `json:"subject"`
	Text      string   `json:"text"`
	HTML      string   `json:"html"`
	MessageID string   `json:"message_id"` // kept across retries, so a mail sent twice reads as one
}

// MaxSubject is the longest subject, in characters: far below the 998
// bytes a header line may hold, and more than any mail client shows.
const MaxSubject = 200

// Validate refuses what must not become a mail: no recipient, an invalid
// address, a line break in a header (header injection), a missing or
// over-long subject.
func (m *Message) Validate() error {
	if len(m.To) == 0 {
		return &model.FieldError{Field: "to", Message: "A mail needs at least one recipient."}
	}
	for _, a := range m.To {
		if err := CheckAddress("to", a); err != nil {
			return err
		}
	}
	if m.ReplyTo != "" {
		if err := CheckAddress("reply_to", m.ReplyTo); err != nil {
			return err
		}
	}
	return CheckSubject(m.Subject)
}

// CheckSubject refuses an empty subject, one with a line break and one
// over MaxSubject characters.
func CheckSubject(s string) error {
	switch {
	case strings.ContainsAny(s, "\r\n"):
		return &model.FieldError{Field: "subject", Message: "A mail header must not contain line breaks."}
	case strings.TrimSpace(s) == "":
		return &model.FieldError{Field: "subject", Message: "A mail needs a subject."}
	case utf8.RuneCountInString(s) > MaxSubject:
		return &model.FieldError{Field: "subject", Message: "The subject must be at most %d characters.", Args: []any{MaxSubject}}
	}
	return nil
}

// maxAddress is the longest address RFC 5321 lets through (path limit).
const maxAddress = 254

// CheckAddress refuses a value for header field that is not one plain
// email address: line breaks (header injection) first, then what net/mail
// cannot parse, then names and lists ("A <a@x>, b@y"), which the forms do
// not ask for.
func CheckAddress(field, addr string) error {
	if strings.ContainsAny(addr, "\r\n") {
		return &model.FieldError{Field: field, Message: "A mail header must not contain line breaks."}
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != strings.TrimSpace(addr) || !strings.Contains(a.Address, "@") || len(a.Address) > maxAddress {
		return &model.FieldError{Field: field, Message: "%q is not a valid email address.", Args: []any{addr}}
	}
	return nil
}

// NormalizeAddress trims addr and checks it with CheckAddress.
func NormalizeAddress(field, addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", &model.FieldError{Field: field, Message: "Enter an email address."}
	}
	if err := CheckAddress(field, addr); err != nil {
		return "", err
	}
	return addr, nil
}

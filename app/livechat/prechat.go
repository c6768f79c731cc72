package livechat

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"parley/app/auth"
	"parley/app/model"
)

// Pre-chat form limits: a phone number has at least a short local number's
// digits and at most E.164's 15 plus room for spaces and a prefix.
const (
	minPhoneDigits = 6
	maxPhoneDigits = 15
	maxPhoneLen    = 30
	maxPrivacyURL  = 2000
)

// normalizePrechat checks a channel's pre-chat form before it is saved.
func normalizePrechat(p *model.PrechatForm) error {
	for _, f := range []struct {
		field string
		mode  model.FieldMode
	}{{"prechat_name", p.Name}, {"prechat_email", p.Email}, {"prechat_phone", p.Phone}} {
		switch f.mode {
		case model.FieldOff, model.FieldOptional, model.FieldRequired:
		default:
			return fieldErr(f.field, "%q is not a choice; a field is off, optional or required.", string(f.mode))
		}
	}
	p.PrivacyURL = strings.TrimSpace(p.PrivacyURL)
	if p.PrivacyURL != "" {
		u, err := url.Parse(p.PrivacyURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(p.PrivacyURL) > maxPrivacyURL {
			return fieldErr("prechat_privacy_url", "The privacy page must be a web address starting with http:// or https://.")
		}
	}
	if p.Consent && p.PrivacyURL == "" {
		return fieldErr("prechat_privacy_url", "Give the address of the privacy page the consent box links to.")
	}
	return nil
}

// PrechatAnswers are what a visitor filled in before their first message.
type PrechatAnswers struct {
	Name, Email, Phone string
	Consent            bool
}

// checkPrechat validates a visitor's answers against the channel's form and
// returns them cleaned: a missing required field, a malformed email or
// phone, or consent not given is an error naming the field. A field the
// form does not ask for may still come from the host page
// (Parley.setVisitor); a malformed one is dropped there, as before forms.
func checkPrechat(form model.PrechatForm, a PrechatAnswers) (PrechatAnswers, error) {
	a.Name = CleanText(a.Name)
	a.Email = strings.TrimSpace(a.Email)
	a.Phone = strings.TrimSpace(a.Phone)
	switch {
	case a.Name == "" && form.Name == model.FieldRequired:
		return a, fieldErr("visitor_name", "Please enter your name.")
	case a.Email == "" && form.Email == model.FieldRequired:
		return a, fieldErr("visitor_email", "Please enter your email address.")
	case a.Phone == "" && form.Phone == model.FieldRequired:
		return a, fieldErr("visitor_phone", "Please enter your phone number.")
	case form.Consent && !a.Consent:
		return a, fieldErr("consent", "Please accept the privacy policy to start the chat.")
	}
	if utf8.RuneCountInString(a.Name) > maxNameLen {
		if form.Name != model.FieldOff {
			return a, fieldErr("visitor_name", "Your name must be at most %d characters.", maxNameLen)
		}
		a.Name = ""
	}
	if a.Email != "" {
		e, err := auth.NormalizeEmail(a.Email)
		if err != nil && form.Email != model.FieldOff {
			return a, fieldErr("visitor_email", "This is not a valid email address.")
		}
		a.Email = e // "" when malformed
	}
	if a.Phone != "" {
		p, ok := normalizePhone(a.Phone)
		if !ok && form.Phone != model.FieldOff {
			return a, fieldErr("visitor_phone", "A phone number has %d to %d digits; it may start with + and contain spaces, dots, dashes and brackets.", minPhoneDigits, maxPhoneDigits)
		}
		if !ok {
			p = ""
		}
		a.Phone = p
	}
	return a, nil
}

// normalizePhone accepts what people type as a phone number ("+34 600
// 12-34-56", "(555) 123.4567") and collapses its spacing; the digits are
// what is counted.
func normalizePhone(s string) (string, bool) {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxPhoneLen {
		return "", false
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/':
		case unicode.IsSpace(r):
		default:
			return "", false
		}
	}
	return s, digits >= minPhoneDigits && digits <= maxPhoneDigits
}

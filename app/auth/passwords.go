package auth

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Password rules: long enough, not one of the passwords attackers try
// first, not the user's own email or name. bcrypt reads only 72 bytes,
// so longer passwords would be silently truncated: refuse them instead.
const (
	MinPasswordLen   = 10
	MaxPasswordBytes = 72
)

//go:embed passwords/common.txt
var commonPasswordsText string

// commonPasswords is the embedded list, lower-cased, loaded on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := map[string]struct{}{}
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "# ") {
			set[line] = struct{}{}
		}
	}
	return set
})

// squash lower-cases s and drops spaces and punctuation, so "Ada Lovelace"
// and "ada.lovelace" compare equal.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// ValidatePassword checks pw against the rules for the user with this
// email and name (either may be empty when unknown).
func ValidatePassword(pw, email, name string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return &FieldError{Field: "password", Message: "The password must have at least %d characters.", Args: []any{MinPasswordLen}}
	}
	if len(pw) > MaxPasswordBytes {
		return &FieldError{Field: "password", Message: "The password must be at most %d bytes long.", Args: []any{MaxPasswordBytes}}
	}
	if _, common := commonPasswords()[strings.ToLower(pw)]; common {
		return &FieldError{Field: "password", Message: "This password is one of the most common ones, which attackers try first. Choose another."}
	}
	p := squash(pw)
	local, _, _ := strings.Cut(email, "@")
	own := []string{squash(email), squash(local), squash(name)}
	for _, w := range strings.Fields(name) {
		own = append(own, squash(w))
	}
	for _, own := range own {
		if len(own) >= 4 && strings.Contains(p, own) {
			return &FieldError{Field: "password", Message: "The password must not contain your email address or name."}
		}
	}
	if distinct(p) < 4 {
		return &FieldError{Field: "password", Message: "The password repeats too few different characters. Choose a longer phrase."}
	}
	return nil
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

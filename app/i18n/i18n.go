// Package i18n translates user-visible text. Source strings are English and
// double as keys, so a missing translation shows the English text; adding a
// language means adding a catalog, never touching templates or handlers.
package i18n

import (
	"fmt"
	"strings"
)

// Catalog maps English source text to its translation.
type Catalog map[string]string

// Bundle holds the catalogs of every supported language.
type Bundle struct {
	catalogs map[string]Catalog
	en       *Localizer
}

// New returns a bundle with English plus the given catalogs, keyed by
// lower-case language tag ("es", "fr").
func New(catalogs map[string]Catalog) *Bundle {
	b := &Bundle{catalogs: map[string]Catalog{}}
	for lang, c := range catalogs {
		b.catalogs[strings.ToLower(lang)] = c
	}
	b.en = &Localizer{lang: "en"}
	return b
}

// Languages lists the supported language tags, English first.
func (b *Bundle) Languages() []string {
	out := []string{"en"}
	for l := range b.catalogs {
		out = append(out, l)
	}
	return out
}

// English returns the source-language localizer.
func (b *Bundle) English() *Localizer { return b.en }

// Match picks the best localizer for an Accept-Language header value.
func (b *Bundle) Match(acceptLanguage string) *Localizer {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				q = 0
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if base == "" || q <= bestQ {
			continue
		}
		if base == "en" {
			best, bestQ = "en", q
		} else if _, ok := b.catalogs[base]; ok {
			best, bestQ = base, q
		}
	}
	if c, ok := b.catalogs[best]; ok {
		return &Localizer{lang: best, cat: c}
	}
	return b.en
}

// Localizer translates into one language.
type Localizer struct {
	lang string
	cat  Catalog
}

// Lang is the language tag, for <html lang>.
func (l *Localizer) Lang() string { return l.lang }

// T translates msg and, with args, formats it like fmt.Sprintf.
func (l *Localizer) T(msg string, args ...any) string {
	if t, ok := l.cat[msg]; ok && t != "" {
		msg = t
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// N picks the singular or plural form by n, then translates and formats
// with n as the first argument.
func (l *Localizer) N(n int, singular, plural string, args ...any) string {
	msg := plural
	if n == 1 {
		msg = singular
	}
	return l.T(msg, append([]any{n}, args...)...)
}

// Package i18n translates user-visible text. Source strings are English and
// double as keys, so a missing translation shows the English text; adding a
// language means adding a catalogue file (locales/<tag>.json), never touching
// templates or handlers.
//
// A catalogue maps each English source string to its translation. An entry
// used with N (a count) may instead hold the CLDR plural forms of the
// language, keyed by category: {"one": "%d sesión", "other": "%d sesiones"}.
// Formatting is fmt's, so "%s" and "%d" mean what they mean in Go.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

//go:embed locales
var locales embed.FS

// Catalog maps English source text to its translation.
type Catalog map[string]string

// entry is one translation: a plain text, or plural forms by CLDR category.
type entry struct {
	text  string
	forms map[plural.Form]string
}

// UnmarshalJSON reads a string or an object of plural forms.
func (e *entry) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &e.text); err == nil {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("want a string or an object of plural forms: %w", err)
	}
	e.forms = map[plural.Form]string{}
	for k, v := range m {
		f, ok := pluralForms[k]
		if !ok {
			return fmt.Errorf("unknown plural category %q (want zero, one, two, few, many or other)", k)
		}
		e.forms[f] = v
	}
	if e.forms[plural.Other] == "" {
		return fmt.Errorf(`plural forms need "other"`)
	}
	return nil
}

var pluralForms = map[string]plural.Form{"zero": plural.Zero, "one": plural.One, "two": plural.Two,
	"few": plural.Few, "many": plural.Many, "other": plural.Other}

// Bundle holds the catalogues of every supported language.
type Bundle struct {
	tags     []language.Tag // English first
	matcher  language.Matcher
	locs     map[string]*Localizer
	en       *Localizer
	catalogs map[string]map[string]entry
	// fallback answers when nothing the reader says decides (no browser
	// language Parley speaks): English unless an admin chose another.
	fallback atomic.Pointer[Localizer]
	// matched remembers Match's answers by header (at most maxMatched).
	matched  sync.Map
	nMatched atomic.Int64
}

// Load reads every catalogue built into the binary.
func Load() (*Bundle, error) { return LoadFS(locales, "locales") }

// LoadFS reads the catalogues in dir of fsys: a language is one file,
// <tag>.json, and may be split into parts, <tag>/<part>.json (one part per
// feature area keeps parallel work out of each other's lines); a text may
// be translated in only one of them. en.json, if present, may only be
// empty since English is the source.
func LoadFS(fsys fs.FS, dir string) (*Bundle, error) {
	files, err := catalogueFiles(fsys, dir)
	if err != nil {
		return nil, err
	}
	cats := map[string]map[string]entry{}
	for _, f := range files {
		tag := f.tag
		if _, err := language.Parse(tag); err != nil {
			return nil, fmt.Errorf("i18n: %s: the name is not a language tag: %w", f.path, err)
		}
		b, err := fs.ReadFile(fsys, f.path)
		if err != nil {
			return nil, err
		}
		c := map[string]entry{}
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", f.path, err)
		}
		if cats[tag] == nil {
			cats[tag] = map[string]entry{}
		}
		for k, v := range c {
			if _, dup := cats[tag][k]; dup {
				return nil, fmt.Errorf("i18n: %s: %q is translated in another %s file too", f.path, k, tag)
			}
			cats[tag][k] = v
		}
	}
	return build(cats), nil
}

type catalogueFile struct{ tag, path string }

// catalogueFiles lists <tag>.json and <tag>/*.json under dir.
func catalogueFiles(fsys fs.FS, dir string) ([]catalogueFile, error) {
	var out []catalogueFile
	whole, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range whole {
		out = append(out, catalogueFile{strings.TrimSuffix(path.Base(f), ".json"), f})
	}
	parts, err := fs.Glob(fsys, path.Join(dir, "*", "*.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range parts {
		out = append(out, catalogueFile{path.Base(path.Dir(f)), f})
	}
	return out, nil
}

// New returns a bundle with English plus the given catalogues, keyed by
// language tag ("es", "fr"); for tests.
func New(catalogs map[string]Catalog) *Bundle {
	cats := map[string]map[string]entry{}
	for lang, c := range catalogs {
		m := map[string]entry{}
		for k, v := range c {
			m[k] = entry{text: v}
		}
		cats[lang] = m
	}
	return build(cats)
}

func build(cats map[string]map[string]entry) *Bundle {
	b := &Bundle{locs: map[string]*Localizer{}, catalogs: cats}
	b.en = &Localizer{tag: language.English, lang: "en"}
	b.tags = []language.Tag{language.English}
	b.locs["en"] = b.en
	b.fallback.Store(b.en)
	names := make([]string, 0, len(cats))
	for lang := range cats {
		names = append(names, lang)
	}
	sort.Strings(names)
	for _, lang := range names {
		tag := language.Make(lang)
		if tag == language.English {
			continue // the source language needs no catalogue
		}
		b.tags = append(b.tags, tag)
		b.locs[tag.String()] = &Localizer{tag: tag, lang: tag.String(), cat: cats[lang]}
	}
	b.matcher = language.NewMatcher(b.tags)
	return b
}

// Languages lists the supported language tags, English first.
func (b *Bundle) Languages() []string {
	out := make([]string, len(b.tags))
	for i, t := range b.tags {
		out[i] = t.String()
	}
	return out
}

// LanguageName is a language's name in that language ("English",
// "Español"), for a language picker.
func LanguageName(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	name := display.Self.Name(t)
	if name == "" {
		return tag
	}
	r := []rune(name)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// Keys lists the source strings a language's catalogue translates.
func (b *Bundle) Keys(lang string) (keys []string) {
	for k := range b.catalogs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// English returns the source-language localizer.
func (b *Bundle) English() *Localizer { return b.en }

// Get returns the localizer of a supported language tag, or nil.
func (b *Bundle) Get(lang string) *Localizer {
	if lang == "" {
		return nil
	}
	if l, ok := b.locs[lang]; ok {
		return l // already canonical, as stored with a conversation: no parse
	}
	t, err := language.Parse(lang)
	if err != nil {
		return nil
	}
	return b.locs[t.String()]
}

// SetFallback makes lang the language used when nothing else decides; it
// must be one of Languages.
func (b *Bundle) SetFallback(lang string) error {
	l := b.Get(lang)
	if l == nil {
		return fmt.Errorf("i18n: %q is not a supported language", lang)
	}
	b.fallback.Store(l)
	return nil
}

// Fallback is the language used when nothing else decides.
func (b *Bundle) Fallback() *Localizer { return b.fallback.Load() }

// Match picks the best localizer for an Accept-Language header value; with
// nothing suitable it is the fallback (English unless an admin chose).
func (b *Bundle) Match(acceptLanguage string) *Localizer {
	// Every request asks, and browsers send a handful of distinct
	// headers: remember what they matched instead of parsing each time.
	// A header that matched nothing is remembered as such and answered
	// with the fallback of the moment, which an admin may change. No more
	// than maxMatched headers are kept, nor long ones, whoever sends them.
	if v, ok := b.matched.Load(acceptLanguage); ok {
		if l, _ := v.(*Localizer); l != nil {
			return l
		}
		return b.Fallback()
	}
	var l *Localizer // nil: nothing suitable
	if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
		if _, i, conf := b.matcher.Match(tags...); conf != language.No {
			l = b.locs[b.tags[i].String()]
		}
	}
	if len(acceptLanguage) <= 128 && b.nMatched.Add(1) <= maxMatched {
		b.matched.Store(acceptLanguage, l)
	}
	if l == nil {
		return b.Fallback()
	}
	return l
}

const maxMatched = 1000

// MatchTags picks the best localizer for languages in order of preference
// (a browser's navigator.languages).
func (b *Bundle) MatchTags(tags ...language.Tag) *Localizer {
	_, i, conf := b.matcher.Match(tags...)
	if conf == language.No {
		return b.Fallback()
	}
	return b.locs[b.tags[i].String()]
}

// MatchStrings is MatchTags for tags as text; unparsable ones are skipped.
func (b *Bundle) MatchStrings(langs ...string) *Localizer {
	var tags []language.Tag
	for _, s := range langs {
		if t, err := language.Parse(s); err == nil {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return b.Fallback()
	}
	return b.MatchTags(tags...)
}

// Localizer translates into one language.
type Localizer struct {
	tag  language.Tag
	lang string
	cat  map[string]entry
}

// Lang is the language tag, for <html lang>.
func (l *Localizer) Lang() string { return l.lang }

// T translates msg and, with args, formats it like fmt.Sprintf.
func (l *Localizer) T(msg string, args ...any) string {
	if e, ok := l.cat[msg]; ok {
		if e.text != "" {
			msg = e.text
		} else if e.forms != nil {
			msg = e.forms[plural.Other]
		}
	}
	return l.format(msg, args)
}

func (l *Localizer) format(msg string, args []any) string {
	if len(args) == 0 {
		return msg
	}
	if len(args) == 1 {
		if s, ok := oneInt(msg, args[0]); ok {
			return s
		}
	}
	args = append([]any(nil), args...) // the caller's slice stays as it was
	for i, a := range args {
		if n, ok := a.(Nested); ok {
			f, as := n.I18nFormat()
			args[i] = l.T(f, as...)
		}
	}
	return fmt.Sprintf(msg, args...)
}

// oneInt formats a message whose only verb is one %d of an integer
// without fmt: a visitor's label ("Website Visitor #12") is formatted for
// each chat message, twice, and fmt.Sprintf was 1 % of the server's CPU at
// 5,000 messages a second. ok is false for anything else, which fmt
// formats as before.
func oneInt(msg string, arg any) (s string, ok bool) {
	var n int64
	switch v := arg.(type) {
	case int64:
		n = v
	case int:
		n = int64(v)
	default:
		return "", false
	}
	i := strings.IndexByte(msg, '%')
	if i < 0 || i+1 >= len(msg) || msg[i+1] != 'd' || strings.IndexByte(msg[i+2:], '%') >= 0 {
		return "", false
	}
	var digits [20]byte
	var b strings.Builder
	b.Grow(len(msg) + len(digits))
	b.WriteString(msg[:i])
	b.Write(strconv.AppendInt(digits[:0], n, 10))
	b.WriteString(msg[i+2:])
	return b.String(), true
}

// Nested is an argument that is itself a message to translate, such as a
// field error quoted inside "Rule %d: %s".
type Nested interface {
	I18nFormat() (format string, args []any)
}

// N picks the form for the count n by the language's CLDR plural rules,
// then formats with n as the first argument. singular is the key; plural
// is the English "other" form.
func (l *Localizer) N(n int, singular, pluralMsg string, args ...any) string {
	msg := pluralMsg
	if n == 1 {
		msg = singular
	}
	if e, ok := l.cat[singular]; ok {
		switch {
		case e.forms != nil:
			form := plural.Cardinal.MatchPlural(l.tag, abs(n), 0, 0, 0, 0)
			if t := e.forms[form]; t != "" {
				msg = t
			} else {
				msg = e.forms[plural.Other]
			}
		case e.text != "":
			msg = e.text
		}
		return l.format(msg, append([]any{n}, args...))
	}
	return l.T(msg, append([]any{n}, args...)...)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// decimalComma lists the languages that write 1,5 where English writes
// 1.5 (CLDR's decimal symbol), by base language.
var decimalComma = map[string]bool{"es": true, "fr": true, "de": true, "it": true, "pt": true, "nl": true,
	"ca": true, "da": true, "sv": true, "nb": true, "fi": true, "pl": true, "cs": true, "ru": true, "tr": true}

// Decimal writes v with prec decimals as the language writes numbers.
func (l *Localizer) Decimal(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	base, _ := l.tag.Base()
	if decimalComma[base.String()] {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

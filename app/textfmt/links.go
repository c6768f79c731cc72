// Package textfmt splits the plain text people write into what clients show
// as text and what they show as links. It never produces HTML: the caller
// renders each part, escaped.
package textfmt

import (
	"regexp"
	"strings"
)

// Part is a piece of a plain-text message: text, or a web address to show
// as a link to itself.
type Part struct {
	Text string
	Link bool
}

// linkRe is a link's candidate: http:// or https:// and what follows up to a
// space, a control character, < > or ". chat.js and widget.js use the same
// expression.
var linkRe = regexp.MustCompile(`(?i)https?://[^\x00-\x20\x7f-\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}<>"]*`)

// Links splits s into text and http(s) links by the rule the operator's chat
// and the visitor's widget follow too (assets/testdata/links.json holds the
// cases all three pass): a link starts with http:// or https:// that does not
// follow a letter or digit and runs up to a space, a control character, < >
// or "; the sentence punctuation .,;:!?'" at its end is not part of it, nor
// is a closing ) or ] that no ( or [ inside it opens; something must remain
// after ://. Joined, the parts give s back.
func Links(s string) []Part {
	var out []Part
	last := 0
	for _, m := range linkRe.FindAllStringIndex(s, -1) {
		start, u := m[0], s[m[0]:m[1]]
		for len(u) > 0 && trailing(u) {
			u = u[:len(u)-1]
		}
		if start > 0 && isAlnum(s[start-1]) || strings.Index(u, "://")+3 >= len(u) {
			continue
		}
		if start > last {
			out = append(out, Part{Text: s[last:start]})
		}
		out = append(out, Part{Text: u, Link: true})
		last = start + len(u)
	}
	if last < len(s) {
		out = append(out, Part{Text: s[last:]})
	}
	return out
}

// trailing reports whether the last byte of link u is not part of it.
func trailing(u string) bool {
	switch c := u[len(u)-1]; c {
	case '.', ',', ';', ':', '!', '?', '\'', '"':
		return true
	case ')':
		return strings.Count(u, ")") > strings.Count(u, "(")
	case ']':
		return strings.Count(u, "]") > strings.Count(u, "[")
	}
	return false
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

package model

import "unicode/utf8"

// Clip keeps the first n characters of s. It reads no further than that,
// so clipping a huge string costs no more than clipping a short one.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s // n bytes are at most n characters
	}
	i := 0
	for range n {
		if i >= len(s) {
			return s
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

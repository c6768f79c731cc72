package livechat

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// A message's view is the one JSON value written for every message twice
// over: the answer to its post and the frame to its operator. Through
// encoding/json's reflection that was 6 % of the server's CPU at 5,000
// messages a second; AppendJSON writes the same bytes directly.
// TestMessageViewJSONMatchesEncodingJSON holds the two to the same output,
// field for field, escapes included.

// AppendJSON appends v to b exactly as encoding/json's Marshal writes it.
func (v MessageView) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendInt(b, v.ID)
	b = append(b, `,"session_id":`...)
	b = appendJSONString(b, v.SessionID)
	b = append(b, `,"author":{"kind":`...)
	b = appendJSONString(b, string(v.Author.Kind))
	b = append(b, `,"name":`...)
	b = appendJSONString(b, v.Author.Name)
	b = append(b, `},"body":`...)
	b = appendJSONString(b, v.Body)
	var err error
	if v.Notice != nil {
		// Rare (system lines): the map of arguments is left to encoding/json.
		b = append(b, `,"notice":`...)
		if b, err = appendMarshal(b, v.Notice); err != nil {
			return nil, err
		}
	}
	if v.ClientID != "" {
		b = append(b, `,"client_id":`...)
		b = appendJSONString(b, v.ClientID)
	}
	if v.Internal {
		b = append(b, `,"internal":true`...)
	}
	b = append(b, `,"created_at":"`...)
	if b, err = v.CreatedAt.AppendText(b); err != nil {
		return nil, fmt.Errorf("message %d: created_at: %w", v.ID, err)
	}
	b = append(b, `","step":`...)
	if v.Step == nil {
		b = append(b, "null"...)
	} else if b, err = appendMarshal(b, v.Step); err != nil {
		return nil, err
	}
	b = append(b, `,"attachments":`...)
	if v.Attachments == nil {
		b = append(b, "null"...) // NewMessageView never leaves it nil
	} else if len(v.Attachments) == 0 {
		b = append(b, "[]"...)
	} else if b, err = appendMarshal(b, v.Attachments); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// MarshalJSON makes every other encoding of a message (frames, lists)
// take the same path.
func (v MessageView) MarshalJSON() ([]byte, error) {
	return v.AppendJSON(make([]byte, 0, 256+len(v.Body)))
}

func appendMarshal(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

func appendInt(b []byte, n int64) []byte {
	if n >= 0 && n < 10 {
		return append(b, byte('0'+n))
	}
	var tmp [20]byte
	i := len(tmp)
	u := uint64(n)
	if n < 0 {
		u = uint64(-n)
	}
	for u >= 10 {
		i--
		tmp[i] = byte('0' + u%10)
		u /= 10
	}
	i--
	tmp[i] = byte('0' + u)
	if n < 0 {
		i--
		tmp[i] = '-'
	}
	return append(b, tmp[i:]...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does by default: <, > and &
// escaped for HTML, U+2028 and U+2029 for JavaScript, and invalid UTF-8
// replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

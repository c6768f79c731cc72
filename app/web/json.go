package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"parley/app/livechat"
)

// decodeJSON reads a JSON body into v, refusing unknown fields, field
// names in the wrong case and trailing data, so a typo in a field name is
// an error rather than a silent no-op.
func decodeJSON(c echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return userErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the body as application/json.")
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	if _, err := buf.ReadFrom(c.Request().Body); err != nil {
		if e := bodyReadError(err); e != nil {
			return e
		}
		return userErr(http.StatusBadRequest, "invalid_body", "The request body could not be read completely.")
	}
	body := buf.Bytes()
	if len(bytes.TrimSpace(body)) == 0 {
		return userErr(http.StatusBadRequest, "invalid_json", "The request body is empty; send a JSON object.")
	}
	// json.Unmarshal copies what it keeps (strings, RawMessage), so the
	// buffer goes back to the pool once decoded.
	return strictDecode(body, v)
}

// messageAnswer answers a post with {"message": v}, the bytes c.JSON
// would write, from the view's own encoder: it is the answer to every chat
// message, where encoding/json's reflection was a cost of its own.
func messageAnswer(c echo.Context, status int, v livechat.MessageView) error {
	bp := answerBuffers.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 {
			answerBuffers.Put(bp)
		}
	}()
	b := append((*bp)[:0], `{"message":`...)
	b, err := v.AppendJSON(b)
	if err != nil {
		return fmt.Errorf("message answer: %w", err)
	}
	b = append(b, "}\n"...)
	*bp = b
	// The response copies b before Blob returns, so it can go back.
	return c.JSONBlob(status, b)
}

var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// bodyBuffers hold JSON bodies while they are decoded: every chat message
// is one, and a fresh buffer for each was 5 % of the server's allocations.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBodyBuffer(b *bytes.Buffer) {
	if b.Cap() > 64<<10 {
		return // an upload-sized body is not kept
	}
	b.Reset()
	bodyBuffers.Put(b)
}

// bodyReadError is the answer to a request body that could not be read
// because it was too large (413) or arrived too slowly (408); nil for
// anything else.
func bodyReadError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return tooLarge(mbe.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return userErr(http.StatusRequestTimeout, "request_timeout", "The request took too long to arrive.")
	}
	return nil
}

func tooLarge(limit int64) error {
	return userErr(http.StatusRequestEntityTooLarge, "too_large", "The request is too large: bodies are limited to %d bytes.", limit)
}

// strictDecode decodes one JSON value from data into v. encoding/json
// matches field names case-insensitively even when unknown fields are
// refused, so names are also checked against v's json tags exactly. On an
// error v is to be dropped: it may be partly filled.
func strictDecode(data []byte, v any) error {
	// Unmarshal checks the whole body's syntax before it decodes, so the
	// body is scanned for validity once, not a second time beforehand; a
	// misspelt name still comes before a wrong type, as it reads first.
	err := json.Unmarshal(data, v)
	if err != nil && !json.Valid(data) {
		var first json.RawMessage
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&first); err != nil {
			return userErr(http.StatusBadRequest, "invalid_json", "The body is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return userErr(http.StatusBadRequest, "invalid_json", "The body must hold one JSON value.")
	}
	// The body is one valid value: checkNames refuses every name v does
	// not have, exactly as spelled.
	if err := checkNames(data, reflect.TypeOf(v)); err != nil {
		return err
	}
	if err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Field: ute.Field,
				Msg: "Field %q has the wrong type: want %s.", Args: []any{ute.Field, ute.Type.String()}}
		}
		return userErr(http.StatusBadRequest, "invalid_json", "The body is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checkNames walks the JSON value in data (valid: json.Valid said so)
// along type t and refuses an object key that is not exactly a field name
// of the struct it fills. Type mismatches are left to the decoder, which
// words them better. It reads the bytes itself rather than through
// json.Decoder's tokens, which allocated more than the message they
// checked; a name is built only for an error or a nested value.
func checkNames(data []byte, t reflect.Type) error {
	w := nameWalker{data: data}
	return w.value(t, "")
}

type nameWalker struct {
	data []byte
	i    int
}

func (w *nameWalker) space() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// peek is the next byte after white space, or 0 at the end.
func (w *nameWalker) peek() byte {
	w.space()
	if w.i < len(w.data) {
		return w.data[w.i]
	}
	return 0
}

// str reads a string (w.i at its opening quote) and returns its raw
// bytes, escapes undone only if it has any.
func (w *nameWalker) str() (raw []byte, escaped bool) {
	w.i++
	start := w.i
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case '\\':
			escaped = true
			w.i += 2
			continue
		case '"':
			raw = w.data[start:w.i]
			w.i++
			return raw, escaped
		}
		w.i++
	}
	return w.data[start:], escaped
}

func (w *nameWalker) value(t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		t = nil // decodes itself: any names are its business
	}
	kind := reflect.Invalid
	if t != nil {
		kind = t.Kind()
	}
	switch w.peek() {
	case '{':
		w.i++
		var fields map[string]reflect.Type
		if kind == reflect.Struct {
			fields = structFields(t)
		}
		for w.peek() == '"' {
			raw, escaped := w.str()
			var ft reflect.Type
			var key string
			switch kind {
			case reflect.Struct:
				var ok bool
				if escaped {
					key = unescapeKey(raw)
					ft, ok = fields[key]
				} else {
					ft, ok = fields[string(raw)] // no copy for a look-up
				}
				if !ok {
					if key == "" {
						key = string(raw)
					}
					return unknownField(joinPath(path, key), key, fields)
				}
			case reflect.Map:
				ft = t.Elem()
			}
			if w.peek() == ':' {
				w.i++
			}
			var sub string
			if c := w.peek(); c == '{' || c == '[' {
				if key == "" {
					key = unescapeKey(raw)
				}
				sub = joinPath(path, key)
			}
			if err := w.value(ft, sub); err != nil {
				return err
			}
			if w.peek() == ',' {
				w.i++
			}
		}
		if w.peek() == '}' {
			w.i++
		}
	case '[':
		w.i++
		var et reflect.Type
		if kind == reflect.Slice || kind == reflect.Array {
			et = t.Elem()
		}
		for n := 0; ; n++ {
			c := w.peek()
			if c == ']' || c == 0 {
				break
			}
			var sub string
			if c == '{' || c == '[' {
				sub = path + "[" + strconv.Itoa(n) + "]"
			}
			if err := w.value(et, sub); err != nil {
				return err
			}
			if w.peek() == ',' {
				w.i++
			}
		}
		if w.peek() == ']' {
			w.i++
		}
	case '"':
		w.str()
	default: // a number, true, false or null
		for w.i < len(w.data) {
			switch w.data[w.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return nil
			}
			w.i++
		}
	}
	return nil
}

// unescapeKey is a key's text with its escapes undone (the body is valid
// JSON, so the quoted key is too).
func unescapeKey(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var s string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	if err := json.Unmarshal(q, &s); err != nil {
		return string(raw)
	}
	return s
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func unknownField(name, key string, fields map[string]reflect.Type) error {
	for f := range fields {
		if strings.EqualFold(f, key) {
			return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Field: name,
				Msg: "Unknown field %q: field names are case-sensitive; did you mean %q?", Args: []any{name, f}}
		}
	}
	return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Field: name, Msg: "Unknown field %q.", Args: []any{name}}
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// structFields maps the JSON names of t's fields, as encoding/json names
// them (the json tag, else the Go name; embedded structs' fields promoted),
// to their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := m[name]; !dup {
				m[name] = f.Type
			}
		}
	}
	walk(t)
	fieldCache.Store(t, m)
	return m
}

// idParam parses a numeric path parameter; anything else is a 404.
func idParam(c echo.Context, name string) (int64, error) {
	var id int64
	if _, err := fmt.Sscan(c.Param(name), &id); err != nil || id <= 0 || fmt.Sprint(id) != c.Param(name) {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

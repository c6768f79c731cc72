package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// decodeJSON reads a JSON body into v, refusing unknown fields, field
// names in the wrong case and trailing data, so a typo in a field name is
// an error rather than a silent no-op.
func decodeJSON(c echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return userErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the body as application/json.")
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if e := bodyReadError(err); e != nil {
			return e
		}
		return userErr(http.StatusBadRequest, "invalid_body", "The request body could not be read completely.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return userErr(http.StatusBadRequest, "invalid_json", "The request body is empty; send a JSON object.")
	}
	return strictDecode(body, v)
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
// refused, so names are first checked against v's json tags exactly.
func strictDecode(data []byte, v any) error {
	if !json.Valid(data) {
		var first json.RawMessage
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&first); err != nil {
			return userErr(http.StatusBadRequest, "invalid_json", "The body is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return userErr(http.StatusBadRequest, "invalid_json", "The body must hold one JSON value.")
	}
	// checkNames refuses every name v does not have, exactly as spelled,
	// so what decodes next needs no decoder of its own refusing unknown
	// fields; json.Valid made sure the body is one value.
	if err := checkNames(json.NewDecoder(bytes.NewReader(data)), reflect.TypeOf(v), ""); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
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

// checkNames walks the next JSON value of dec along type t and refuses an
// object key that is not exactly a field name of the struct it fills.
// Type mismatches are left to the decoder, which words them better.
func checkNames(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		t = nil // decodes itself: any names are its business
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	kind := reflect.Invalid
	if t != nil {
		kind = t.Kind()
	}
	switch d {
	case '{':
		var fields map[string]reflect.Type
		if kind == reflect.Struct {
			fields = structFields(t)
		}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key := kt.(string)
			name := key
			if path != "" {
				name = path + "." + key
			}
			var ft reflect.Type
			switch kind {
			case reflect.Struct:
				var ok bool
				if ft, ok = fields[key]; !ok {
					return unknownField(name, key, fields)
				}
			case reflect.Map:
				ft = t.Elem()
			}
			if err := checkNames(dec, ft, name); err != nil {
				return err
			}
		}
	case '[':
		var et reflect.Type
		if kind == reflect.Slice || kind == reflect.Array {
			et = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := checkNames(dec, et, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
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

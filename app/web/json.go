package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// decodeJSON reads a JSON body into v, refusing unknown fields and trailing
// data so a typo in a field name is an error rather than a silent no-op.
func decodeJSON(c echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return userErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the body as application/json.")
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return userErr(http.StatusRequestEntityTooLarge, "too_large", "The request is too large.")
		case errors.Is(err, io.EOF):
			return userErr(http.StatusBadRequest, "invalid_json", "The request body is empty; send a JSON object.")
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return userErr(http.StatusBadRequest, "invalid_json", "Field %q has the wrong type: want %s.", ute.Field, ute.Type.String())
		}
		return userErr(http.StatusBadRequest, "invalid_json", "The body is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return userErr(http.StatusBadRequest, "invalid_json", "The body must hold one JSON value.")
	}
	return nil
}

// idParam parses a numeric path parameter; anything else is a 404.
func idParam(c echo.Context, name string) (int64, error) {
	var id int64
	if _, err := fmt.Sscan(c.Param(name), &id); err != nil || id <= 0 || fmt.Sprint(id) != c.Param(name) {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

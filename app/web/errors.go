package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"parley/app/auth"
	"parley/app/model"
)

// apiError is an error safe to show: its message is English source text
// that the handler translates, and Code is a stable snake_case identifier
// for API clients.
type apiError struct {
	Status int
	Code   string
	Field  string // the input at fault, for validation errors
	Msg    string
	Args   []any
}

func (e *apiError) Error() string { return fmt.Sprintf(e.Msg, e.Args...) }

func userErr(status int, code, msg string, args ...any) error {
	return &apiError{Status: status, Code: code, Msg: msg, Args: args}
}

var codes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestTimeout:        "request_timeout",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusRequestURITooLong:     "uri_too_long",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   "invalid",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusServiceUnavailable:    "unavailable",
	http.StatusInternalServerError:   "internal_error",
}

// toAPIError maps any error to what the user is shown.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "invalid_" + fe.Field, Field: fe.Field, Msg: fe.Message, Args: fe.Args}
	}
	var re *model.Refusal
	if errors.As(err, &re) {
		status := map[model.RefusalKind]int{model.Conflict: http.StatusConflict, model.Forbidden: http.StatusForbidden,
			model.NotFound: http.StatusNotFound, model.Unavailable: http.StatusConflict}[re.Kind]
		return &apiError{Status: status, Code: re.Code, Msg: re.Message, Args: re.Args}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return toAPIError(tooLarge(mbe.Limit))
	}
	var te *auth.ThrottledError
	if errors.As(err, &te) {
		return &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited", Msg: "Too many failed login attempts. Try again in %d minutes.", Args: []any{int(te.RetryAfter.Minutes()) + 1}}
	}
	if errors.Is(err, model.ErrStorage) {
		return &apiError{Status: http.StatusServiceUnavailable, Code: "storage_unavailable", Msg: "The server cannot save anything right now (its disk is full or unavailable). Nothing was saved; try again in a minute."}
	}
	if errors.Is(err, model.ErrNotFound) {
		return &apiError{Status: http.StatusNotFound, Code: "not_found", Msg: "This record does not exist or was deleted."}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		switch he.Code {
		case http.StatusNotFound:
			msg = "This page does not exist."
		case http.StatusMethodNotAllowed:
			msg = "This action is not allowed here."
		case http.StatusRequestEntityTooLarge:
			msg = "The request is too large."
		case http.StatusUnauthorized:
			msg = "Please log in."
		case http.StatusForbidden:
			msg = "You do not have access to this page."
		case http.StatusBadRequest:
			if m, ok := he.Message.(string); ok && m != "" {
				msg = "Bad request: " + m
			}
		}
		code := codes[he.Code]
		if code == "" {
			code = strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		}
		return &apiError{Status: he.Code, Code: code, Msg: msg}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "internal_error", Msg: "Something went wrong on our side. The error was logged; please try again."}
}

// wantsJSON reports whether the client is an API or widget client.
func wantsJSON(c echo.Context) bool {
	p := c.Request().URL.Path
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/admin/api/") {
		return true
	}
	if strings.HasPrefix(p, "/im_livechat/") && !strings.HasPrefix(p, "/im_livechat/support/") &&
		!strings.HasPrefix(p, "/im_livechat/loader/") && !strings.HasPrefix(p, "/im_livechat/external_lib") {
		return true
	}
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "application/json") &&
		!strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html")
}

func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// handleError is the one place errors become responses: an HTML page for
// browsers, a fragment for htmx, JSON for API and widget clients. Only 5xx
// are logged; 4xx are the client's business.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ae := toAPIError(err)
	if ae.Status >= 500 {
		req := c.Request()
		rid := c.Response().Header().Get(requestIDHeader)
		s.log.Error("request failed", slog.String("request_id", rid), slog.Any("error", err), slog.String("client_ip", c.RealIP()),
			slog.Group("request", slog.String("method", req.Method), slog.String("uri", logURI(req.URL, ae.Status))))
	}
	if ae.Status == http.StatusTooManyRequests && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", "60")
	}
	if ae.Code == "storage_unavailable" {
		c.Response().Header().Set("Retry-After", "60")
	}
	l := s.localizer(c)
	msg := l.T(ae.Msg, ae.Args...)
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	switch {
	case wantsJSON(c):
		body := map[string]string{"error": msg, "code": ae.Code}
		if ae.Field != "" {
			body["field"] = ae.Field
		}
		_ = c.JSON(ae.Status, body)
	case isHTMX(c):
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().WriteHeader(ae.Status)
		_ = s.r.fragment(c.Response(), "_error", &Fragment{L: l, Data: msg})
	default:
		p := s.newPage(c, l.T("Error"), "")
		p.BodyClass = "error"
		p.Data = map[string]any{"Status": ae.Status, "Message": msg}
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().WriteHeader(ae.Status)
		if rerr := s.r.page(c.Response(), "error", p); rerr != nil {
			s.log.Error("render error page", slog.Any("error", rerr))
		}
	}
}

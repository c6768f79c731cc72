package web

import (
	"context"
	"crypto/subtle"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// static serves /static/<hash>/<file>. A URL with the current content hash
// is cached for a year as immutable; an old hash still gets the file but
// uncached, so a page rendered before a deploy keeps working.
func (s *Server) static(c echo.Context) error {
	name := path.Clean("/" + c.Param("*"))[1:]
	if name == "" || strings.HasPrefix(name, ".") {
		return echo.ErrNotFound
	}
	b, err := fs.ReadFile(s.d.Assets, "static/"+name)
	if err != nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if c.Param("hash") == s.r.staticHash(name) && !s.d.Dev {
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "no-cache")
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	if compressible(ct) {
		// Outside dev mode the files cannot change, so the name is the key.
		return s.r.packed.send(c, ct, name, b, !s.d.Dev)
	}
	return c.Blob(http.StatusOK, ct, b)
}

// compressible says whether a content type is text that compression shrinks
// (images other than SVG are compressed already).
func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "javascript") || strings.Contains(ct, "json") || strings.HasPrefix(ct, "image/svg")
}

func (s *Server) favicon(c echo.Context) error {
	b, err := fs.ReadFile(s.d.Assets, "static/img/favicon.svg")
	if err != nil {
		return echo.ErrNotFound
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/svg+xml", b)
}

// healthz answers 200 when the application reports healthy, and 503 with
// the reason otherwise (the database does not answer, is damaged, cannot
// write, or the disk is almost full), for Docker and load balancers.
func (s *Server) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.d.Health(ctx); err != nil {
		s.log.Error("healthz: degraded", "error", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "degraded", "error": err.Error(), "version": s.version()})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": s.version()})
}

// metrics serves /metrics on the main address to scrapers that send the
// configured token (metrics.token); without one configured it is a 404.
func (s *Server) metrics(c echo.Context) error {
	want := s.d.Config.Metrics.Token
	if want == "" || s.d.WriteMetrics == nil {
		return echo.ErrNotFound
	}
	got, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="parley metrics"`)
		return userErr(http.StatusUnauthorized, "unauthorized", "Send the metrics token as Authorization: Bearer <token>.")
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	c.Response().WriteHeader(http.StatusOK)
	s.d.WriteMetrics(c.Response())
	return nil
}

package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"parley/app/lru"
	"parley/app/model"
	"parley/app/rating"
)

// The published rating pages (§4): public, no login, cacheable.

type publicIndexData struct {
	Channels []*model.Channel
}

// livechatIndex is /livechat: the channels whose rating page is published.
func (s *Server) livechatIndex(c echo.Context) error {
	if !s.d.Config.Livechat.PublicIndex {
		return echo.ErrNotFound
	}
	list, err := s.d.Ratings.PublishedChannels(c.Request().Context())
	if err != nil {
		return err
	}
	l := s.localizer(c)
	p := s.publicPage(c, l.T("Live chat support channels"))
	p.Data = publicIndexData{Channels: list}
	h := sha256.New()
	for _, ch := range list {
		fmt.Fprintf(h, "%d|%s\n", ch.ID, ch.Name)
	}
	return s.writePublic(c, hex.EncodeToString(h.Sum(nil)[:12]), p, func(w io.Writer) error { return s.r.page(w, "livechat_index", p) })
}

type publicChannelData struct {
	*rating.ChannelPage
	Preview bool
	Faces   []int
}

// livechatChannel is /livechat/channel/<id>: a channel's public rating
// statistics. Unpublished channels are 404 except for admins' preview.
func (s *Server) livechatChannel(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	u := userFrom(c)
	admin := u != nil && u.IsAdmin()
	pg, err := s.d.Ratings.Page(c.Request().Context(), id, admin)
	if err != nil {
		return err
	}
	l := s.localizer(c)
	p := s.publicPage(c, l.T("%s · Customer ratings", pg.Channel.Name))
	p.Data = publicChannelData{ChannelPage: pg, Preview: !pg.Channel.Published, Faces: model.RatingValues}
	version := pg.Version
	if admin {
		version = "" // an admin's view may be a preview: never shared, never kept
	}
	return s.writePublic(c, version, p, func(w io.Writer) error { return s.r.page(w, "livechat_channel", p) })
}

// publicPage is a page for anyone: no user menu, no CSRF token (the page
// is shared by caches), in the reader's language.
func (s *Server) publicPage(c echo.Context, title string) *Page {
	p := s.newPage(c, title, "")
	p.User, p.CSRF, p.AddressInUse, p.BodyClass = nil, "", "", "public"
	return p
}

// publicPages keeps the latest renderings of the public pages, plain and
// gzipped, by ETag: a page is rendered and compressed once per change and
// language, not once per request.
type publicPages struct {
	mu    sync.Mutex
	pages *lru.Map[string, *renderedPage]
}

type renderedPage struct{ plain, gz []byte }

func newPublicPages() *publicPages { return &publicPages{pages: lru.New[string, *renderedPage](256)} }

// writePublic serves a public page. With a version it is cacheable: the
// ETag is the version in the reader's language, a client that has it gets
// 304, and the page is rendered and compressed only when it changed.
// Without a version it is kept nowhere (an admin's preview).
func (s *Server) writePublic(c echo.Context, version string, p *Page, render func(io.Writer) error) error {
	h := c.Response().Header()
	h.Set("Vary", "Accept-Encoding, Accept-Language, Cookie")
	var etag string
	if version == "" {
		h.Set(echo.HeaderCacheControl, "private, no-store")
	} else {
		etag = `"` + version + "-" + p.L.Lang() + `"`
		h.Set("ETag", etag)
		h.Set(echo.HeaderCacheControl, "public, max-age=60")
		if inm := c.Request().Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
			return c.NoContent(http.StatusNotModified)
		}
	}
	pp := s.public
	var page *renderedPage
	if etag != "" && !s.d.Dev {
		pp.mu.Lock()
		page, _ = pp.pages.Get(etag)
		pp.mu.Unlock()
	}
	if page == nil {
		var buf bytes.Buffer
		if err := render(&buf); err != nil {
			return err
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(buf.Bytes())
		if err := zw.Close(); err != nil {
			return err
		}
		page = &renderedPage{plain: buf.Bytes(), gz: gz.Bytes()}
		if etag != "" {
			pp.mu.Lock()
			pp.pages.Put(etag, page)
			pp.mu.Unlock()
		}
	}
	if strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		h.Set(echo.HeaderContentEncoding, "gzip")
		return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, page.gz)
	}
	return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, page.plain)
}

// etagMatch says whether an If-None-Match header names etag (weak or
// strong, in a list, or *).
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

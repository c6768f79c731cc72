package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

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

// writePublic serves a public page. With a version it is cacheable: the
// ETag is the version in the reader's language, and a client that has it
// gets 304 without the page being rendered. Without, it is kept nowhere.
func (s *Server) writePublic(c echo.Context, version string, p *Page, render func(io.Writer) error) error {
	h := c.Response().Header()
	h.Set("Vary", "Accept-Language, Cookie")
	if version == "" {
		h.Set(echo.HeaderCacheControl, "private, no-store")
	} else {
		etag := `"` + version + "-" + p.L.Lang() + `"`
		h.Set("ETag", etag)
		h.Set(echo.HeaderCacheControl, "public, max-age=60")
		if inm := c.Request().Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
			return c.NoContent(http.StatusNotModified)
		}
	}
	buf := getBuf()
	defer putBuf(buf)
	if err := render(buf); err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, buf.Bytes())
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

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { b := bufPool.Get().(*bytes.Buffer); b.Reset(); return b }

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bufPool.Put(b)
	}
}

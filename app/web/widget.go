package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/model"
)

// The embeddable widget follows GoatCounter's count.js pattern: the loader
// at /im_livechat/loader/<channel> keeps a stable URL and is cached for five
// minutes; it points at the bundle /im_livechat/widget.<hash>.js (and .css),
// named by content hash and cached for a year. A deploy reaches every
// customer site within five minutes, and no browser ever runs a stale bundle
// against a newer loader.

// widgetStrings are the widget's UI texts in English. widget.js uses the
// English text as its key (t('...')) and falls back to it, so a text missing
// here still shows, in English; the widget test checks both lists agree.
var widgetStrings = []string{
	"Before we start, please tell us who you are.",
	"Phone",
	"I accept the",
	"privacy policy",
	"Start the chat",
	"Please enter your name.",
	"Please enter your email address.",
	"Please enter your phone number.",
	"This is not a valid email address.",
	"Please accept the privacy policy to start the chat.",
	"All our operators are busy. You are next in line.",
	"All our operators are busy. You are number %d in line.",
	"The conversation was sent.",
	"Thank you for your feedback",
	"Send a copy",
	"Satisfied",
	"Receive a copy of this conversation",
	"Neutral",
	"Explain your note",
	"Dissatisfied",
	"Did we correctly answer your question?",
	"%s is typing…",
	"Attach a file",
	"Cancel",
	"Cannot reach the chat server. Check your connection.",
	"Chat with us",
	"Close",
	"Close conversation",
	"Close this conversation?",
	"Conversation closed. Thank you!",
	"Conversation ended...",
	"Dismiss",
	"Email",
	"End conversation",
	"Have a Question? Chat with us.",
	"Leave us a message and we will answer by email.",
	"Leave us a message and we will get back to you.",
	"Message",
	"Messages",
	"Minimise",
	"Minimise chat",
	"New conversation",
	"Nobody is available right now.",
	"We are closed right now.",
	"We open again on %s.",
	"Not sent.",
	"Notification sound",
	"Online",
	"Please enter a valid email address.",
	"Please write a message.",
	"Powered by Parley",
	"Restart",
	"Retry",
	"Say something...",
	"Select an option above",
	"Send",
	"Send message",
	"Sending…",
	"Something went wrong. Please try again.",
	"Thanks! We will answer by email.",
	"Thanks! Your message was received.",
	"The conversation has ended.",
	"Unread messages: %d",
	"Write a message",
	"You",
	"Your name",
}

const (
	mimeJS  = "application/javascript; charset=utf-8"
	mimeCSS = "text/css; charset=utf-8"

	// loaderMaxAge is how long browsers keep the loader, so how long a
	// deploy takes to reach every visitor.
	loaderMaxAge = "public, max-age=300"
	bundleMaxAge = "public, max-age=31536000, immutable"
)

// widgetBootJS is the loader: it publishes window.ParleyConfig, queues calls
// to window.Parley until the bundle is there, and injects the bundle once
// per page however many loaders the page includes. %[1]s is the config as
// JSON, %[2]s resolves the channel (empty when the URL names it).
const widgetBootJS = `/* Parley live chat loader: a stable URL cached for 5 minutes that loads the content-hashed widget bundle. */
(function (w, d) {
  var c = %[1]s;
  var p = w.ParleyConfig || {};
  if (p.booted) return;%[2]s
  for (var k in p) if (k !== 'strings') c[k] = p[k];
  c.strings = Object.assign(c.strings, p.strings);
  c.booted = 1;
  w.ParleyConfig = c;
  var P = w.Parley = w.Parley || {};
  if (!P.open) {
    P.q = [];
    ['open', 'close', 'on', 'setVisitor'].forEach(function (m) { P[m] = function () { P.q.push([m, arguments]); }; });
  }
  var s = d.createElement('script');
  s.src = c.server + c.bundle;
  s.async = true;
  (d.head || d.documentElement).appendChild(s);
})(window, document);
`

// externalChannelJS reads the channel for external_lib.js: from the script
// tag's data-channel attribute, else from a ParleyConfig.channelId the page
// set. Without either it does nothing, so Odoo's three-line snippet (which
// includes external_lib.js before loader/<id>) boots once, from the loader.
const externalChannelJS = `
  var t = d.currentScript, ch = (t && t.getAttribute('data-channel')) || p.channelId;
  if (!ch) return;
  c.channelId = +ch;`

// externalLibCSS exists for snippets copied from Odoo; the widget's own
// styles live in its Shadow DOM, so this only isolates the host element.
const externalLibCSS = `/* Parley live chat: the widget styles itself inside a Shadow DOM; this file only keeps the host page's CSS off its container. */
#parley-livechat { all: initial; position: fixed; z-index: 2147483000; }
`

// widgetConfig is window.ParleyConfig as the loader sets it.
type widgetConfig struct {
	Server    string            `json:"server"`
	ChannelID int64             `json:"channelId,omitempty"`
	Bundle    string            `json:"bundle"`
	CSS       string            `json:"css"`
	Lang      string            `json:"lang"`
	AutoOpen  bool              `json:"autoOpen,omitempty"`
	Strings   map[string]string `json:"strings"`
}

// widgetFile is one bundle file with its content hash.
type widgetFile struct {
	hash string
	body []byte
}

// widgetAssets serves the widget; it hashes the bundle once at startup, or
// on every request in dev mode so edits show on reload.
type widgetAssets struct {
	s *Server

	mu     sync.Mutex
	files  map[string]widgetFile // "js", "css"
	packed precompressed
}

// widget prepares the widget's handlers; routes() mounts them.
func (s *Server) widget() *widgetAssets {
	w := &widgetAssets{s: s}
	if err := w.load(); err != nil {
		s.log.Error("widget: hash bundle", "error", err)
	}
	return w
}

func (w *widgetAssets) load() error {
	files := map[string]widgetFile{}
	for _, ext := range []string{"js", "css"} {
		b, err := fs.ReadFile(w.s.d.Assets, "widget/widget."+ext)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		files[ext] = widgetFile{hash: hex.EncodeToString(sum[:])[:10], body: b}
	}
	w.mu.Lock()
	w.files = files
	w.mu.Unlock()
	return nil
}

// file returns the current bundle file for ext ("js" or "css").
func (w *widgetAssets) file(ext string) (widgetFile, bool) {
	if w.s.d.Dev {
		if err := w.load(); err != nil {
			w.s.log.Error("widget: hash bundle", "error", err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	f, ok := w.files[ext]
	return f, ok
}

func (w *widgetAssets) url(ext string) string {
	f, _ := w.file(ext)
	return "/im_livechat/widget." + f.hash + "." + ext
}

// channelLocalizer is the language a channel speaks to this visitor: its
// default language when set, else the browser's.
func (s *Server) channelLocalizer(c echo.Context, ch *model.Channel) *i18n.Localizer {
	browser := s.localizer(c)
	if ch == nil {
		return browser
	}
	if l := s.d.I18n.Get(livechat.VisitorLanguage(ch, browser.Lang())); l != nil {
		return l
	}
	return browser
}

// widgetTexts are the widget's UI texts in l's language.
func widgetTexts(l *i18n.Localizer) map[string]string {
	strs := make(map[string]string, len(widgetStrings))
	for _, s := range widgetStrings {
		strs[s] = l.T(s)
	}
	return strs
}

// config builds window.ParleyConfig with the UI texts in the visitor's
// language, the channel's own when it has one (ch is nil when the page
// names the channel itself).
func (w *widgetAssets) config(c echo.Context, ch *model.Channel) widgetConfig {
	l := w.s.channelLocalizer(c, ch)
	strs := widgetTexts(l)
	var channelID int64
	if ch != nil {
		channelID = ch.ID
	}
	open := c.QueryParam("open")
	return widgetConfig{
		Server:    w.s.d.Config.PublicURL(),
		ChannelID: channelID,
		Bundle:    w.url("js"),
		CSS:       w.url("css"),
		Lang:      l.Lang(),
		AutoOpen:  open == "1" || open == "true",
		Strings:   strs,
	}
}

func (w *widgetAssets) bootJS(c echo.Context, ch *model.Channel, resolve string) error {
	cfg, err := json.Marshal(w.config(c, ch)) // escapes <, > and & so it is safe in any page
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, loaderMaxAge)
	h.Add(echo.HeaderVary, "Accept-Language")
	h.Set(echo.HeaderAccessControlAllowOrigin, "*")
	return c.Blob(http.StatusOK, mimeJS, fmt.Appendf(nil, widgetBootJS, cfg, resolve))
}

// loader serves /im_livechat/loader/:channel_id, the script of the embed
// snippet; ?open=1 opens the chat window as soon as the widget is ready.
func (w *widgetAssets) loader(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("channel_id"), 10, 64)
	if err != nil || id <= 0 {
		return unknownChannelJS(c)
	}
	ch, err := w.s.d.Livechat.Channel(c.Request().Context(), id)
	if errors.Is(err, model.ErrNotFound) {
		return unknownChannelJS(c)
	} else if err != nil {
		return err
	}
	return w.bootJS(c, ch, "")
}

// unknownChannelJS answers a loader for a channel that does not exist: a
// harmless script, so the host page shows no console error beyond the 404.
func unknownChannelJS(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=60")
	return c.Blob(http.StatusNotFound, mimeJS, []byte("/* Parley: unknown channel */\n"))
}

// externalJS serves /im_livechat/external_lib.js: the loader for a channel
// named by the tag's data-channel attribute (legacy and Odoo 16 snippets).
func (w *widgetAssets) externalJS(c echo.Context) error {
	return w.bootJS(c, nil, externalChannelJS)
}

// externalCSS serves /im_livechat/external_lib.css.
func (w *widgetAssets) externalCSS(c echo.Context) error {
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, loaderMaxAge)
	h.Set(echo.HeaderAccessControlAllowOrigin, "*")
	return c.Blob(http.StatusOK, mimeCSS, []byte(externalLibCSS))
}

// bundle serves /im_livechat/widget.<hash>.js|css. The current hash is
// cached for a year; an old one redirects to the current file, so a loader
// cached before a deploy still gets working code.
func (w *widgetAssets) bundle(c echo.Context) error {
	hash, ext, ok := strings.Cut(c.Param("file"), ".")
	if !ok || (ext != "js" && ext != "css") {
		return echo.ErrNotFound
	}
	f, ok := w.file(ext)
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set(echo.HeaderAccessControlAllowOrigin, "*")
	if hash != f.hash {
		h.Set(echo.HeaderCacheControl, "no-cache")
		return c.Redirect(http.StatusFound, "/im_livechat/widget."+f.hash+"."+ext)
	}
	if w.s.d.Dev {
		h.Set(echo.HeaderCacheControl, "no-cache")
	} else {
		h.Set(echo.HeaderCacheControl, bundleMaxAge)
	}
	ct := mimeJS
	if ext == "css" {
		ct = mimeCSS
	}
	// Every customer's visitors load the bundle: it goes out compressed at
	// the best levels, once per version (the hash is in the key).
	return w.packed.send(c, ct, ext+":"+f.hash, f.body, true)
}

// support serves /im_livechat/support/:channel_id, the direct chat link: a
// page of its own with the widget opened.
func (w *widgetAssets) support(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("channel_id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	ch, err := w.s.d.Livechat.Channel(ctx, id)
	if err != nil {
		return err
	}
	available := true
	if res, err := w.s.d.Livechat.Init(ctx, id, w.s.d.Config.PublicURL()+c.Request().URL.RequestURI(), ""); err == nil {
		available = res.Decision.Available
	}
	// The page speaks the channel's language, as its widget does.
	l := w.s.channelLocalizer(c, ch)
	c.Set(ctxL, l)
	p := w.s.newPage(c, l.T("%s · Live chat support", ch.Name), "")
	p.BodyClass = "support"
	p.Data = map[string]any{
		"Channel":   ch,
		"Available": available,
		"LoaderURL": fmt.Sprintf("/im_livechat/loader/%d?open=1", id),
	}
	// /im_livechat/ paths get no CSP from securityHeaders (they are APIs and
	// scripts for other sites); this page is ours, so it gets the admin's
	// policy, with the public URL's origin allowed in case it differs from
	// the one the page was reached through.
	origin := "'self'"
	if u, err := url.Parse(w.s.d.Config.PublicURL()); err == nil && u.Host != "" {
		origin += " " + u.Scheme + "://" + u.Host
	}
	c.Response().Header().Set("Content-Security-Policy", "default-src 'self'; script-src "+origin+"; style-src "+origin+" 'unsafe-inline'; img-src "+origin+" data:; connect-src "+origin+" ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")
	c.Response().Header().Set("X-Frame-Options", "DENY")
	return w.s.render(c, "support", p)
}

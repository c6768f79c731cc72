// Package web is Parley's HTTP layer: routes, middleware, templates, the
// central error handler and thin handlers that call the domain packages.
package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/auth"
	"parley/app/chatbot"
	"parley/app/commands"
	"parley/app/config"
	"parley/app/geo"
	"parley/app/helpdesk"
	"parley/app/i18n"
	"parley/app/leads"
	"parley/app/livechat"
	"parley/app/mail"
	"parley/app/rating"
	"parley/app/realtime"
	"parley/app/site"
	"parley/app/version"
	"parley/app/webhooks"
)

// Deps is everything the web layer needs, built by the composition root
// (app/wire): domain services, the realtime hub, and what to render with.
type Deps struct {
	Config   config.Config
	Auth     *auth.Service
	Livechat *livechat.Service
	Chatbots *chatbot.Service
	Leads    *leads.Service
	Helpdesk *helpdesk.Service
	Canned   *commands.Canned
	Webhooks *webhooks.Service
	Mail     *mail.Service
	Ratings  *rating.Service
	Site     *site.Service
	Hub      *realtime.Hub
	Geo      *geo.Locator
	I18n     *i18n.Bundle
	Health   func(context.Context) error // nil error: /healthz answers 200
	// Observe hears every request by route pattern; WriteMetrics writes
	// /metrics. Both may be nil.
	Observe      func(route, method string, status int, took time.Duration)
	WriteMetrics func(io.Writer)
	Assets       fs.FS // the assets tree: templates/, static/, widget/
	Dev          bool  // Assets is read from disk and templates re-parsed per request
	Logger       *slog.Logger
}

// Server is the HTTP server.
type Server struct {
	d       Deps
	e       *echo.Echo
	r       *renderer
	log     *slog.Logger
	proxies []netip.Prefix
	http    *http.Server
	hub     *realtime.Hub
	limits  *limits
	public  *publicPages
}

// Request body limit for everything but explicitly larger endpoints.
const maxBody = 1 << 20

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	r, err := newRenderer(d.Assets, d.Dev)
	if err != nil {
		return nil, err
	}
	proxies, err := config.ParseProxies(d.Config.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("web: trusted_proxies: %w", err)
	}
	s := &Server{d: d, r: r, log: d.Logger.With("component", "web"), proxies: proxies, limits: newLimits(d.Config.Limits), hub: d.Hub, public: newPublicPages()}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = s.clientIP
	s.e = e
	s.routes()
	s.http = &http.Server{}
	s.ConfigureHTTP(s.http)
	return s, nil
}

// Handler returns the root http.Handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.e }

// ConfigureHTTP applies the http section of the configuration to hs and
// makes this server its handler: read and write deadlines for every
// request (websockets clear them once upgraded and keep their own ping
// deadlines), a bounded header block. The tests' servers run it too.
func (s *Server) ConfigureHTTP(hs *http.Server) {
	h := s.d.Config.HTTP
	hs.Handler = s.e
	hs.ReadHeaderTimeout = h.ReadHeaderTimeout
	hs.ReadTimeout = h.ReadTimeout
	hs.WriteTimeout = h.WriteTimeout
	hs.IdleTimeout = h.IdleTimeout
	hs.MaxHeaderBytes = h.MaxHeaderBytes
	hs.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
}

// Listener caps the open connections per client address on ln
// (http.max_conns_per_ip); connections from trusted proxies are not
// capped, since a proxy carries everyone's.
func (s *Server) Listener(ln net.Listener) net.Listener {
	return newConnCap(ln, s.d.Config.HTTP.MaxConnsPerIP, s.trusted, s.log)
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(s.Listener(ln))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, waits for in-flight requests and
// closes every websocket (clients reconnect to the next process).
func (s *Server) Shutdown(ctx context.Context) error {
	// Sockets are hijacked connections http.Server.Shutdown does not wait
	// for: close them first so their handlers return.
	// The http.Server exists from New on, so a shutdown that comes before
	// Serve has started still stops it: Serve then returns at once.
	herr := s.hub.Close()
	return errors.Join(s.http.Shutdown(ctx), herr)
}

// SocketOrigin decides which pages may open a websocket: the visitor
// socket's handler checks the page against its channel's allowed domains
// before upgrading (it authenticates with a token, never cookies), so it
// passes here; the cookie-authenticated operator socket only from this
// server's own pages; clients without an Origin header (API integrations)
// are not browsers and carry a bearer token.
func SocketOrigin(cfg config.Config) func(r *http.Request) bool {
	pub, _ := url.Parse(cfg.PublicURL())
	return func(r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/im_livechat/") {
			return true
		}
		origin := r.Header.Get("Origin")
		if origin == "" {
			return strings.HasPrefix(r.URL.Path, "/api/")
		}
		o, err := url.Parse(origin)
		if err != nil {
			return false
		}
		return o.Host == r.Host || (pub != nil && strings.EqualFold(o.Host, pub.Host))
	}
}

// clientIP believes X-Forwarded-For only from trusted proxies, walking the
// chain from the right so a client cannot forge its own address.
func (s *Server) clientIP(req *http.Request) string {
	remote, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		remote = req.RemoteAddr
	}
	addr, err := netip.ParseAddr(remote)
	if err != nil || !s.trusted(addr) {
		return remote
	}
	xff := req.Header.Values(echo.HeaderXForwardedFor)
	var hops []string
	for _, h := range xff {
		for _, p := range strings.Split(h, ",") {
			if p = strings.TrimSpace(p); p != "" {
				hops = append(hops, p)
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			return remote
		}
		if !s.trusted(a) {
			return a.Unmap().String()
		}
		remote = a.Unmap().String()
	}
	return remote
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Version is shown in the footer and /healthz.
func (s *Server) version() string { return version.String() }

// fromTrustedProxy says whether the connection itself comes from one of
// trusted_proxies, whose forwarded headers may then be believed.
func (s *Server) fromTrustedProxy(c echo.Context) bool {
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err == nil && s.trusted(a)
}

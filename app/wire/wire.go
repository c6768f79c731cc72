// Package wire is Parley's composition root: Build makes every component
// in order and connects them, and both main and the tests call it, so the
// tests run the wiring production runs.
package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"parley/app/attach"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"parley/app/auth"
	"parley/app/chatbot"
	"parley/app/commands"
	"parley/app/config"
	"parley/app/events"
	"parley/app/face"
	"parley/app/geo"
	"parley/app/helpdesk"
	"parley/app/i18n"
	"parley/app/leads"
	"parley/app/livechat"
	"parley/app/mail"
	"parley/app/metrics"
	"parley/app/model"
	"parley/app/outbox"
	"parley/app/rating"
	"parley/app/realtime"
	"parley/app/replica"
	"parley/app/site"
	"parley/app/store"
	"parley/app/web"
	"parley/app/webhooks"
)

// Deps is what the application is built from besides its configuration.
type Deps struct {
	Store  *store.Store // migrated; its owner closes it after Shutdown
	Logger *slog.Logger
	Assets fs.FS // the assets tree: templates/, static/, widget/
	Dev    bool  // Assets is read from disk, templates re-parsed per request
	// Tests tune these; production leaves them zero.
	Auth     auth.Options
	Livechat livechat.Options
	Outbox   outbox.Options
	// WebhookClient makes webhook calls; nil is a client with a timeout.
	WebhookClient *http.Client
}

// App is a built Parley.
type App struct {
	Config   config.Config
	Store    *store.Store
	Events   *events.Bus
	Auth     *auth.Service
	Livechat *livechat.Service
	Chatbots *chatbot.Service
	Leads    *leads.Service
	Helpdesk *helpdesk.Service
	Canned   *commands.Canned
	Webhooks *webhooks.Service
	Ratings  *rating.Service
	Hub      *realtime.Hub
	Outbox   *outbox.Worker
	Mail     *mail.Service
	Site     *site.Service
	Geo      *geo.Locator
	I18n     *i18n.Bundle
	Metrics  *metrics.Metrics
	Web      *web.Server
	// Replica copies the database continuously off the box; nil when
	// replica.url is unset.
	Replica *replica.Replicator

	log  *slog.Logger
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// Build makes the application: services on the store, the event bus and
// its subscribers, the realtime hub, the web server, and the first-run
// data (the default channel). Call Start to run the background work and
// Shutdown to stop.
func Build(ctx context.Context, cfg config.Config, d Deps) (*App, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	a := &App{Store: d.Store, log: d.Logger}
	var err error
	if a.I18n, err = i18n.Load(); err != nil {
		return nil, fmt.Errorf("translations: %w", err)
	}
	// What admins saved in Configuration ▸ Settings applies over the file
	// and environment before anything is built from them.
	defaults := cfg
	if cfg, err = site.Effective(ctx, d.Store, defaults, a.I18n, d.Logger); err != nil {
		return nil, err
	}
	a.Config = cfg
	if err := a.I18n.SetFallback(cfg.DefaultLanguage); err != nil {
		return nil, fmt.Errorf("default_language: %q is not a language Parley speaks (%v)", cfg.DefaultLanguage, a.I18n.Languages())
	}
	if a.Geo, err = geo.Open(cfg.GeoIP.Database); err != nil {
		return nil, fmt.Errorf("geoip.database: %w", err)
	}
	a.Events = events.New(d.Logger)
	oo := d.Outbox
	oo.Logger = d.Logger
	a.Outbox = outbox.New(d.Store, oo)
	ao := d.Auth
	ao.Events, ao.Languages = a.Events, a.I18n.Languages()
	if ao.Limiter == nil {
		lim := cfg.Limits
		ao.Limiter = auth.NewBoundedLimiter(lim.LoginFailuresPerIP, lim.LoginFailuresPerEmail, lim.LoginWindow, lim.MaxTrackedKeys, ao.Now)
	}
	a.Auth = auth.New(d.Store, ao)

	lo := d.Livechat
	lo.Logger, lo.BaseURL, lo.Events, lo.Text = d.Logger, cfg.PublicURL(), a.Events, a.I18n.English()
	lo.Languages = a.I18n.Languages()
	lo.Localize = func(lang string) livechat.Translator {
		if l := a.I18n.Get(lang); l != nil {
			return l
		}
		return a.I18n.Fallback() // the default language, read at each use
	}
	// The writer starts with lc.Start below, after Metrics is set.
	lo.OnCommit = func(n int, took time.Duration) { a.Metrics.ObserveCommit(n, took) }
	if lo.AbandonAfter == 0 {
		lo.AbandonAfter = cfg.Livechat.AbandonAfter
	}
	a.Leads, a.Helpdesk = leads.New(d.Store), helpdesk.New(d.Store)
	a.Chatbots = chatbot.New(d.Store, chatbot.Options{Logger: d.Logger, Languages: a.I18n.Languages(), Localize: lo.Localize,
		CreateLead: func(ctx context.Context, r chatbot.Record) error {
			_, err := a.Leads.CreateLead(ctx, r.SessionID, r.Title, leads.Contact{Email: r.Email, Phone: r.Phone},
				leads.Options{TeamID: r.TeamID, Source: leads.SourceChatbot})
			return err
		},
		CreateTicket: func(ctx context.Context, r chatbot.Record) error {
			_, err := a.Helpdesk.CreateTicket(ctx, r.SessionID, r.Title, helpdesk.Contact{Email: r.Email, Phone: r.Phone},
				helpdesk.Options{TeamID: r.TeamID})
			return err
		}})
	lo.Bot = a.Chatbots
	if err := attach.CheckTypes(cfg.Attachments.Types); err != nil {
		a.Geo.Close()
		return nil, &config.Error{Key: "attachments.types", Msg: err.Error()}
	}
	lo.Files = attach.New(filepath.Join(cfg.DataDir, "attachments"), cfg.Attachments.MaxBytes, cfg.Attachments.Types)
	lo.Faces = face.NewFiles(filepath.Join(cfg.DataDir, "faces"))
	a.Livechat = livechat.New(d.Store, lo)
	// Faces an older version kept in the database go to files first.
	if n, err := a.Livechat.MoveFacesOut(ctx); err != nil {
		a.Geo.Close()
		return nil, fmt.Errorf("move faces to %s: %w", filepath.Join(cfg.DataDir, "faces"), err)
	} else if n > 0 {
		d.Logger.Info("moved photos and channel images out of the database", "count", n, "dir", filepath.Join(cfg.DataDir, "faces"))
	}
	a.Chatbots.Connect(a.Livechat)
	if err := firstRun(ctx, cfg, d.Store, a.Livechat, a.Chatbots); err != nil {
		a.Geo.Close()
		return nil, fmt.Errorf("first-run data: %w", err)
	}

	lc := a.Livechat
	a.Ratings = rating.New(d.Store, rating.Options{Channels: lc, Events: a.Events, Logger: d.Logger})
	a.Site = site.New(d.Store, lc, site.Options{Defaults: defaults, Running: cfg, Geo: a.Geo, Texts: a.I18n, Logger: d.Logger})
	a.Mail = mail.New(d.Store, a.Outbox, a.I18n, lc, a.Auth, mail.Options{SMTP: cfg.SMTP, SiteName: a.Site.SiteName,
		BaseURL: cfg.PublicURL(), MissedAfter: cfg.Mail.MissedAfter, Logger: d.Logger})
	lc.NotifyOfflineWith(a.Mail)
	lc.MentionMailWith(a.Mail)
	a.Webhooks = webhooks.New(d.Store, cfg.PublicURL(), d.WebhookClient)
	a.Webhooks.Register(a.Outbox)
	a.Leads.Hook, a.Helpdesk.Hook = a.Webhooks.LeadHook, a.Webhooks.TicketHook
	a.Canned = commands.NewCanned(d.Store, a.I18n.Languages())
	if err := a.Canned.EnsureShipped(ctx); err != nil {
		a.Geo.Close()
		return nil, fmt.Errorf("first-run data: %w", err)
	}
	if err := commands.Register(commands.Deps{Store: d.Store, Livechat: lc, Leads: a.Leads, Helpdesk: a.Helpdesk, Canned: a.Canned, BaseURL: cfg.PublicURL()}); err != nil {
		a.Geo.Close()
		return nil, err
	}
	a.Hub = realtime.New(realtime.Options{Logger: d.Logger, CheckOrigin: web.SocketOrigin(cfg), OnFrame: a.onFrame,
		OnConnect: func(id realtime.Identity) {
			switch id.Kind {
			case "operator":
				lc.Presence.Connect(id.ID)
			case "visitor":
				lc.Live.Connect(id.ID, id.Channel)
			}
		},
		OnDisconnect: func(id realtime.Identity) {
			switch id.Kind {
			case "operator":
				lc.Presence.Disconnect(id.ID)
			case "visitor":
				lc.Live.Disconnect(id.ID)
			}
		},
	})
	lc.ConnectRealtime(a.Hub)
	lc.Presence.OnChange(func(userID int64, st livechat.Status) {
		a.Hub.Publish(livechat.PresenceTopic, livechat.EventPresence, map[string]any{"user_id": userID, "status": st})
	})

	a.Metrics = metrics.New(metrics.Sources{Livechat: lc, Hub: a.Hub, Events: a.Events, Outbox: a.Outbox, DBPath: d.Store.Path()})
	a.Web, err = web.New(web.Deps{Observe: a.Metrics.ObserveRequest, WriteMetrics: a.Metrics.Write, Config: cfg, Auth: a.Auth, Livechat: lc, Mail: a.Mail, Ratings: a.Ratings, Chatbots: a.Chatbots, Leads: a.Leads, Helpdesk: a.Helpdesk, Canned: a.Canned, Webhooks: a.Webhooks, Site: a.Site, Hub: a.Hub, Geo: a.Geo, I18n: a.I18n,
		Health: d.Store.Health, Assets: d.Assets, Dev: d.Dev, Logger: d.Logger})
	if err != nil {
		a.Geo.Close()
		return nil, err
	}
	if cfg.Replica.URL != "" {
		path, err := filepath.Abs(d.Store.Path())
		if err == nil {
			a.Replica, err = replica.New(path, cfg.Replica, d.Logger)
		}
		if err != nil {
			a.Geo.Close()
			return nil, err
		}
	}
	lc.Start()
	return a, nil
}

// Effective is cfg (the file's and environment's values) with what admins
// saved in Configuration ▸ Settings applied, as Build applies it: the
// commands that print links without building the application use the
// public URL serve uses.
func Effective(ctx context.Context, st *store.Store, cfg config.Config, log *slog.Logger) (config.Config, error) {
	texts, err := i18n.Load()
	if err != nil {
		return cfg, fmt.Errorf("translations: %w", err)
	}
	return site.Effective(ctx, st, cfg, texts, log)
}

// FirstRun creates the first-run data on a database that has none, for
// the commands that write to it without building the application (user
// create): every way in makes the same first-run data.
func FirstRun(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) error {
	lc := livechat.New(st, livechat.Options{Logger: log})
	defer lc.Stop()
	langs := []string{"en"}
	if b, err := i18n.Load(); err == nil {
		langs = b.Languages()
	}
	return firstRun(ctx, cfg, st, lc, chatbot.New(st, chatbot.Options{Logger: log, Languages: langs}))
}

// firstRun creates the sample chatbots once, and the default channel on
// an empty database, staffed by the first admin when there is one
// (otherwise the first admin staffs it when created).
func firstRun(ctx context.Context, cfg config.Config, st *store.Store, lc *livechat.Service, bots *chatbot.Service) error {
	if err := bots.InstallDefaults(ctx); err != nil {
		return err
	}
	created, err := lc.EnsureDefaultChannel(ctx, cfg.SiteName)
	if err != nil || !created {
		return err
	}
	id, err := st.FirstAdminID(ctx)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return st.AddOperatorToUnstaffedChannels(ctx, id)
}

// MetricsHandler serves /metrics alone, for a separate private address
// (metrics.listen).
func (a *App) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		a.Metrics.Write(w)
	})
	// The Go profiler, for finding where a busy server spends its time
	// (docs/performance.md). Only here: this address is private, unlike
	// the main one where /metrics needs a token.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	return mux
}

// Start runs the background upkeep until Shutdown: idle operators turn
// "away" on time, abandoned conversations end, expired login sessions go,
// the outbox delivers, operators hear of conversations nobody answered.
func (a *App) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	a.Outbox.Start()
	// The integrity check reads the whole file: seconds for a database of
	// a gigabyte, so it runs beside the server instead of before it. A
	// damaged file is reported, not fatal: the admin can still look and
	// take a backup, and /healthz says what is wrong once it is known.
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.Store.Check(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("database integrity check failed", "error", err)
		}
	}()
	if a.Replica != nil {
		a.startReplica(ctx)
	}
	a.every(ctx, time.Minute, func() { a.Livechat.Presence.Sweep() })
	a.every(ctx, time.Minute, func() {
		if n, err := a.Livechat.EndAbandoned(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("end abandoned conversations", "error", err)
		} else if n > 0 {
			a.log.Info("ended abandoned conversations", "count", n)
		}
	})
	if a.Config.Mail.MissedAfter > 0 {
		a.every(ctx, time.Minute, func() {
			if n, err := a.Mail.MailMissed(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("mail missed conversations", "error", err)
			} else if n > 0 {
				a.log.Info("mailed about missed conversations", "count", n)
			}
		})
	}
	// The weekly digest of the week that ended on Monday 00:00 UTC goes out
	// within the hour (or the first hour the server runs after it); the
	// week sent is remembered in the database, so a restart sends no other.
	a.every(ctx, time.Hour, func() {
		if n, err := a.Mail.MailDigest(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("weekly digest", "error", err)
		} else if n > 0 {
			a.log.Info("mailed the weekly digest", "count", n)
		}
	})
	a.every(ctx, time.Hour, func() {
		if _, err := a.ApplyRetention(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("retention", "error", err)
		}
	})
	if every := a.Config.Backup.Every; every > 0 {
		a.every(ctx, every, func() {
			if path, err := a.ScheduledBackup(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("scheduled backup", "error", err)
			} else if err == nil {
				a.log.Info("scheduled backup written", "path", path)
			}
		})
	}
	a.every(ctx, time.Hour, func() {
		if n, err := a.Store.PurgeExpiredLoginSessions(ctx, time.Now()); err != nil && ctx.Err() == nil {
			a.log.Error("purge expired login sessions", "error", err)
		} else if n > 0 {
			a.log.Debug("purged expired login sessions", "count", n)
		}
	})
}

// startReplica hands checkpoints to Litestream: it holds a read
// transaction so that no checkpoint recycles WAL frames it has not copied
// yet, and checkpoints itself once they are safe; the writer's own
// automatic checkpoints would only run into that transaction on every
// commit past 1000 pages.
func (a *App) startReplica(ctx context.Context) {
	if err := a.Store.SetAutoCheckpoint(ctx, 0); err != nil {
		a.log.Error("replica: leave checkpoints to Litestream", "error", err)
	}
	if err := a.Replica.Start(ctx); err != nil {
		a.log.Error("replica: not replicating", "url", replica.Redact(a.Config.Replica.URL), "error", err)
		a.Replica = nil
		_ = a.Store.SetAutoCheckpoint(ctx, defaultAutoCheckpoint)
		return
	}
	a.log.Info("replicating the database", "url", replica.Redact(a.Config.Replica.URL))
}

// defaultAutoCheckpoint is SQLite's own threshold, in WAL pages.
const defaultAutoCheckpoint = 1000

// ApplyRetention anonymises or deletes the data older than the retention
// in effect now (Configuration ▸ Settings may have changed it since the
// start); nothing when it keeps everything.
func (a *App) ApplyRetention(ctx context.Context) (model.Retained, error) {
	r := a.Site.Retention()
	if r.Days <= 0 {
		return model.Retained{}, nil
	}
	n, err := a.Livechat.ApplyRetention(ctx, r.Days, r.Mode)
	if err != nil {
		return n, err
	}
	if n != (model.Retained{}) {
		a.log.Info("retention applied", "mode", r.Mode, "days", r.Days, "conversations", n.Sessions,
			"visitors", n.Visitors, "page_views", n.PageViews, "offline_messages", n.OfflineMessages)
	}
	return n, nil
}

// ScheduledBackup writes a copy of the database into the backup directory
// and deletes the oldest scheduled copies beyond backup.keep (pre-upgrade
// and hand-made backups are never deleted).
func (a *App) ScheduledBackup(ctx context.Context) (string, error) {
	dir := a.Config.BackupDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	path, err := filepath.Abs(filepath.Join(dir, "parley-auto-"+time.Now().UTC().Format("20060102-150405.000")+".db"))
	if err != nil {
		return "", err
	}
	if err := a.Store.Backup(ctx, path); err != nil {
		return "", err
	}
	old, err := filepath.Glob(filepath.Join(dir, "parley-auto-*.db"))
	if err != nil {
		return path, err
	}
	sort.Strings(old) // the names sort by time
	for len(old) > a.Config.Backup.Keep {
		if err := os.Remove(old[0]); err != nil {
			return path, err
		}
		old = old[1:]
	}
	return path, nil
}

func (a *App) every(ctx context.Context, d time.Duration, fn func()) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn()
			}
		}
	}()
}

// Shutdown stops accepting requests and waits for those in flight, closes
// every socket, stops the background work, commits the queued messages
// and delivers the events still queued. The store stays open for its
// owner to close.
func (a *App) Shutdown(ctx context.Context) error {
	err := a.Web.Shutdown(ctx)
	if a.stop != nil {
		a.stop()
	}
	a.wg.Wait()
	a.Outbox.Stop()
	a.Livechat.Stop()
	a.Events.Close()
	// Last, once nothing writes any more: the replica gets every commit,
	// and the writer checkpoints again (the store's close truncates the WAL).
	if a.Replica != nil {
		err = errors.Join(err, a.Replica.Close(ctx), a.Store.SetAutoCheckpoint(context.Background(), defaultAutoCheckpoint))
	}
	return errors.Join(err, a.Geo.Close())
}

type typingFrame struct {
	SessionID string `json:"session_id"`
	Typing    bool   `json:"typing"`
}

// onFrame turns what clients send on sockets into domain calls: activity
// and typing.
func (a *App) onFrame(id realtime.Identity, f realtime.Frame) {
	lc := a.Livechat
	switch f.Type {
	case "activity":
		if id.Kind == "operator" {
			lc.Presence.Activity(id.ID)
		}
	case "ping":
		// An integration's live socket is its activity (the contract says a
		// connected API socket counts as presence and activity); a browser
		// tab left open all night is not, so tabs send "activity" instead.
		if id.Kind == "operator" && id.API {
			lc.Presence.Activity(id.ID)
		}
	case "typing":
		tf := typingFrame{SessionID: f.SessionID, Typing: f.Typing}
		if len(f.Data) > 0 && string(f.Data) != "null" {
			_ = json.Unmarshal(f.Data, &tf)
		}
		lc.SocketTyping(context.Background(), id.Kind == "visitor", id.ID, tf.SessionID, tf.Typing)
	}
}

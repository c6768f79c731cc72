// Package site owns what describes this Parley as a whole and what an
// admin may change about it while it runs (Configuration ▸ Settings): the
// site name, the public URL, the GeoIP database, the default language and
// data retention. The configuration file and environment give the
// defaults; an admin's changes are overrides kept by package settings,
// applied at start and, except the public URL, at once. It also owns the
// first run: the setup's site details and the checklist that leads a new
// owner to a working chat.
package site

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"parley/app/config"
	"parley/app/geo"
	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/settings"
	"parley/app/store"
)

// The configuration keys this package lets admins override.
const (
	KeySiteName      = "site_name"
	KeyBaseURL       = "base_url"
	KeyGeoIP         = "geoip.database"
	KeyLanguage      = "default_language"
	KeyRetentionDays = "retention.days"
	KeyRetentionMode = "retention.mode"
)

var keys = []string{KeySiteName, KeyBaseURL, KeyGeoIP, KeyLanguage, KeyRetentionDays, KeyRetentionMode}

// formField is the form field of each key: the name a refusal names.
var formField = map[string]string{
	KeySiteName: "site_name", KeyBaseURL: "base_url", KeyGeoIP: "geoip_database",
	KeyLanguage: "default_language", KeyRetentionDays: "retention_days", KeyRetentionMode: "retention_mode",
}

// maxSiteName is a channel name's limit: the site name names the first
// channel.
const maxSiteName = 100

// Options are what the service is built from.
type Options struct {
	Defaults config.Config // the file's and environment's values
	Running  config.Config // what this process started with (Effective)
	Geo      *geo.Locator  // reopened when the GeoIP database changes
	Texts    *i18n.Bundle  // its fallback follows the default language
	Logger   *slog.Logger
}

// Service reads and changes the site settings.
type Service struct {
	st   *store.Store
	over *settings.Overrides
	lc   *livechat.Service
	o    Options
	log  *slog.Logger
	// cur is the effective configuration now: Running with the changes
	// saved since (the public URL among them, though in use only after a
	// restart).
	cur atomic.Pointer[config.Config]
}

// Effective returns def with the stored overrides applied, as Parley
// starts with them. An override that no longer holds (a GeoIP file since
// removed, a language no longer built in) is logged and its default used:
// a start never fails on what an admin saved.
func Effective(ctx context.Context, st *store.Store, def config.Config, texts *i18n.Bundle, log *slog.Logger) (config.Config, error) {
	snap, err := settings.New(st).Load(ctx, "")
	if err != nil {
		return def, fmt.Errorf("site settings: %w", err)
	}
	return apply(def, snap, texts, log), nil
}

// apply sets each override of snap on def, one at a time so that a bad one
// is skipped alone.
//
// An override beats what the file, the environment or a flag set: that
// is logged, so a --base-url given at start and not used is explained
// rather than silently ignored.
func apply(def config.Config, snap settings.Snapshot, texts *i18n.Bundle, log *slog.Logger) config.Config {
	c := def
	builtin := config.Default()
	configured, fallback := values(&def), values(&builtin)
	for _, k := range keys {
		v, ok := snap[k]
		if !ok {
			continue
		}
		next := c
		err := next.Set(k, v)
		if err == nil {
			err = next.Validate()
		}
		if err == nil && k == KeyLanguage && texts.Get(v) == nil {
			err = fmt.Errorf("%q is not a language Parley speaks", v)
		}
		if err != nil {
			if log != nil {
				log.Warn("a saved setting is ignored; Configuration ▸ Settings can correct it", "key", k, "value", v, "error", err)
			}
			continue
		}
		c = next
		if log != nil && configured[k] != fallback[k] && configured[k] != v {
			log.Info("a value saved in Configuration ▸ Settings is used instead of the configured one; reset it there to use the configuration's",
				"key", k, "saved", v, "configured", configured[k])
		}
	}
	return c
}

// New returns the service; o.Running is in effect.
func New(st *store.Store, lc *livechat.Service, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Service{st: st, over: settings.New(st), lc: lc, o: o, log: o.Logger.With("component", "site")}
	running := o.Running
	s.cur.Store(&running)
	return s
}

// Current is the effective configuration now; callers must not change it.
func (s *Service) Current() *config.Config { return s.cur.Load() }

// SiteName is the site's name now.
func (s *Service) SiteName() string { return s.cur.Load().SiteName }

// Retention is the data retention now, read at each run.
func (s *Service) Retention() config.Retention { return s.cur.Load().Retention }

// RestartNeeded reports whether the saved public URL differs from the one
// this process uses: cookies, origins and links take it at start.
func (s *Service) RestartNeeded() bool {
	return s.cur.Load().PublicURL() != s.o.Running.PublicURL()
}

// Field is one setting as the page shows it.
type Field struct {
	Key        string // the configuration key, "retention.days"
	Name       string // the form field
	Value      string // the effective value
	Default    string // the file's or environment's value
	Overridden bool   // an admin saved a value
}

// Settings are the site settings as the page shows them.
type Settings struct {
	SiteName, BaseURL, GeoIP, Language, RetentionDays, RetentionMode Field

	Languages     []string // the languages Parley speaks
	RunningURL    string   // the public URL in use until a restart
	RestartNeeded bool
}

func values(c *config.Config) map[string]string {
	return map[string]string{
		KeySiteName: c.SiteName, KeyBaseURL: c.BaseURL, KeyGeoIP: c.GeoIP.Database, KeyLanguage: c.DefaultLanguage,
		KeyRetentionDays: strconv.Itoa(c.Retention.Days), KeyRetentionMode: c.Retention.Mode,
	}
}

// Settings returns the page's fields.
func (s *Service) Settings(ctx context.Context) (*Settings, error) {
	snap, err := s.over.Load(ctx, "")
	if err != nil {
		return nil, err
	}
	cur, def := values(s.cur.Load()), values(&s.o.Defaults)
	f := func(k string) Field {
		return Field{Key: k, Name: formField[k], Value: cur[k], Default: def[k], Overridden: snap.Has(k)}
	}
	return &Settings{
		SiteName: f(KeySiteName), BaseURL: f(KeyBaseURL), GeoIP: f(KeyGeoIP), Language: f(KeyLanguage),
		RetentionDays: f(KeyRetentionDays), RetentionMode: f(KeyRetentionMode),
		Languages: s.o.Texts.Languages(), RunningURL: s.o.Running.PublicURL(), RestartNeeded: s.RestartNeeded(),
	}, nil
}

// Input is the settings form: a field left empty uses the default.
type Input struct {
	SiteName, BaseURL, GeoIP, Language, RetentionDays, RetentionMode string
}

func (in Input) byKey() map[string]string {
	return map[string]string{
		KeySiteName: in.SiteName, KeyBaseURL: in.BaseURL, KeyGeoIP: in.GeoIP, KeyLanguage: in.Language,
		KeyRetentionDays: in.RetentionDays, KeyRetentionMode: in.RetentionMode,
	}
}

func forbidden() error {
	return model.Refuse(model.Forbidden, "forbidden", "Only admins can change the site settings.")
}

// Save validates and stores the admin's settings and applies them at once:
// the site name to pages and mail, the GeoIP database to the next visitor,
// the default language to the next page, retention to its next run. It
// reports whether the public URL changed and needs a restart.
func (s *Service) Save(ctx context.Context, actor *model.User, in Input) (restart bool, err error) {
	if actor == nil || !actor.IsAdmin() {
		return false, forbidden()
	}
	ch := settings.Change{Set: map[string]string{}}
	for k, v := range in.byKey() {
		v = strings.TrimSpace(v)
		if v == "" {
			ch.Reset = append(ch.Reset, k)
			continue
		}
		if err := s.check(k, v); err != nil {
			return false, err
		}
		ch.Set[k] = v
	}
	return s.save(ctx, ch)
}

// save stores ch and makes the result the effective configuration.
func (s *Service) save(ctx context.Context, ch settings.Change) (bool, error) {
	snap, err := s.over.Load(ctx, "")
	if err != nil {
		return false, err
	}
	for k, v := range ch.Set {
		snap[k] = v
	}
	for _, k := range ch.Reset {
		delete(snap, k)
	}
	next := apply(s.o.Defaults, snap, s.o.Texts, nil)
	before := s.cur.Load()
	// The database opens before anything is stored, so a file that is not
	// one is refused and the old database stays in use.
	if next.GeoIP.Database != before.GeoIP.Database {
		if err := s.o.Geo.Reopen(next.GeoIP.Database); err != nil {
			return false, fieldErr(formField[KeyGeoIP], "Parley cannot read %s as a GeoIP database: %s", next.GeoIP.Database, err.Error())
		}
	}
	if err := s.store(ctx, ch, before.SiteName, next.SiteName); err != nil {
		if next.GeoIP.Database != before.GeoIP.Database {
			_ = s.o.Geo.Reopen(before.GeoIP.Database)
		}
		return false, err
	}
	if err := s.o.Texts.SetFallback(next.DefaultLanguage); err != nil {
		return false, err
	}
	s.cur.Store(&next)
	s.log.Info("site settings saved", "site_name", next.SiteName, "base_url", next.BaseURL, "geoip", next.GeoIP.Database,
		"default_language", next.DefaultLanguage, "retention_days", next.Retention.Days, "retention_mode", next.Retention.Mode)
	return s.RestartNeeded(), nil
}

// store saves ch; when the site name changes, the channels still named
// after the site (the first one, unless an admin renamed it) take the new
// name in the same transaction, so the widget's header follows the site.
func (s *Service) store(ctx context.Context, ch settings.Change, oldName, newName string) error {
	if oldName == newName {
		return s.over.Save(ctx, ch)
	}
	ids, err := s.over.SaveRenamingChannels(ctx, ch, oldName, newName)
	if errors.Is(err, store.ErrConflict) {
		return fieldErr(formField[KeySiteName], "Another channel is already named %q: rename that channel first, or choose another site name.", newName)
	}
	if err != nil {
		return err
	}
	if s.lc != nil {
		s.lc.ChannelsRenamed(ids)
	}
	if len(ids) > 0 {
		s.log.Info("channels renamed with the site", "from", oldName, "to", newName, "channels", ids)
	}
	return nil
}

// fieldErr refuses a form field's value with a message shown next to it.
func fieldErr(field, msg string, args ...any) error {
	return &model.FieldError{Field: field, Message: msg, Args: args}
}

// check validates one value with a message the admin reads next to the
// field.
func (s *Service) check(key, v string) error {
	switch key {
	case KeySiteName:
		if n := utf8.RuneCountInString(v); n > maxSiteName {
			return fieldErr(formField[key], "The site name is %d characters long; at most %d are allowed.", n, maxSiteName)
		}
	case KeyBaseURL:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return fieldErr(formField[key], "The public URL must be a full http:// or https:// address, such as https://chat.example.com.")
		}
		if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
			return fieldErr(formField[key], "The public URL must not have a query (?) or a fragment (#).")
		}
	case KeyGeoIP:
		l, err := geo.Open(v)
		if err != nil {
			return fieldErr(formField[key], "Parley cannot read %s as a GeoIP database: %s", v, err.Error())
		}
		_ = l.Close()
	case KeyLanguage:
		if s.o.Texts.Get(v) == nil {
			return fieldErr(formField[key], "Parley does not speak %q; choose one of the listed languages.", v)
		}
	case KeyRetentionDays:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 36500 {
			return fieldErr(formField[key], "The retention must be a whole number of days from 0 (keep everything) to 36500.")
		}
	case KeyRetentionMode:
		if v != livechat.RetainAnonymise && v != livechat.RetainDelete {
			return fieldErr(formField[key], "Choose to anonymise or to delete old data.")
		}
	}
	return nil
}

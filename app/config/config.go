// Package config owns Parley's settings: defaults, the YAML file, PARLEY_*
// environment overrides, flag overrides and validation.
//
// Precedence, lowest first: defaults < YAML file < environment < flags.
// Every key's environment name is PARLEY_ plus the key in capitals with dots
// as underscores (smtp.host → PARLEY_SMTP_HOST).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Config is the effective configuration of one Parley process.
type Config struct {
	Listen   string `yaml:"listen"`
	BaseURL  string `yaml:"base_url"`
	DataDir  string `yaml:"data_dir"`
	SiteName string `yaml:"site_name"`
	// DefaultLanguage is used when nothing the reader says decides (no
	// browser language Parley speaks, no profile or channel choice).
	DefaultLanguage string      `yaml:"default_language"`
	TrustedProxies  []string    `yaml:"trusted_proxies"`
	Log             Log         `yaml:"log"`
	SMTP            SMTP        `yaml:"smtp"`
	Mail            Mail        `yaml:"mail"`
	GeoIP           GeoIP       `yaml:"geoip"`
	Livechat        Livechat    `yaml:"livechat"`
	Metrics         Metrics     `yaml:"metrics"`
	Backup          Backup      `yaml:"backup"`
	Replica         Replica     `yaml:"replica"`
	Retention       Retention   `yaml:"retention"`
	Attachments     Attachments `yaml:"attachments"`
	HTTP            HTTP        `yaml:"http"`
	Limits          Limits      `yaml:"limits"`
	Memory          Memory      `yaml:"memory"`
}

// Memory paces the Go collector. Under load the heap may grow by
// HeadroomMiB past what the last collection kept before the next one, so
// collections are rarer and the delivery tail shorter; once the server is
// quiet its garbage is collected and the memory returned to the system.
// AutoHeadroom: an eighth of the memory the server may use, at most 512
// MiB; 0: Go's own pace (the GOGC of the environment).
type Memory struct {
	HeadroomMiB int64 `yaml:"headroom_mib"`
}

// AutoHeadroom is the HeadroomMiB that sizes the headroom to the machine.
const AutoHeadroom = -1

// HTTP bounds what one HTTP connection or request may hold of the server.
type HTTP struct {
	// ReadHeaderTimeout is the time to send a request's headers,
	// ReadTimeout the time to send a whole request (headers and body),
	// WriteTimeout the time to answer it, from the end of its headers.
	// Upgraded websockets are exempt: they have their own ping deadlines.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"`
	// IdleTimeout closes a keep-alive connection with no request.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes bounds the request line and headers together.
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// MaxURLLength bounds the request target (path and query); longer
	// requests get 414.
	MaxURLLength int `yaml:"max_url_length"`
	// MaxBodyBytes bounds request bodies; larger ones get 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxConnsPerIP bounds the open connections of one client address
	// (IPv6: one /64); trusted proxies are exempt, they carry everyone.
	MaxConnsPerIP int `yaml:"max_conns_per_ip"`
}

// Rate is a token bucket: a burst of Burst, then one every Every.
type Rate struct {
	Every time.Duration `yaml:"every"`
	Burst int           `yaml:"burst"`
}

// Limits are the flood guards. Per-address limits count IPv6 clients per
// /64, since one host may use any address of its subnet.
type Limits struct {
	// MaxTrackedKeys bounds the memory of each rate limiter: when full,
	// the key unused for longest is forgotten first.
	MaxTrackedKeys int `yaml:"max_tracked_keys"`

	MessagesPerToken      Rate `yaml:"messages_per_token"`
	MessagesPerIP         Rate `yaml:"messages_per_ip"`
	MessageReadsPerIP     Rate `yaml:"message_reads_per_ip"`
	TypingPerToken        Rate `yaml:"typing_per_token"`
	TypingPerIP           Rate `yaml:"typing_per_ip"`
	SessionsPerIP         Rate `yaml:"sessions_per_ip"`
	PageViewsPerIP        Rate `yaml:"page_views_per_ip"`
	InitPerIP             Rate `yaml:"init_per_ip"`
	OfflineMessagesPerIP  Rate `yaml:"offline_messages_per_ip"`
	TranscriptsPerVisitor Rate `yaml:"transcripts_per_visitor"`
	SocketsPerIP          Rate `yaml:"sockets_per_ip"`

	// SocketsPerVisitor and OperatorSocketsPerUser cap open websockets.
	SocketsPerVisitor      int `yaml:"sockets_per_visitor"`
	OperatorSocketsPerUser int `yaml:"operator_sockets_per_user"`

	// PictureBytes bounds an uploaded operator photo or channel image
	// (the request as a whole is bounded by http.max_body_bytes too).
	PictureBytes int64 `yaml:"picture_bytes"`

	// Failed logins allowed per client address and per email within
	// LoginWindow before further attempts wait.
	LoginFailuresPerIP    int           `yaml:"login_failures_per_ip"`
	LoginFailuresPerEmail int           `yaml:"login_failures_per_email"`
	LoginWindow           time.Duration `yaml:"login_window"`
}

// Retention limits how long visitors' data is kept: conversations that
// ended, page views and offline messages older than Days are anonymised or
// deleted (Mode) every hour. 0 days keeps everything.
type Retention struct {
	Days int    `yaml:"days"`
	Mode string `yaml:"mode"` // anonymise | delete
}

// Attachments bounds the files visitors and operators send: at most
// MaxBytes each, of the Types (content types read from the bytes) allowed.
type Attachments struct {
	MaxBytes int64    `yaml:"max_bytes"`
	Types    []string `yaml:"types"`
}

// Backup takes copies of the database on a schedule: every Every (0: off)
// into Dir (default data_dir/backups), keeping the Keep newest.
type Backup struct {
	Every time.Duration `yaml:"every"`
	Dir   string        `yaml:"dir"`
	Keep  int           `yaml:"keep"`
}

// BackupDir is where scheduled and pre-upgrade backups go.
func (c *Config) BackupDir() string {
	if c.Backup.Dir != "" {
		return c.Backup.Dir
	}
	return filepath.Join(c.DataDir, "backups")
}

// Replica replicates the database continuously with Litestream to URL: an
// absolute directory path (or file:// URL) or s3://bucket/path. Endpoint
// names an S3-compatible service other than AWS; the keys, when empty,
// come from the usual AWS environment variables. URL empty: off.
type Replica struct {
	URL             string `yaml:"url"`
	Endpoint        string `yaml:"endpoint"`
	Region          string `yaml:"region"`
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
}

// Metrics exposes /metrics in the Prometheus text format: on the main
// address to scrapers that send Token as a bearer token, and/or without a
// token on a separate Listen address (keep it private). Both empty: off.
type Metrics struct {
	Token  string `yaml:"token"`
	Listen string `yaml:"listen"`
}

// Livechat tunes live conversations.
type Livechat struct {
	// AbandonAfter ends a conversation whose visitor has had no open chat
	// window and no activity for this long.
	AbandonAfter time.Duration `yaml:"abandon_after"`
	// PublicIndex serves /livechat, the list of channels whose rating
	// page is published; off, only the channel pages themselves answer.
	PublicIndex bool `yaml:"public_index"`
}

// Log configures log/slog.
type Log struct {
	Format string `yaml:"format"` // text | json
	Level  string `yaml:"level"`  // debug | info | warn | error
}

// SMTP configures outgoing mail. Mail is disabled while Host is empty.
type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	From     string `yaml:"from"`
	TLS      string `yaml:"tls"` // starttls | tls | none
}

// Mail configures what Parley mails about on its own.
type Mail struct {
	// MissedAfter mails a channel's operators about a conversation no
	// operator answered for this long; 0 turns it off.
	MissedAfter time.Duration `yaml:"missed_after"`
}

// GeoIP points at an optional MaxMind-format country database.
type GeoIP struct {
	Database string `yaml:"database"`
}

// Default returns the configuration used when nothing overrides it.
func Default() Config {
	return Config{
		Listen:          "127.0.0.1:8080",
		DataDir:         "./data",
		SiteName:        "YourWebsite.com",
		DefaultLanguage: "en",
		Log:             Log{Format: "text", Level: "info"},
		SMTP:            SMTP{Port: 587, TLS: "starttls"},
		Mail:            Mail{MissedAfter: 10 * time.Minute},
		Livechat:        Livechat{AbandonAfter: 30 * time.Minute, PublicIndex: true},
		Backup:          Backup{Keep: 7},
		Memory:          Memory{HeadroomMiB: AutoHeadroom},
		Retention:       Retention{Mode: "anonymise"},
		Attachments: Attachments{MaxBytes: 10 << 20, Types: []string{
			"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
			"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
			"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			"application/vnd.openxmlformats-officedocument.presentationml.presentation",
			"application/vnd.oasis.opendocument.text",
			"application/vnd.oasis.opendocument.spreadsheet",
			"application/vnd.oasis.opendocument.presentation",
		}},
		HTTP: HTTP{
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			MaxURLLength:      16 << 10,
			MaxBodyBytes:      1 << 20,
			MaxConnsPerIP:     1000,
		},
		Limits: Limits{
			MaxTrackedKeys:         100_000,
			MessagesPerToken:       Rate{Every: time.Second, Burst: 10},
			MessagesPerIP:          Rate{Every: 100 * time.Millisecond, Burst: 60}, // many visitors may share an office NAT
			MessageReadsPerIP:      Rate{Every: 50 * time.Millisecond, Burst: 120},
			TypingPerToken:         Rate{Every: 500 * time.Millisecond, Burst: 10},
			TypingPerIP:            Rate{Every: 100 * time.Millisecond, Burst: 60},
			SessionsPerIP:          Rate{Every: 5 * time.Second, Burst: 10},
			PageViewsPerIP:         Rate{Every: 200 * time.Millisecond, Burst: 60},
			InitPerIP:              Rate{Every: 100 * time.Millisecond, Burst: 100},
			OfflineMessagesPerIP:   Rate{Every: time.Minute, Burst: 5},
			TranscriptsPerVisitor:  Rate{Every: 10 * time.Minute, Burst: 3},
			SocketsPerIP:           Rate{Every: time.Second, Burst: 30}, // reconnects after a restart come in a burst
			SocketsPerVisitor:      20,
			OperatorSocketsPerUser: 20,
			PictureBytes:           768 << 10,
			LoginFailuresPerIP:     10,
			LoginFailuresPerEmail:  5,
			LoginWindow:            15 * time.Minute,
		},
	}
}

// Error names the configuration key that is wrong and why.
type Error struct {
	Key    string
	Source string // "file", "env PARLEY_X", "flag --x"; empty when it comes from validation
	Msg    string
}

func (e *Error) Error() string {
	if e.Source != "" {
		return fmt.Sprintf("config: %s (from %s): %s", e.Key, e.Source, e.Msg)
	}
	return fmt.Sprintf("config: %s: %s", e.Key, e.Msg)
}

// field binds one dotted key to its place in Config, so that the file, the
// environment, flags, the example file and the dump all agree on one list.
type field struct {
	key    string
	secret bool
	get    func(*Config) string
	set    func(*Config, string) error
	// setList takes a YAML sequence; nil for keys that hold one value.
	setList func(*Config, []string) error
}

func str(p func(*Config) *string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return *p(c) },
		func(c *Config, v string) error { *p(c) = v; return nil }
}

// duration binds a key holding a Go duration (30s, 15m, 2h).
func duration(key string, p func(*Config) *time.Duration) field {
	return field{key: key,
		get: func(c *Config) string { return p(c).String() },
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a duration (for example 500ms, 30s or 15m)", v)
			}
			*p(c) = d
			return nil
		}}
}

// integer binds a key holding a whole number.
func integer[T int | int64](key string, p func(*Config) *T) field {
	return field{key: key,
		get: func(c *Config) string { return strconv.FormatInt(int64(*p(c)), 10) },
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v)
			}
			*p(c) = T(n)
			return nil
		}}
}

// rate binds the two keys of a token bucket: key.every and key.burst.
func rate(key string, p func(*Config) *Rate) []field {
	return []field{
		duration(key+".every", func(c *Config) *time.Duration { return &p(c).Every }),
		integer(key+".burst", func(c *Config) *int { return &p(c).Burst }),
	}
}

func fields() []field {
	f := func(key string, secret bool, p func(*Config) *string) field {
		g, s := str(p)
		return field{key: key, secret: secret, get: g, set: s}
	}
	fs := []field{
		f("listen", false, func(c *Config) *string { return &c.Listen }),
		f("base_url", false, func(c *Config) *string { return &c.BaseURL }),
		f("data_dir", false, func(c *Config) *string { return &c.DataDir }),
		f("site_name", false, func(c *Config) *string { return &c.SiteName }),
		f("default_language", false, func(c *Config) *string { return &c.DefaultLanguage }),
		{key: "trusted_proxies",
			get: func(c *Config) string { return strings.Join(c.TrustedProxies, ",") },
			set: func(c *Config, v string) error {
				c.TrustedProxies = nil
				for _, p := range strings.Split(v, ",") {
					if p = strings.TrimSpace(p); p != "" {
						c.TrustedProxies = append(c.TrustedProxies, p)
					}
				}
				return nil
			},
			setList: func(c *Config, v []string) error {
				c.TrustedProxies = v
				return nil
			}},
		f("log.format", false, func(c *Config) *string { return &c.Log.Format }),
		f("log.level", false, func(c *Config) *string { return &c.Log.Level }),
		f("smtp.host", false, func(c *Config) *string { return &c.SMTP.Host }),
		{key: "smtp.port",
			get: func(c *Config) string { return strconv.Itoa(c.SMTP.Port) },
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a port number", v)
				}
				c.SMTP.Port = n
				return nil
			}},
		f("smtp.username", false, func(c *Config) *string { return &c.SMTP.Username }),
		f("smtp.password", true, func(c *Config) *string { return &c.SMTP.Password }),
		f("smtp.from", false, func(c *Config) *string { return &c.SMTP.From }),
		f("smtp.tls", false, func(c *Config) *string { return &c.SMTP.TLS }),
		duration("mail.missed_after", func(c *Config) *time.Duration { return &c.Mail.MissedAfter }),
		f("geoip.database", false, func(c *Config) *string { return &c.GeoIP.Database }),
		{key: "backup.every",
			get: func(c *Config) string { return c.Backup.Every.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a duration (for example 24h, or 0 for off)", v)
				}
				c.Backup.Every = d
				return nil
			}},
		f("backup.dir", false, func(c *Config) *string { return &c.Backup.Dir }),
		{key: "backup.keep",
			get: func(c *Config) string { return strconv.Itoa(c.Backup.Keep) },
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a whole number", v)
				}
				c.Backup.Keep = n
				return nil
			}},
		{key: "retention.days",
			get: func(c *Config) string { return strconv.Itoa(c.Retention.Days) },
			set: func(c *Config, v string) error {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a whole number of days", v)
				}
				c.Retention.Days = n
				return nil
			}},
		f("retention.mode", false, func(c *Config) *string { return &c.Retention.Mode }),
		f("replica.url", false, func(c *Config) *string { return &c.Replica.URL }),
		f("replica.endpoint", false, func(c *Config) *string { return &c.Replica.Endpoint }),
		f("replica.region", false, func(c *Config) *string { return &c.Replica.Region }),
		f("replica.access_key_id", false, func(c *Config) *string { return &c.Replica.AccessKeyID }),
		f("replica.secret_access_key", true, func(c *Config) *string { return &c.Replica.SecretAccessKey }),
		integer("attachments.max_bytes", func(c *Config) *int64 { return &c.Attachments.MaxBytes }),
		{key: "attachments.types",
			get: func(c *Config) string { return strings.Join(c.Attachments.Types, ",") },
			set: func(c *Config, v string) error {
				c.Attachments.Types = nil
				for _, t := range strings.Split(v, ",") {
					if t = strings.TrimSpace(t); t != "" {
						c.Attachments.Types = append(c.Attachments.Types, t)
					}
				}
				return nil
			},
			setList: func(c *Config, v []string) error {
				c.Attachments.Types = v
				return nil
			}},
		{key: "memory.headroom_mib",
			get: func(c *Config) string {
				if c.Memory.HeadroomMiB == AutoHeadroom {
					return "auto"
				}
				return strconv.FormatInt(c.Memory.HeadroomMiB, 10)
			},
			set: func(c *Config, v string) error {
				if v = strings.TrimSpace(v); v == "auto" {
					c.Memory.HeadroomMiB = AutoHeadroom
					return nil
				}
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return fmt.Errorf("%q is not auto or a whole number of MiB", v)
				}
				c.Memory.HeadroomMiB = n
				return nil
			}},
		f("metrics.token", true, func(c *Config) *string { return &c.Metrics.Token }),
		f("metrics.listen", false, func(c *Config) *string { return &c.Metrics.Listen }),
		{key: "livechat.abandon_after",
			get: func(c *Config) string { return c.Livechat.AbandonAfter.String() },
			set: func(c *Config, v string) error {
				d, err := time.ParseDuration(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not a duration (for example 30m or 2h)", v)
				}
				c.Livechat.AbandonAfter = d
				return nil
			}},
		{key: "livechat.public_index",
			get: func(c *Config) string { return strconv.FormatBool(c.Livechat.PublicIndex) },
			set: func(c *Config, v string) error {
				b, err := strconv.ParseBool(strings.TrimSpace(v))
				if err != nil {
					return fmt.Errorf("%q is not true or false", v)
				}
				c.Livechat.PublicIndex = b
				return nil
			}},
		duration("http.read_header_timeout", func(c *Config) *time.Duration { return &c.HTTP.ReadHeaderTimeout }),
		duration("http.read_timeout", func(c *Config) *time.Duration { return &c.HTTP.ReadTimeout }),
		duration("http.write_timeout", func(c *Config) *time.Duration { return &c.HTTP.WriteTimeout }),
		duration("http.idle_timeout", func(c *Config) *time.Duration { return &c.HTTP.IdleTimeout }),
		integer("http.max_header_bytes", func(c *Config) *int { return &c.HTTP.MaxHeaderBytes }),
		integer("http.max_url_length", func(c *Config) *int { return &c.HTTP.MaxURLLength }),
		integer("http.max_body_bytes", func(c *Config) *int64 { return &c.HTTP.MaxBodyBytes }),
		integer("http.max_conns_per_ip", func(c *Config) *int { return &c.HTTP.MaxConnsPerIP }),
		integer("limits.max_tracked_keys", func(c *Config) *int { return &c.Limits.MaxTrackedKeys }),
	}
	for _, r := range limitRates {
		fs = append(fs, rate("limits."+r.key, r.p)...)
	}
	return append(fs,
		integer("limits.sockets_per_visitor", func(c *Config) *int { return &c.Limits.SocketsPerVisitor }),
		integer("limits.operator_sockets_per_user", func(c *Config) *int { return &c.Limits.OperatorSocketsPerUser }),
		integer("limits.picture_bytes", func(c *Config) *int64 { return &c.Limits.PictureBytes }),
		integer("limits.login_failures_per_ip", func(c *Config) *int { return &c.Limits.LoginFailuresPerIP }),
		integer("limits.login_failures_per_email", func(c *Config) *int { return &c.Limits.LoginFailuresPerEmail }),
		duration("limits.login_window", func(c *Config) *time.Duration { return &c.Limits.LoginWindow }),
	)
}

// limitRates lists the token-bucket limits, in the order of the example
// file; Validate checks them all alike.
var limitRates = []struct {
	key string
	p   func(*Config) *Rate
}{
	{"messages_per_token", func(c *Config) *Rate { return &c.Limits.MessagesPerToken }},
	{"messages_per_ip", func(c *Config) *Rate { return &c.Limits.MessagesPerIP }},
	{"message_reads_per_ip", func(c *Config) *Rate { return &c.Limits.MessageReadsPerIP }},
	{"typing_per_token", func(c *Config) *Rate { return &c.Limits.TypingPerToken }},
	{"typing_per_ip", func(c *Config) *Rate { return &c.Limits.TypingPerIP }},
	{"sessions_per_ip", func(c *Config) *Rate { return &c.Limits.SessionsPerIP }},
	{"page_views_per_ip", func(c *Config) *Rate { return &c.Limits.PageViewsPerIP }},
	{"init_per_ip", func(c *Config) *Rate { return &c.Limits.InitPerIP }},
	{"offline_messages_per_ip", func(c *Config) *Rate { return &c.Limits.OfflineMessagesPerIP }},
	{"transcripts_per_visitor", func(c *Config) *Rate { return &c.Limits.TranscriptsPerVisitor }},
	{"sockets_per_ip", func(c *Config) *Rate { return &c.Limits.SocketsPerIP }},
}

// Keys lists every configuration key in the order of the example file.
func Keys() []string {
	var ks []string
	for _, f := range fields() {
		ks = append(ks, f.key)
	}
	return ks
}

// EnvName returns the environment variable that overrides key.
func EnvName(key string) string {
	return "PARLEY_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Load builds the configuration from defaults, the YAML file at path (skipped
// when path is empty), then the environment given as KEY=VALUE lines.
func Load(path string, environ []string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := decodeYAML(b, &c); err != nil {
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, f := range fields() {
		name := EnvName(f.key)
		if v, ok := env[name]; ok {
			if err := f.set(&c, v); err != nil {
				return c, &Error{Key: f.key, Source: "env " + name, Msg: err.Error()}
			}
		}
	}
	return c, nil
}

// problem is one thing wrong in the YAML file, worded for the person who
// wrote it: what is wrong (a dotted key, "unknown key ...", "the file"), the
// line, and why.
type problem struct {
	what string
	line int
	msg  string
}

func (p problem) String() string {
	s := p.what
	if p.line > 0 {
		s += fmt.Sprintf(" (line %d)", p.line)
	}
	if p.msg != "" {
		s += ": " + p.msg
	}
	return s
}

// problems are every problem of one file; they print on one line because
// an invalid value must stop start-up with one line, not a yaml dump.
type problems []problem

func (ps problems) Error() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem rewords a parse error ("yaml: line 2: mapping values are
// not allowed in this context") as a problem.
func syntaxProblem(err error) problems {
	msg := strings.Join(strings.Fields(err.Error()), " ") // one line, whatever yaml says
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return problems{{what: "invalid YAML", line: line, msg: m[2]}}
	}
	return problems{{what: "invalid YAML", msg: strings.TrimPrefix(msg, "yaml: ")}}
}

// decodeYAML applies the YAML file b to c. It walks the document node by
// node instead of letting yaml decode into Config, because yaml's errors
// name Go types and lines ("line 2: cannot unmarshal !!str `abc` into
// int"), not the key, and span several lines; walking, every problem knows
// its dotted key. Scalars go through the same setters as the environment,
// so a value means the same in the file as in PARLEY_*.
func decodeYAML(b []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil // empty, or only comments
	} else if err != nil {
		return syntaxProblem(err)
	}
	// yaml reads one document; a second one would be silently ignored.
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return problems{{what: "the file", line: next.Line, msg: "has a second YAML document, only one is allowed"}}
	} else if !errors.Is(err, io.EOF) {
		return syntaxProblem(err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		root = root.Content[0]
	}
	root = resolve(root)
	if isNull(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return problems{{what: "the file", line: root.Line, msg: "must be a mapping of keys such as listen and smtp, not " + describe(root)}}
	}
	byKey := map[string]field{}
	for _, f := range fields() {
		byKey[f.key] = f
	}
	if ps := applyMapping(c, byKey, root, ""); len(ps) > 0 {
		return ps
	}
	return nil
}

// applyMapping sets the keys of mapping n, whose keys are below prefix
// ("" or "smtp."), and returns every problem found, in file order.
func applyMapping(c *Config, byKey map[string]field, n *yaml.Node, prefix string) problems {
	var ps problems
	seen := map[string]int{} // key → line first set
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		key := prefix + k.Value
		if first, dup := seen[key]; dup {
			ps = append(ps, problem{what: key, line: k.Line, msg: fmt.Sprintf("set twice (first on line %d)", first)})
			continue
		}
		seen[key] = k.Line
		if f, ok := byKey[key]; ok {
			if err := applyValue(c, f, v); err != nil {
				ps = append(ps, problem{what: key, line: k.Line, msg: err.Error()})
			}
			continue
		}
		sub := subkeys(key)
		switch {
		case len(sub) == 0:
			ps = append(ps, problem{what: fmt.Sprintf("unknown key %q", key), line: k.Line})
		case isNull(v): // "smtp:" with nothing below keeps the defaults
		case v.Kind == yaml.MappingNode:
			ps = append(ps, applyMapping(c, byKey, v, key+".")...)
		default:
			ps = append(ps, problem{what: key, line: k.Line,
				msg: fmt.Sprintf("must be a mapping (%s), not %s", strings.Join(sub, ", "), describe(v))})
		}
	}
	return ps
}

// applyValue sets one key from its YAML value.
func applyValue(c *Config, f field, v *yaml.Node) error {
	switch {
	case isNull(v):
		return nil // "listen:" with no value keeps the default, as yaml itself does
	case v.Kind == yaml.ScalarNode:
		return f.set(c, v.Value)
	case f.setList == nil:
		return fmt.Errorf("must be a single value, not %s", describe(v))
	case v.Kind != yaml.SequenceNode:
		return fmt.Errorf("must be a list, not %s", describe(v))
	}
	items := make([]string, 0, len(v.Content))
	for _, it := range v.Content {
		if it = resolve(it); it.Kind != yaml.ScalarNode {
			return fmt.Errorf("the item on line %d must be a single value, not %s", it.Line, describe(it))
		}
		items = append(items, it.Value)
	}
	return f.setList(c, items)
}

// subkeys lists the keys directly below section ("smtp" → host, port, …),
// none when section is not one.
func subkeys(section string) []string {
	var out []string
	for _, f := range fields() {
		if rest, ok := strings.CutPrefix(f.key, section+"."); ok {
			out = append(out, rest)
		}
	}
	return out
}

// resolve follows an alias (*name) to the node it stands for.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is, for "must be X, not Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return strconv.Quote(n.Value)
}

// Set overrides key with a textual value, as a command-line flag does.
func (c *Config) Set(key, value string) error {
	for _, f := range fields() {
		if f.key == key {
			if err := f.set(c, value); err != nil {
				return &Error{Key: key, Msg: err.Error()}
			}
			return nil
		}
	}
	return &Error{Key: key, Msg: "unknown key"}
}

// languageTag is the shape of a BCP 47 tag (en, es, pt-BR).
var languageTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// maxSiteName is the channel name limit; see Validate.
const maxSiteName = 100

// Validate checks every value and returns the first problem, naming its key.
func (c *Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return bad("listen", "%q is not host:port (for example 127.0.0.1:8080 or :8080)", c.Listen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return bad("listen", "%q has an invalid port", c.Listen)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return bad("listen", "%q: host must be an IP address, localhost or empty", c.Listen)
		}
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("base_url", "%q must be an absolute http:// or https:// URL", c.BaseURL)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return bad("base_url", "%q must not have a query or fragment", c.BaseURL)
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return bad("data_dir", "must not be empty")
	}
	if strings.TrimSpace(c.SiteName) == "" {
		return bad("site_name", "must not be empty")
	}
	// The site name becomes the first channel's name, so it must fit that
	// limit (livechat's maxNameLen, trimmed like a channel name); otherwise
	// start-up would fail later, in "first-run data".
	if n := utf8.RuneCountInString(strings.TrimSpace(c.SiteName)); n > maxSiteName {
		return bad("site_name", "is %d characters long, at most %d are allowed", n, maxSiteName)
	}
	// The catalogues are not known here: the composition root checks that
	// the language is one Parley speaks.
	if !languageTag.MatchString(c.DefaultLanguage) {
		return bad("default_language", "%q must be a language tag such as en or es", c.DefaultLanguage)
	}
	if _, err := ParseProxies(c.TrustedProxies); err != nil {
		return &Error{Key: "trusted_proxies", Msg: err.Error()}
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return bad("log.format", "%q must be text or json", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	if c.SMTP.Port < 1 || c.SMTP.Port > 65535 {
		return bad("smtp.port", "%d is not between 1 and 65535", c.SMTP.Port)
	}
	switch c.SMTP.TLS {
	case "starttls", "tls", "none":
	default:
		return bad("smtp.tls", "%q must be starttls, tls or none", c.SMTP.TLS)
	}
	if c.SMTP.Host != "" {
		if c.SMTP.From == "" {
			return bad("smtp.from", "must be set when smtp.host is set")
		}
		if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
			return bad("smtp.from", "%q is not an email address", c.SMTP.From)
		}
	}
	if c.Retention.Days < 0 || c.Retention.Days > 36500 {
		return bad("retention.days", "%d must be between 0 (keep everything) and 36500", c.Retention.Days)
	}
	if c.Retention.Mode != "anonymise" && c.Retention.Mode != "delete" {
		return bad("retention.mode", "%q must be anonymise or delete", c.Retention.Mode)
	}
	if c.Backup.Every != 0 && c.Backup.Every < time.Hour {
		return bad("backup.every", "%s: back up at most once an hour (or 0 for off)", c.Backup.Every)
	}
	if c.Backup.Keep < 1 || c.Backup.Keep > 1000 {
		return bad("backup.keep", "%d must be between 1 and 1000", c.Backup.Keep)
	}
	if err := c.Replica.check(); err != nil {
		return err
	}
	if t := c.Metrics.Token; t != "" && len(t) < 16 {
		return bad("metrics.token", "must be at least 16 characters (it guards /metrics); generate one with: openssl rand -hex 16")
	}
	if c.Metrics.Listen != "" {
		if _, port, err := net.SplitHostPort(c.Metrics.Listen); err != nil || port == "" {
			return bad("metrics.listen", "%q is not host:port (for example 127.0.0.1:9090)", c.Metrics.Listen)
		}
		if c.Metrics.Listen == c.Listen {
			return bad("metrics.listen", "%q is the main listen address; give metrics their own", c.Metrics.Listen)
		}
	}
	if m := c.Mail.MissedAfter; m != 0 && (m < time.Minute || m > 24*time.Hour) {
		return bad("mail.missed_after", "%s must be 0 (off) or between 1m and 24h", m)
	}
	if c.Livechat.AbandonAfter < time.Minute || c.Livechat.AbandonAfter > 7*24*time.Hour {
		return bad("livechat.abandon_after", "%s must be between 1m and 168h", c.Livechat.AbandonAfter)
	}
	if err := between("attachments.max_bytes", c.Attachments.MaxBytes, 1<<10, 1<<30, showInt); err != nil {
		return err
	}
	if h := c.Memory.HeadroomMiB; h != AutoHeadroom && (h < 0 || h > 1<<20) {
		return bad("memory.headroom_mib", "%d must be auto, 0 (Go's own pace) or a number of MiB up to %d", h, 1<<20)
	}
	if err := c.validateHTTP(); err != nil {
		return err
	}
	if err := c.validateLimits(); err != nil {
		return err
	}
	if c.GeoIP.Database != "" {
		if st, err := os.Stat(c.GeoIP.Database); err != nil || st.IsDir() {
			return bad("geoip.database", "%q is not a readable file", c.GeoIP.Database)
		}
	}
	return nil
}

func between[T int | int64 | time.Duration](key string, v, lo, hi T, show func(T) string) error {
	if v < lo || v > hi {
		return &Error{Key: key, Msg: fmt.Sprintf("%s must be between %s and %s", show(v), show(lo), show(hi))}
	}
	return nil
}

func showDuration(d time.Duration) string { return d.String() }

func showInt[T int | int64](n T) string { return strconv.FormatInt(int64(n), 10) }

func (c *Config) validateHTTP() error {
	h := c.HTTP
	for _, d := range []struct {
		key    string
		v, max time.Duration
	}{
		{"http.read_header_timeout", h.ReadHeaderTimeout, time.Hour},
		{"http.read_timeout", h.ReadTimeout, time.Hour},
		{"http.write_timeout", h.WriteTimeout, time.Hour},
		{"http.idle_timeout", h.IdleTimeout, 24 * time.Hour},
	} {
		if err := between(d.key, d.v, time.Second, d.max, showDuration); err != nil {
			return err
		}
	}
	if err := between("http.max_header_bytes", h.MaxHeaderBytes, 4<<10, 1<<20, showInt); err != nil {
		return err
	}
	// The request line is part of the header block, so a URL limit above
	// max_header_bytes could never be reached.
	if h.MaxURLLength < 1<<10 || h.MaxURLLength > h.MaxHeaderBytes {
		return &Error{Key: "http.max_url_length", Msg: fmt.Sprintf("%d must be between 1024 and http.max_header_bytes (%d), since the URL is part of the headers", h.MaxURLLength, h.MaxHeaderBytes)}
	}
	if err := between("http.max_body_bytes", h.MaxBodyBytes, 64<<10, 64<<20, showInt); err != nil {
		return err
	}
	return between("http.max_conns_per_ip", h.MaxConnsPerIP, 1, 1_000_000, showInt)
}

func (c *Config) validateLimits() error {
	l := c.Limits
	if err := between("limits.max_tracked_keys", l.MaxTrackedKeys, 1000, 10_000_000, showInt); err != nil {
		return err
	}
	for _, r := range limitRates {
		rt := *r.p(c)
		if err := between("limits."+r.key+".every", rt.Every, time.Millisecond, 24*time.Hour, showDuration); err != nil {
			return err
		}
		if err := between("limits."+r.key+".burst", rt.Burst, 1, 1_000_000, showInt); err != nil {
			return err
		}
	}
	for _, n := range []struct {
		key string
		v   int
	}{
		{"limits.sockets_per_visitor", l.SocketsPerVisitor},
		{"limits.operator_sockets_per_user", l.OperatorSocketsPerUser},
		{"limits.login_failures_per_ip", l.LoginFailuresPerIP},
		{"limits.login_failures_per_email", l.LoginFailuresPerEmail},
	} {
		if err := between(n.key, n.v, 1, 10_000, showInt); err != nil {
			return err
		}
	}
	if err := between("limits.picture_bytes", l.PictureBytes, 16<<10, 32<<20, showInt); err != nil {
		return err
	}
	return between("limits.login_window", l.LoginWindow, time.Minute, 24*time.Hour, showDuration)
}

// ParseProxies parses trusted proxy CIDRs; a bare IP means that one address.
func ParseProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// DatabasePath is where the SQLite file lives.
func (c *Config) DatabasePath() string {
	return filepath.Join(c.DataDir, "parley.db")
}

// PublicURL is base_url without a trailing slash, or a URL derived from
// listen when base_url is unset.
func (c *Config) PublicURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// SecureCookies reports whether cookies must carry the Secure flag. URL
// schemes are case-insensitive, and Validate accepts HTTPS://, so the
// scheme is compared as net/url parses it (lower case), not as typed.
func (c *Config) SecureCookies() bool {
	u, err := url.Parse(c.BaseURL)
	return err == nil && u.Scheme == "https"
}

// Dump renders the effective configuration as key = value lines with secrets
// masked, for `parley config` and start-up diagnostics.
func (c *Config) Dump() string {
	var b strings.Builder
	for _, f := range fields() {
		v := f.get(c)
		if f.secret && v != "" {
			v = "********"
		}
		fmt.Fprintf(&b, "%s = %s\n", f.key, v)
	}
	return b.String()
}

// UnknownEnv lists the PARLEY_* variables in environ that no setting reads
// (nor the names in also, read elsewhere), each with the closest known
// name: a typo such as PARLEY_LISTEN_ADDR would otherwise be ignored
// silently, while the same typo in the YAML file is an error.
func UnknownEnv(environ []string, also ...string) []string {
	known := map[string]bool{}
	for _, f := range fields() {
		known[EnvName(f.key)] = true
	}
	for _, n := range also {
		known[n] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "PARLEY_") || known[name] {
			continue
		}
		best, dist := "", 1<<30
		for k := range known {
			if d := editDistance(name, k); d < dist || (d == dist && k < best) {
				best, dist = k, d
			}
		}
		msg := name + " is not a Parley setting"
		if dist <= len(name)/3 {
			msg += "; did you mean " + best + "?"
		}
		out = append(out, msg)
	}
	sort.Strings(out)
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// LoopbackWarning explains, when Parley listens on a public address but its
// public URL names this machine's loopback, that the embed snippet and the
// links it hands out will not work for anyone else; "" otherwise.
func (c *Config) LoopbackWarning() string {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil || isLoopbackHost(host) {
		return "" // reachable from this machine only: localhost is right
	}
	if !c.PublicURLIsLoopback() {
		return ""
	}
	return fmt.Sprintf("listen %s accepts other machines, but the public URL is %s: the widget snippet and links would point visitors at their own computer; set base_url (PARLEY_BASE_URL) to the address visitors use", c.Listen, c.PublicURL())
}

// PublicURLIsLoopback says whether the public URL names this machine's
// loopback (localhost, 127.0.0.1): only a browser on this machine reaches it.
func (c *Config) PublicURLIsLoopback() bool {
	u, err := url.Parse(c.PublicURL())
	return err == nil && isLoopbackHost(u.Hostname())
}

// IsLoopbackHost says whether host (no port) names the loopback.
func IsLoopbackHost(h string) bool { return isLoopbackHost(h) }

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

// check refuses a replica URL Parley cannot replicate to, and keys given
// by halves.
func (r Replica) check() error {
	bad := func(key, format string, args ...any) error {
		return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	u := strings.TrimSpace(r.URL)
	switch scheme, rest, ok := strings.Cut(u, "://"); {
	case u == "":
		if r.Endpoint != "" || r.AccessKeyID != "" || r.SecretAccessKey != "" {
			return bad("replica.url", "must be set when replica.endpoint or the replica keys are")
		}
		return nil
	case !ok:
		if !filepath.IsAbs(u) {
			return bad("replica.url", "%q: give an absolute directory path or an s3://bucket/path URL", u)
		}
	case scheme == "file":
		if !strings.HasPrefix(rest, "/") {
			return bad("replica.url", "%q: a file:// URL needs an absolute path (file:///var/backups/parley)", u)
		}
	case scheme == "s3":
		if bucket, _, _ := strings.Cut(rest, "/"); bucket == "" || strings.ContainsAny(bucket, "?#") {
			return bad("replica.url", "%q names no bucket (s3://bucket/path)", u)
		}
	default:
		return bad("replica.url", "%q: only a directory path or an s3:// URL is supported", u)
	}
	if (r.AccessKeyID == "") != (r.SecretAccessKey == "") {
		return bad("replica.access_key_id", "replica.access_key_id and replica.secret_access_key go together")
	}
	return nil
}

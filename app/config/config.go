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
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Config is the effective configuration of one Parley process.
type Config struct {
	Listen         string   `yaml:"listen"`
	BaseURL        string   `yaml:"base_url"`
	DataDir        string   `yaml:"data_dir"`
	SiteName       string   `yaml:"site_name"`
	TrustedProxies []string `yaml:"trusted_proxies"`
	Log            Log      `yaml:"log"`
	SMTP           SMTP     `yaml:"smtp"`
	GeoIP          GeoIP    `yaml:"geoip"`
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

// GeoIP points at an optional MaxMind-format country database.
type GeoIP struct {
	Database string `yaml:"database"`
}

// Default returns the configuration used when nothing overrides it.
func Default() Config {
	return Config{
		Listen:   "127.0.0.1:8080",
		DataDir:  "./data",
		SiteName: "YourWebsite.com",
		Log:      Log{Format: "text", Level: "info"},
		SMTP:     SMTP{Port: 587, TLS: "starttls"},
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
}

func str(p func(*Config) *string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return *p(c) },
		func(c *Config, v string) error { *p(c) = v; return nil }
}

func fields() []field {
	f := func(key string, secret bool, p func(*Config) *string) field {
		g, s := str(p)
		return field{key: key, secret: secret, get: g, set: s}
	}
	return []field{
		f("listen", false, func(c *Config) *string { return &c.Listen }),
		f("base_url", false, func(c *Config) *string { return &c.BaseURL }),
		f("data_dir", false, func(c *Config) *string { return &c.DataDir }),
		f("site_name", false, func(c *Config) *string { return &c.SiteName }),
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
		f("geoip.database", false, func(c *Config) *string { return &c.GeoIP.Database }),
	}
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

func decodeYAML(b []byte, c *Config) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt key is an error, not a silently ignored setting
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
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
	if c.GeoIP.Database != "" {
		if st, err := os.Stat(c.GeoIP.Database); err != nil || st.IsDir() {
			return bad("geoip.database", "%q is not a readable file", c.GeoIP.Database)
		}
	}
	return nil
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

// SecureCookies reports whether cookies must carry the Secure flag.
func (c *Config) SecureCookies() bool {
	return strings.HasPrefix(c.BaseURL, "https://")
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

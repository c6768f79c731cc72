package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "parley.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	path := writeFile(t, "listen: 127.0.0.1:9000\nsite_name: FromFile\nsmtp:\n  host: mail.example.com\n  from: chat@example.com\nlog:\n  level: debug\n")
	c, err := Load(path, []string{"PARLEY_SITE_NAME=FromEnv", "PARLEY_SMTP_PORT=2525", "UNRELATED=1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("listen", "127.0.0.1:9100"); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ got, want string }{
		{c.Listen, "127.0.0.1:9100"},      // flag beats file
		{c.SiteName, "FromEnv"},           // env beats file
		{c.SMTP.Host, "mail.example.com"}, // file beats default
		{c.Log.Level, "debug"},
		{c.Log.Format, "text"}, // default
		{c.DataDir, "./data"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf(`%d: got %q, want %q`, i, tt.got, tt.want)
		}
	}
	if c.SMTP.Port != 2525 {
		t.Errorf(`smtp.port = %d, want 2525`, c.SMTP.Port)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf(`Validate: %v`, err)
	}
}

func TestEnvNames(t *testing.T) {
	for key, want := range map[string]string{
		"listen": "PARLEY_LISTEN", "data_dir": "PARLEY_DATA_DIR", "base_url": "PARLEY_BASE_URL",
		"smtp.host": "PARLEY_SMTP_HOST", "geoip.database": "PARLEY_GEOIP_DATABASE",
	} {
		if got := EnvName(key); got != want {
			t.Errorf(`EnvName(%q) = %q, want %q`, key, got, want)
		}
	}
}

func TestEveryKeyHasEnvOverride(t *testing.T) {
	var env []string
	for _, k := range Keys() {
		env = append(env, EnvName(k)+"=x")
	}
	// Every key must be reachable from the environment; a bad value for the
	// typed ones proves the override was attempted.
	_, err := Load("", env)
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "smtp.port" {
		t.Fatalf(`want an error naming smtp.port, got %v`, err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantKey string
	}{
		{"defaults", func(*Config) {}, ""},
		{"listen garbage", func(c *Config) { c.Listen = "nope" }, "listen"},
		{"listen port", func(c *Config) { c.Listen = ":99999" }, "listen"},
		{"listen any", func(c *Config) { c.Listen = ":8080" }, ""},
		{"base_url relative", func(c *Config) { c.BaseURL = "chat.example.com" }, "base_url"},
		{"base_url ftp", func(c *Config) { c.BaseURL = "ftp://x" }, "base_url"},
		{"base_url https", func(c *Config) { c.BaseURL = "https://chat.example.com/" }, ""},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, "log.format"},
		{"log level", func(c *Config) { c.Log.Level = "loud" }, "log.level"},
		{"smtp tls", func(c *Config) { c.SMTP.TLS = "maybe" }, "smtp.tls"},
		{"smtp port", func(c *Config) { c.SMTP.Port = 0 }, "smtp.port"},
		{"smtp from missing", func(c *Config) { c.SMTP.Host = "mail" }, "smtp.from"},
		{"smtp from bad", func(c *Config) { c.SMTP.Host = "mail"; c.SMTP.From = "not an address" }, "smtp.from"},
		{"proxies", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "::1", "bogus"} }, "trusted_proxies"},
		{"geoip missing", func(c *Config) { c.GeoIP.Database = filepath.Join(t.TempDir(), "none.mmdb") }, "geoip.database"},
		{"site name", func(c *Config) { c.SiteName = " " }, "site_name"},
		// The site name becomes the first channel's name, so it has that limit.
		{"site name long", func(c *Config) { c.SiteName = strings.Repeat("é", 101) }, "site_name"},
		{"site name at the limit", func(c *Config) { c.SiteName = " " + strings.Repeat("é", 100) + " " }, ""},
		{"memory headroom negative", func(c *Config) { c.Memory.HeadroomMiB = -5 }, "memory.headroom_mib"},
		{"memory headroom off", func(c *Config) { c.Memory.HeadroomMiB = 0 }, ""},
		{"data dir", func(c *Config) { c.DataDir = "" }, "data_dir"},
		{"read timeout zero", func(c *Config) { c.HTTP.ReadTimeout = 0 }, "http.read_timeout"},
		{"write timeout huge", func(c *Config) { c.HTTP.WriteTimeout = 2 * time.Hour }, "http.write_timeout"},
		{"header bytes tiny", func(c *Config) { c.HTTP.MaxHeaderBytes = 100 }, "http.max_header_bytes"},
		{"url above headers", func(c *Config) { c.HTTP.MaxURLLength = c.HTTP.MaxHeaderBytes + 1 }, "http.max_url_length"},
		{"body tiny", func(c *Config) { c.HTTP.MaxBodyBytes = 10 }, "http.max_body_bytes"},
		{"conns zero", func(c *Config) { c.HTTP.MaxConnsPerIP = 0 }, "http.max_conns_per_ip"},
		{"tracked keys", func(c *Config) { c.Limits.MaxTrackedKeys = 10 }, "limits.max_tracked_keys"},
		{"rate every", func(c *Config) { c.Limits.InitPerIP.Every = 0 }, "limits.init_per_ip.every"},
		{"rate burst", func(c *Config) { c.Limits.TypingPerIP.Burst = 0 }, "limits.typing_per_ip.burst"},
		{"operator sockets", func(c *Config) { c.Limits.OperatorSocketsPerUser = 0 }, "limits.operator_sockets_per_user"},
		{"login window", func(c *Config) { c.Limits.LoginWindow = time.Second }, "limits.login_window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf(`unexpected error: %v`, err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tt.wantKey {
				t.Fatalf(`got %v, want an error naming %q`, err, tt.wantKey)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf(`error must be one line: %q`, err)
			}
		})
	}
}

// A bad file stops start-up with one line naming every bad key and its
// line, in the words of the configuration, not of Go's types.
func TestYAMLErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"unknown key", "listne: :8080\n", `unknown key "listne" (line 1)`},
		{"unknown nested key", "smtp:\n  prot: 25\n", `unknown key "smtp.prot" (line 2)`},
		{"not a number", "smtp:\n  port: abc\n", `smtp.port (line 2): "abc" is not a port number`},
		{"list for a value", "listen:\n  - :8080\n", `listen (line 1): must be a single value, not a list`},
		{"mapping for a value", "site_name: {a: b}\n", `site_name (line 1): must be a single value, not a mapping`},
		{"value for a section", "smtp: mail.example.com\n", `smtp (line 1): must be a mapping (host, port, username, password, from, tls), not "mail.example.com"`},
		{"mapping for a list", "trusted_proxies:\n  a: b\n", `trusted_proxies (line 1): must be a list, not a mapping`},
		{"list item", "trusted_proxies:\n  - 10.0.0.1\n  - [a]\n", `trusted_proxies (line 1): the item on line 3 must be a single value, not a list`},
		{"set twice", "listen: :8080\nsite_name: x\nlisten: :9090\n", `listen (line 3): set twice (first on line 1)`},
		{"several", "lisen: :8080\nsmtp:\n  port: abc\n  tls: yes\n", `unknown key "lisen" (line 1); smtp.port (line 3): "abc" is not a port number`},
		{"not a mapping", "- listen\n", `the file (line 1): must be a mapping of keys such as listen and smtp, not a list`},
		{"two documents", "listen: :8080\n---\nlisten: :9090\n", `the file (line 2): has a second YAML document, only one is allowed`},
		{"syntax", "listen: :8080\n  site_name: x\n", `invalid YAML (line 2): mapping values are not allowed in this context`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.body)
			_, err := Load(path, nil)
			if err == nil {
				t.Fatalf(`no error for %q`, tt.body)
			}
			if got, want := err.Error(), "config: "+path+": "+tt.want; got != want {
				t.Fatalf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestYAMLValues(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(Config) bool
	}{
		{"empty", "", func(c Config) bool { return c.Dump() == func() string { d := Default(); return d.Dump() }() }},
		{"comments only", "# nothing\n", func(c Config) bool { return c.Listen == Default().Listen }},
		{"null keeps the default", "listen:\nsmtp:\n", func(c Config) bool { return c.Listen == Default().Listen && c.SMTP.Port == 587 }},
		{"quoted port", "smtp:\n  port: \"2525\"\n", func(c Config) bool { return c.SMTP.Port == 2525 }},
		{"proxy list", "trusted_proxies:\n  - 10.0.0.0/8\n  - ::1\n", func(c Config) bool { return strings.Join(c.TrustedProxies, " ") == "10.0.0.0/8 ::1" }},
		{"proxies as one value, like the environment", "trusted_proxies: 10.0.0.0/8, ::1\n", func(c Config) bool { return len(c.TrustedProxies) == 2 }},
		{"quoted string", "site_name: 'It''s: ours'\n", func(c Config) bool { return c.SiteName == "It's: ours" }},
		{"anchors", "listen: &l 127.0.0.1:9000\nlog:\n  level: *l\n", func(c Config) bool { return c.Log.Level == "127.0.0.1:9000" }},
		{"a rate as a flow mapping", "limits:\n  typing_per_ip: {every: 2s, burst: 3}\n", func(c Config) bool {
			return c.Limits.TypingPerIP == Rate{Every: 2 * time.Second, Burst: 3} && c.Limits.InitPerIP == Default().Limits.InitPerIP
		}},
		{"a rate as a block mapping", "limits:\n  init_per_ip:\n    burst: 7\n", func(c Config) bool {
			return c.Limits.InitPerIP == Rate{Every: Default().Limits.InitPerIP.Every, Burst: 7}
		}},
		{"http durations", "http:\n  read_timeout: 5s\n  max_conns_per_ip: 50\n", func(c Config) bool {
			return c.HTTP.ReadTimeout == 5*time.Second && c.HTTP.MaxConnsPerIP == 50
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeFile(t, tt.body), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("unexpected configuration for %q:\n%s", tt.body, c.Dump())
			}
		})
	}
}

func TestSecureCookies(t *testing.T) {
	tests := []struct {
		baseURL string
		want    bool
	}{
		{"", false},
		{"http://chat.example.com", false},
		{"https://chat.example.com", true},
		{"HTTPS://chat.example.com", true},
		{"Https://chat.example.com/", true},
	}
	for _, tt := range tests {
		c := Default()
		c.BaseURL = tt.baseURL
		if err := c.Validate(); err != nil {
			t.Errorf(`%q: Validate: %v`, tt.baseURL, err)
		}
		if got := c.SecureCookies(); got != tt.want {
			t.Errorf(`SecureCookies with base_url %q = %v, want %v`, tt.baseURL, got, tt.want)
		}
	}
}

// Limits take the same values from the environment as from the file, and
// a bad one names its key.
func TestLimitsFromEnv(t *testing.T) {
	c, err := Load("", []string{"PARLEY_LIMITS_MESSAGE_READS_PER_IP_EVERY=1s", "PARLEY_LIMITS_MESSAGE_READS_PER_IP_BURST=4",
		"PARLEY_HTTP_WRITE_TIMEOUT=90s", "PARLEY_LIMITS_OPERATOR_SOCKETS_PER_USER=3", "PARLEY_HTTP_MAX_BODY_BYTES=2097152"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.MessageReadsPerIP != (Rate{Every: time.Second, Burst: 4}) || c.HTTP.WriteTimeout != 90*time.Second ||
		c.Limits.OperatorSocketsPerUser != 3 || c.HTTP.MaxBodyBytes != 2<<20 {
		t.Fatalf("environment not applied:\n%s", c.Dump())
	}
	_, err = Load("", []string{"PARLEY_HTTP_READ_TIMEOUT=soon"})
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "http.read_timeout" || !strings.Contains(err.Error(), `"soon" is not a duration`) {
		t.Fatalf(`got %v, want an error naming http.read_timeout`, err)
	}
	_, err = Load("", []string{"PARLEY_LIMITS_INIT_PER_IP_BURST=many"})
	if !errors.As(err, &ce) || ce.Key != "limits.init_per_ip.burst" {
		t.Fatalf(`got %v, want an error naming limits.init_per_ip.burst`, err)
	}
}

func TestTrustedProxiesFromEnv(t *testing.T) {
	c, err := Load("", []string{"PARLEY_TRUSTED_PROXIES=10.0.0.0/8, 192.168.1.1"})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := ParseProxies(c.TrustedProxies)
	if err != nil || len(ps) != 2 || ps[1].Bits() != 32 {
		t.Fatalf(`got %v %v`, ps, err)
	}
}

func TestDumpMasksSecrets(t *testing.T) {
	c := Default()
	c.SMTP.Password = "hunter2"
	if d := c.Dump(); strings.Contains(d, "hunter2") || !strings.Contains(d, "smtp.password = ********") {
		t.Fatalf(`dump leaks or lacks the password line:\n%s`, d)
	}
}

func TestPublicURL(t *testing.T) {
	c := Default()
	if got := c.PublicURL(); got != "http://127.0.0.1:8080" {
		t.Fatalf(`got %q`, got)
	}
	c.Listen = ":9000"
	if got := c.PublicURL(); got != "http://localhost:9000" {
		t.Fatalf(`got %q`, got)
	}
	c.BaseURL = "https://chat.example.com/"
	if got := c.PublicURL(); got != "https://chat.example.com" || !c.SecureCookies() {
		t.Fatalf(`got %q`, got)
	}
}

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{"PARLEY_LISTEN=:8080", "PARLEY_LISTEN_ADDR=:9090", "PARLEY_ADMIN_EMAIL=a@b.c", "HOME=/root", "PARLEY_SMTP_HOTS=mail", "PARLEY_WHATEVER_ELSE_ENTIRELY=1"}, "PARLEY_ADMIN_EMAIL")
	want := []string{
		"PARLEY_LISTEN_ADDR is not a Parley setting; did you mean PARLEY_LISTEN?",
		"PARLEY_SMTP_HOTS is not a Parley setting; did you mean PARLEY_SMTP_HOST?",
		"PARLEY_WHATEVER_ELSE_ENTIRELY is not a Parley setting",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("UnknownEnv =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoopbackWarning(t *testing.T) {
	for _, c := range []struct {
		listen, base string
		warn         bool
	}{
		{"127.0.0.1:8080", "", false},
		{"localhost:8080", "", false},
		{":8080", "", true},
		{"0.0.0.0:8080", "http://127.0.0.1:8080", true},
		{":8080", "https://chat.example.com", false},
		{"192.0.2.10:8080", "", false}, // the public URL is then that address, not loopback
	} {
		cfg := Default()
		cfg.Listen, cfg.BaseURL = c.listen, c.base
		if got := cfg.LoopbackWarning(); (got != "") != c.warn {
			t.Errorf("listen %q base_url %q: warning %q, want %v", c.listen, c.base, got, c.warn)
		}
	}
}

func TestMetricsSettings(t *testing.T) {
	for _, c := range []struct {
		token, listen, bad string
	}{
		{"", "", ""},
		{"short", "", "metrics.token"},
		{"0123456789abcdef", "", ""},
		{"", "127.0.0.1:9090", ""},
		{"", "nonsense", "metrics.listen"},
		{"", "127.0.0.1:8080", "metrics.listen"}, // the main address
	} {
		cfg := Default()
		cfg.Metrics.Token, cfg.Metrics.Listen = c.token, c.listen
		err := cfg.Validate()
		if (c.bad == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.bad)) {
			t.Errorf("token %q listen %q: %v, want an error on %q", c.token, c.listen, err, c.bad)
		}
	}
}

func TestReplicaSettings(t *testing.T) {
	for _, c := range []struct {
		r   Replica
		bad string
	}{
		{Replica{}, ""},
		{Replica{URL: "/var/backups/parley"}, ""},
		{Replica{URL: "file:///var/backups/parley"}, ""},
		{Replica{URL: "s3://bucket/parley", Endpoint: "https://minio.example.com", AccessKeyID: "k", SecretAccessKey: "s"}, ""},
		{Replica{URL: "backups/parley"}, "replica.url"},     // relative
		{Replica{URL: "file://backups"}, "replica.url"},     // relative
		{Replica{URL: "s3:///parley"}, "replica.url"},       // no bucket
		{Replica{URL: "gs://bucket/parley"}, "replica.url"}, // not built in
		{Replica{Endpoint: "https://minio.example.com"}, "replica.url"},
		{Replica{URL: "s3://bucket/parley", AccessKeyID: "k"}, "replica.access_key_id"},
	} {
		cfg := Default()
		cfg.Replica = c.r
		err := cfg.Validate()
		if (c.bad == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.bad)) {
			t.Errorf("%+v: %v, want an error on %q", c.r, err, c.bad)
		}
	}
}

func TestMemoryHeadroom(t *testing.T) {
	for _, c := range []struct {
		env     string
		want    int64
		wantErr string
	}{
		{"auto", AutoHeadroom, ""},
		{"0", 0, ""},
		{" 256 ", 256, ""},
		{"lots", 0, `memory.headroom_mib (from env PARLEY_MEMORY_HEADROOM_MIB): "lots" is not auto or a whole number of MiB`},
		{"-2", 0, "memory.headroom_mib: -2 must be auto, 0"},
	} {
		cfg, err := Load("", []string{"PARLEY_MEMORY_HEADROOM_MIB=" + c.env})
		if err == nil {
			err = cfg.Validate()
		}
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: error %v, want one containing %q", c.env, err, c.wantErr)
			}
			continue
		}
		if err != nil || cfg.Memory.HeadroomMiB != c.want {
			t.Errorf("%q: headroom %d, error %v; want %d", c.env, cfg.Memory.HeadroomMiB, err, c.want)
		}
	}
}

package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{"data dir", func(c *Config) { c.DataDir = "" }, "data_dir"},
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

func TestUnknownYAMLKey(t *testing.T) {
	_, err := Load(writeFile(t, "listne: :8080\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "listne") {
		t.Fatalf(`want an error naming the misspelt key, got %v`, err)
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

package site_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/geo/geotest"
	"parley/app/i18n"
	"parley/app/settings"
	"parley/app/site"
)

// TestEffectiveSkipsWhatNoLongerHolds: a start applies every saved
// override, but one that no longer holds (the GeoIP file was removed, a
// language is no longer built in) falls back to its default, alone, and
// the start goes on.
func TestEffectiveSkipsWhatNoLongerHolds(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	texts, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	mmdb := geotest.WriteMMDB(t, map[string]string{"81.240.0.0/16": "BE"})
	moved := filepath.Join(t.TempDir(), "gone.mmdb")
	if err := os.Rename(mmdb, moved); err != nil {
		t.Fatal(err)
	}
	if err := settings.New(st).Save(ctx, settings.Change{Set: map[string]string{
		"site_name": "Acme Bikes", "geoip.database": mmdb, "default_language": "xx", "retention.days": "30", "retention.mode": "delete",
		"smtp.host": "mail.example.com", // another package's override: not applied here
	}}); err != nil {
		t.Fatal(err)
	}
	def := config.Default()
	def.GeoIP.Database = moved
	got, err := site.Effective(ctx, st, def, texts, apptest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.SiteName != "Acme Bikes" || got.Retention.Days != 30 || got.Retention.Mode != "delete" {
		t.Errorf(`valid overrides not applied: %q %+v`, got.SiteName, got.Retention)
	}
	if got.GeoIP.Database != moved || got.DefaultLanguage != "en" {
		t.Errorf(`overrides that no longer hold were applied: geoip %q, language %q`, got.GeoIP.Database, got.DefaultLanguage)
	}
	if got.SMTP.Host != "" {
		t.Errorf(`site applied the mail override %q`, got.SMTP.Host)
	}
}

// A saved value beats the file's, the environment's or a flag's, and the
// start says so for each value that was configured and is not used; a
// saved value replacing a built-in default says nothing.
func TestEffectiveSaysWhichConfiguredValueASavedOneReplaces(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	texts, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := settings.New(st).Save(ctx, settings.Change{Set: map[string]string{
		"base_url": "https://chat.acme.example", "site_name": "Acme Bikes",
	}}); err != nil {
		t.Fatal(err)
	}
	def := config.Default()
	def.BaseURL = "https://flag.acme.example" // as --base-url would set it
	var out bytes.Buffer
	got, err := site.Effective(ctx, st, def, texts, slog.New(slog.NewTextHandler(&out, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got.BaseURL != "https://chat.acme.example" {
		t.Fatalf("base_url %q, want the saved one", got.BaseURL)
	}
	logged := out.String()
	if !strings.Contains(logged, "key=base_url saved=https://chat.acme.example configured=https://flag.acme.example") {
		t.Errorf("the start does not say the configured base_url is replaced; it logged:\n%s", logged)
	}
	if strings.Contains(logged, "key=site_name") {
		t.Errorf("a saved site name replacing the built-in default was reported:\n%s", logged)
	}
}

package site_test

import (
	"context"
	"os"
	"path/filepath"
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

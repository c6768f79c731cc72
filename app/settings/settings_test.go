package settings_test

import (
	"context"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/settings"
)

func TestOverridesReplaceDefaultsUntilReset(t *testing.T) {
	st := apptest.NewStore(t)
	o := settings.New(st)
	ctx := context.Background()
	if err := st.SetSetting(ctx, "csrf_key", "unrelated"); err != nil {
		t.Fatal(err)
	}
	snap, err := o.Load(ctx, "smtp")
	if err != nil || len(snap) != 0 {
		t.Fatalf(`fresh overrides: %v (%v), want none`, snap, err)
	}
	if snap.String("smtp.host", "file.example.com") != "file.example.com" || snap.Int("smtp.port", 587) != 587 || snap.Has("smtp.host") {
		t.Fatal(`without overrides the defaults apply`)
	}
	err = o.Save(ctx, settings.Change{Set: map[string]string{"smtp.host": "ui.example.com", "smtp.port": "2525", "mail.missed_after": "5m"}})
	if err != nil {
		t.Fatal(err)
	}
	snap, _ = o.Load(ctx, "smtp")
	if snap.String("smtp.host", "file.example.com") != "ui.example.com" || snap.Int("smtp.port", 587) != 2525 || !snap.Has("smtp.port") {
		t.Fatalf(`overrides: %v`, snap)
	}
	if snap.Has("mail.missed_after") {
		t.Fatal(`Load reads only its section`)
	}
	if m, _ := o.Load(ctx, "mail"); m.Duration("mail.missed_after", time.Minute) != 5*time.Minute {
		t.Fatalf(`duration override: %v`, m)
	}
	if err := o.Save(ctx, settings.Change{Reset: []string{"smtp.host"}}); err != nil {
		t.Fatal(err)
	}
	snap, _ = o.Load(ctx, "smtp")
	if snap.Has("smtp.host") || snap.Int("smtp.port", 587) != 2525 {
		t.Fatalf(`after resetting the host: %v, want the port kept`, snap)
	}
	if v, err := st.Setting(ctx, "csrf_key"); err != nil || v != "unrelated" {
		t.Fatalf(`other settings were touched: %q %v`, v, err)
	}
}

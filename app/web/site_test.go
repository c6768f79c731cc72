package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/app/apptest"
	"parley/app/auth"
	"parley/app/config"
	"parley/app/geo/geotest"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/site"
	"parley/app/store"
	"parley/app/wire"
	"parley/assets"
	"parley/db"
)

// saveSettings posts Configuration ▸ Settings with the fields given, every
// other field empty (its default).
func saveSettings(t *testing.T, c *apptest.Client, fields map[string]string) (*http.Response, string) {
	t.Helper()
	c.Get("/admin/config/settings")
	v := url.Values{}
	for _, k := range []string{"site_name", "base_url", "geoip_database", "default_language", "retention_days", "retention_mode"} {
		v.Set(k, fields[k])
	}
	if r, ok := fields["reset"]; ok {
		v.Set("reset", r)
	}
	return c.PostForm("/admin/config/settings", v)
}

// checklistStep returns whether the dashboard shows the checklist and, if
// so, whether step is done.
func checklistStep(t *testing.T, body, step string) (shown, done bool) {
	t.Helper()
	if !strings.Contains(body, `id="firstrun-checklist"`) {
		return false, false
	}
	m := regexp.MustCompile(`data-step="` + step + `" data-done="(true|false)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf(`the checklist has no step %q`, step)
	}
	return true, m[1] == "true"
}

func TestSetupNamesTheSiteAndTheFirstChannel(t *testing.T) {
	srv := apptest.NewServer(t)
	c := srv.NewClient(t)
	token := srv.Auth.SetupToken()
	res, body := c.Get("/setup?token=" + url.QueryEscape(token))
	wantStatus(t, "setup form", res, body, http.StatusOK)
	// The public URL is filled in with the address the browser uses.
	wantBody(t, "setup form", body, `name="site_name"`, `value="YourWebsite.com"`, `name="base_url"`, `value="`+srv.URL+`"`)

	form := url.Values{"token": {token}, "site_name": {"Acme Bikes"}, "base_url": {"chat.acme.example"}, "name": {"Grace Hopper"},
		"email": {"grace@example.com"}, "password": {"a long password"}, "password_confirm": {"a long password"}}
	res, body = c.PostForm("/setup", form)
	wantStatus(t, "setup with a bad public URL", res, body, http.StatusUnprocessableEntity)
	wantBody(t, "setup with a bad public URL", body, "The public URL must be a full http:// or https:// address", `value="Acme Bikes"`)
	if needs, _ := srv.Auth.NeedsSetup(context.Background()); !needs {
		t.Fatal(`a refused setup created the admin: the link is spent`)
	}
	form.Set("site_name", strings.Repeat("x", 101))
	form.Set("base_url", "https://chat.acme.example/")
	res, body = c.PostForm("/setup", form)
	wantStatus(t, "setup with a long site name", res, body, http.StatusUnprocessableEntity)
	wantBody(t, "setup with a long site name", body, "The site name is 101 characters long; at most 100 are allowed.")

	form.Set("site_name", "Acme Bikes")
	res, body = c.PostForm("/setup", form)
	wantStatus(t, "setup", res, body, http.StatusSeeOther)
	res, body = c.Get("/admin")
	wantStatus(t, "dashboard", res, body, http.StatusOK)
	wantBody(t, "dashboard", body, "Welcome, Grace Hopper", "Restart Parley to use the public URL you gave.", "<title>Dashboard · Acme Bikes · Parley</title>",
		"data-restart-needed", "https://chat.acme.example is saved: restart Parley to use it.")
	if shown, done := checklistStep(t, body, "public-url"); !shown || !done {
		t.Fatalf(`checklist shown %v, public URL done %v; want both`, shown, done)
	}
	ch := defaultChannel(t, srv)
	if ch.Name != "Acme Bikes" {
		t.Fatalf(`the first channel is %q, want the site name`, ch.Name)
	}
	cur := srv.App.Site.Current()
	if cur.SiteName != "Acme Bikes" || cur.BaseURL != "https://chat.acme.example" {
		t.Fatalf(`saved site name %q, public URL %q`, cur.SiteName, cur.BaseURL)
	}
	// The running public URL stays until a restart: cookies and links
	// still use the address Parley started with.
	if srv.App.Config.PublicURL() != srv.URL {
		t.Fatalf(`the running public URL changed to %q without a restart`, srv.App.Config.PublicURL())
	}
}

func TestChecklistStepsTurnDone(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	_, body := admin.Get("/admin")
	for _, step := range []string{"public-url", "snippet", "operators", "test-chat"} {
		if shown, done := checklistStep(t, body, step); !shown || done {
			t.Fatalf(`fresh install: checklist shown %v, %s done %v; want shown and not done`, shown, step, done)
		}
	}
	wantBody(t, "fresh install", body, "Parley&#39;s address is "+srv.URL+", which only this server can open.")
	ch := defaultChannel(t, srv)

	// An operator never sees the checklist.
	op, _ := srv.LoggedIn(t, "olga@example.com", model.RoleOperator)
	if _, body := op.Get("/admin"); strings.Contains(body, "firstrun-checklist") {
		t.Fatal(`an operator sees the first-run checklist`)
	}
	_, body = admin.Get("/admin")
	if _, done := checklistStep(t, body, "operators"); !done {
		t.Fatal(`another active user exists, but "invite operators" is not done`)
	}

	// The Widget tab's copy button reports the copy.
	_, body = admin.Get("/admin/channels/" + itoa(ch.ID) + "?tab=widget")
	wantBody(t, "widget tab", body, `data-copy="widget-snippet" data-copy-report="/admin/firstrun/snippet"`)
	res, body := admin.Do("POST", "/admin/firstrun/snippet", nil, nil)
	wantStatus(t, "snippet copied", res, body, http.StatusNoContent)
	_, body = admin.Get("/admin")
	if _, done := checklistStep(t, body, "snippet"); !done {
		t.Fatal(`the snippet was copied, but the step is not done`)
	}

	// A test chat from the direct chat page.
	srv.Livechat.Presence.Connect(ada.ID)
	code, _, out := call(t, srv, "POST", "/im_livechat/sessions", "", `{"channel_id":`+itoa(ch.ID)+`}`)
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf(`start a chat: %d %v`, code, out)
	}
	_, body = admin.Get("/admin")
	if _, done := checklistStep(t, body, "test-chat"); !done {
		t.Fatal(`a conversation took place, but the step is not done`)
	}

	// A public URL that is not loopback: the last step; the list goes.
	res, body = saveSettings(t, admin, map[string]string{"base_url": "https://chat.example.com"})
	wantStatus(t, "save public URL", res, body, http.StatusSeeOther)
	_, body = admin.Get("/admin")
	if shown, _ := checklistStep(t, body, "public-url"); shown {
		t.Fatal(`every step is done, but the checklist is still shown`)
	}
}

func TestChecklistCanBeHidden(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	op, _ := srv.LoggedIn(t, "olga@example.com", model.RoleOperator)
	op.Get("/admin")
	res, body := op.PostForm("/admin/firstrun/dismiss", nil)
	wantStatus(t, "operator hides the checklist", res, body, http.StatusForbidden)
	_, body = admin.Get("/admin")
	if shown, _ := checklistStep(t, body, "snippet"); !shown {
		t.Fatal(`the checklist is not shown on a fresh install`)
	}
	res, body = admin.PostForm("/admin/firstrun/dismiss", nil)
	wantStatus(t, "hide", res, body, http.StatusSeeOther)
	if _, body = admin.Get("/admin"); strings.Contains(body, "firstrun-checklist") {
		t.Fatal(`the hidden checklist is still shown`)
	}
}

func TestSettingsRefuseBadValuesNamingTheField(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	notMMDB := filepath.Join(t.TempDir(), "countries.mmdb")
	if err := os.WriteFile(notMMDB, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		field, value, want string
	}{
		{"site_name", strings.Repeat("é", 101), "The site name is 101 characters long"},
		{"base_url", "chat.example.com", "The public URL must be a full http:// or https:// address"},
		{"base_url", "ftp://chat.example.com", "The public URL must be a full http:// or https:// address"},
		{"base_url", "https://chat.example.com/?a=1", "The public URL must not have a query (?) or a fragment (#)."},
		{"geoip_database", filepath.Join(t.TempDir(), "missing.mmdb"), "Parley cannot read"},
		{"geoip_database", notMMDB, "as a GeoIP database"},
		{"default_language", "de", "Parley does not speak &#34;de&#34;"},
		{"retention_days", "-1", "The retention must be a whole number of days from 0 (keep everything) to 36500."},
		{"retention_days", "ten", "The retention must be a whole number of days"},
		{"retention_days", "36501", "The retention must be a whole number of days"},
		{"retention_mode", "shred", "Choose to anonymise or to delete old data."},
	} {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			res, body := saveSettings(t, admin, map[string]string{tt.field: tt.value})
			wantStatus(t, tt.field, res, body, http.StatusUnprocessableEntity)
			// The message sits under the field it names, which keeps what was typed.
			re := regexp.MustCompile(`(?s)id="` + tt.field + `"[^>]*class="invalid".*?<p class="error" role="alert">[^<]*` + regexp.QuoteMeta(tt.want))
			if !re.MatchString(body) {
				t.Fatalf(`no %q error under %s in:\n%s`, tt.want, tt.field, body)
			}
		})
	}
	if snap, _ := srv.Store.SettingsWithPrefix(context.Background(), "config:"); len(snap) != 0 {
		t.Fatalf(`refused settings were stored: %v`, snap)
	}
	op, _ := srv.LoggedIn(t, "olga@example.com", model.RoleOperator)
	if res, body := op.Get("/admin/config/settings"); res.StatusCode != http.StatusForbidden {
		t.Fatalf(`an operator opens the settings: %d %s`, res.StatusCode, body)
	}
}

func TestSettingsApplyWithoutRestart(t *testing.T) {
	mmdb := geotest.WriteMMDB(t, map[string]string{"203.0.113.0/24": "BE"})
	srv, smtp := mailServer(t, func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1/32", "::1/128"} })
	admin, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	srv.Livechat.Presence.Connect(ada.ID)
	ctx := context.Background()
	ch := defaultChannel(t, srv)
	if _, err := srv.Livechat.SaveRules(ctx, ch.ID, []model.Rule{{Action: model.ActionHide, Countries: []string{"BE"}}}); err != nil {
		t.Fatal(err)
	}
	action := func() string {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/im_livechat/init?channel_id="+itoa(ch.ID)+"&url=https://shop.example/", nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct {
			Rule struct{ Action string } `json:"rule"`
		}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.Rule.Action
	}
	lang := func() string {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/login", nil)
		req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		buf := make([]byte, 512)
		n, _ := res.Body.Read(buf)
		b.Write(buf[:n])
		m := regexp.MustCompile(`<html lang="([^"]+)"`).FindStringSubmatch(b.String())
		if m == nil {
			t.Fatalf(`no <html lang> in %s`, b.String())
		}
		return m[1]
	}
	if a := action(); a == "hide_button" {
		t.Fatal(`without a GeoIP database the Belgian rule matched`)
	}
	if l := lang(); l != "en" {
		t.Fatalf(`a German browser gets %q before any setting, want English`, l)
	}

	res, body := saveSettings(t, admin, map[string]string{"site_name": "Acme Bikes", "geoip_database": mmdb, "default_language": "es",
		"retention_days": "30", "retention_mode": "delete"})
	wantStatus(t, "save", res, body, http.StatusSeeOther)
	// The admin's browser asks for no language Parley speaks: the
	// confirmation comes in the new default language, as the page does.
	_, body = admin.Get("/admin/config/settings")
	wantBody(t, "saved", body, `<html lang="es">`, "Los ajustes se guardaron y ya se aplican.", `value="Acme Bikes"`, `value="`+mmdb+`"`, `value="es" selected`,
		`value="30"`, `value="delete" selected`, `name="reset" value="site_name"`, "· Acme Bikes · Parley</title>")

	// The next visitor is located with the new database.
	if a := action(); a != "hide_button" {
		t.Fatalf(`after the GeoIP change the Belgian visitor gets %q, want hide_button`, a)
	}
	// A browser asking only for languages Parley does not speak gets Spanish.
	if l := lang(); l != "es" {
		t.Fatalf(`a German browser gets %q, want the default language es`, l)
	}
	// Mail names the site as saved.
	admin.Get("/admin/config/mail")
	res, body = admin.PostForm("/admin/config/mail/test", nil)
	wantStatus(t, "test mail", res, body, http.StatusOK)
	if p := smtp.Wait(1)[0].Parse(t); p.Get("Subject") != "Test mail from Acme Bikes" {
		t.Fatalf(`test mail subject %q, want the saved site name`, p.Get("Subject"))
	}
	// The next retention run uses the saved days and mode: a conversation
	// ended 40 days ago is deleted.
	x := startEndedChat(t, srv, ch.ID)
	ago := time.Now().Add(-40 * 24 * time.Hour).UnixMilli()
	if _, err := srv.Store.Writer().Exec(`UPDATE chat_sessions SET created_at = ?, last_message_at = ?, closed_at = ? WHERE id = ?`, ago, ago, ago, x.ID); err != nil {
		t.Fatal(err)
	}
	n, err := srv.App.ApplyRetention(ctx)
	if err != nil || n.Sessions != 1 {
		t.Fatalf(`retention run: %+v, %v; want the old conversation`, n, err)
	}
	if _, err := srv.Store.Session(ctx, x.ID); err == nil {
		t.Fatal(`retention in "delete" mode kept the conversation`)
	}

	// Reset brings each default back, one field at a time; the form
	// keeps the others as they are.
	fields := map[string]string{"site_name": "Acme Bikes", "geoip_database": mmdb, "default_language": "es", "retention_days": "30", "retention_mode": "delete"}
	for _, f := range []string{"site_name", "geoip_database", "default_language", "retention_days"} {
		fields["reset"] = f
		res, body = saveSettings(t, admin, fields)
		wantStatus(t, "reset "+f, res, body, http.StatusSeeOther)
		if cur := srv.App.Site.Current(); f == "site_name" && (cur.SiteName != "YourWebsite.com" || cur.Retention.Days != 30) {
			t.Fatalf(`reset site_name: site %q, retention %d; want the default name and the saved days`, cur.SiteName, cur.Retention.Days)
		}
		delete(fields, f)
	}
	_, body = admin.Get("/admin/config/settings")
	if strings.Contains(body, `value="Acme Bikes"`) || strings.Contains(body, `value="es" selected`) || strings.Contains(body, `value="30"`) {
		t.Fatalf(`a reset value is still shown:\n%s`, body)
	}
	if cur := srv.App.Site.Current(); cur.SiteName != "YourWebsite.com" || cur.GeoIP.Database != "" || cur.DefaultLanguage != "en" || cur.Retention.Days != 0 {
		t.Fatalf(`after the resets: %+v`, cur)
	}
	if a := action(); a == "hide_button" {
		t.Fatal(`after resetting GeoIP the Belgian rule still matched`)
	}
	if l := lang(); l != "en" {
		t.Fatalf(`after resetting the language a German browser gets %q`, l)
	}
	if n, err := srv.App.ApplyRetention(ctx); err != nil || n != (model.Retained{}) {
		t.Fatalf(`retention with the default (keep everything): %+v, %v`, n, err)
	}
}

// startEndedChat starts a conversation on channelID and ends it.
func startEndedChat(t *testing.T, srv *apptest.Server, channelID int64) *model.Session {
	t.Helper()
	ctx := context.Background()
	res, err := srv.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: channelID, VisitorName: "Bo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Livechat.CloseByVisitor(ctx, res.Session); err != nil {
		t.Fatal(err)
	}
	return res.Session
}

// TestSettingsSurviveARestart saves overrides, stops Parley, and starts it
// again on the same database: it starts with them, the public URL at last
// in use.
func TestSettingsSurviveARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	cfg := config.Default()
	cfg.DataDir = filepath.Dir(path)
	start := func() (*wire.App, *store.Store) {
		t.Helper()
		ctx := context.Background()
		st, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx, st.Writer()); err != nil {
			t.Fatal(err)
		}
		app, err := wire.Build(ctx, cfg, wire.Deps{Store: st, Logger: apptest.Logger(t), Assets: assets.FS(false, ""),
			Auth: auth.Options{BcryptCost: bcrypt.MinCost}})
		if err != nil {
			t.Fatal(err)
		}
		return app, st
	}
	stop := func(app *wire.App, st *store.Store) {
		t.Helper()
		if err := app.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	app, st := start()
	admin, err := app.Auth.CreateFirstAdmin(context.Background(), auth.NewUser{Email: "ada@example.com", Name: "Ada", Password: apptest.Password})
	if err != nil {
		t.Fatal(err)
	}
	restart, err := app.Site.Save(context.Background(), admin, site.Input{SiteName: "Acme Bikes", BaseURL: "https://chat.acme.example",
		Language: "es", RetentionDays: "90"})
	if err != nil || !restart {
		t.Fatalf(`save: restart %v, %v; want a restart for the public URL`, restart, err)
	}
	if app.Config.PublicURL() == "https://chat.acme.example" {
		t.Fatal(`the public URL changed before the restart`)
	}
	stop(app, st)

	app, st = start()
	defer stop(app, st)
	c := app.Config
	if c.SiteName != "Acme Bikes" || c.PublicURL() != "https://chat.acme.example" || c.DefaultLanguage != "es" || c.Retention.Days != 90 || c.Retention.Mode != "anonymise" {
		t.Fatalf(`after the restart: site %q, URL %q, language %q, retention %+v`, c.SiteName, c.PublicURL(), c.DefaultLanguage, c.Retention)
	}
	if app.Site.RestartNeeded() {
		t.Fatal(`after the restart Parley still asks for one`)
	}
	if l := app.I18n.Match("de").Lang(); l != "es" {
		t.Fatalf(`after the restart a German reader gets %q, want es`, l)
	}
}

// TestSiteNameRenamesChannelsNamedAfterIt: a new site name in Settings
// renames the channels still named after the old one, so the widget's
// header follows; a channel an admin renamed keeps its name, and a name
// another channel holds is refused under the field with nothing changed.
func TestSiteNameRenamesChannelsNamedAfterIt(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ctx := context.Background()
	first := defaultChannel(t, srv)
	if first.Name != "YourWebsite.com" {
		t.Fatalf(`the first channel is named %q, want the site name`, first.Name)
	}
	hand := &model.Channel{Name: "Support desk", Options: model.DefaultChannelOptions()}
	if err := srv.Livechat.CreateChannel(ctx, hand); err != nil {
		t.Fatal(err)
	}
	// The widget has read the first channel once: its cached name must go.
	widgetName := func(id int64) string {
		t.Helper()
		res, err := http.Get(srv.URL + "/im_livechat/init?channel_id=" + itoa(id) + "&url=https://shop.example/")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct {
			Channel struct{ Name string } `json:"channel"`
		}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.Channel.Name
	}
	if got := widgetName(first.ID); got != "YourWebsite.com" {
		t.Fatalf(`widget header before = %q`, got)
	}

	_, body := admin.Get("/admin/config/settings")
	wantBody(t, "settings page", body, "Channels still named after the site are renamed too.")
	res, body := saveSettings(t, admin, map[string]string{"site_name": "Acme Bikes"})
	wantStatus(t, "save the site name", res, body, http.StatusSeeOther)
	names := func() map[int64]string {
		t.Helper()
		list, err := srv.Store.Channels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]string{}
		for _, c := range list {
			out[c.ID] = c.Name
		}
		return out
	}
	if got := names(); got[first.ID] != "Acme Bikes" || got[hand.ID] != "Support desk" {
		t.Fatalf(`channels after the new site name = %v`, got)
	}
	if got := widgetName(first.ID); got != "Acme Bikes" {
		t.Fatalf(`widget header after = %q, want the new site name`, got)
	}

	// A site name another channel has is refused; neither the setting nor
	// any channel changes.
	res, body = saveSettings(t, admin, map[string]string{"site_name": "support DESK"})
	wantStatus(t, "a site name another channel has", res, body, http.StatusUnprocessableEntity)
	wantBody(t, "a site name another channel has", body, "Another channel is already named")
	if got := names(); got[first.ID] != "Acme Bikes" || got[hand.ID] != "Support desk" {
		t.Fatalf(`channels after a refused site name = %v`, got)
	}
	if got := srv.App.Site.SiteName(); got != "Acme Bikes" {
		t.Fatalf(`site name after a refusal = %q`, got)
	}

	// Back to the default: the channel follows again.
	res, body = saveSettings(t, admin, map[string]string{"reset": "site_name"})
	wantStatus(t, "reset the site name", res, body, http.StatusSeeOther)
	if got := names(); got[first.ID] != "YourWebsite.com" || got[hand.ID] != "Support desk" {
		t.Fatalf(`channels after the site name's reset = %v`, got)
	}
}

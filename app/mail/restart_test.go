package mail_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/app/apptest"
	"parley/app/apptest/mailtest"
	"parley/app/auth"
	"parley/app/config"
	"parley/app/model"
	"parley/app/outbox"
	"parley/app/store"
	"parley/app/wire"
	"parley/assets"
	"parley/db"
)

// start opens the database at path and runs Parley on it, as main does.
func start(t *testing.T, path string, cfg config.Config) (*wire.App, *store.Store) {
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
		Auth: auth.Options{BcryptCost: bcrypt.MinCost},
		// Retries come quickly, so the test sees several without waiting.
		Outbox: outbox.Options{BaseDelay: 20 * time.Millisecond, MaxDelay: 50 * time.Millisecond, Poll: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	app.Start()
	return app, st
}

func stop(t *testing.T, app *wire.App, st *store.Store) {
	t.Helper()
	if err := app.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

func mailRows(t *testing.T, st *store.Store) []model.OutboxItem {
	t.Helper()
	rows, err := st.OutboxPage(context.Background(), store.OutboxFilter{Kind: "mail"})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// A mail queued while the mail server is down survives a restart of
// Parley and goes out when the server is back.
func TestOutboxSurvivesARestartWithTheServerDown(t *testing.T) {
	smtp := mailtest.Start(t)
	smtp.Stop()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.SMTP = config.SMTP{Host: smtp.Host(), Port: smtp.Port(), From: "chat@example.com", TLS: "none"}
	path := filepath.Join(t.TempDir(), "parley.db")
	ctx := context.Background()

	app, st := start(t, path, cfg)
	admin, err := app.Auth.CreateFirstAdmin(ctx, auth.NewUser{Email: "ada@example.com", Name: "Ada", Role: model.RoleAdmin, Password: apptest.Password})
	if err != nil {
		t.Fatal(err)
	}
	chans, err := st.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Livechat.LeaveOfflineMessage(ctx, &model.OfflineMessage{ChannelID: chans[0].ID, Email: "bo@example.com", Body: "Still there?"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for rows := mailRows(t, st); len(rows) != 1 || rows[0].Attempts < 2; rows = mailRows(t, st) {
		if time.Now().After(deadline) {
			t.Fatalf(`outbox: %s, want one mail retried while the server is down`, describe(rows))
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop(t, app, st)
	if got := smtp.Messages(); len(got) != 0 {
		t.Fatalf(`%d mails received from a server that is down`, len(got))
	}

	smtp.Restart()
	app, st = start(t, path, cfg)
	defer stop(t, app, st)
	got := smtp.Wait(1)[0]
	if got.To[0] != admin.Email || got.Parse(t).Get("Reply-To") == "" {
		t.Fatalf(`delivered after the restart: %v`, got.To)
	}
	for rows := mailRows(t, st); rows[0].Status != model.OutboxSent; rows = mailRows(t, st) {
		if time.Now().After(deadline.Add(15 * time.Second)) {
			t.Fatalf(`outbox: %s, want the mail sent`, describe(rows))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func describe(rows []model.OutboxItem) string {
	out := ""
	for _, r := range rows {
		out += fmt.Sprintf("[#%d %s, %d attempts, %q] ", r.ID, r.Status, r.Attempts, r.LastError)
	}
	return out
}

package web_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/model"
)

// TestScheduledBackups: each scheduled backup is a readable copy of the
// database, and only the newest backup.keep of them stay.
func TestScheduledBackups(t *testing.T) {
	dir := t.TempDir()
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) { c.Backup.Dir, c.Backup.Keep = dir, 2 }))
	srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	var paths []string
	for range 3 {
		p, err := srv.App.ScheduledBackup(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "parley-auto-*.db"))
	if len(left) != 2 || left[0] != paths[1] || left[1] != paths[2] {
		t.Fatalf("kept %v, want the two newest of %v", left, paths)
	}
	db, err := sql.Open("sqlite", left[1])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var email string
	if err := db.QueryRow(`SELECT email FROM users`).Scan(&email); err != nil || email != "ada@example.com" {
		t.Fatalf("the backup's user: %q %v", email, err)
	}
}

package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/model"
	"parley/app/settings"
	"parley/app/site"
	"parley/app/store"
)

// TestRestoreFromReplicaAtTime: restore --from-replica --at TIME rebuilds
// the database as the replica held it at TIME: a user written before TIME
// is there, one written after it is not, whatever offset TIME is written
// in; without --at the latest copy holds both.
func TestRestoreFromReplicaAtTime(t *testing.T) {
	dir := workDir(t)
	ctx := context.Background()
	rep := filepath.Join(dir, "replica")
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) { c.Replica = config.Replica{URL: rep} }))
	srv.CreateUser(t, "before@example.com", "Before", model.RoleOperator)
	if err := srv.App.Replica.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// The replica stamps each copy to the millisecond: the mark falls
	// strictly between the two copies.
	time.Sleep(5 * time.Millisecond)
	mark := time.Now()
	time.Sleep(5 * time.Millisecond)
	srv.CreateUser(t, "after@example.com", "After", model.RoleOperator)
	if err := srv.App.Replica.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	restore := func(name string, args ...string) []string {
		t.Helper()
		args = append([]string{"restore", "--from-replica", rep, "--data-dir", name}, args...)
		code, out, errs := runCmd(t, nil, nil, args...)
		if code != 0 || !strings.Contains(out, "restored "+rep) {
			t.Fatalf(`%v = %d %q; stderr: %s`, args, code, out, errs)
		}
		return emails(t, openDB(t, filepath.Join(dir, name, "parley.db")))
	}
	for name, at := range map[string]string{
		"utc":    mark.UTC().Format(time.RFC3339Nano),
		"offset": mark.In(time.FixedZone("", -5*3600)).Format(time.RFC3339Nano),
	} {
		got := restore("at-"+name, "--at", at)
		if !slices.Contains(got, "before@example.com") || slices.Contains(got, "after@example.com") {
			t.Errorf(`restore --at %s: users %v, want before@example.com without after@example.com`, at, got)
		}
	}
	if got := restore("latest"); !slices.Contains(got, "before@example.com") || !slices.Contains(got, "after@example.com") {
		t.Errorf(`restore of the latest copy: users %v, want both`, got)
	}
	// A time after the last copy is the latest copy.
	if got := restore("future", "--at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); !slices.Contains(got, "after@example.com") {
		t.Errorf(`restore --at an hour ahead: users %v, want the latest`, got)
	}
}

// TestCommandsUseTheSavedPublicURL: the public URL saved in Configuration
// ▸ Settings, not the file's or environment's, is the one the commands
// print, as serve uses it.
func TestCommandsUseTheSavedPublicURL(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	env := []string{"PARLEY_BASE_URL=https://from-the-file.example", "PARLEY_PASSWORD=long enough 1"}
	if code, _, errs := runCmd(t, env, nil, "migrate", "--data-dir", data); code != 0 {
		t.Fatalf(`migrate: %d %s`, code, errs)
	}
	st, err := store.Open(context.Background(), filepath.Join(data, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := settings.New(st).Save(context.Background(), settings.Change{Set: map[string]string{site.KeyBaseURL: "https://chat.saved.example"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errs := runCmd(t, env, nil, "user", "create", "--data-dir", data, "--email", "ann@example.com", "--name", "Ann", "--role", "admin")
	if code != 0 || !strings.Contains(out, "Ann can log in at https://chat.saved.example/login") || strings.Contains(out, "from-the-file") {
		t.Fatalf(`user create = %d %q; stderr %s`, code, out, errs)
	}
	code, out, errs = runCmd(t, env, nil, "token", "create", "--data-dir", data, "--email", "ann@example.com")
	if code != 0 || !strings.Contains(out, "https://chat.saved.example/api/v1/") || strings.Contains(out, "from-the-file") {
		t.Fatalf(`token create = %d %q; stderr %s`, code, out, errs)
	}
	// The token stays alone on the last line.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; strings.Contains(last, " ") {
		t.Fatalf(`token create's last line %q is not the token alone`, last)
	}
}

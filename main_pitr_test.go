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

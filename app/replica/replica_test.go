package replica_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/model"
	"parley/app/replica"
)

// TestFileReplicaRestores: a running Parley replicates to a directory;
// what is restored from it holds every row of every table the live
// database holds, across a restart of the application in between (the
// replica stops with a last sync and picks up again at the next start).
func TestFileReplicaRestores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rc := config.Replica{URL: dir}
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) { c.Replica = rc }))
	if srv.App.Replica == nil {
		t.Fatal("replica.url is set but the application does not replicate")
	}
	for i := range 3 {
		srv.CreateUser(t, fmt.Sprintf("op%d@example.com", i), fmt.Sprintf("Operator %d", i), model.RoleOperator)
	}
	if err := srv.App.Replica.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	first := filepath.Join(t.TempDir(), "first.db")
	if err := replica.Restore(ctx, rc, first, time.Time{}); err != nil {
		t.Fatalf("restore: %v", err)
	}
	want := dump(t, srv.Store.Path())
	if got := dump(t, first); got != want {
		t.Fatalf("the restored database differs from the live one:\n--- restored\n%s\n--- live\n%s", got, want)
	}
	if !strings.Contains(want, "op2@example.com") {
		t.Fatalf("the dump misses the users written:\n%s", want)
	}

	srv.Restart(t)
	// Even a writer that checkpoints at every commit cannot outrun the
	// replica: Litestream's read transaction keeps the frames it has not
	// copied yet.
	if err := srv.Store.SetAutoCheckpoint(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 50; i++ {
		srv.CreateUser(t, fmt.Sprintf("op%d@example.com", i), fmt.Sprintf("Operator %d", i), model.RoleOperator)
	}
	if err := srv.App.Replica.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(t.TempDir(), "second.db")
	if err := replica.Restore(ctx, rc, second, time.Time{}); err != nil {
		t.Fatalf("restore after the restart: %v", err)
	}
	want = dump(t, srv.Store.Path())
	if got := dump(t, second); got != want {
		t.Fatalf("the restored database differs from the live one after the restart:\n--- restored\n%s\n--- live\n%s", got, want)
	}
	if !strings.Contains(want, "op49@example.com") {
		t.Fatalf("the dump misses the users written after the restart:\n%s", want)
	}
}

// TestRestoreRefusesEmptyReplica: a replica that holds nothing says so.
func TestRestoreRefusesEmptyReplica(t *testing.T) {
	err := replica.Restore(context.Background(), config.Replica{URL: t.TempDir()}, filepath.Join(t.TempDir(), "x.db"), time.Time{})
	if err == nil || !strings.Contains(err.Error(), "holds no copy") {
		t.Fatalf("restore from an empty replica = %v", err)
	}
}

// TestClientRefusesOtherSchemes: Parley carries the file and S3 clients
// only.
func TestClientRefusesOtherSchemes(t *testing.T) {
	for _, u := range []string{"gs://bucket/db", "relative/dir", "s3:///nobucket"} {
		if _, err := replica.Client(config.Replica{URL: u}); err == nil {
			t.Errorf("Client(%q) = nil error", u)
		}
	}
	c, err := replica.Client(config.Replica{URL: "s3://bucket/parley", Endpoint: "minio.internal:9000", AccessKeyID: "k", SecretAccessKey: "s"})
	if err != nil || c.Type() != "s3" {
		t.Fatalf("s3 client = %v, %v", c, err)
	}
	if got := replica.Redact("s3://key:secret@bucket/path"); strings.Contains(got, "secret") {
		t.Fatalf("Redact kept the secret: %s", got)
	}
}

// dump renders every row of every Parley table of the database at path,
// in a stable order.
func dump(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\_litestream%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, tb := range tables {
		rows, err := db.Query(`SELECT * FROM "` + tb + `" ORDER BY 1`)
		if err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %v\n", tb, vals)
		}
		rows.Close()
	}
	return b.String()
}

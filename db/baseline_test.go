package db

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"
)

var update = flag.Bool("update", false, "write baseline.sql from the migrations")

func openEmpty(t *testing.T) *sql.DB {
	t.Helper()
	conn, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	conn.SetMaxOpenConns(1)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// schemaOf lists a database's schema objects, and the versions goose
// recorded.
func schemaOf(t *testing.T, conn *sql.DB) (objects []string, versions []int64) {
	t.Helper()
	rows, err := conn.Query(`SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_schema ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ, name, table, text string
		if err := rows.Scan(&typ, &name, &table, &text); err != nil {
			t.Fatal(err)
		}
		objects = append(objects, strings.Join([]string{typ, name, table, text}, "\t"))
	}
	vr, err := conn.Query(`SELECT version_id FROM goose_db_version WHERE is_applied ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer vr.Close()
	for vr.Next() {
		var v int64
		if err := vr.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	return objects, versions
}

// baselineOf writes the SQL that creates what the migrations left in conn.
func baselineOf(t *testing.T, conn *sql.DB, versions []int64) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`-- The schema every migration leaves, for a fresh database (see db.go).
-- Generated from the migrations; do not edit. After adding a migration:
--   go test ./db -run TestBaselineIsTheMigrations -update
`)
	rows, err := conn.Query(`SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			t.Fatal(err)
		}
		b.WriteString("\n" + text + ";\n")
	}
	b.WriteString("\nINSERT INTO goose_db_version (version_id, is_applied) VALUES")
	for i, v := range versions {
		sep := ","
		if i == len(versions)-1 {
			sep = ";"
		}
		fmt.Fprintf(&b, "\n  (%d, 1)%s", v, sep)
	}
	b.WriteString("\n")
	return b.String()
}

// A fresh database made from baseline.sql is the one the migrations make,
// object for object and version for version, and goose finds nothing left
// to run; the migrations still run for a database of an older release.
func TestBaselineIsTheMigrations(t *testing.T) {
	ctx := context.Background()
	migrated := openEmpty(t)
	p, err := provider(migrated)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	want, wantVersions := schemaOf(t, migrated)
	if text := baselineOf(t, migrated, wantVersions); text != baseline {
		if *update {
			if err := os.WriteFile("baseline.sql", []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Log("wrote baseline.sql; run the test again")
		}
		t.Fatal("baseline.sql is not what the migrations make: go test ./db -run TestBaselineIsTheMigrations -update")
	}

	fresh := openEmpty(t)
	fp, err := provider(fresh)
	if err != nil {
		t.Fatal(err)
	}
	n, ok, err := createFromBaseline(ctx, fresh, fp, goose.MaxVersion)
	if err != nil || !ok {
		t.Fatalf("an empty database was not made from the baseline: %v %v", ok, err)
	}
	if n != len(wantVersions)-1 { // goose's own version 0 is not a migration
		t.Fatalf("the baseline stands for %d migrations, want %d", n, len(wantVersions)-1)
	}
	got, gotVersions := schemaOf(t, fresh)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("schema from the baseline:\n%s\n\nfrom the migrations:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fmt.Sprint(gotVersions) != fmt.Sprint(wantVersions) {
		t.Fatalf("versions from the baseline %v, from the migrations %v", gotVersions, wantVersions)
	}
	if current, known, err := Versions(ctx, fresh); err != nil || current != known {
		t.Fatalf("after the baseline: version %d of %d, %v", current, known, err)
	}
	if n, err := Migrate(ctx, fresh); err != nil || n != 0 {
		t.Fatalf("migrating again: %d, %v", n, err)
	}
	var integrity string
	if err := fresh.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity: %s %v", integrity, err)
	}

	// Migrate takes that path for an empty database, also after Versions
	// (as serve asks first) left goose's table in it. The result is the
	// same either way; SQLite's count of schema changes tells them apart
	// (the migrations' ALTER TABLEs change it far more often; Migrate after
	// Versions makes two more than the baseline alone: goose's table, and
	// dropping it for the baseline's).
	viaMigrate := openEmpty(t)
	if current, _, err := Versions(ctx, viaMigrate); err != nil || current != 0 {
		t.Fatalf("a new file: version %d, %v", current, err)
	}
	if n, err := Migrate(ctx, viaMigrate); err != nil || n != len(wantVersions)-1 {
		t.Fatalf("Migrate on an empty database: %d, %v", n, err)
	}
	if got, _ := schemaOf(t, viaMigrate); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatal("Migrate on an empty database made another schema")
	}
	changes := func(conn *sql.DB) (n int) {
		t.Helper()
		if err := conn.QueryRow("PRAGMA schema_version").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if b, m, stepwise := changes(fresh), changes(viaMigrate), changes(migrated); m > b+2 || m >= stepwise {
		t.Fatalf("Migrate on an empty database made %d schema changes: the baseline makes %d, the migrations %d", m, b, stepwise)
	}

	// A database an older release left runs the migrations it lacks.
	old := openEmpty(t)
	if _, err := MigrateTo(ctx, old, 20); err != nil {
		t.Fatal(err)
	}
	op, err := provider(old)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := createFromBaseline(ctx, old, op, goose.MaxVersion); ok || err != nil {
		t.Fatalf("the baseline was taken for a database at version 20: %v %v", ok, err)
	}
	later := 0
	for _, v := range wantVersions {
		if v > 20 {
			later++
		}
	}
	if n, err := Migrate(ctx, old); err != nil || n != later {
		t.Fatalf("migrating a version-20 database: %d migrations, want %d; %v", n, later, err)
	}
	if got, _ := schemaOf(t, old); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatal("a database migrated from version 20 differs from a fresh one")
	}
}

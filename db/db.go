// Package db embeds Parley's SQL migrations and applies them with goose,
// with the few that SQL alone cannot write (checks.go).
package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// A fresh database is created from baseline.sql, the schema the
// migrations leave, in one transaction, instead of by running every
// migration: SQLite parses the whole schema again after each ALTER TABLE
// ... ADD COLUMN, and the fifty-one of them, on a schema growing to
// eighty-eight objects, were half of a fresh start (65 of 120–130 ms on a
// 2-core VPS; from the baseline it takes 16).
// TestBaselineIsTheMigrations keeps the two the same.
//
//go:embed baseline.sql
var baseline string

// NewerError refuses a database whose schema a newer release wrote: this
// binary would misread it (a renamed column fails every request), so
// rolling back the binary needs the backup taken before the upgrade.
type NewerError struct{ Database, Binary int64 }

func (e *NewerError) Error() string {
	return fmt.Sprintf("the database has schema version %d, newer than this binary knows (%d): run the newer Parley, or restore a backup made before the upgrade", e.Database, e.Binary)
}

// Migrate applies every pending migration and returns how many ran.
// Migrations are numbered files that are never edited once released.
func Migrate(ctx context.Context, conn *sql.DB) (int, error) {
	return MigrateTo(ctx, conn, goose.MaxVersion)
}

func provider(conn *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, conn, fsys, goose.WithGoMigrations(goMigrations()...))
	if err != nil {
		return nil, fmt.Errorf("db: goose provider: %w", err)
	}
	return p, nil
}

// Versions reports the database's schema version (0 for an empty file)
// and the newest one this binary knows, refusing a newer database.
func Versions(ctx context.Context, conn *sql.DB) (current, known int64, err error) {
	p, err := provider(conn)
	if err != nil {
		return 0, 0, err
	}
	if current, known, err = p.GetVersions(ctx); err != nil {
		return 0, 0, fmt.Errorf("db: schema version: %w", err)
	}
	if current > known {
		return current, known, &NewerError{Database: current, Binary: known}
	}
	return current, known, nil
}

// MigrateTo applies the pending migrations up to version, so a test can
// fill a database as an older release left it and then migrate it.
func MigrateTo(ctx context.Context, conn *sql.DB, version int64) (int, error) {
	p, err := provider(conn)
	if err != nil {
		return 0, err
	}
	// Under synchronous(FULL) every migration waits for the disk: thirty
	// of them made a fresh start slow. Each one is atomic at NORMAL too; a
	// power cut may only lose the latest, which the next start applies
	// again, and the first synced commit after this syncs them all (the
	// store's writer runs at NORMAL and syncs the WAL itself before it
	// answers). The writer pool has one connection, so the pragmas hold
	// for it; the level found is put back.
	var level int
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil {
		return 0, fmt.Errorf("db: migrate: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous(NORMAL)"); err != nil {
		return 0, fmt.Errorf("db: migrate: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA synchronous(%d)", level))
	if n, ok, err := createFromBaseline(ctx, conn, p, version); ok || err != nil {
		return n, err
	}
	if _, _, err := Versions(ctx, conn); err != nil {
		return 0, err
	}
	res, err := p.UpTo(ctx, version)
	if err != nil {
		return len(res), fmt.Errorf("db: migrate: %w", err)
	}
	return len(res), nil
}

// createFromBaseline creates the whole schema of an empty database from
// baseline.sql when every migration is asked for; ok is false when the
// database has a schema already or an older version is wanted (tests build
// the databases older releases left), and the migrations run instead.
// Empty allows goose's own table with no migration recorded in it, as
// Versions leaves a new file.
func createFromBaseline(ctx context.Context, conn *sql.DB, p *goose.Provider, version int64) (n int, ok bool, err error) {
	all := p.ListSources()
	if len(all) == 0 || version < all[len(all)-1].Version {
		return 0, false, nil
	}
	var objects, goose int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE name NOT IN ('goose_db_version', 'sqlite_sequence')),
		count(*) FILTER (WHERE name = 'goose_db_version') FROM sqlite_schema`).Scan(&objects, &goose); err != nil {
		return 0, false, fmt.Errorf("db: migrate: %w", err)
	}
	if objects > 0 {
		return 0, false, nil
	}
	if goose > 0 {
		var recorded int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&recorded); err != nil {
			return 0, false, fmt.Errorf("db: migrate: %w", err)
		}
		if recorded > 0 {
			return 0, false, nil
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("db: migrate: %w", err)
	}
	defer tx.Rollback()
	// The baseline creates goose's table with every version in it.
	if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS goose_db_version"); err != nil {
		return 0, false, fmt.Errorf("db: create the schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, baseline); err != nil {
		return 0, false, fmt.Errorf("db: create the schema: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("db: create the schema: %w", err)
	}
	return len(all), true, nil
}

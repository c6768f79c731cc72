// Package db embeds Parley's SQL migrations and applies them with goose.
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
	p, err := goose.NewProvider(goose.DialectSQLite3, conn, fsys)
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
	if _, _, err := Versions(ctx, conn); err != nil {
		return 0, err
	}
	p, err := provider(conn)
	if err != nil {
		return 0, err
	}
	// Under synchronous(FULL) every migration waits for the disk: thirty
	// of them made a fresh start slow. Each one is atomic at NORMAL too; a
	// power cut may only lose the latest, which the next start applies
	// again, and the first commit after this (FULL again) syncs them all.
	// The writer pool has one connection, so the pragmas hold for it.
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous(NORMAL)"); err != nil {
		return 0, fmt.Errorf("db: migrate: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous(FULL)")
	res, err := p.UpTo(ctx, version)
	if err != nil {
		return len(res), fmt.Errorf("db: migrate: %w", err)
	}
	return len(res), nil
}

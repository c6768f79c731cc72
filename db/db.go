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

// Migrate applies every pending migration and returns how many ran.
// Migrations are numbered files that are never edited once released.
func Migrate(ctx context.Context, conn *sql.DB) (int, error) {
	return MigrateTo(ctx, conn, goose.MaxVersion)
}

// MigrateTo applies the pending migrations up to version, so a test can
// fill a database as an older release left it and then migrate it.
func MigrateTo(ctx context.Context, conn *sql.DB, version int64) (int, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return 0, fmt.Errorf("db: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, conn, fsys)
	if err != nil {
		return 0, fmt.Errorf("db: goose provider: %w", err)
	}
	res, err := p.UpTo(ctx, version)
	if err != nil {
		return len(res), fmt.Errorf("db: migrate: %w", err)
	}
	return len(res), nil
}

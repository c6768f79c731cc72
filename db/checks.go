package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/pressly/goose/v3"
)

// Migration 36 writes the messages table's check on author_kind as
// comparisons joined by OR. SQLite evaluates an IN list of more than two
// constants by building a temporary table of them, and a CHECK is
// evaluated at every insert: that table was a seventh of a chat message's
// share of a commit. The two checks accept the same rows, so every stored
// row still satisfies the new one and no page of the table changes: the
// new text goes straight into sqlite_schema, the way SQLite's documentation
// describes for such changes (ALTER TABLE, "Making Other Kinds Of Table
// Schema Changes"), instead of rebuilding the table, which would take as
// long as the table is big and, inside a migration's transaction, set off
// the attachments' ON DELETE CASCADE.
const (
	messagesCheckVersion = 36

	authorKindIn = `CHECK (author_kind IN ('visitor', 'operator', 'bot', 'system'))`
	authorKindOr = `CHECK (author_kind = 'visitor' OR author_kind = 'operator' OR author_kind = 'bot' OR author_kind = 'system')`
)

// goMigrations are the migrations SQL alone cannot write.
func goMigrations() []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(messagesCheckVersion,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				return rewriteTableSQL(ctx, tx, "messages", authorKindIn, authorKindOr)
			}},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				return rewriteTableSQL(ctx, tx, "messages", authorKindOr, authorKindIn)
			}}),
	}
}

// rewriteTableSQL replaces from with to in table's CREATE statement in
// sqlite_schema. It is only for changes that leave the table's rows and
// pages valid as they are (a check written another way). The schema
// version is raised so that every connection, this one included, parses
// the schema again; a text SQLite cannot parse fails here, inside the
// transaction, and nothing is kept.
func rewriteTableSQL(ctx context.Context, tx *sql.Tx, table, from, to string) error {
	var text string
	if err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&text); err != nil {
		return fmt.Errorf("db: the %s table's schema: %w", table, err)
	}
	if n := strings.Count(text, from); n != 1 {
		return fmt.Errorf("db: the %s table's schema holds %q %d times, not once", table, from, n)
	}
	var version int64
	if err := tx.QueryRowContext(ctx, `PRAGMA schema_version`).Scan(&version); err != nil {
		return fmt.Errorf("db: schema version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `PRAGMA writable_schema = ON`); err != nil {
		return fmt.Errorf("db: rewrite the %s table's schema: %w", table, err)
	}
	_, err := tx.ExecContext(ctx, `UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?`, strings.Replace(text, from, to, 1), table)
	if err == nil {
		_, err = tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA schema_version = %d`, version+1))
	}
	// The flag belongs to the connection, not the transaction: it goes
	// off whatever happened.
	if _, off := tx.ExecContext(ctx, `PRAGMA writable_schema = OFF`); err == nil {
		err = off
	}
	if err != nil {
		return fmt.Errorf("db: rewrite the %s table's schema: %w", table, err)
	}
	// Reading the table parses the new schema now, while the transaction
	// can still be rolled back.
	var n int
	if err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM %q LIMIT 1)`, table)).Scan(&n); err != nil {
		return fmt.Errorf("db: the %s table after rewriting its schema: %w", table, err)
	}
	return nil
}

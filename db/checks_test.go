package db

import (
	"context"
	"database/sql"
	"strings"
	"testing"
)

// buildsTemporaryTable reports whether inserting a message makes SQLite
// build a temporary table (OpenEphemeral), as an IN list of more than two
// constants in a CHECK does at every insert.
func buildsTemporaryTable(t *testing.T, conn *sql.DB) bool {
	t.Helper()
	rows, err := conn.Query(`EXPLAIN INSERT INTO messages (session_id, author_kind, author_name, body, created_at) VALUES (1, 'visitor', 'V', 'hello', 1)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if op, _ := vals[1].(string); op == "OpenEphemeral" {
			found = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return found
}

func messagesSQL(t *testing.T, conn *sql.DB) string {
	t.Helper()
	var text string
	if err := conn.QueryRow(`SELECT sql FROM sqlite_schema WHERE name = 'messages'`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	return text
}

func TestMessagesCheckWithoutTemporaryTable(t *testing.T) {
	ctx := context.Background()
	conn := openEmpty(t)
	if _, err := MigrateTo(ctx, conn, messagesCheckVersion-1); err != nil {
		t.Fatal(err)
	}
	// Foreign keys are off on this connection: messages need no session.
	for _, kind := range []string{"visitor", "operator", "bot", "system"} {
		if _, err := conn.Exec(`INSERT INTO messages (session_id, author_kind, author_name, body, created_at) VALUES (7, ?, 'A', 'before', 1)`, kind); err != nil {
			t.Fatal(err)
		}
	}
	if !buildsTemporaryTable(t, conn) {
		t.Fatal("before the migration an insert built no temporary table: the check this migration rewrites is gone")
	}

	if n, err := Migrate(ctx, conn); err != nil || n == 0 {
		t.Fatalf("migrate: %d, %v", n, err)
	}
	if buildsTemporaryTable(t, conn) {
		t.Fatalf("an insert into messages still builds a temporary table:\n%s", messagesSQL(t, conn))
	}
	if text := messagesSQL(t, conn); !strings.Contains(text, authorKindOr) || strings.Contains(text, authorKindIn) {
		t.Fatalf("messages after the migration:\n%s", text)
	}
	checkMessages := func(when string) {
		t.Helper()
		var n int
		if err := conn.QueryRow(`SELECT count(*) FROM messages WHERE body = 'before'`).Scan(&n); err != nil || n != 4 {
			t.Fatalf("%s: %d of the 4 messages, %v", when, n, err)
		}
		var integrity string
		if err := conn.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
			t.Fatalf("%s: integrity %q, %v", when, integrity, err)
		}
		if _, err := conn.Exec(`INSERT INTO messages (session_id, author_kind, author_name, body, created_at) VALUES (7, 'robot', 'A', 'x', 1)`); err == nil || !strings.Contains(err.Error(), "CHECK constraint failed") {
			t.Fatalf("%s: an unknown author kind was not refused: %v", when, err)
		}
		if _, err := conn.Exec(`INSERT INTO messages (session_id, author_kind, author_name, body, created_at) VALUES (7, NULL, 'A', 'x', 1)`); err == nil {
			t.Fatalf("%s: a message without an author kind was kept", when)
		}
		if _, err := conn.Exec(`INSERT INTO messages (session_id, author_kind, author_name, body, created_at) VALUES (7, 'bot', 'A', ?, 1)`, when); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
	}
	checkMessages("after the migration")

	// A new connection reads the new schema too.
	conn2, err := sql.Open("sqlite", dbPath(t, conn))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	if buildsTemporaryTable(t, conn2) {
		t.Fatal("another connection still builds a temporary table")
	}

	// Down puts the old text back, rows untouched.
	p, err := provider(conn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, messagesCheckVersion-1); err != nil {
		t.Fatal(err)
	}
	if text := messagesSQL(t, conn); !strings.Contains(text, authorKindIn) || strings.Contains(text, authorKindOr) {
		t.Fatalf("messages after migrating down:\n%s", text)
	}
	if _, err := conn.Exec(`DELETE FROM messages WHERE body != 'before'`); err != nil {
		t.Fatal(err)
	}
	checkMessages("after migrating down")
}

// A table whose schema does not hold the text to replace is left alone,
// and so is one whose new text SQLite cannot parse: the migration says why
// and the transaction keeps nothing.
func TestRewriteTableSQLRefusesBadText(t *testing.T) {
	const check = `CHECK (author_kind IN ('a', 'b', 'c'))`
	conn := openEmpty(t)
	if _, err := conn.Exec(`CREATE TABLE messages (author_kind TEXT ` + check + `)`); err != nil {
		t.Fatal(err)
	}
	before := messagesSQL(t, conn)
	for _, c := range []struct{ from, to, err string }{
		{authorKindIn, authorKindOr, "not once"},
		{check, strings.TrimSuffix(check, ")"), "malformed"},
	} {
		tx, err := conn.Begin()
		if err != nil {
			t.Fatal(err)
		}
		err = rewriteTableSQL(context.Background(), tx, "messages", c.from, c.to)
		tx.Rollback()
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Fatalf("rewriting %q as %q: %v, want %q", c.from, c.to, err, c.err)
		}
		if after := messagesSQL(t, conn); after != before {
			t.Fatalf("the schema changed:\n%s", after)
		}
		var writable int
		if err := conn.QueryRow(`PRAGMA writable_schema`).Scan(&writable); err != nil || writable != 0 {
			t.Fatalf("writable_schema left %d, %v", writable, err)
		}
		if _, err := conn.Exec(`INSERT INTO messages VALUES ('b')`); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(`INSERT INTO messages VALUES ('d')`); err == nil {
			t.Fatal("the check no longer holds")
		}
	}
}

// dbPath is the file of conn's main database.
func dbPath(t *testing.T, conn *sql.DB) string {
	t.Helper()
	var seq int
	var name, file string
	if err := conn.QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

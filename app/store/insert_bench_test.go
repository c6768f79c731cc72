package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"parley/app/model"
	"parley/app/store"
	"parley/db"
)

// BenchmarkInsertMessagesBatch measures the group commit of visitor
// messages by how many one commit carries, each to another of 5,000 open
// conversations and with a client id as the widget sends it: what a message costs when commits are small (a quiet
// server, or a fast disk) against large (a busy one). The commit's fixed
// cost — begin, WAL header, fsync — is what batching shares.
//
//	go test ./app/store -run '^$' -bench InsertMessagesBatch
func BenchmarkInsertMessagesBatch(b *testing.B) {
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "parley.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := db.Migrate(ctx, st.Writer()); err != nil {
		b.Fatal(err)
	}
	w := st.Writer()
	now := time.Now().UnixMilli()
	if _, err := w.Exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM k WHERE i < 5000)
		INSERT INTO visitors (token_hash, created_at, last_seen_at) SELECT 'x'||i, ?, ? FROM k`, now, now); err != nil {
		b.Fatal(err)
	}
	if _, err := w.Exec(`INSERT INTO users (email, name, role, password_hash, created_at) VALUES ('o@x', 'O', 'operator', '', ?)`, now); err != nil {
		b.Fatal(err)
	}
	const sessions = 5000
	if _, err := w.Exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM k WHERE i < ?)
		INSERT INTO chat_sessions (public_id, channel_id, visitor_id, operator_id, operator_name, visitor_name, status, created_at) SELECT 'p'||i, NULL, i, 1, 'O', '', 'open', ? FROM k`, sessions, now); err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{1, 2, 4, 8, 32} {
		b.Run(fmt.Sprint("batch=", size), func(b *testing.B) {
			n := 0
			for b.Loop() {
				msgs := make([]*model.Message, size)
				for i := range msgs {
					n++
					msgs[i] = &model.Message{SessionID: int64(1 + (n*7919)%sessions), AuthorKind: model.AuthorVisitor, AuthorName: "v", Body: "hello there, a message of some length", ClientID: fmt.Sprint("c", n)}
				}
				if _, err := st.InsertMessages(ctx, msgs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*size), "µs/msg")
		})
	}
}

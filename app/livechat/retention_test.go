package livechat_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"parley/app/livechat"
	"parley/app/model"
)

// retentionFixture has an old ended conversation with a named visitor, a
// recent ended one and an open one, an offline message and page views.
func retentionFixture(t *testing.T) (*fixture, [3]*model.Session) {
	t.Helper()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := newFixtureOpts(t, 1, livechat.Options{Now: clock})
	ctx := context.Background()
	f.lc.Presence.Connect(f.ops[0].ID)
	var xs [3]*model.Session
	named, err := f.lc.StartSession(ctx, livechat.StartInput{ChannelID: f.ch.ID, Country: "BE", VisitorName: "Ada", VisitorEmail: "ada@example.com", URL: "https://shop.example/a"})
	if err != nil {
		t.Fatal(err)
	}
	xs[0] = named.Session
	if _, err := f.lc.PostVisitorMessage(ctx, xs[0], "my phone is 555 0100", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.lc.RecordPageView(ctx, named.Visitor, "https://shop.example/a", "A", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.lc.LeaveOfflineMessage(ctx, &model.OfflineMessage{ChannelID: f.ch.ID, VisitorID: named.Visitor.ID, Email: "ada@example.com", Body: "call me"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lc.CloseByVisitor(ctx, xs[0]); err != nil {
		t.Fatal(err)
	}
	// 40 days pass: the old data is now old; two more chats start.
	age := func(d time.Duration) {
		w := f.st.Writer()
		ms := time.Now().Add(-d).UnixMilli()
		for _, q := range []string{
			`UPDATE chat_sessions SET created_at = ?, last_message_at = ?, closed_at = ?`,
			`UPDATE messages SET created_at = ?`, `UPDATE page_views SET created_at = ?`,
			`UPDATE offline_messages SET created_at = ?`, `UPDATE visitors SET created_at = ?, last_seen_at = ?`,
		} {
			args := []any{}
			for range countPlaceholders(q) {
				args = append(args, ms)
			}
			if _, err := w.Exec(q, args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	age(40 * 24 * time.Hour)
	recent := f.start(t, nil)
	xs[1] = recent.Session
	if _, err := f.lc.PostVisitorMessage(ctx, xs[1], "recent", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lc.CloseByVisitor(ctx, xs[1]); err != nil {
		t.Fatal(err)
	}
	xs[2] = f.start(t, nil).Session
	return f, xs
}

func countPlaceholders(q string) int {
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
		}
	}
	return n
}

func TestRetentionAnonymises(t *testing.T) {
	f, xs := retentionFixture(t)
	ctx := context.Background()
	n, err := f.lc.ApplyRetention(ctx, 30, livechat.RetainAnonymise)
	if err != nil || n.Sessions != 1 || n.PageViews != 1 || n.OfflineMessages != 1 || n.Visitors != 1 {
		t.Fatalf("anonymise: %v %+v", err, n)
	}
	old, err := f.st.Session(ctx, xs[0].ID)
	if err != nil || old.VisitorName != "" || old.URL != "" || old.MessageCount == 0 || old.OperatorID == 0 || old.Country != "BE" {
		t.Fatalf("the old conversation keeps its figures but not who or what: %v %+v", err, old)
	}
	if msgs, _ := f.lc.Messages(ctx, old, 0); len(msgs) != 0 {
		t.Fatalf("the old conversation's messages survived: %d", len(msgs))
	}
	v, _ := f.st.Visitor(ctx, old.VisitorID)
	if v.Name != "" || v.Email != "" || v.CurrentURL != "" {
		t.Fatalf("the visitor keeps personal data: %+v", v)
	}
	if msgs, _ := f.lc.Messages(ctx, xs[1], 0); len(msgs) == 0 {
		t.Fatal("a recent conversation lost its messages")
	}
	if again, _ := f.lc.ApplyRetention(ctx, 30, livechat.RetainAnonymise); again != (model.Retained{}) {
		t.Fatalf("a second pass found more to do: %+v", again)
	}
}

func TestRetentionDeletes(t *testing.T) {
	f, xs := retentionFixture(t)
	ctx := context.Background()
	n, err := f.lc.ApplyRetention(ctx, 30, livechat.RetainDelete)
	if err != nil || n.Sessions != 1 || n.Visitors != 1 || n.PageViews != 1 || n.OfflineMessages != 1 {
		t.Fatalf("delete: %v %+v", err, n)
	}
	if _, err := f.st.Session(ctx, xs[0].ID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("the old conversation survived: %v", err)
	}
	for _, x := range xs[1:] {
		if _, err := f.st.Session(ctx, x.ID); err != nil {
			t.Fatalf("a recent or open conversation went: %v", err)
		}
	}
	if n, _ := f.lc.ApplyRetention(ctx, 0, livechat.RetainDelete); n != (model.Retained{}) {
		t.Fatal("0 days must keep everything")
	}
}

func TestExportAndEraseVisitor(t *testing.T) {
	f, xs := retentionFixture(t)
	ctx := context.Background()
	ex, err := f.lc.ExportVisitor(ctx, xs[0].VisitorID)
	if err != nil || ex.Visitor.Email != "ada@example.com" || len(ex.Conversations) != 1 || len(ex.PageViews) != 1 || len(ex.OfflineMessages) != 1 {
		t.Fatalf("export: %v %+v", err, ex)
	}
	if m := ex.Conversations[0].Messages; len(m) < 1 || m[0].Body != "my phone is 555 0100" {
		t.Fatalf("export messages: %+v", m)
	}
	n, err := f.lc.EraseVisitor(ctx, xs[0].VisitorID)
	if err != nil || n != 1 {
		t.Fatalf("erase: %d %v", n, err)
	}
	if _, err := f.st.Visitor(ctx, xs[0].VisitorID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("the visitor survived: %v", err)
	}
	if _, err := f.st.Session(ctx, xs[0].ID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("their conversation survived: %v", err)
	}
	if left, _ := f.st.OfflineMessagesOfVisitor(ctx, xs[0].VisitorID); len(left) != 0 {
		t.Fatal("their offline message survived")
	}
	if _, err := f.lc.EraseVisitor(ctx, xs[0].VisitorID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("erasing twice: %v, want not found", err)
	}
	if _, err := f.st.Session(ctx, xs[1].ID); err != nil {
		t.Fatalf("another visitor's conversation went: %v", err)
	}
}

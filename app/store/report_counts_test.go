package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
)

// TestReportCountsFollowEveryMessage: the figures reports read from a
// session (the chat's messages, when it began and ended, the first
// reply) count visitors' and operators' messages only, not system lines
// nor internal notes, while every message moves last_message_at and the
// message count; a message refused by a closed session changes nothing.
func TestReportCountsFollowEveryMessage(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	ch := newChannel(t, st, "Web")
	op := newUser(t, st, "op@example.com", model.RoleOperator)
	_, x := newOpenSession(t, st, ch.ID, op.ID, "h", "p")
	type figures struct {
		count, chat                 int
		first, last, reply, lastMsg sql.NullInt64
	}
	read := func() figures {
		t.Helper()
		var f figures
		if err := st.Writer().QueryRowContext(ctx, `SELECT message_count, chat_messages, chat_first_at, chat_last_at, first_reply_at, last_message_at
			FROM chat_sessions WHERE id = ?`, x.ID).Scan(&f.count, &f.chat, &f.first, &f.last, &f.reply, &f.lastMsg); err != nil {
			t.Fatal(err)
		}
		return f
	}
	insert := func(m *model.Message) int64 {
		t.Helper()
		m.SessionID = x.ID
		errs, err := st.InsertMessages(ctx, []*model.Message{m})
		if err != nil || errs[0] != nil {
			t.Fatalf(`insert %+v: %v %v`, m, err, errs)
		}
		return m.CreatedAt.UnixMilli()
	}

	sys := insert(&model.Message{AuthorKind: model.AuthorSystem, Notice: &model.Notice{Code: "joined"}})
	if f := read(); f.count != 1 || f.chat != 0 || f.first.Valid || f.last.Valid || f.reply.Valid || f.lastMsg.Int64 != sys {
		t.Errorf(`after a system line: %+v`, f)
	}
	hello := insert(&model.Message{AuthorKind: model.AuthorVisitor, Body: "hello?"})
	insert(&model.Message{AuthorKind: model.AuthorOperator, AuthorID: op.ID, AuthorName: "Op", Body: "who is this?", Internal: true})
	if f := read(); f.count != 3 || f.chat != 1 || f.first.Int64 != hello || f.last.Int64 != hello || f.reply.Valid {
		t.Errorf(`after a visitor's message and a note: %+v (hello at %d)`, f, hello)
	}
	reply := insert(&model.Message{AuthorKind: model.AuthorOperator, AuthorID: op.ID, AuthorName: "Op", Body: "Hi!"})
	again := insert(&model.Message{AuthorKind: model.AuthorOperator, AuthorID: op.ID, AuthorName: "Op", Body: "Still there?"})
	bye := insert(&model.Message{AuthorKind: model.AuthorVisitor, Body: "bye"})
	f := read()
	if f.count != 6 || f.chat != 4 || f.first.Int64 != hello || f.last.Int64 != bye || f.reply.Int64 != reply || f.lastMsg.Int64 != bye {
		t.Errorf(`after the reply: %+v (hello %d, reply %d, again %d, bye %d)`, f, hello, reply, again, bye)
	}

	if _, err := st.Writer().ExecContext(ctx, `UPDATE chat_sessions SET status = 'closed' WHERE id = ?`, x.ID); err != nil {
		t.Fatal(err)
	}
	errs, err := st.InsertMessages(ctx, []*model.Message{{SessionID: x.ID, AuthorKind: model.AuthorVisitor, Body: "too late"}})
	if err != nil || errs[0] == nil {
		t.Fatalf(`a message to a closed session: %v %v, want it refused`, err, errs)
	}
	if g := read(); g != f {
		t.Errorf(`a refused message changed the figures: %+v, was %+v`, g, f)
	}
}

// TestReportsCountOpenAndClosedSessions: the report indexes hold closed
// sessions only (a message does not rewrite them), so reports add the
// open ones in the same statement: a session counts while it is open and
// once more never, after it closes; the digest's unanswered count sees
// both too.
func TestReportsCountOpenAndClosedSessions(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	ch := newChannel(t, st, "Web")
	op := newUser(t, st, "op@example.com", model.RoleOperator)
	_, a := newOpenSession(t, st, ch.ID, op.ID, "ha", "pa")
	_, b := newOpenSession(t, st, ch.ID, op.ID, "hb", "pb")
	_, quiet := newOpenSession(t, st, ch.ID, op.ID, "hq", "pq") // no chat: not answered
	_, missed := newOpenSession(t, st, ch.ID, op.ID, "hm", "pm")
	post := func(x *model.Session, kind model.AuthorKind, body string) {
		t.Helper()
		m := &model.Message{SessionID: x.ID, AuthorKind: kind, Body: body}
		if kind == model.AuthorOperator {
			m.AuthorID, m.AuthorName = op.ID, "Op"
		}
		if errs, err := st.InsertMessages(ctx, []*model.Message{m}); err != nil || errs[0] != nil {
			t.Fatalf(`post: %v %v`, err, errs)
		}
	}
	post(a, model.AuthorVisitor, "hello")
	post(a, model.AuthorOperator, "hi")
	post(b, model.AuthorVisitor, "one")
	post(b, model.AuthorVisitor, "two")
	post(b, model.AuthorOperator, "yes?")
	post(missed, model.AuthorVisitor, "anyone?")
	f := model.ReportFilter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)}
	check := func(when string) {
		t.Helper()
		r, err := st.SessionReport(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		// a (2 messages), b (3) and missed (1), each once.
		if r.Total.Sessions != 3 || r.Total.AvgMessages != 2 || r.Total.Unanswered != 1 {
			t.Errorf(`%s: %+v, want 3 sessions of 2 messages on average, 1 unanswered`, when, r.Total)
		}
		for _, dims := range [][]string{{"day"}, {"hour"}, {"operator", "language"}} {
			cells, err := st.GroupSessions(ctx, f, dims...)
			if err != nil {
				t.Fatal(err)
			}
			if len(cells) != 1 || cells[0].Figures.Sessions != 3 {
				t.Errorf(`%s: by %v: %+v, want one group of 3 sessions`, when, dims, cells)
			}
		}
		if n, err := st.Unanswered(ctx, f.Since, f.Until); err != nil || n != 1 {
			t.Errorf(`%s: %d unanswered (%v), want 1`, when, n, err)
		}
	}
	check("all open")
	if _, err := st.CloseSession(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	check("one closed")
	for _, x := range []*model.Session{b, quiet, missed} {
		if _, err := st.CloseSession(ctx, x.ID); err != nil {
			t.Fatal(err)
		}
	}
	check("all closed")
}

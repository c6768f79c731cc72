package rating_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/app/auth"
	"parley/app/events"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/rating"
	"parley/app/store"
	"parley/db"
)

type fixture struct {
	st    *store.Store
	lc    *livechat.Service
	rt    *rating.Service
	bus   *events.Bus
	ops   []*model.User
	admin *model.User
	ch    *model.Channel
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := db.Migrate(ctx, st.Writer()); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, bus: events.New(nil), now: time.Now()}
	t.Cleanup(f.bus.Close)
	a := auth.New(st, auth.Options{BcryptCost: bcrypt.MinCost})
	f.lc = livechat.New(st, livechat.Options{Events: f.bus, Intn: func(int) int { return 0 }})
	f.lc.Start()
	t.Cleanup(f.lc.Stop)
	f.rt = rating.New(st, rating.Options{Channels: f.lc, Events: f.bus, Now: func() time.Time { return f.now }})
	var ids []int64
	for i, name := range []string{"Ann", "Bob", "Cid"} {
		u, err := a.CreateUser(ctx, auth.NewUser{Email: string(rune('a'+i)) + "@example.com", Name: name, Role: model.RoleOperator, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		f.ops, ids = append(f.ops, u), append(ids, u.ID)
	}
	if f.admin, err = a.CreateUser(ctx, auth.NewUser{Email: "admin@example.com", Name: "Admin", Role: model.RoleAdmin, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	f.ch = &model.Channel{Name: "Support", Published: true, Options: model.DefaultChannelOptions()}
	if err := f.lc.CreateChannel(ctx, f.ch, ids...); err != nil {
		t.Fatal(err)
	}
	return f
}

// closedSession has op chat with a new visitor, and the visitor leave.
func (f *fixture) closedSession(t *testing.T, op *model.User) *model.Session {
	t.Helper()
	ctx := context.Background()
	for _, o := range f.ops {
		f.lc.Presence.Disconnect(o.ID)
	}
	f.lc.Presence.Connect(op.ID)
	res, err := f.lc.StartSession(ctx, livechat.StartInput{ChannelID: f.ch.ID})
	if err != nil {
		t.Fatal(err)
	}
	if res.Session.OperatorID != op.ID {
		t.Fatalf("session went to %d, want %d", res.Session.OperatorID, op.ID)
	}
	x, err := f.lc.CloseByVisitor(ctx, res.Session)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func (f *fixture) rate(t *testing.T, op *model.User, v int, reason string) *model.Rating {
	t.Helper()
	r, err := f.rt.Submit(context.Background(), f.closedSession(t, op), v, reason)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantCounts(t *testing.T, what string, got model.RatingCounts, s, n, d int) {
	t.Helper()
	if got != (model.RatingCounts{Satisfied: s, Neutral: n, Dissatisfied: d}) {
		t.Errorf("%s: got %+v, want %d/%d/%d", what, got, s, n, d)
	}
}

func TestStatisticsWithoutRatings(t *testing.T) {
	f := newFixture(t)
	p, err := f.rt.Page(context.Background(), f.ch.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, "channel", p.Counts, 0, 0, 0)
	if p.Counts.Percent(5) != 0 || len(p.Last) != 0 || len(p.Team) != 3 {
		t.Errorf("empty page: %+v", p)
	}
	for _, m := range p.Team {
		if m.Counts.Total() != 0 {
			t.Errorf("%s is rated: %+v", m.ChatName, m.Counts)
		}
	}
}

func TestStatisticsAllTimePerOperatorAndInternalExcluded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ann, bob := f.ops[0], f.ops[1]
	f.rate(t, ann, 5, "")
	f.rate(t, ann, 5, "")
	f.rate(t, ann, 1, "slow")
	f.rate(t, bob, 3, "")
	hidden := f.rate(t, bob, 1, "rude words")
	// A rating from long ago counts too: the page is all time.
	old := f.rate(t, bob, 5, "")
	if _, err := f.st.Writer().Exec(`UPDATE ratings SET created_at = 1, updated_at = 1 WHERE id = ?`, old.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rt.SetInternal(ctx, f.admin, hidden.ID, true); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute) // past nothing: internal invalidates at once
	p, err := f.rt.Page(ctx, f.ch.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, "channel", p.Counts, 3, 1, 1)
	if got := p.Counts.Percent(5); got != 60 {
		t.Errorf("satisfied %% = %v, want 60", got)
	}
	byName := map[string]model.RatingCounts{}
	for _, m := range p.Team {
		byName[m.ChatName] = m.Counts
	}
	wantCounts(t, "Ann", byName["Ann"], 2, 0, 1)
	wantCounts(t, "Bob", byName["Bob"], 1, 1, 0)
	wantCounts(t, "Cid", byName["Cid"], 0, 0, 0)
	if got := byName["Ann"].Percent(1); got != 33.3 {
		t.Errorf("Ann dissatisfied %% = %v, want 33.3", got)
	}
	if len(p.Last) != 5 || p.Last[len(p.Last)-1] != 5 {
		t.Errorf("last feedbacks %v: want 5 public ones, the oldest last", p.Last)
	}
	ones := 0
	for _, v := range p.Last {
		if v == 1 {
			ones++
		}
	}
	if ones != 1 {
		t.Errorf("last feedbacks %v: the internal dissatisfied rating is shown", p.Last)
	}
	// Back to public: counted again.
	if _, err := f.rt.SetInternal(ctx, f.admin, hidden.ID, false); err != nil {
		t.Fatal(err)
	}
	p, _ = f.rt.Page(ctx, f.ch.ID, false)
	wantCounts(t, "channel after un-hiding", p.Counts, 3, 1, 2)
	// Operators may not hide ratings.
	if _, err := f.rt.SetInternal(ctx, ann, hidden.ID, true); !isRefusal(err, model.Forbidden, "forbidden") {
		t.Errorf("operator hid a rating: %v", err)
	}
}

func TestChangingOnesMindReplacesTheRating(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	x := f.closedSession(t, f.ops[0])
	if _, err := f.rt.Submit(ctx, x, 1, "no answer"); err != nil {
		t.Fatal(err)
	}
	r, err := f.rt.Submit(ctx, x, 3, "well, partly")
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.st.CountRatings(ctx, model.RatingFilter{})
	if err != nil || n != 1 {
		t.Fatalf("ratings = %d, %v; want one per session", n, err)
	}
	got, _ := f.st.RatingOfSession(ctx, x.ID)
	if got.ID != r.ID || got.Value != 3 || got.Reason != "well, partly" {
		t.Errorf("stored %+v", got)
	}
	p, _ := f.rt.Page(ctx, f.ch.ID, false)
	wantCounts(t, "channel", p.Counts, 0, 1, 0)
	s, _ := f.st.Session(ctx, x.ID)
	if s.Rating != 3 {
		t.Errorf("session rating %d", s.Rating)
	}
	// The operator read both ratings as notices, in order.
	msgs, _ := f.st.Messages(ctx, x.ID, 0, 100)
	var notices []string
	en := englishT{}
	for _, m := range msgs {
		if m.Notice != nil && m.Notice.Code == livechat.NoticeRated {
			notices = append(notices, livechat.NoticeText(en, m.Notice))
		}
	}
	want := []string{"Rating: 😞 Dissatisfied. Rating reason: no answer", "Rating: 😐 Neutral. Rating reason: well, partly"}
	if strings.Join(notices, "|") != strings.Join(want, "|") {
		t.Errorf("notices %q, want %q", notices, want)
	}
}

type englishT struct{}

func (englishT) T(msg string, args ...any) string { return fmt.Sprintf(msg, args...) }

func isRefusal(err error, kind model.RefusalKind, code string) bool {
	var r *model.Refusal
	return errors.As(err, &r) && r.Kind == kind && r.Code == code
}

func isFieldError(err error, field string) bool {
	var fe *model.FieldError
	return errors.As(err, &fe) && fe.Field == field
}

func TestBadFeedbackIsRefusedAndNothingSaved(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	x := f.closedSession(t, f.ops[0])
	f.lc.Presence.Connect(f.ops[1].ID)
	open, err := f.lc.StartSession(ctx, livechat.StartInput{ChannelID: f.ch.ID})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		x     *model.Session
		value int
		why   string
		check func(error) bool
	}{
		{"rating 4", x, 4, "", func(err error) bool { return isFieldError(err, "rating") }},
		{"rating 0", x, 0, "", func(err error) bool { return isFieldError(err, "rating") }},
		{"reason on satisfied", x, 5, "great", func(err error) bool { return isFieldError(err, "reason") }},
		{"over-long reason", x, 1, strings.Repeat("é", rating.MaxReasonLen+1), func(err error) bool { return isFieldError(err, "reason") }},
		{"open session", open.Session, 1, "", func(err error) bool { return isRefusal(err, model.Conflict, "session_open") }},
	}
	for _, c := range cases {
		if _, err := f.rt.Submit(ctx, c.x, c.value, c.why); !c.check(err) {
			t.Errorf("%s: got %v", c.name, err)
		}
	}
	f.now = f.now.Add(rating.FeedbackWindow + time.Minute)
	if _, err := f.rt.Submit(ctx, x, 5, ""); !isRefusal(err, model.Conflict, "feedback_closed") {
		t.Errorf("late feedback: %v", err)
	}
	n, _ := f.st.CountRatings(ctx, model.RatingFilter{})
	msgs, _ := f.st.Messages(ctx, x.ID, 0, 100)
	for _, m := range msgs {
		if m.Notice != nil && m.Notice.Code == livechat.NoticeRated {
			t.Errorf("a refused rating left a notice: %+v", m.Notice)
		}
	}
	if n != 0 {
		t.Errorf("%d ratings saved", n)
	}
}

func TestUnpublishedPageIsOnlyAPreview(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.ch.Published = false
	if err := f.lc.UpdateChannel(ctx, f.ch); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rt.Page(ctx, f.ch.ID, false); !isRefusal(err, model.NotFound, "not_found") {
		t.Errorf("unpublished page: %v", err)
	}
	if _, err := f.rt.Page(ctx, f.ch.ID, true); err != nil {
		t.Errorf("preview: %v", err)
	}
	if _, err := f.rt.Page(ctx, 999, true); !isRefusal(err, model.NotFound, "not_found") {
		t.Errorf("missing channel: %v", err)
	}
}

func TestDeletedConversationsLeaveTheCounts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.rate(t, f.ops[0], 5, "")
	gone := f.closedSession(t, f.ops[0])
	if _, err := f.rt.Submit(ctx, gone, 1, ""); err != nil {
		t.Fatal(err)
	}
	// Retention deletes old conversations; their ratings go with them, and
	// the counters follow (foreign-key cascades fire the triggers).
	if _, err := f.st.Writer().Exec(`DELETE FROM chat_sessions WHERE id = ?`, gone.ID); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour) // past the page cache
	p, err := f.rt.Page(ctx, f.ch.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts(t, "after the deletion", p.Counts, 1, 0, 0)
}

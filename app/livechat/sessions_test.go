package livechat_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/app/auth"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/store"
	"parley/db"
)

// recorder is a realtime hub that keeps the frames it is asked to push.
type recorder struct {
	mu        sync.Mutex
	frames    []frame
	connected map[string]int // sockets per topic, as the hub reports them
	// only, when set for a topic, is the one tab listening there: a
	// publish that excepts it reaches nobody.
	only map[string]string
}

func (r *recorder) Subscribers(topic string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.connected[topic]
}

type frame struct {
	topic, except, typ string
	data               any
}

func (r *recorder) Publish(topic, typ string, data any) { r.PublishExcept(topic, "", typ, data) }

// Listening is true but for a topic whose only tab is excepted: the
// recorder keeps every other frame, listened to or not.
func (r *recorder) Listening(topic, except string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	tab, ok := r.only[topic]
	return !ok || except == "" || except != tab
}

func (r *recorder) PublishExcept(topic, except, typ string, data any) {
	r.mu.Lock()
	r.frames = append(r.frames, frame{topic, except, typ, data})
	r.mu.Unlock()
}

// wait returns the first frame on topic of type typ that ok accepts,
// failing the test when none arrives: pushes follow commits
// asynchronously, through the event bus.
func (r *recorder) wait(t *testing.T, topic, typ string, ok func(any) bool) any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, f := range r.frames {
			if f.topic == topic && f.typ == typ && (ok == nil || ok(f.data)) {
				r.mu.Unlock()
				return f.data
			}
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %s frame on %s", typ, topic)
	return nil
}

// has reports whether a frame on topic of type typ that ok accepts was pushed.
func (r *recorder) has(topic, typ string, ok func(any) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.frames {
		if f.topic == topic && f.typ == typ && (ok == nil || ok(f.data)) {
			return true
		}
	}
	return false
}

type fixture struct {
	rec  *recorder
	st   *store.Store
	lc   *livechat.Service
	ch   *model.Channel
	ops  []*model.User
	path string
}

func newFixture(t testing.TB, nOps int, intn func(int) int) *fixture {
	t.Helper()
	return newFixtureOpts(t, nOps, livechat.Options{Intn: intn})
}

func newFixtureOpts(t testing.TB, nOps int, o livechat.Options) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "parley.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := db.Migrate(context.Background(), st.Writer()); err != nil {
		t.Fatal(err)
	}
	a := auth.New(st, auth.Options{BcryptCost: bcrypt.MinCost})
	f := &fixture{st: st, path: path, rec: &recorder{connected: map[string]int{}}}
	o.BaseURL = "https://chat.example"
	f.lc = livechat.New(st, o)
	f.lc.ConnectRealtime(f.rec)
	f.lc.Start()
	t.Cleanup(f.lc.Stop)
	var ids []int64
	for i := 0; i < nOps; i++ {
		u, err := a.CreateUser(context.Background(), auth.NewUser{Email: string(rune('a'+i)) + "@example.com", Name: "Op " + string(rune('A'+i)), Role: model.RoleOperator, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		f.ops = append(f.ops, u)
		ids = append(ids, u.ID)
	}
	f.ch = &model.Channel{Name: "Support", Options: model.DefaultChannelOptions()}
	if err := f.lc.CreateChannel(context.Background(), f.ch, ids...); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) start(t *testing.T, v *model.Visitor) *livechat.StartResult {
	t.Helper()
	res, err := f.lc.StartSession(context.Background(), livechat.StartInput{ChannelID: f.ch.ID, Visitor: v, Country: "BE"})
	if err != nil {
		t.Fatalf(`start: %v`, err)
	}
	return res
}

func TestOperatorSelection(t *testing.T) {
	first := func(int) int { return 0 }
	f := newFixture(t, 3, first)
	ctx := context.Background()
	a, b, c := f.ops[0], f.ops[1], f.ops[2]

	if _, err := f.lc.StartSession(ctx, livechat.StartInput{ChannelID: f.ch.ID}); !errors.Is(err, livechat.ErrNoOperator) {
		t.Fatalf(`nobody online: got %v, want ErrNoOperator`, err)
	}
	// Only online operators are candidates; away ones (no activity for 30
	// minutes) are covered by the presence tests.
	f.lc.Presence.Connect(b.ID)
	f.lc.Presence.Connect(c.ID)
	r1 := f.start(t, nil)
	if r1.Session.OperatorID != b.ID || r1.Token == "" || r1.Session.VisitorName != "" || livechat.NewSessionView(english{}, r1.Session, "").VisitorName != "Website Visitor #1" || r1.Session.Country != "BE" {
		t.Fatalf(`first chat: %+v`, r1.Session)
	}
	// b now has one open chat, c none: the least busy gets the next one.
	r2 := f.start(t, nil)
	if r2.Session.OperatorID != c.ID {
		t.Fatalf(`least busy: got operator %d, want %d`, r2.Session.OperatorID, c.ID)
	}
	// Tied at one each: the injected tie breaker decides.
	f.lc.Presence.Connect(a.ID)
	r3 := f.start(t, nil)
	if r3.Session.OperatorID != a.ID {
		t.Fatalf(`a has no chat: got %d`, r3.Session.OperatorID)
	}
	// The visitor of r1 comes back after closing: their previous operator
	// b is preferred even though b is not the least busy.
	if _, err := f.lc.CloseByVisitor(ctx, r1.Session); err != nil {
		t.Fatal(err)
	}
	f.start(t, nil) // a new visitor, to make b busier than others
	again := f.start(t, r1.Visitor)
	if again.Session.OperatorID != b.ID || again.Session.ID == r1.Session.ID || !again.Created {
		t.Fatalf(`previous operator: %+v`, again.Session)
	}
	// An open session on the same channel is continued, not duplicated.
	cont := f.start(t, r1.Visitor)
	if cont.Created || cont.Session.ID != again.Session.ID {
		t.Fatalf(`continue: created=%v id=%d want %d`, cont.Created, cont.Session.ID, again.Session.ID)
	}
	// The previous operator went offline: someone else takes the chat.
	if _, err := f.lc.CloseByVisitor(ctx, again.Session); err != nil {
		t.Fatal(err)
	}
	f.lc.Presence.Disconnect(b.ID)
	other := f.start(t, r1.Visitor)
	if other.Session.OperatorID == b.ID {
		t.Fatalf(`offline previous operator must not be chosen`)
	}
}

func TestTieBreakIsRandomAmongTied(t *testing.T) {
	var asked []int
	f := newFixture(t, 3, func(n int) int { asked = append(asked, n); return n - 1 })
	for _, u := range f.ops {
		f.lc.Presence.Connect(u.ID)
	}
	r := f.start(t, nil)
	if len(asked) != 1 || asked[0] != 3 || r.Session.OperatorID != f.ops[2].ID {
		t.Fatalf(`tie breaker asked %v, chose %d`, asked, r.Session.OperatorID)
	}
}

func TestMessagesSurviveRestart(t *testing.T) {
	f := newFixture(t, 1, nil)
	f.lc.Presence.Connect(f.ops[0].ID)
	r := f.start(t, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make([]int64, 200)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			m, err := f.lc.PostVisitorMessage(ctx, r.Session, "hello", "")
			if err != nil {
				t.Errorf(`post %d: %v`, i, err)
				return
			}
			ids[i] = m.ID
		}(i)
	}
	wg.Wait()
	// Acknowledged means committed: reopen the file from scratch.
	f.lc.Stop()
	f.st.Close()
	st, err := store.Open(ctx, f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := st.Messages(ctx, r.Session.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(ids) {
		t.Fatalf(`after restart: %d messages, %d acknowledged`, len(msgs), len(ids))
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	for i, m := range msgs {
		if !seen[m.ID] || (i > 0 && m.ID <= msgs[i-1].ID) {
			t.Fatalf(`message %d: id %d not acknowledged or out of order`, i, m.ID)
		}
	}
	x, err := st.Session(ctx, r.Session.ID)
	if err != nil || x.MessageCount != len(ids) {
		t.Fatalf(`message_count %d, want %d (%v)`, x.MessageCount, len(ids), err)
	}
}

func TestPostValidation(t *testing.T) {
	f := newFixture(t, 1, nil)
	f.lc.Presence.Connect(f.ops[0].ID)
	r := f.start(t, nil)
	ctx := context.Background()
	for _, body := range []string{"", "  \n\t ", "\x00\x07"} {
		if _, err := f.lc.PostVisitorMessage(ctx, r.Session, body, ""); err == nil {
			t.Errorf(`empty body %q accepted`, body)
		}
	}
	m, err := f.lc.PostVisitorMessage(ctx, r.Session, "  line one\r\nline\x00 two  ", "")
	if err != nil || m.Body != "line one\nline two" {
		t.Fatalf(`cleaned body: %q %v`, m.Body, err)
	}
	if _, err := f.lc.CloseByVisitor(ctx, r.Session); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lc.PostVisitorMessage(ctx, r.Session, "late", ""); !errors.Is(err, livechat.ErrSessionClosed) {
		t.Fatalf(`post to closed session: %v`, err)
	}
	// Closing twice is harmless and posts one leave notice.
	if _, err := f.lc.CloseByVisitor(ctx, r.Session); err != nil {
		t.Fatal(err)
	}
	msgs, _ := f.st.Messages(ctx, r.Session.ID, 0, 0)
	notices := 0
	for _, m := range msgs {
		if m.AuthorKind == model.AuthorSystem {
			notices++
		}
	}
	if notices != 1 {
		t.Fatalf(`%d leave notices, want 1`, notices)
	}
}

// A visitor coming back to a conversation nobody is in any more gets a new
// one with whoever is available; a short absence keeps the conversation.
func TestStaleSessionsAreNotContinued(t *testing.T) {
	now := time.Now()
	f := newFixtureOpts(t, 2, livechat.Options{Now: func() time.Time { return now }, Intn: func(int) int { return 0 }})
	a, b := f.ops[0], f.ops[1]
	ctx := context.Background()
	f.lc.Presence.Connect(a.ID)
	first := f.start(t, nil)
	if first.Session.OperatorID != a.ID {
		t.Fatalf(`want operator a`)
	}
	// a's tab drops for a moment (say, a server restart): the chat goes on.
	f.lc.Presence.Disconnect(a.ID)
	f.lc.Presence.Connect(b.ID)
	now = now.Add(10 * time.Minute)
	if r := f.start(t, first.Visitor); r.Created || r.Session.ID != first.Session.ID {
		t.Fatalf(`a short absence must keep the conversation`)
	}
	// Three hours later a has not come back: a new chat, with b.
	now = now.Add(3 * time.Hour)
	f.lc.Presence.Activity(b.ID)
	r := f.start(t, first.Visitor)
	if !r.Created || r.Session.OperatorID != b.ID {
		t.Fatalf(`stale session continued: created=%v operator=%d`, r.Created, r.Session.OperatorID)
	}
	old, err := f.st.Session(ctx, first.Session.ID)
	if err != nil || old.Status != model.SessionClosed {
		t.Fatalf(`the stale session must be closed: %+v %v`, old, err)
	}
	// A day of silence ends even a conversation whose operator is online.
	now = now.Add(25 * time.Hour)
	f.lc.Presence.Activity(b.ID)
	if again := f.start(t, first.Visitor); !again.Created || again.Session.ID == r.Session.ID {
		t.Fatalf(`a day-old conversation was continued`)
	}
}

// Two tabs starting a chat at the same moment share one conversation.
func TestConcurrentStartsShareOneSession(t *testing.T) {
	f := newFixture(t, 1, nil)
	f.lc.Presence.Connect(f.ops[0].ID)
	first := f.start(t, nil)
	if _, err := f.lc.CloseByVisitor(context.Background(), first.Session); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := f.lc.StartSession(context.Background(), livechat.StartInput{ChannelID: f.ch.ID, Visitor: first.Visitor})
			if err != nil {
				t.Errorf(`start %d: %v`, i, err)
				return
			}
			ids[i] = r.Session.ID
		}(i)
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf(`concurrent starts opened different sessions: %v`, ids)
		}
	}
}

// Unread counts and last messages for a list of sessions come in one query
// each; the operator's reply marks the chat read in the same commit.
func TestUnreadAndLastMessages(t *testing.T) {
	f := newFixture(t, 1, nil)
	op := f.ops[0]
	f.lc.Presence.Connect(op.ID)
	ctx := context.Background()
	a, b := f.start(t, nil), f.start(t, nil)
	for _, body := range []string{"one", "two"} {
		if _, err := f.lc.PostVisitorMessage(ctx, a.Session, body, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.lc.PostVisitorMessage(ctx, b.Session, "hello", ""); err != nil {
		t.Fatal(err)
	}
	reply, err := f.lc.PostOperatorMessage(ctx, b.Session, op, "hi!", "")
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{a.Session.ID, b.Session.ID}
	unread, err := f.st.Unread(ctx, op.ID, ids)
	if err != nil || unread[a.Session.ID] != 2 || unread[b.Session.ID] != 0 {
		t.Fatalf(`unread %v %v; want 2 and 0`, unread, err)
	}
	last, err := f.st.LastMessages(ctx, ids)
	if err != nil || last[a.Session.ID].Body != "two" || last[b.Session.ID].ID != reply.ID {
		t.Fatalf(`last messages: %+v %v`, last, err)
	}
	if err := f.st.MarkRead(ctx, a.Session.ID, op.ID, last[a.Session.ID].ID); err != nil {
		t.Fatal(err)
	}
	if unread, _ := f.st.Unread(ctx, op.ID, ids); unread[a.Session.ID] != 0 {
		t.Fatalf(`after MarkRead: %v`, unread)
	}
	if m, err := f.st.Unread(ctx, op.ID, nil); err != nil || len(m) != 0 {
		t.Fatalf(`empty list: %v %v`, m, err)
	}
}

// english renders source text as it is, like the product's default.
type english struct{}

func (english) T(msg string, args ...any) string {
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// A visitor's message posted from a named tab is pushed to the visitor's
// sockets but that tab's (it has the message from its post's answer), and
// to the operator as always; a bad tab name stores nothing.
func TestVisitorPostFromANamedTab(t *testing.T) {
	f := newFixture(t, 1, func(int) int { return 0 })
	ctx := context.Background()
	f.lc.Presence.Connect(f.ops[0].ID)
	x := f.start(t, nil).Session
	m, err := f.lc.PostVisitorInput(ctx, x, livechat.VisitorInput{Body: "From a tab", Tab: "tab-1"})
	if err != nil {
		t.Fatal(err)
	}
	except := func(topic string) string {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			f.rec.mu.Lock()
			for _, fr := range f.rec.frames {
				if v, ok := fr.data.(livechat.MessageView); ok && fr.topic == topic && v.ID == m.ID {
					f.rec.mu.Unlock()
					return fr.except
				}
			}
			f.rec.mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("message %d was not pushed on %s", m.ID, topic)
		return ""
	}
	if got := except(livechat.VisitorTopic(x.VisitorID)); got != "tab-1" {
		t.Errorf("the visitor's push skips tab %q, want tab-1", got)
	}
	if got := except(livechat.OperatorTopic(f.ops[0].ID)); got != "" {
		t.Errorf("the operator's push skips tab %q", got)
	}

	// With that tab the visitor's only listener, nothing is built for the
	// visitor's topic; the operator still gets the message.
	f.rec.mu.Lock()
	f.rec.only = map[string]string{livechat.VisitorTopic(x.VisitorID): "tab-1"}
	f.rec.mu.Unlock()
	m, err = f.lc.PostVisitorInput(ctx, x, livechat.VisitorInput{Body: "Only tab", Tab: "tab-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := except(livechat.OperatorTopic(f.ops[0].ID)); got != "" {
		t.Errorf("the operator's push skips tab %q", got)
	}
	// pushMessage tells the visitor before the operator, so the visitor's
	// frame would be recorded by now.
	if f.rec.has(livechat.VisitorTopic(x.VisitorID), livechat.EventMessage, func(v any) bool { return v.(livechat.MessageView).ID == m.ID }) {
		t.Error("the message was pushed to a visitor topic where only its own tab listens")
	}

	_, err = f.lc.PostVisitorInput(ctx, x, livechat.VisitorInput{Body: "bad", Tab: "two words"})
	var fe *model.FieldError
	if !errors.As(err, &fe) || fe.Field != "tab" {
		t.Fatalf("a bad tab name: %v", err)
	}
	if msgs, _ := f.lc.Messages(ctx, x, 0); len(msgs) != 2 {
		t.Fatalf("%d messages stored, want the two with a good tab", len(msgs))
	}
}

// Topic names are what sockets subscribe to; the admin's pages and the
// widget's socket handler name them the same way.
func TestTopicNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{livechat.VisitorTopic(42), "visitor:42"},
		{livechat.OperatorTopic(9007199254740993), "operator:9007199254740993"},
	} {
		if c.got != c.want {
			t.Errorf("topic %q, want %q", c.got, c.want)
		}
	}
}

// A new visitor's first chat writes their row once, with everything the
// chat tells of them; a known visitor's row is updated the same way.
func TestStartSessionWritesTheVisitorsRow(t *testing.T) {
	f := newFixture(t, 1, nil)
	ctx := context.Background()
	op := f.ops[0]
	f.lc.Presence.Connect(op.ID)
	in := livechat.StartInput{ChannelID: f.ch.ID, Country: "BE", URL: "https://shop.example/cart", Title: "Cart",
		VisitorName: "Ada", VisitorEmail: "ada@example.com", VisitorPhone: "+32 470 12 34 56"}
	res, err := f.lc.StartSession(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	check := func(step string, id int64) {
		t.Helper()
		v, err := f.st.Visitor(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Name != "Ada" || v.Email != "ada@example.com" || v.Phone == "" || v.Country != "BE" ||
			v.CurrentURL != "https://shop.example/cart" || v.CurrentTitle != "Cart" || v.LastOperatorID != op.ID {
			t.Fatalf("%s: stored visitor %+v", step, v)
		}
	}
	if res.Token == "" || res.Visitor.ID == 0 {
		t.Fatalf("a new visitor: token %q, %+v", res.Token, res.Visitor)
	}
	check("new visitor", res.Visitor.ID)
	// The operator's frame for the new chat shows the visitor as the
	// start left them.
	f.rec.wait(t, livechat.OperatorTopic(op.ID), livechat.EventSession, func(d any) bool {
		o, ok := d.(livechat.OperatorSessionView)
		return ok && o.ID == res.Session.PublicID && o.Visitor.Email == "ada@example.com" &&
			o.Visitor.Phone != "" && o.Visitor.CurrentURL == "https://shop.example/cart"
	})
	if id, err := f.lc.VisitorIDByToken(ctx, res.Token); err != nil || id != res.Visitor.ID {
		t.Fatalf("the new token names visitor %d, %v; want %d", id, err, res.Visitor.ID)
	}

	// The same visitor comes back on another page after the chat ended:
	// their row is updated, not made again.
	if _, err := f.lc.CloseByVisitor(ctx, res.Session); err != nil {
		t.Fatal(err)
	}
	in.VisitorToken, in.URL, in.Title = res.Token, "https://shop.example/help", "Help"
	again, err := f.lc.StartSession(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if again.Visitor.ID != res.Visitor.ID || again.Session.ID == res.Session.ID {
		t.Fatalf("the returning visitor: visitor %d, session %d; want visitor %d in a new session", again.Visitor.ID, again.Session.ID, res.Visitor.ID)
	}
	v, err := f.st.Visitor(ctx, res.Visitor.ID)
	if err != nil || v.CurrentURL != "https://shop.example/help" || v.Name != "Ada" {
		t.Fatalf("the returning visitor's row: %+v, %v", v, err)
	}
}

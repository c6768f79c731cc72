package livechat_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/app/events"
	"parley/app/livechat"
	"parley/app/model"
)

func refusal(t *testing.T, err error, kind model.RefusalKind, code string) {
	t.Helper()
	var r *model.Refusal
	if !errors.As(err, &r) || r.Kind != kind || r.Code != code {
		t.Fatalf("got %v, want refusal %d %q", err, kind, code)
	}
}

func sessionFrame(publicID string, ok func(livechat.SessionView) bool) func(any) bool {
	return func(d any) bool {
		var v livechat.SessionView
		switch d := d.(type) {
		case livechat.SessionView:
			v = d
		case livechat.OperatorSessionView:
			v = d.SessionView
		default:
			return false
		}
		return v.ID == publicID && ok(v)
	}
}

func messageFrame(ok func(livechat.MessageView) bool) func(any) bool {
	return func(d any) bool {
		m, isMsg := d.(livechat.MessageView)
		return isMsg && ok(m)
	}
}

func TestEndSessionByOperator(t *testing.T) {
	f := newFixture(t, 2, func(int) int { return 0 })
	ctx := context.Background()
	a, b := f.ops[0], f.ops[1]
	f.lc.Presence.Connect(a.ID)
	r := f.start(t, nil)
	x := r.Session

	_, err := f.lc.EndSession(ctx, x, b)
	refusal(t, err, model.NotFound, "not_found") // not b's conversation

	got, err := f.lc.EndSession(ctx, x, a)
	if err != nil || got.Status != model.SessionClosed {
		t.Fatalf("end: %v %+v", err, got)
	}
	// The visitor sees who ended it and the closed session.
	visitor := livechat.VisitorTopic(x.VisitorID)
	f.rec.wait(t, visitor, livechat.EventMessage, messageFrame(func(m livechat.MessageView) bool {
		return m.Author.Kind == model.AuthorSystem && m.Body == "Op A ended the conversation." && m.Notice.Code == livechat.NoticeOperatorEnded
	}))
	f.rec.wait(t, visitor, livechat.EventSession, sessionFrame(x.PublicID, func(v livechat.SessionView) bool { return v.Status == model.SessionClosed }))
	msgs, err := f.lc.VisitorMessages(ctx, got, 0)
	if err != nil || len(msgs) != 1 || msgs[0].Notice == nil || msgs[0].Body != "" {
		t.Fatalf("the notice is stored as a code, visible to the visitor: %v %+v", err, msgs)
	}

	_, err = f.lc.EndSession(ctx, got, a)
	refusal(t, err, model.Conflict, "session_closed")
}

func TestLeaveEndsTheConversation(t *testing.T) {
	f := newFixture(t, 1, nil)
	ctx := context.Background()
	a := f.ops[0]
	f.lc.Presence.Connect(a.ID)
	x := f.start(t, nil).Session
	got, err := f.lc.LeaveSession(ctx, x, a)
	if err != nil || got.Status != model.SessionClosed {
		t.Fatalf("leave: %v %+v", err, got)
	}
	msgs, _ := f.lc.Messages(ctx, got, 0)
	if len(msgs) != 1 || msgs[0].Notice.Code != livechat.NoticeOperatorLeft || msgs[0].Notice.Args["operator"] != "Op A" {
		t.Fatalf("leave notice: %+v", msgs)
	}
	_, err = f.lc.LeaveSession(ctx, got, a)
	refusal(t, err, model.Conflict, "session_closed")
}

func TestTransfer(t *testing.T) {
	f := newFixture(t, 3, func(int) int { return 0 })
	ctx := context.Background()
	a, b, c := f.ops[0], f.ops[1], f.ops[2]
	f.lc.Presence.Connect(a.ID)
	r := f.start(t, nil)
	x := r.Session
	if _, err := f.lc.PostVisitorMessage(ctx, x, "Hello, I need help with an order", ""); err != nil {
		t.Fatal(err)
	}

	// Bad input changes nothing.
	_, err := f.lc.TransferSession(ctx, x, a, livechat.TransferInput{})
	var fe *model.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("neither operator nor channel: %v", err)
	}
	_, err = f.lc.TransferSession(ctx, x, a, livechat.TransferInput{OperatorID: a.ID})
	refusal(t, err, model.Conflict, "same_operator")
	_, err = f.lc.TransferSession(ctx, x, a, livechat.TransferInput{OperatorID: b.ID})
	refusal(t, err, model.Unavailable, "operator_unavailable") // b is offline
	_, err = f.lc.TransferSession(ctx, x, a, livechat.TransferInput{ChannelID: f.ch.ID})
	refusal(t, err, model.Unavailable, "no_operator_available")
	_, err = f.lc.TransferSession(ctx, x, a, livechat.TransferInput{ChannelID: 9999})
	refusal(t, err, model.NotFound, "not_found")
	_, err = f.lc.TransferSession(ctx, x, b, livechat.TransferInput{OperatorID: c.ID})
	refusal(t, err, model.NotFound, "not_found") // b may not act on a's conversation
	if same, _ := f.st.Session(ctx, x.ID); same.OperatorID != a.ID {
		t.Fatalf("a refused transfer moved the session to %d", same.OperatorID)
	}

	// To a named operator of the channel.
	f.lc.Presence.Connect(b.ID)
	got, err := f.lc.TransferSession(ctx, x, a, livechat.TransferInput{OperatorID: b.ID})
	if err != nil || got.OperatorID != b.ID || got.OperatorName != "Op B" || got.Status != model.SessionOpen {
		t.Fatalf("transfer: %v %+v", err, got)
	}
	// b gets the session (and reads the whole history), a sees it go, the
	// visitor sees who took over.
	f.rec.wait(t, livechat.OperatorTopic(b.ID), livechat.EventSession, sessionFrame(x.PublicID, func(v livechat.SessionView) bool { return v.Operator.ID == b.ID }))
	f.rec.wait(t, livechat.OperatorTopic(a.ID), livechat.EventSession, sessionFrame(x.PublicID, func(v livechat.SessionView) bool { return v.Operator.ID == b.ID }))
	f.rec.wait(t, livechat.VisitorTopic(x.VisitorID), livechat.EventMessage, messageFrame(func(m livechat.MessageView) bool {
		return m.Body == "Op A transferred the conversation to Op B."
	}))
	msgs, _ := f.lc.Messages(ctx, got, 0)
	if len(msgs) != 2 || msgs[0].Body != "Hello, I need help with an order" {
		t.Fatalf("history after transfer: %+v", msgs)
	}
	if v, _ := f.st.Visitor(ctx, x.VisitorID); v.LastOperatorID != b.ID {
		t.Fatalf("the new operator is the visitor's preferred one: %d", v.LastOperatorID)
	}
	// It is b's conversation now: a no longer sees it.
	_, err = f.lc.SessionFor(ctx, a, x.PublicID)
	refusal(t, err, model.NotFound, "not_found")

	// To a channel: its least busy available operator other than b.
	f.lc.Presence.Connect(c.ID)
	got, err = f.lc.TransferSession(ctx, got, b, livechat.TransferInput{ChannelID: f.ch.ID})
	if err != nil || (got.OperatorID != a.ID && got.OperatorID != c.ID) {
		t.Fatalf("transfer to channel: %v %+v", err, got)
	}
}

func TestTransferToAnotherChannel(t *testing.T) {
	f := newFixture(t, 2, nil)
	ctx := context.Background()
	a, b := f.ops[0], f.ops[1]
	sales := &model.Channel{Name: "Sales", Options: model.DefaultChannelOptions()}
	if err := f.lc.CreateChannel(ctx, sales, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.lc.Leave(ctx, f.ch.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	f.lc.Presence.Connect(a.ID)
	f.lc.Presence.Connect(b.ID)
	x := f.start(t, nil).Session
	targets, err := f.lc.TransferTargets(ctx, x, a)
	if err != nil || len(targets.Operators) != 0 || len(targets.Channels) != 1 || targets.Channels[0].ID != sales.ID {
		t.Fatalf("targets: %v %+v", err, targets)
	}
	got, err := f.lc.TransferSession(ctx, x, a, livechat.TransferInput{ChannelID: sales.ID})
	if err != nil || got.ChannelID != sales.ID || got.OperatorID != b.ID || got.ChannelName != "Sales" {
		t.Fatalf("transfer to Sales: %v %+v", err, got)
	}
	msgs, _ := f.lc.Messages(ctx, got, 0)
	if n := msgs[len(msgs)-1]; n.Notice.Args["channel"] != "Sales" {
		t.Fatalf("notice names the new channel: %+v", n.Notice)
	}
}

func TestAbandonedConversationsEnd(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := newFixtureOpts(t, 1, livechat.Options{Now: clock, AbandonAfter: 30 * time.Minute})
	ctx := context.Background()
	f.lc.Presence.Connect(f.ops[0].ID)
	gone := f.start(t, nil).Session
	here := f.start(t, nil).Session
	f.rec.connected[livechat.VisitorTopic(here.VisitorID)] = 1

	if n, err := f.lc.EndAbandoned(ctx); err != nil || n != 0 {
		t.Fatalf("nothing is abandoned yet: %d %v", n, err)
	}
	mu.Lock()
	now = now.Add(31 * time.Minute)
	mu.Unlock()
	n, err := f.lc.EndAbandoned(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ended %d, %v; want the one whose visitor has no socket", n, err)
	}
	if x, _ := f.st.Session(ctx, gone.ID); x.Status != model.SessionClosed {
		t.Fatal("the abandoned conversation is still open")
	}
	if x, _ := f.st.Session(ctx, here.ID); x.Status != model.SessionOpen {
		t.Fatal("a conversation whose visitor has the widget open was ended")
	}
	msgs, _ := f.lc.Messages(ctx, gone, 0)
	if len(msgs) != 1 || msgs[0].Notice.Code != livechat.NoticeAbandoned {
		t.Fatalf("abandon notice: %+v", msgs)
	}
	if text := livechat.NoticeText(english{}, msgs[0].Notice); !strings.Contains(text, "Website Visitor #") || !strings.Contains(text, "30 minutes") {
		t.Fatalf("abandon notice reads %q", text)
	}
	if vis, _ := f.lc.VisitorMessages(ctx, gone, 0); len(vis) != 0 {
		t.Fatal("the operators' notice reached the visitor's history")
	}
}

func TestCommandsAreNeverMessages(t *testing.T) {
	f := newFixture(t, 1, nil)
	ctx := context.Background()
	a := f.ops[0]
	f.lc.Presence.Connect(a.ID)
	x := f.start(t, nil).Session
	var seen []string
	if err := f.lc.RegisterCommand(livechat.Command{Name: "echo", Aliases: []string{"eco"}, Help: "Repeat.",
		Run: func(_ context.Context, in livechat.CommandInput) (*livechat.CommandAnswer, error) {
			seen = append(seen, in.Name+":"+in.Args)
			return livechat.TextAnswer("", true, "you said "+in.Args), nil
		}}); err != nil {
		t.Fatal(err)
	}
	if err := f.lc.RegisterCommand(livechat.Command{Name: "ECO", Run: func(context.Context, livechat.CommandInput) (*livechat.CommandAnswer, error) { return nil, nil }}); err == nil {
		t.Fatal("a taken name was registered twice")
	}

	m, ans, err := f.lc.OperatorInput(ctx, x, a, "/Eco  <b>hi</b> ", "", nil)
	if err != nil || m != nil || ans == nil || !ans.OK || ans.Name != "echo" || ans.Text != "you said <b>hi</b>" || ans.HTML != "you said &lt;b&gt;hi&lt;/b&gt;" {
		t.Fatalf("command: %v %v %+v", err, m, ans)
	}
	if len(seen) != 1 || seen[0] != "eco:<b>hi</b>" {
		t.Fatalf("command saw %v", seen)
	}
	_, ans, _ = f.lc.OperatorInput(ctx, x, a, "/nope", "", nil)
	if ans == nil || ans.OK || !strings.Contains(ans.Text, "Unknown command /nope") {
		t.Fatalf("unknown command: %+v", ans)
	}
	_, ans, _ = f.lc.OperatorInput(ctx, x, a, "/echo "+strings.Repeat("x", livechat.MaxCommandArgs+1), "", nil)
	if ans == nil || ans.OK || !strings.Contains(ans.Text, "too long") {
		t.Fatalf("over-long arguments: %+v", ans)
	}
	_, ans, _ = f.lc.OperatorInput(ctx, x, a, "/help", "", nil)
	if ans == nil || !strings.Contains(ans.Text, "/echo, /eco — Repeat.") || !strings.Contains(ans.Text, "/leave") || !strings.Contains(ans.Text, "private conversation with Website Visitor #") {
		t.Fatalf("help lists the commands: %+v", ans)
	}
	msgs, _ := f.lc.Messages(ctx, x, 0)
	if len(msgs) != 0 {
		t.Fatalf("commands were stored: %+v", msgs)
	}
	if f.rec.has(livechat.VisitorTopic(x.VisitorID), livechat.EventMessage, nil) {
		t.Fatal("a command reached the visitor")
	}
	// Plain text is a message.
	m, ans, err = f.lc.OperatorInput(ctx, x, a, "Hi there", "", nil)
	if err != nil || ans != nil || m == nil || m.ID == 0 {
		t.Fatalf("message: %v %+v %+v", err, m, ans)
	}
	// /leave is the domain's Leave.
	_, ans, err = f.lc.OperatorInput(ctx, x, a, "/leave", "", nil)
	if err != nil || ans == nil || !ans.OK {
		t.Fatalf("/leave: %v %+v", err, ans)
	}
	if got, _ := f.st.Session(ctx, x.ID); got.Status != model.SessionClosed {
		t.Fatal("/leave did not end the conversation")
	}
	closed, _ := f.st.Session(ctx, x.ID)
	_, ans, _ = f.lc.OperatorInput(ctx, closed, a, "/echo late", "", nil)
	if ans == nil || ans.OK || len(seen) != 1 {
		t.Fatalf("a command on a closed conversation ran: %+v", ans)
	}
}

func TestParseCommand(t *testing.T) {
	for _, c := range []struct {
		in, name, args string
		ok             bool
	}{
		{"/help", "help", "", true},
		{"  /Lead Big order  ", "lead", "Big order", true},
		{"/lead\nline two", "lead", "line two", true},
		{"/", "", "", true},
		{"hello /help", "", "", false},
		{"", "", "", false},
	} {
		name, args, ok := livechat.ParseCommand(c.in)
		if name != c.name || args != c.args || ok != c.ok {
			t.Errorf("ParseCommand(%q) = %q %q %v, want %q %q %v", c.in, name, args, ok, c.name, c.args, c.ok)
		}
	}
}

func TestEventsFollowCommits(t *testing.T) {
	bus := events.New(nil)
	var mu sync.Mutex
	var got []string
	bus.Subscribe("test", func(e events.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e := e.(type) {
		case events.SessionStarted:
			got = append(got, "started")
		case events.OperatorJoined:
			got = append(got, "joined")
		case events.MessageCommitted:
			if e.Message.ID == 0 {
				got = append(got, "message without id")
			} else {
				got = append(got, "message")
			}
		case events.SessionClosed:
			got = append(got, "closed by "+string(e.By))
		case events.OfflineMessageLeft:
			got = append(got, "offline")
		}
	})
	f := newFixtureOpts(t, 1, livechat.Options{Events: bus})
	ctx := context.Background()
	f.lc.Presence.Connect(f.ops[0].ID)
	x := f.start(t, nil).Session
	if _, err := f.lc.PostVisitorMessage(ctx, x, "hi", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lc.CloseByVisitor(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := f.lc.LeaveOfflineMessage(ctx, &model.OfflineMessage{ChannelID: f.ch.ID, Email: "v@example.com", Body: "call me"}); err != nil {
		t.Fatal(err)
	}
	f.lc.Stop()
	bus.Close()
	want := "started joined message message closed by visitor offline" // the visitor's message, then the leave notice
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("events: %q, want %q", s, want)
	}
}

// TestRetriedPostsAreIdempotent: a post repeated with the same client_id
// (its first answer was lost) returns the message stored the first time,
// even when both arrive in one group commit, and nothing is pushed twice.
func TestRetriedPostsAreIdempotent(t *testing.T) {
	f := newFixture(t, 1, nil)
	ctx := context.Background()
	f.lc.Presence.Connect(f.ops[0].ID)
	x := f.start(t, nil).Session
	first, err := f.lc.PostVisitorMessage(ctx, x, "hello", "c-1")
	if err != nil || first.Replayed {
		t.Fatalf("first post: %v %+v", err, first)
	}
	again, err := f.lc.PostVisitorMessage(ctx, x, "hello", "c-1")
	if err != nil || !again.Replayed || again.ID != first.ID || again.Body != "hello" {
		t.Fatalf("retry: %v %+v, want the message %d", err, again, first.ID)
	}
	// Concurrent retries land in the same batch.
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := f.lc.PostVisitorMessage(ctx, x, "burst", "c-2")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = m.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent retries stored several messages: %v", ids)
		}
	}
	// Another session may use the same client_id; the operator too.
	op, err := f.lc.PostOperatorMessage(ctx, x, f.ops[0], "hi", "c-1")
	if err != nil || op.Replayed {
		t.Fatalf("the operator's c-1 is not the visitor's: %v %+v", err, op)
	}
	msgs, _ := f.lc.Messages(ctx, x, 0)
	if len(msgs) != 3 {
		t.Fatalf("stored %d messages, want 3", len(msgs))
	}
	if got, _ := f.st.Session(ctx, x.ID); got.MessageCount != 3 {
		t.Fatalf("message_count %d, want 3", got.MessageCount)
	}
	time.Sleep(50 * time.Millisecond) // pushes follow on the bus; a duplicate would be there by now
	n := 0
	f.rec.mu.Lock()
	for _, fr := range f.rec.frames {
		if m, ok := fr.data.(livechat.MessageView); ok && fr.topic == livechat.OperatorTopic(f.ops[0].ID) && m.ClientID != "" {
			n++
		}
	}
	f.rec.mu.Unlock()
	if n != 3 {
		t.Fatalf("%d message frames to the operator, want 3", n)
	}
	for _, bad := range []string{strings.Repeat("x", livechat.MaxClientIDLen+1), " padded", "new\nline"} {
		_, err := f.lc.PostVisitorMessage(ctx, x, "x", bad)
		var fe *model.FieldError
		if !errors.As(err, &fe) || fe.Field != "client_id" {
			t.Errorf("client_id %q: %v", bad, err)
		}
	}
}

func TestHandOverADeactivatedOperatorsChats(t *testing.T) {
	f := newFixture(t, 2, func(int) int { return 0 })
	ctx := context.Background()
	a, b := f.ops[0], f.ops[1]
	f.lc.Presence.Connect(a.ID)
	x1 := f.start(t, nil).Session
	x2 := f.start(t, nil).Session
	f.lc.Presence.Connect(b.ID)
	f.lc.Presence.Disconnect(a.ID)
	moved, ended, err := f.lc.HandOver(ctx, a)
	if err != nil || moved != 2 || ended != 0 {
		t.Fatalf("hand over to b: moved %d ended %d %v", moved, ended, err)
	}
	for _, x := range []*model.Session{x1, x2} {
		if got, _ := f.st.Session(ctx, x.ID); got.OperatorID != b.ID || got.Status != model.SessionOpen {
			t.Fatalf("session %d: operator %d status %s", x.ID, got.OperatorID, got.Status)
		}
	}
	// Nobody else available: b's chats end with a notice.
	f.lc.Presence.Disconnect(b.ID)
	moved, ended, err = f.lc.HandOver(ctx, b)
	if err != nil || moved != 0 || ended != 2 {
		t.Fatalf("hand over with nobody available: moved %d ended %d %v", moved, ended, err)
	}
	if got, _ := f.st.Session(ctx, x1.ID); got.Status != model.SessionClosed {
		t.Fatal("the chat stayed open with a deactivated operator")
	}
}

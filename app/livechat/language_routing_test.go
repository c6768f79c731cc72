package livechat_test

import (
	"context"
	"database/sql"
	"testing"

	"parley/app/livechat"
	"parley/app/model"
)

// speakers makes a fixture whose first operator reads the admin in
// English and second in Spanish, both online, with the channel's language
// preference as asked.
func speakers(t *testing.T, prefer bool) *fixture {
	t.Helper()
	f := newFixture(t, 2, func(int) int { return 0 })
	ctx := context.Background()
	for i, lang := range []string{"en", "es"} {
		u := f.ops[i]
		u.Language = lang
		if err := f.st.UpdateUserProfile(ctx, u); err != nil {
			t.Fatal(err)
		}
		f.lc.Presence.Connect(u.ID)
	}
	f.ch.PreferLanguage = prefer
	if err := f.lc.UpdateChannel(ctx, f.ch); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) startIn(t *testing.T, in livechat.StartInput) *model.Session {
	t.Helper()
	in.ChannelID = f.ch.ID
	res, err := f.lc.StartSession(context.Background(), in)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return res.Session
}

// With the preference on, a Spanish visitor gets the Spanish-speaking
// operator even when they are busier, "es-AR" counting as "es"; when the
// speaker is at their maximum, anyone available takes the chat.
func TestPreferLanguageChoosesASpeaker(t *testing.T) {
	f := speakers(t, true)
	ctx := context.Background()
	en, es := f.ops[0], f.ops[1]
	if err := f.lc.SaveRouting(ctx, &model.ChannelRouting{ChannelID: f.ch.ID, MaxChats: 2}); err != nil {
		t.Fatal(err)
	}
	if x := f.startIn(t, livechat.StartInput{Language: "en", BrowserLanguage: "es-AR"}); x.OperatorID != es.ID {
		t.Fatalf("a visitor whose browser asks for es-AR went to operator %d, want the Spanish speaker %d", x.OperatorID, es.ID)
	}
	if x := f.startIn(t, livechat.StartInput{Language: "es"}); x.OperatorID != es.ID {
		t.Fatalf("a second Spanish visitor went to operator %d, want the Spanish speaker %d although busier", x.OperatorID, es.ID)
	}
	if x := f.startIn(t, livechat.StartInput{Language: "es"}); x.OperatorID != en.ID {
		t.Fatalf("with the Spanish speaker at the maximum a Spanish visitor went to %d, want the other operator %d", x.OperatorID, en.ID)
	}
	// A language nobody speaks goes to the least busy operator.
	if err := f.lc.SaveRouting(ctx, &model.ChannelRouting{ChannelID: f.ch.ID}); err != nil {
		t.Fatal(err)
	}
	if x := f.startIn(t, livechat.StartInput{Language: "de"}); x.OperatorID != en.ID {
		t.Fatalf("a German visitor went to %d, want the least busy operator %d", x.OperatorID, en.ID)
	}
}

// With the preference off (the default), the language plays no part: the
// least busy operator takes the chat.
func TestWithoutPreferenceLanguageIsIgnored(t *testing.T) {
	f := speakers(t, false)
	en, es := f.ops[0], f.ops[1]
	if got, _ := f.lc.Info(context.Background(), f.ch.ID); got.Channel.PreferLanguage {
		t.Fatal("the preference is on, want it off")
	}
	// Tied at no chats: the tie breaker takes the first, who speaks English.
	if x := f.startIn(t, livechat.StartInput{Language: "es"}); x.OperatorID != en.ID {
		t.Fatalf("a Spanish visitor went to %d, want the tie breaker's %d", x.OperatorID, en.ID)
	}
	// Now the Spanish speaker is the least busy.
	if x := f.startIn(t, livechat.StartInput{Language: "en"}); x.OperatorID != es.ID {
		t.Fatalf("an English visitor went to %d, want the least busy %d", x.OperatorID, es.ID)
	}
}

// The queue hands the oldest waiting visitor to a free operator who speaks
// their language before a less busy one who does not.
func TestQueuePrefersASpeaker(t *testing.T) {
	f := speakers(t, true)
	ctx := context.Background()
	en, es := f.ops[0], f.ops[1]
	for _, c := range []struct {
		id  int64
		max int
	}{{en.ID, 1}, {es.ID, 2}} {
		if err := f.st.SetUserMaxChats(ctx, c.id, c.max); err != nil {
			t.Fatal(err)
		}
	}
	f.startIn(t, livechat.StartInput{Language: "en"})
	f.startIn(t, livechat.StartInput{Language: "es"})
	f.startIn(t, livechat.StartInput{Language: "es"})
	w := f.startIn(t, livechat.StartInput{Language: "es"})
	if !w.Waiting() {
		t.Fatalf("with everyone at their maximum the chat = %+v, want it waiting", w)
	}
	// Both free up at once (one transaction: the waiting chat's start
	// kicked a queue pass of its own, which must not find one of them
	// free before the other): the Spanish speaker has two chats, the
	// other one.
	if err := f.st.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE users SET max_chats = 5 WHERE id IN (?, ?)`, en.ID, es.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.lc.ServeQueue(ctx); err != nil {
		t.Fatal(err)
	}
	if x := f.waitFor(t, w.ID, "assigned", func(x *model.Session) bool { return x.OperatorID != 0 }); x.OperatorID != es.ID {
		t.Fatalf("the waiting Spanish visitor went to %d, want the Spanish speaker %d", x.OperatorID, es.ID)
	}
}

// A transfer to a channel, like a new chat, goes to an available operator
// who speaks the visitor's language before a less busy one who does not.
func TestTransferPrefersASpeaker(t *testing.T) {
	f := newFixture(t, 3, func(int) int { return 0 })
	ctx := context.Background()
	for i, lang := range []string{"en", "en", "es"} {
		u := f.ops[i]
		u.Language = lang
		if err := f.st.UpdateUserProfile(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	holder, idle, es := f.ops[0], f.ops[1], f.ops[2]
	f.ch.PreferLanguage = true
	if err := f.lc.UpdateChannel(ctx, f.ch); err != nil {
		t.Fatal(err)
	}
	// The Spanish speaker gets busy first, then the holder takes a
	// Spanish visitor while alone.
	f.lc.Presence.Connect(es.ID)
	f.startIn(t, livechat.StartInput{Language: "en"})
	f.lc.Presence.Disconnect(es.ID)
	f.lc.Presence.Connect(holder.ID)
	x := f.startIn(t, livechat.StartInput{Language: "es"})
	if x.OperatorID != holder.ID {
		t.Fatalf("the Spanish visitor went to %d, want %d", x.OperatorID, holder.ID)
	}
	f.lc.Presence.Connect(idle.ID)
	f.lc.Presence.Connect(es.ID)
	got, err := f.lc.TransferSession(ctx, x, holder, livechat.TransferInput{ChannelID: f.ch.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.OperatorID != es.ID {
		t.Fatalf("the transfer went to %d, want the Spanish speaker %d over the idle %d", got.OperatorID, es.ID, idle.ID)
	}
}

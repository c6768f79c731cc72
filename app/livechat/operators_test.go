package livechat_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"parley/app/auth"
	"parley/app/livechat"
	"parley/app/model"
)

// A deactivated operator takes no new chat and does not count as online,
// even with a socket still open.
func TestDeactivatedOperatorIsNotAssigned(t *testing.T) {
	f := newFixture(t, 2, func(int) int { return 0 })
	ctx := context.Background()
	a := auth.New(f.st, auth.Options{BcryptCost: bcrypt.MinCost})
	admin, err := a.CreateUser(ctx, auth.NewUser{Email: "admin@example.com", Name: "Admin", Role: model.RoleAdmin, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	olga, eve := f.ops[0], f.ops[1]
	f.lc.Presence.Connect(olga.ID)
	first := f.start(t, nil)
	if first.Session.OperatorID != olga.ID {
		t.Fatalf(`olga alone online did not get the chat: %+v`, first.Session)
	}

	if _, err := a.DeactivateUser(ctx, admin, olga.ID); err != nil {
		t.Fatal(err)
	}
	f.lc.InvalidateAll()
	if f.lc.Presence.Status(olga.ID) != livechat.Online {
		t.Fatalf(`the test needs olga's socket still counted as connected`)
	}
	if _, err := f.lc.StartSession(ctx, livechat.StartInput{ChannelID: f.ch.ID}); !errors.Is(err, livechat.ErrNoOperator) {
		t.Fatalf(`only a deactivated operator online: %v, want ErrNoOperator`, err)
	}
	// Not even for the visitor she chatted with before.
	if _, err := f.lc.CloseByVisitor(ctx, first.Session); err != nil {
		t.Fatal(err)
	}
	f.lc.Presence.Connect(eve.ID)
	again := f.start(t, first.Visitor)
	if again.Session.OperatorID != eve.ID {
		t.Fatalf(`returning visitor went to operator %d, want eve %d`, again.Session.OperatorID, eve.ID)
	}
	boot, err := f.lc.Init(ctx, f.ch.ID, "https://shop.example/", "BE")
	if err != nil || boot.OperatorsOnline != 1 {
		t.Fatalf(`Init = %+v, %v; want one operator online`, boot, err)
	}
	// Her history stays.
	if x, err := f.st.Session(ctx, first.Session.ID); err != nil || x.OperatorID != olga.ID {
		t.Fatalf(`olga's past session = %+v, %v`, x, err)
	}

	if _, err := a.ReactivateUser(ctx, admin, olga.ID); err != nil {
		t.Fatal(err)
	}
	f.lc.InvalidateAll()
	if online, _ := f.lc.OnlineOperators(ctx, f.ch.ID); !slices.Contains(online, olga.ID) {
		t.Fatalf(`reactivated olga is not online: %v`, online)
	}
}

func TestSetUserChannels(t *testing.T) {
	f := newFixture(t, 2, nil)
	ctx := context.Background()
	olga, eve := f.ops[0], f.ops[1]
	other := &model.Channel{Name: "Sales", Options: model.DefaultChannelOptions()}
	if err := f.lc.CreateChannel(ctx, other, eve.ID); err != nil {
		t.Fatal(err)
	}
	// Olga joins Sales and leaves Support (eve stays there).
	kept, err := f.lc.SetUserChannels(ctx, olga.ID, []int64{other.ID})
	if err != nil || len(kept) != 0 {
		t.Fatalf(`SetUserChannels = %v, %v`, kept, err)
	}
	chans, err := f.lc.UserChannels(ctx, olga.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		if ch.IsMember != (ch.ID == other.ID) {
			t.Fatalf(`olga's channels = %+v, want Sales only`, chans)
		}
	}
	// Eve is now Support's last operator: leaving everything keeps it.
	kept, err = f.lc.SetUserChannels(ctx, eve.ID, nil)
	if err != nil || !slices.Equal(kept, []string{"Support"}) {
		t.Fatalf(`SetUserChannels(nothing) = %v, %v; want Support kept`, kept, err)
	}
	if _, err := f.lc.SetUserChannels(ctx, 9999, nil); err == nil {
		t.Fatalf(`an unknown user's channels were set`)
	}
}

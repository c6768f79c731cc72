package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"parley/app/apptest"
	"parley/app/model"
	"parley/app/store"
	"parley/db"
)

// Users who existed before deactivation was possible stay active.
func TestUserActiveMigrationKeepsExistingUsers(t *testing.T) {
	st := openRaw(t, filepath.Join(t.TempDir(), "parley.db"))
	p, err := goose.NewProvider(goose.DialectSQLite3, st.Writer(), os.DirFS(filepath.Join("..", "..", "db", "migrations")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 4); err != nil {
		t.Fatalf(`migrate to 4: %v`, err)
	}
	if _, err := st.Writer().Exec(`INSERT INTO users (email, name, role, password_hash, created_at) VALUES ('old@example.com', 'Old', 'admin', 'x', 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx, st.Writer()); err != nil {
		t.Fatalf(`migrate: %v`, err)
	}
	u, err := st.UserByEmail(ctx, "old@example.com")
	if err != nil || !u.Active || !u.DeactivatedAt.IsZero() {
		t.Fatalf(`existing user after the migration = %+v, %v; want active`, u, err)
	}
	if n, err := st.CountActiveAdmins(ctx); err != nil || n != 1 {
		t.Fatalf(`CountActiveAdmins = %d, %v; want 1`, n, err)
	}
}

func TestDeactivateUser(t *testing.T) {
	st := apptest.NewStore(t)
	ada := newUser(t, st, "ada@example.com", model.RoleAdmin)
	olga := newUser(t, st, "olga@example.com", model.RoleOperator)
	if !olga.Active {
		t.Fatalf(`a new user is not active: %+v`, olga)
	}
	now := time.Now().UTC()
	for _, u := range []*model.User{ada, olga} {
		if err := st.CreateLoginSession(ctx, &model.LoginSession{ID: "s" + u.Email, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateAPIToken(ctx, &model.APIToken{UserID: u.ID, Name: "t", Hint: "abcd"}, "h"+u.Email); err != nil {
			t.Fatal(err)
		}
	}
	ch := &model.Channel{Name: "Support", Options: model.DefaultChannelOptions()}
	if err := st.CreateChannel(ctx, ch, olga.ID, ada.ID); err != nil {
		t.Fatal(err)
	}

	if err := st.DeactivateUser(ctx, olga.ID, now); err != nil {
		t.Fatalf(`DeactivateUser: %v`, err)
	}
	got, _ := st.User(ctx, olga.ID)
	if got.Active || !got.DeactivatedAt.Equal(now.Truncate(time.Millisecond)) {
		t.Fatalf(`deactivated user = %+v`, got)
	}
	if _, _, err := st.LoginSession(ctx, "solga@example.com", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`olga's login session: %v, want ErrNotFound`, err)
	}
	if toks, _ := st.APITokens(ctx, olga.ID); len(toks) != 0 {
		t.Fatalf(`olga's tokens: %v`, toks)
	}
	if _, u, err := st.LoginSession(ctx, "sada@example.com", now); err != nil || !u.Active {
		t.Fatalf(`ada's session = %+v, %v; want it untouched`, u, err)
	}
	if toks, _ := st.APITokens(ctx, ada.ID); len(toks) != 1 {
		t.Fatalf(`ada's tokens: %v`, toks)
	}
	// Olga stays an operator of the channel but is not offered chats.
	if ids, _ := st.ChannelOperatorIDs(ctx, ch.ID); len(ids) != 2 {
		t.Fatalf(`operators = %v, want both`, ids)
	}
	if ids, _ := st.ActiveChannelOperatorIDs(ctx, ch.ID); !slices.Equal(ids, []int64{ada.ID}) {
		t.Fatalf(`active operators = %v, want ada only`, ids)
	}
	ops, _ := st.ChannelOperators(ctx, ch.ID)
	if len(ops) != 2 || !ops[0].Active || ops[1].Active { // by name: ada, olga
		t.Fatalf(`channel operators = %+v, want ada active and olga inactive`, ops)
	}
	no, yes := false, true
	for _, tt := range []struct {
		f    store.UserFilter
		want []int64
	}{
		{store.UserFilter{}, []int64{ada.ID, olga.ID}},
		{store.UserFilter{Active: &yes}, []int64{ada.ID}},
		{store.UserFilter{Active: &no}, []int64{olga.ID}},
		{store.UserFilter{Query: "ada", Active: &no}, nil},
	} {
		list, err := st.FilterUsers(ctx, tt.f)
		var ids []int64
		for _, u := range list {
			ids = append(ids, u.ID)
		}
		if err != nil || !slices.Equal(ids, tt.want) {
			t.Errorf(`FilterUsers(%+v) = %v, %v; want %v`, tt.f, ids, err, tt.want)
		}
	}

	if err := st.ReactivateUser(ctx, olga.ID); err != nil {
		t.Fatalf(`ReactivateUser: %v`, err)
	}
	if got, _ := st.User(ctx, olga.ID); !got.Active || !got.DeactivatedAt.IsZero() {
		t.Fatalf(`reactivated user = %+v`, got)
	}
	for name, err := range map[string]error{
		"DeactivateUser": st.DeactivateUser(ctx, 9999, now),
		"ReactivateUser": st.ReactivateUser(ctx, 9999),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf(`%s of an unknown user = %v, want ErrNotFound`, name, err)
		}
	}
}

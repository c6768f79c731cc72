package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"parley/app/apptest"
	"parley/app/model"
	"parley/app/store"
	"parley/db"
)

var ctx = context.Background()

// openRaw opens a database file without migrating it.
func openRaw(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatalf(`open %s: %v`, path, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestMigrateFreshFileAndIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	st := openRaw(t, path)
	n, err := db.Migrate(ctx, st.Writer())
	if err != nil {
		t.Fatalf(`first migrate: %v`, err)
	}
	if n == 0 {
		t.Fatalf(`first migrate applied 0 migrations on a fresh file`)
	}
	for _, table := range []string{"users", "login_sessions", "api_tokens", "settings", "channels", "channel_operators", "channel_rules", "channel_rule_countries"} {
		var name string
		err := st.Writer().QueryRow(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&name)
		if err != nil {
			t.Errorf(`table %s after migrate: %v`, table, err)
		}
	}
	n, err = db.Migrate(ctx, st.Writer())
	if err != nil {
		t.Fatalf(`second migrate: %v`, err)
	}
	if n != 0 {
		t.Fatalf(`second migrate applied %d migrations, want 0`, n)
	}
	// And after a restart on the same file.
	if err := st.Close(); err != nil {
		t.Fatalf(`close: %v`, err)
	}
	st2 := openRaw(t, path)
	if n, err := db.Migrate(ctx, st2.Writer()); err != nil || n != 0 {
		t.Fatalf(`migrate after reopen = %d, %v; want 0, nil`, n, err)
	}
}

func TestOpenPathWithSpecialCharacters(t *testing.T) {
	// The path goes into a file: URI; characters that mean something in a
	// URI must not move the database elsewhere or break opening it.
	for _, dir := range []string{"with space", "percent%20sign", "hash#mark", "question?mark"} {
		t.Run(dir, func(t *testing.T) {
			full := filepath.Join(t.TempDir(), dir)
			if err := os.Mkdir(full, 0o750); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(full, "parley.db")
			st, err := store.Open(ctx, path)
			if err != nil {
				t.Fatalf(`open %q: %v`, dir, err)
			}
			defer st.Close()
			if _, err := db.Migrate(ctx, st.Writer()); err != nil {
				t.Fatalf(`migrate: %v`, err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf(`the database is not at %q: %v`, dir, err)
			}
		})
	}
}

// readerPool returns the store's read-only pool. Store does not export it,
// so the test reaches the unexported field; a rename fails here clearly.
func readerPool(t *testing.T, st *store.Store) *sql.DB {
	t.Helper()
	f := reflect.ValueOf(st).Elem().FieldByName("r")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*sql.DB)(nil)) {
		t.Fatalf(`store.Store has no reader pool field "r" of type *sql.DB; update readerPool`)
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(*sql.DB)
}

func TestPragmas(t *testing.T) {
	st := apptest.NewStore(t)
	w := st.Writer()
	tests := []struct {
		pragma, want string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		// NORMAL: the store syncs the WAL itself before it acknowledges a
		// commit (TestEveryCommitIsSynced), so a commit need not wait.
		{"synchronous", "1"},
		{"busy_timeout", "10000"},
	}
	for _, tt := range tests {
		var got string
		if err := w.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
			t.Fatalf(`PRAGMA %s: %v`, tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf(`writer PRAGMA %s = %q, want %q`, tt.pragma, got, tt.want)
		}
	}
	// Foreign keys are not only switched on but enforced.
	_, err := w.Exec(`INSERT INTO channel_operators (channel_id, user_id, added_at) VALUES (999, 999, 0)`)
	if err == nil {
		t.Fatalf(`inserting an operator of a missing channel succeeded; foreign keys are not enforced`)
	}

	r := readerPool(t, st)
	var qo int
	if err := r.QueryRow("PRAGMA query_only").Scan(&qo); err != nil {
		t.Fatalf(`reader PRAGMA query_only: %v`, err)
	}
	if qo != 1 {
		t.Errorf(`reader PRAGMA query_only = %d, want 1`, qo)
	}
	if _, err := r.Exec(`INSERT INTO settings (key, value) VALUES ('x', 'y')`); err == nil {
		t.Fatalf(`the reader pool accepted a write`)
	}
	if _, err := st.Setting(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`setting written through the reader: Setting = %v, want ErrNotFound`, err)
	}
}

func newUser(t *testing.T, st *store.Store, email string, role model.Role) *model.User {
	t.Helper()
	u := &model.User{Email: email, Name: strings.Split(email, "@")[0], Role: role, PasswordHash: "x"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatalf(`create user %s: %v`, email, err)
	}
	return u
}

func TestUsers(t *testing.T) {
	st := apptest.NewStore(t)
	if _, err := st.FirstAdminID(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`FirstAdminID on an empty database = %v, want ErrNotFound`, err)
	}
	alice := newUser(t, st, "alice@example.com", model.RoleAdmin)
	if alice.ID == 0 || alice.CreatedAt.IsZero() {
		t.Fatalf(`CreateUser did not set ID and CreatedAt: %+v`, alice)
	}
	bob := newUser(t, st, "bob@example.com", model.RoleOperator)

	got, err := st.User(ctx, alice.ID)
	if err != nil {
		t.Fatalf(`User: %v`, err)
	}
	if got.Email != "alice@example.com" || got.Role != model.RoleAdmin || got.Name != "alice" {
		t.Fatalf(`User = %+v`, got)
	}
	got, err = st.UserByEmail(ctx, " ALICE@Example.COM ")
	if err != nil || got.ID != alice.ID {
		t.Fatalf(`UserByEmail in other case = %v, %v; want user %d`, got, err, alice.ID)
	}

	dup := &model.User{Email: "Alice@EXAMPLE.com", Name: "Other", Role: model.RoleOperator, PasswordHash: "x"}
	if err := st.CreateUser(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf(`CreateUser with a taken email in other case = %v, want ErrConflict`, err)
	}

	notFound := []struct {
		name string
		err  error
	}{
		{"User", func() error { _, err := st.User(ctx, 9999); return err }()},
		{"UserByEmail", func() error { _, err := st.UserByEmail(ctx, "nobody@example.com"); return err }()},
		{"UpdateUserProfile", st.UpdateUserProfile(ctx, &model.User{ID: 9999, Email: "x@example.com", Name: "x", Role: model.RoleOperator})},
		{"SetPasswordHash", st.SetPasswordHash(ctx, 9999, "h")},
	}
	for _, tt := range notFound {
		if !errors.Is(tt.err, store.ErrNotFound) {
			t.Errorf(`%s of a missing user = %v, want ErrNotFound`, tt.name, tt.err)
		}
	}

	bob.Name, bob.ChatName = "Robert", "Bob"
	if err := st.UpdateUserProfile(ctx, bob); err != nil {
		t.Fatalf(`UpdateUserProfile: %v`, err)
	}
	if got, _ := st.User(ctx, bob.ID); got.Name != "Robert" || got.ChatName != "Bob" {
		t.Fatalf(`after update: %+v`, got)
	}
	bob.Email = "ALICE@example.com"
	if err := st.UpdateUserProfile(ctx, bob); !errors.Is(err, store.ErrConflict) {
		t.Fatalf(`UpdateUserProfile to a taken email = %v, want ErrConflict`, err)
	}

	if err := st.SetPasswordHash(ctx, bob.ID, "newhash"); err != nil {
		t.Fatalf(`SetPasswordHash: %v`, err)
	}
	if got, _ := st.User(ctx, bob.ID); got.PasswordHash != "newhash" {
		t.Fatalf(`password hash = %q after SetPasswordHash`, got.PasswordHash)
	}

	list, err := st.Users(ctx, "rob", 0)
	if err != nil || len(list) != 1 || list[0].ID != bob.ID {
		t.Fatalf(`Users("rob") = %v, %v; want only bob`, list, err)
	}
	list, err = st.Users(ctx, "%", 0)
	if err != nil || len(list) != 0 {
		t.Fatalf(`Users("%%") = %d users, %v; want none (LIKE wildcards are escaped)`, len(list), err)
	}
	if n, err := st.CountAdmins(ctx); err != nil || n != 1 {
		t.Fatalf(`CountAdmins = %d, %v; want 1`, n, err)
	}
	if id, err := st.FirstAdminID(ctx); err != nil || id != alice.ID {
		t.Fatalf(`FirstAdminID = %d, %v; want %d`, id, err, alice.ID)
	}
}

func TestLoginSessionsExpire(t *testing.T) {
	st := apptest.NewStore(t)
	u := newUser(t, st, "ops@example.com", model.RoleOperator)
	now := time.Now().UTC().Truncate(time.Millisecond)
	ls := &model.LoginSession{ID: "s1", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now, IP: "192.0.2.1", UserAgent: "test"}
	if err := st.CreateLoginSession(ctx, ls); err != nil {
		t.Fatalf(`CreateLoginSession: %v`, err)
	}
	got, gu, err := st.LoginSession(ctx, "s1", now.Add(59*time.Minute))
	if err != nil {
		t.Fatalf(`LoginSession before expiry: %v`, err)
	}
	if gu.ID != u.ID || got.IP != "192.0.2.1" || !got.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf(`LoginSession = %+v, user %+v`, got, gu)
	}
	if _, _, err := st.LoginSession(ctx, "s1", now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`LoginSession at expiry = %v, want ErrNotFound`, err)
	}
	if err := st.ExtendLoginSession(ctx, "s1", now.Add(time.Hour), now.Add(3*time.Hour)); err != nil {
		t.Fatalf(`ExtendLoginSession: %v`, err)
	}
	if _, _, err := st.LoginSession(ctx, "s1", now.Add(2*time.Hour)); err != nil {
		t.Fatalf(`LoginSession after extension: %v`, err)
	}

	for _, id := range []string{"s2", "s3"} {
		if err := st.CreateLoginSession(ctx, &model.LoginSession{ID: id, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.DeleteUserLoginSessions(ctx, u.ID, "s2"); err != nil {
		t.Fatalf(`DeleteUserLoginSessions: %v`, err)
	}
	for id, alive := range map[string]bool{"s1": false, "s2": true, "s3": false} {
		_, _, err := st.LoginSession(ctx, id, now)
		if alive != (err == nil) {
			t.Errorf(`session %s: err = %v, want alive = %v`, id, err, alive)
		}
	}
	if err := st.DeleteLoginSession(ctx, "s2"); err != nil {
		t.Fatalf(`DeleteLoginSession: %v`, err)
	}
	if _, _, err := st.LoginSession(ctx, "s2", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`deleted session: %v, want ErrNotFound`, err)
	}

	if err := st.CreateLoginSession(ctx, &model.LoginSession{ID: "old", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Minute), LastSeenAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateLoginSession(ctx, &model.LoginSession{ID: "new", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PurgeExpiredLoginSessions(ctx, now.Add(2*time.Minute)); err != nil || n != 1 {
		t.Fatalf(`PurgeExpiredLoginSessions = %d, %v; want 1`, n, err)
	}
	if _, _, err := st.LoginSession(ctx, "new", now); err != nil {
		t.Fatalf(`an unexpired session was purged: %v`, err)
	}
}

func TestAPITokens(t *testing.T) {
	st := apptest.NewStore(t)
	u := newUser(t, st, "ops@example.com", model.RoleOperator)
	other := newUser(t, st, "other@example.com", model.RoleOperator)
	tok := &model.APIToken{UserID: u.ID, Name: "CI", Hint: "abcd"}
	if err := st.CreateAPIToken(ctx, tok, "hash-1"); err != nil {
		t.Fatalf(`CreateAPIToken: %v`, err)
	}
	if tok.ID == 0 {
		t.Fatalf(`CreateAPIToken did not set the ID`)
	}
	now := time.Now().UTC()
	got, err := st.UserByAPIToken(ctx, "hash-1", now)
	if err != nil || got.ID != u.ID {
		t.Fatalf(`UserByAPIToken = %v, %v; want user %d`, got, err, u.ID)
	}
	if _, err := st.UserByAPIToken(ctx, "hash-2", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`UserByAPIToken of an unknown hash = %v, want ErrNotFound`, err)
	}
	list, err := st.APITokens(ctx, u.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf(`APITokens = %v, %v; want one`, list, err)
	}
	if list[0].Name != "CI" || list[0].Hint != "abcd" || list[0].LastUsedAt.IsZero() {
		t.Fatalf(`token in list = %+v; want name, hint and last use recorded`, list[0])
	}
	if err := st.DeleteAPIToken(ctx, other.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`revoking another user's token = %v, want ErrNotFound`, err)
	}
	if err := st.DeleteAPIToken(ctx, u.ID, tok.ID); err != nil {
		t.Fatalf(`DeleteAPIToken: %v`, err)
	}
	if _, err := st.UserByAPIToken(ctx, "hash-1", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`revoked token still works: %v`, err)
	}
}

func newChannel(t *testing.T, st *store.Store, name string, ops ...int64) *model.Channel {
	t.Helper()
	c := &model.Channel{Name: name, Options: model.DefaultChannelOptions()}
	if err := st.CreateChannel(ctx, c, ops...); err != nil {
		t.Fatalf(`create channel %s: %v`, name, err)
	}
	return c
}

// newOpenSession makes a visitor, known by tokenHash, and their open
// conversation publicID in channelID with operatorID.
func newOpenSession(t *testing.T, st *store.Store, channelID, operatorID int64, tokenHash, publicID string) (*model.Visitor, *model.Session) {
	t.Helper()
	v := &model.Visitor{}
	if err := st.CreateVisitor(ctx, v, tokenHash); err != nil {
		t.Fatal(err)
	}
	x := &model.Session{PublicID: publicID, ChannelID: channelID, VisitorID: v.ID, OperatorID: operatorID}
	if err := st.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	return v, x
}

func TestChannels(t *testing.T) {
	st := apptest.NewStore(t)
	u1 := newUser(t, st, "u1@example.com", model.RoleOperator)
	u2 := newUser(t, st, "u2@example.com", model.RoleOperator)
	u3 := newUser(t, st, "u3@example.com", model.RoleAdmin)

	sales := newChannel(t, st, "Sales", u1.ID, u2.ID)
	support := newChannel(t, st, "Support")
	if err := st.CreateChannel(ctx, &model.Channel{Name: " sales ", Options: model.DefaultChannelOptions()}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf(`CreateChannel with a taken name in other case = %v, want ErrConflict`, err)
	}
	if _, err := st.Channel(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`Channel(missing) = %v, want ErrNotFound`, err)
	}
	got, err := st.Channel(ctx, sales.ID)
	if err != nil || got.Name != "Sales" || got.Options != model.DefaultChannelOptions() {
		t.Fatalf(`Channel = %+v, %v`, got, err)
	}

	type row struct {
		name   string
		count  int
		member bool
	}
	summaries := func(viewer int64) []row {
		t.Helper()
		list, err := st.ChannelSummaries(ctx, viewer)
		if err != nil {
			t.Fatalf(`ChannelSummaries: %v`, err)
		}
		var out []row
		for _, s := range list {
			out = append(out, row{s.Name, s.OperatorCount, s.IsMember})
		}
		return out
	}
	if got, want := summaries(u1.ID), []row{{"Sales", 2, true}, {"Support", 0, false}}; !slices.Equal(got, want) {
		t.Fatalf(`summaries for u1 = %v, want %v`, got, want)
	}
	if got, want := summaries(u3.ID), []row{{"Sales", 2, false}, {"Support", 0, false}}; !slices.Equal(got, want) {
		t.Fatalf(`summaries for u3 = %v, want %v`, got, want)
	}

	if err := st.AddOperatorToUnstaffedChannels(ctx, u3.ID); err != nil {
		t.Fatalf(`AddOperatorToUnstaffedChannels: %v`, err)
	}
	if got, want := summaries(u3.ID), []row{{"Sales", 2, false}, {"Support", 1, true}}; !slices.Equal(got, want) {
		t.Fatalf(`after staffing, summaries for u3 = %v, want %v`, got, want)
	}
	// Running it again changes nothing: every channel is staffed now.
	if err := st.AddOperatorToUnstaffedChannels(ctx, u1.ID); err != nil {
		t.Fatalf(`AddOperatorToUnstaffedChannels again: %v`, err)
	}
	if ids, _ := st.ChannelOperatorIDs(ctx, support.ID); !slices.Equal(ids, []int64{u3.ID}) {
		t.Fatalf(`support operators = %v, want [%d]`, ids, u3.ID)
	}

	other := newChannel(t, st, "Other")
	other.Name = "SUPPORT"
	if err := st.UpdateChannel(ctx, other); !errors.Is(err, store.ErrConflict) {
		t.Fatalf(`UpdateChannel to a taken name = %v, want ErrConflict`, err)
	}
	if err := st.DeleteChannel(ctx, sales.ID); err != nil {
		t.Fatalf(`DeleteChannel: %v`, err)
	}
	if ids, _ := st.ChannelOperatorIDs(ctx, sales.ID); len(ids) != 0 {
		t.Fatalf(`operators of a deleted channel remain: %v`, ids)
	}
	if err := st.DeleteChannel(ctx, sales.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`DeleteChannel twice = %v, want ErrNotFound`, err)
	}
}

// ruleView is the part of a rule ReplaceRules promises to keep.
type ruleView struct {
	ID        int64
	Seq       int
	Action    model.RuleAction
	Regex     string
	Countries string
}

func rulesOf(t *testing.T, st *store.Store, channelID int64) []ruleView {
	t.Helper()
	rules, err := st.Rules(ctx, channelID)
	if err != nil {
		t.Fatalf(`Rules: %v`, err)
	}
	var out []ruleView
	for _, r := range rules {
		out = append(out, ruleView{r.ID, r.Sequence, r.Action, r.RegexURL, strings.Join(r.Countries, ",")})
	}
	return out
}

func TestReplaceRules(t *testing.T) {
	st := apptest.NewStore(t)
	ch := newChannel(t, st, "Web")
	otherCh := newChannel(t, st, "Shop")

	first := []model.Rule{
		{Sequence: 10, Action: model.ActionShow, RegexURL: "/pricing"},
		{Sequence: 20, Action: model.ActionAutoPopup, RegexURL: "/contact", AutoPopupTimer: 5, Countries: []string{"FR", "BE"}},
	}
	if err := st.ReplaceRules(ctx, ch.ID, first); err != nil {
		t.Fatalf(`ReplaceRules: %v`, err)
	}
	if first[0].ID == 0 || first[1].ID == 0 {
		t.Fatalf(`ReplaceRules did not set new IDs: %+v`, first)
	}
	want := []ruleView{
		{first[0].ID, 10, model.ActionShow, "/pricing", ""},
		{first[1].ID, 20, model.ActionAutoPopup, "/contact", "BE,FR"},
	}
	if got := rulesOf(t, st, ch.ID); !slices.Equal(got, want) {
		t.Fatalf(`rules = %+v, want %+v`, got, want)
	}

	// Keep the second rule (edited, fewer countries), drop the first, add one.
	keptID := first[1].ID
	second := []model.Rule{
		{ID: keptID, Sequence: 5, Action: model.ActionHide, RegexURL: "/contact", Countries: []string{"BE"}},
		{Sequence: 30, Action: model.ActionShowWithText},
	}
	if err := st.ReplaceRules(ctx, ch.ID, second); err != nil {
		t.Fatalf(`ReplaceRules again: %v`, err)
	}
	want = []ruleView{
		{keptID, 5, model.ActionHide, "/contact", "BE"},
		{second[1].ID, 30, model.ActionShowWithText, "", ""},
	}
	if got := rulesOf(t, st, ch.ID); !slices.Equal(got, want) {
		t.Fatalf(`after replace, rules = %+v, want %+v`, got, want)
	}
	if second[1].ID == first[0].ID {
		t.Fatalf(`the new rule reused the deleted rule's ID %d`, first[0].ID)
	}
	var orphans int
	if err := st.Writer().QueryRow(`SELECT count(*) FROM channel_rule_countries WHERE rule_id NOT IN (SELECT id FROM channel_rules)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf(`orphan rule countries = %d, %v; want 0`, orphans, err)
	}

	// A rule ID of another channel is not taken over: it becomes a new rule.
	if err := st.ReplaceRules(ctx, otherCh.ID, []model.Rule{{ID: keptID, Sequence: 1, Action: model.ActionShow}}); err != nil {
		t.Fatalf(`ReplaceRules on the other channel: %v`, err)
	}
	if got := rulesOf(t, st, ch.ID); !slices.Equal(got, want) {
		t.Fatalf(`another channel's save changed this channel's rules: %+v, want %+v`, got, want)
	}
	if got := rulesOf(t, st, otherCh.ID); len(got) != 1 || got[0].ID == keptID {
		t.Fatalf(`other channel's rules = %+v; want one rule with a fresh ID`, got)
	}

	if err := st.ReplaceRules(ctx, 9999, []model.Rule{{Action: model.ActionShow}}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`ReplaceRules of a missing channel = %v, want ErrNotFound`, err)
	}

	// Atomic: the first rule of this list is valid and would be saved, the
	// second violates the CHECK constraint; nothing may change.
	bad := []model.Rule{
		{ID: keptID, Sequence: 1, Action: model.ActionShow, RegexURL: "/changed", Countries: []string{"DE"}},
		{Sequence: 2, Action: "bogus"},
	}
	if err := st.ReplaceRules(ctx, ch.ID, bad); err == nil {
		t.Fatalf(`ReplaceRules accepted the action "bogus"`)
	}
	if got := rulesOf(t, st, ch.ID); !slices.Equal(got, want) {
		t.Fatalf(`a failed ReplaceRules changed the rules: %+v, want %+v`, got, want)
	}

	if err := st.ReplaceRules(ctx, ch.ID, nil); err != nil {
		t.Fatalf(`ReplaceRules with no rules: %v`, err)
	}
	if got := rulesOf(t, st, ch.ID); len(got) != 0 {
		t.Fatalf(`rules after clearing = %+v, want none`, got)
	}
}

func TestBackup(t *testing.T) {
	st := apptest.NewStore(t)
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		newUser(t, st, e, model.RoleOperator)
	}
	newChannel(t, st, "Sales")
	dest := filepath.Join(t.TempDir(), "backup.db")
	if err := st.Backup(ctx, dest); err != nil {
		t.Fatalf(`Backup: %v`, err)
	}

	emails := func(conn *sql.DB) []string {
		t.Helper()
		rows, err := conn.Query(`SELECT email FROM users ORDER BY id`)
		if err != nil {
			t.Fatalf(`query users: %v`, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	b, err := sql.Open("sqlite", dest)
	if err != nil {
		t.Fatalf(`open backup: %v`, err)
	}
	defer b.Close()
	var check string
	if err := b.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf(`backup integrity_check = %q, %v`, check, err)
	}
	if got, want := emails(b), emails(st.Writer()); len(want) != 3 || !slices.Equal(got, want) {
		t.Fatalf(`backup users = %v, live users = %v`, got, want)
	}
	var channels int
	if err := b.QueryRow(`SELECT count(*) FROM channels`).Scan(&channels); err != nil || channels != 1 {
		t.Fatalf(`backup channels = %d, %v; want 1`, channels, err)
	}

	// An existing file is never overwritten.
	if err := st.Backup(ctx, dest); err == nil {
		t.Fatalf(`Backup over an existing backup succeeded`)
	}
	other := filepath.Join(t.TempDir(), "precious.txt")
	if err := os.WriteFile(other, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := st.Backup(ctx, other); err == nil {
		t.Fatalf(`Backup over an existing file succeeded`)
	}
	if b, _ := os.ReadFile(other); string(b) != "keep me" {
		t.Fatalf(`the existing file was changed to %q`, b)
	}
}

// TestNoticeCodesMigration fills a database as release 4 left it, with
// English notices and visitor labels, and checks that migration 5 turns
// them into codes and empty names without losing anything.
func TestNoticeCodesMigration(t *testing.T) {
	ctx := context.Background()
	st := openRaw(t, filepath.Join(t.TempDir(), "parley.db"))
	if _, err := db.MigrateTo(ctx, st.Writer(), 4); err != nil {
		t.Fatal(err)
	}
	w := st.Writer()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := w.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO visitors (id, token_hash, name, created_at, last_seen_at) VALUES (7, 'h7', '', 0, 0), (8, 'h8', 'Ana', 0, 0)`)
	exec(`INSERT INTO chat_sessions (id, public_id, visitor_id, visitor_name, created_at) VALUES (1, 'p1', 7, 'Website Visitor #7', 0), (2, 'p2', 8, 'Ana', 0)`)
	exec(`INSERT INTO messages (session_id, author_kind, author_name, body, created_at) VALUES
		(1, 'visitor', 'Website Visitor #7', 'hello', 0),
		(1, 'system', '', 'Website Visitor #7 has left the conversation.', 0),
		(2, 'visitor', 'Ana', 'hola', 0),
		(2, 'system', '', 'Ana has left the conversation.', 0),
		(2, 'system', '', 'This conversation was closed after a long pause; the visitor started a new one.', 0),
		(2, 'system', '', 'Something an older release said.', 0)`)
	if _, err := db.Migrate(ctx, w); err != nil {
		t.Fatal(err)
	}
	x1, err := st.Session(ctx, 1)
	if err != nil || x1.VisitorName != "" {
		t.Fatalf("unnamed visitor's session: %v %q", err, x1.VisitorName)
	}
	if x2, _ := st.Session(ctx, 2); x2.VisitorName != "Ana" {
		t.Fatalf("named visitor lost their name: %q", x2.VisitorName)
	}
	m1, _ := st.Messages(ctx, 1, 0, 0)
	m2, _ := st.Messages(ctx, 2, 0, 0)
	if m1[0].AuthorName != "" || m1[0].Body != "hello" || m1[0].Notice != nil {
		t.Fatalf("visitor message: %+v", m1[0])
	}
	if n := m1[1].Notice; m1[1].Body != "" || n == nil || n.Code != "visitor_left" || n.Args["visitor"] != "" || n.Args["visitor_id"] != "7" {
		t.Fatalf("unnamed visitor's leave notice: %+v %+v", m1[1], n)
	}
	if m2[0].AuthorName != "Ana" {
		t.Fatalf("named visitor's message: %+v", m2[0])
	}
	if n := m2[1].Notice; n == nil || n.Code != "visitor_left" || n.Args["visitor"] != "Ana" {
		t.Fatalf("named visitor's leave notice: %+v", n)
	}
	if n := m2[2].Notice; n == nil || n.Code != "stale_closed" {
		t.Fatalf("stale notice: %+v", n)
	}
	if n := m2[3].Notice; n == nil || n.Code != "text" || n.Args["text"] != "Something an older release said." {
		t.Fatalf("unknown notice kept word for word: %+v", n)
	}
}

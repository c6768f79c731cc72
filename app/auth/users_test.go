package auth_test

import (
	"errors"
	"strings"
	"testing"

	"parley/app/auth"
	"parley/app/model"
	"parley/app/store"
)

func wantRefusal(t *testing.T, what string, err error, code string, forbidden bool) {
	t.Helper()
	var re *model.Refusal
	if !errors.As(err, &re) || re.Code != code || (re.Kind == model.Forbidden) != forbidden || re.Message == "" {
		t.Fatalf(`%s: %v, want a refusal %q (forbidden=%v) with a message`, what, err, code, forbidden)
	}
}

func wantField(t *testing.T, what string, err error, field string) *auth.FieldError {
	t.Helper()
	var fe *auth.FieldError
	if !errors.As(err, &fe) || fe.Field != field || fe.Message == "" {
		t.Fatalf(`%s: %v, want a FieldError on %q`, what, err, field)
	}
	return fe
}

func TestUpdateProfile(t *testing.T) {
	a, st, _ := newService(t)
	ada := createUser(t, a, "ada@example.com", model.RoleAdmin)
	olga := createUser(t, a, "olga@example.com", model.RoleOperator)
	eve := createUser(t, a, "eve@example.com", model.RoleOperator)

	u, err := a.UpdateProfile(ctx, olga, olga.ID, auth.ProfileInput{Name: " Olga K ", ChatName: " Olga ", Email: " Olga.K@Example.com "})
	if err != nil || u.Name != "Olga K" || u.ChatName != "Olga" || u.Email != "olga.k@example.com" || u.Role != model.RoleOperator {
		t.Fatalf(`own profile = %+v, %v; want trimmed values, a lower-case email and the role kept`, u, err)
	}

	invalid := []struct {
		name  string
		in    auth.ProfileInput
		field string
	}{
		{"empty name", auth.ProfileInput{Name: "  ", Email: "olga.k@example.com"}, "name"},
		{"long name", auth.ProfileInput{Name: strings.Repeat("n", 101), Email: "olga.k@example.com"}, "name"},
		{"long chat name", auth.ProfileInput{Name: "Olga", ChatName: strings.Repeat("n", 101), Email: "olga.k@example.com"}, "chat_name"},
		{"bad email", auth.ProfileInput{Name: "Olga", Email: "not-an-email"}, "email"},
		{"taken email", auth.ProfileInput{Name: "Olga", Email: "EVE@example.com"}, "email"},
		{"bad role", auth.ProfileInput{Name: "Olga", Email: "olga.k@example.com", Role: "root"}, "role"},
	}
	for _, tt := range invalid {
		_, err := a.UpdateProfile(ctx, ada, olga.ID, tt.in)
		wantField(t, tt.name, err, tt.field)
	}
	if got, _ := st.User(ctx, olga.ID); got.Name != "Olga K" || got.Email != "olga.k@example.com" {
		t.Fatalf(`invalid edits changed the user: %+v`, got)
	}

	// Operators edit themselves only, and neither their role nor their
	// password without the current one.
	_, err = a.UpdateProfile(ctx, olga, eve.ID, auth.ProfileInput{Name: "Eve", Email: "eve@example.com"})
	wantRefusal(t, "operator editing someone else", err, "forbidden", true)
	_, err = a.UpdateProfile(ctx, olga, olga.ID, auth.ProfileInput{Name: "Olga", Email: "olga.k@example.com", Role: model.RoleAdmin})
	wantRefusal(t, "operator promoting themself", err, "forbidden", true)
	_, err = a.UpdateProfile(ctx, olga, olga.ID, auth.ProfileInput{Name: "Olga", Email: "olga.k@example.com", Password: "a new password"})
	wantRefusal(t, "operator setting a password without the current one", err, "forbidden", true)
	if _, err := a.UpdateProfile(ctx, ada, 9999, auth.ProfileInput{Name: "X", Email: "x@example.com"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`unknown user: %v, want ErrNotFound`, err)
	}

	// An admin resets a password: the rules apply, and the user is signed
	// out everywhere.
	cookie, _, err := a.Login(ctx, "eve@example.com", password, "192.0.2.1", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.UpdateProfile(ctx, ada, eve.ID, auth.ProfileInput{Name: "Eve", Email: "eve@example.com", Password: "short"})
	wantField(t, "short password", err, "password")
	if _, err := a.UpdateProfile(ctx, ada, eve.ID, auth.ProfileInput{Name: "Eve", Email: "eve@example.com", Role: model.RoleAdmin, Password: "a new password"}); err != nil {
		t.Fatalf(`admin edit: %v`, err)
	}
	if _, _, err := a.Authenticate(ctx, cookie); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`a password reset left the session alive: %v`, err)
	}
	if _, u, err := a.Login(ctx, "eve@example.com", "a new password", "192.0.2.1", ""); err != nil || !u.IsAdmin() {
		t.Fatalf(`login after the reset = %+v, %v; want an admin`, u, err)
	}
}

// The last active admin keeps the role; deactivated admins do not count.
func TestLastActiveAdminKeepsTheRole(t *testing.T) {
	a, _, _ := newService(t)
	ada := createUser(t, a, "ada@example.com", model.RoleAdmin)
	bob := createUser(t, a, "bob@example.com", model.RoleAdmin)
	demote := auth.ProfileInput{Name: "ada", Email: "ada@example.com", Role: model.RoleOperator}

	if _, err := a.DeactivateUser(ctx, ada, bob.ID); err != nil {
		t.Fatal(err)
	}
	_, err := a.UpdateProfile(ctx, ada, ada.ID, demote)
	fe := wantField(t, "demoting the last active admin", err, "role")
	if !strings.Contains(fe.Message, "last administrator") {
		t.Fatalf(`message %q does not say why`, fe.Message)
	}
	// A deactivated admin may lose the role: they are not counted.
	if _, err := a.UpdateProfile(ctx, ada, bob.ID, auth.ProfileInput{Name: "bob", Email: "bob@example.com", Role: model.RoleOperator}); err != nil {
		t.Fatalf(`demoting a deactivated admin: %v`, err)
	}
	// With a second active admin, demoting works.
	if _, err := a.UpdateProfile(ctx, ada, bob.ID, auth.ProfileInput{Name: "bob", Email: "bob@example.com", Role: model.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ReactivateUser(ctx, ada, bob.ID); err != nil {
		t.Fatal(err)
	}
	if u, err := a.UpdateProfile(ctx, ada, ada.ID, demote); err != nil || u.IsAdmin() {
		t.Fatalf(`demote with another active admin = %+v, %v`, u, err)
	}
}

func TestDeactivateUser(t *testing.T) {
	a, _, clk := newService(t)
	ada := createUser(t, a, "ada@example.com", model.RoleAdmin)
	olga := createUser(t, a, "olga@example.com", model.RoleOperator)
	cookie, _, err := a.Login(ctx, "olga@example.com", password, "192.0.2.1", "")
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := a.CreateAPIToken(ctx, olga.ID, "CRM")
	if err != nil {
		t.Fatal(err)
	}

	// Refusals: an operator, oneself, an unknown user.
	_, err = a.DeactivateUser(ctx, olga, ada.ID)
	wantRefusal(t, "operator deactivating", err, "forbidden", true)
	_, err = a.DeactivateUser(ctx, nil, olga.ID)
	wantRefusal(t, "nobody deactivating", err, "forbidden", true)
	_, err = a.DeactivateUser(ctx, ada, ada.ID)
	wantRefusal(t, "admin deactivating themself", err, "cannot_deactivate_self", false)
	if _, err := a.DeactivateUser(ctx, ada, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`unknown user: %v, want ErrNotFound`, err)
	}

	u, err := a.DeactivateUser(ctx, ada, olga.ID)
	if err != nil || u.Active || !u.DeactivatedAt.Equal(clk.Now()) {
		t.Fatalf(`DeactivateUser = %+v, %v; want inactive since now`, u, err)
	}
	// Sessions ended, tokens revoked, login refused with the password
	// only; a wrong password looks like any wrong password.
	if _, _, err := a.Authenticate(ctx, cookie); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`the login session survived: %v`, err)
	}
	if _, err := a.UserByAPIToken(ctx, plain); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`the API token survived: %v`, err)
	}
	if toks, _ := a.APITokens(ctx, ada, olga.ID); len(toks) != 0 {
		t.Fatalf(`tokens left: %v`, toks)
	}
	if _, _, err := a.Login(ctx, "olga@example.com", password, "192.0.2.1", ""); !errors.Is(err, auth.ErrDeactivated) {
		t.Fatalf(`login of a deactivated user = %v, want ErrDeactivated`, err)
	}
	if _, _, err := a.Login(ctx, "olga@example.com", "wrong password", "192.0.2.1", ""); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf(`wrong password of a deactivated user = %v, want ErrBadCredentials`, err)
	}
	_, _, err = a.CreateAPIToken(ctx, olga.ID, "again")
	wantRefusal(t, "token for a deactivated user", err, "user_deactivated", false)
	// Deactivating again changes nothing.
	if again, err := a.DeactivateUser(ctx, ada, olga.ID); err != nil || !again.DeactivatedAt.Equal(u.DeactivatedAt) {
		t.Fatalf(`deactivating twice = %+v, %v`, again, err)
	}
	if list, _ := a.ListUsers(ctx, "", auth.DeactivatedUsers); len(list) != 1 || list[0].ID != olga.ID {
		t.Fatalf(`deactivated users = %v, want olga`, list)
	}
	if list, _ := a.ListUsers(ctx, "", auth.ActiveUsers); len(list) != 1 || list[0].ID != ada.ID {
		t.Fatalf(`active users = %v, want ada`, list)
	}
	if list, _ := a.ListUsers(ctx, "olga", auth.AllUsers); len(list) != 1 {
		t.Fatalf(`search over all users = %v, want olga`, list)
	}
	_, err = a.ListUsers(ctx, "", "gone")
	wantField(t, "unknown status", err, "status")

	// Reactivation: admins only; login works again, tokens stay revoked.
	_, err = a.ReactivateUser(ctx, olga, olga.ID)
	wantRefusal(t, "operator reactivating", err, "forbidden", true)
	if u, err := a.ReactivateUser(ctx, ada, olga.ID); err != nil || !u.Active || !u.DeactivatedAt.IsZero() {
		t.Fatalf(`ReactivateUser = %+v, %v`, u, err)
	}
	if _, _, err := a.Login(ctx, "olga@example.com", password, "192.0.2.1", ""); err != nil {
		t.Fatalf(`login after reactivation: %v`, err)
	}
	if _, err := a.UserByAPIToken(ctx, plain); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`the old token came back with the reactivation`)
	}
	if _, _, err := a.CreateAPIToken(ctx, olga.ID, "new"); err != nil {
		t.Fatalf(`new token after reactivation: %v`, err)
	}
}

// Two admins deactivating each other at once: the second to run finds
// the other already gone and is refused, so an active admin remains.
func TestLastActiveAdminCannotBeDeactivated(t *testing.T) {
	a, st, _ := newService(t)
	ada := createUser(t, a, "ada@example.com", model.RoleAdmin)
	bob := createUser(t, a, "bob@example.com", model.RoleAdmin)
	if _, err := a.DeactivateUser(ctx, ada, bob.ID); err != nil {
		t.Fatal(err)
	}
	_, err := a.DeactivateUser(ctx, bob, ada.ID) // bob's request was authenticated before
	wantRefusal(t, "deactivating the last active admin", err, "last_admin", false)
	if n, _ := st.CountActiveAdmins(ctx); n != 1 {
		t.Fatalf(`%d active admins, want 1`, n)
	}
}

func TestTokenRules(t *testing.T) {
	a, _, _ := newService(t)
	ada := createUser(t, a, "ada@example.com", model.RoleAdmin)
	olga := createUser(t, a, "olga@example.com", model.RoleOperator)
	eve := createUser(t, a, "eve@example.com", model.RoleOperator)
	_, olgaTok, err := a.CreateAPITokenFor(ctx, olga, olga.ID, "mine")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = a.CreateAPITokenFor(ctx, olga, eve.ID, "hers")
	wantRefusal(t, "operator creating a token for someone else", err, "forbidden", true)
	_, err = a.APITokens(ctx, eve, olga.ID)
	wantRefusal(t, "operator listing someone else's tokens", err, "forbidden", true)
	err = a.RevokeAPIToken(ctx, eve, olga.ID, olgaTok.ID)
	wantRefusal(t, "operator revoking someone else's token", err, "forbidden", true)
	// A token is revoked through its owner only.
	if err := a.RevokeAPIToken(ctx, ada, eve.ID, olgaTok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`revoking through the wrong owner: %v, want ErrNotFound`, err)
	}
	if err := a.RevokeAPIToken(ctx, ada, olga.ID, olgaTok.ID); err != nil {
		t.Fatalf(`admin revoking: %v`, err)
	}
	if _, _, err := a.CreateAPITokenFor(ctx, ada, 9999, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`token for an unknown user: %v, want ErrNotFound`, err)
	}
	_, tok, _ := a.CreateAPITokenFor(ctx, olga, olga.ID, "again")
	if err := a.RevokeAPIToken(ctx, olga, olga.ID, tok.ID); err != nil {
		t.Fatalf(`revoking one's own token: %v`, err)
	}
}

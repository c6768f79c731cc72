package auth_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/app/apptest"
	"parley/app/auth"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/store"
)

var ctx = context.Background()

const password = "correct horse battery"

// clock is a settable time source shared by the service and its limiter.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

const window = 15 * time.Minute

// newService returns a service on a fresh database with an injected clock
// and the production limits: 10 failures per IP, 5 per email, per window.
func newService(t *testing.T) (*auth.Service, *store.Store, *clock) {
	t.Helper()
	st := apptest.NewStore(t)
	clk := &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	a := auth.New(st, auth.Options{Now: clk.Now, BcryptCost: bcrypt.MinCost, Limiter: auth.NewLimiter(10, 5, window, clk.Now)})
	return a, st, clk
}

func createUser(t *testing.T, a *auth.Service, email string, role model.Role) *model.User {
	t.Helper()
	u, err := a.CreateUser(ctx, auth.NewUser{Email: email, Name: strings.Split(email, "@")[0], Role: role, Password: password})
	if err != nil {
		t.Fatalf(`create user %s: %v`, email, err)
	}
	return u
}

func TestCreateUserValidation(t *testing.T) {
	a, st, _ := newService(t)
	createUser(t, a, "taken@example.com", model.RoleOperator)
	ok := auth.NewUser{Email: "new@example.com", Name: "New", Role: model.RoleOperator, Password: password}
	tests := []struct {
		name  string
		edit  func(*auth.NewUser)
		field string
	}{
		{"no at sign", func(n *auth.NewUser) { n.Email = "not-an-email" }, "email"},
		{"display name form", func(n *auth.NewUser) { n.Email = "New <new@example.com>" }, "email"},
		{"empty email", func(n *auth.NewUser) { n.Email = "" }, "email"},
		{"short password", func(n *auth.NewUser) { n.Password = "1234567" }, "password"},
		{"password over 72 bytes", func(n *auth.NewUser) { n.Password = strings.Repeat("a", 73) }, "password"},
		{"multibyte password over 72 bytes", func(n *auth.NewUser) { n.Password = strings.Repeat("é", 37) }, "password"},
		{"empty name", func(n *auth.NewUser) { n.Name = "   " }, "name"},
		{"long name", func(n *auth.NewUser) { n.Name = strings.Repeat("n", 101) }, "name"},
		{"bad role", func(n *auth.NewUser) { n.Role = "root" }, "role"},
		{"no role", func(n *auth.NewUser) { n.Role = "" }, "role"},
		{"duplicate email in other case", func(n *auth.NewUser) { n.Email = " TAKEN@Example.com " }, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := ok
			tt.edit(&n)
			u, err := a.CreateUser(ctx, n)
			var fe *auth.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf(`CreateUser = %v, %v; want a FieldError on %q`, u, err, tt.field)
			}
			if fe.Field != tt.field || fe.Message == "" {
				t.Fatalf(`FieldError = %+v, want field %q with a message`, fe, tt.field)
			}
		})
	}
	if users, _ := st.Users(ctx, "", 0); len(users) != 1 {
		t.Fatalf(`invalid users were stored: %d users`, len(users))
	}

	// Exactly 72 bytes is allowed; the email is trimmed and lower-cased.
	n := ok
	n.Email, n.Password = "  Mixed.Case@Example.COM ", strings.Repeat("abcdefgh", 9)
	u, err := a.CreateUser(ctx, n)
	if err != nil {
		t.Fatalf(`CreateUser with a 72-byte password: %v`, err)
	}
	if u.Email != "mixed.case@example.com" || u.PasswordHash == "" || u.PasswordHash == n.Password {
		t.Fatalf(`created user = %+v; want a normalised email and a hashed password`, u)
	}
	if _, _, err := a.Login(ctx, "mixed.case@example.com", n.Password, "192.0.2.1", "test"); err != nil {
		t.Fatalf(`login with the 72-byte password: %v`, err)
	}
}

func TestLogin(t *testing.T) {
	a, _, clk := newService(t)
	alice := createUser(t, a, "alice@example.com", model.RoleAdmin)

	cookie, u, err := a.Login(ctx, "  Alice@Example.com ", password, "192.0.2.1", "test-agent")
	if err != nil {
		t.Fatalf(`Login: %v`, err)
	}
	if cookie == "" || u.ID != alice.ID || !u.LastLoginAt.Equal(clk.Now()) {
		t.Fatalf(`Login = %q, %+v; want a cookie, alice and LastLoginAt now`, cookie, u)
	}
	got, ls, err := a.Authenticate(ctx, cookie)
	if err != nil || got.ID != alice.ID {
		t.Fatalf(`Authenticate = %v, %v; want alice`, got, err)
	}
	if ls.ID == cookie || ls.ID != auth.HashToken(cookie) {
		t.Fatalf(`the session is stored under %q; want the hash of the cookie, never the cookie`, ls.ID)
	}
	if ls.IP != "192.0.2.1" || ls.UserAgent != "test-agent" {
		t.Fatalf(`session = %+v; want the IP and user agent`, ls)
	}

	_, _, errWrong := a.Login(ctx, "alice@example.com", "wrong password", "192.0.2.2", "")
	_, _, errUnknown := a.Login(ctx, "nobody@example.com", password, "192.0.2.3", "")
	for name, err := range map[string]error{"wrong password": errWrong, "unknown email": errUnknown} {
		if !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf(`%s: %v, want ErrBadCredentials`, name, err)
		}
	}
	if errWrong == nil || errUnknown == nil || errWrong.Error() != errUnknown.Error() {
		t.Fatalf(`wrong password and unknown email differ: %v / %v`, errWrong, errUnknown)
	}
	if _, _, err := a.Authenticate(ctx, ""); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`Authenticate("") = %v, want ErrNoSession`, err)
	}
	if _, _, err := a.Authenticate(ctx, "forged-cookie"); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`Authenticate(forged) = %v, want ErrNoSession`, err)
	}
}

func TestLoginThrottlePerEmail(t *testing.T) {
	a, _, clk := newService(t)
	createUser(t, a, "alice@example.com", model.RoleOperator)
	// Failures from five different addresses: only the email limit applies.
	for i := range 5 {
		ip := fmt.Sprintf("198.51.100.%d", i+1)
		if _, _, err := a.Login(ctx, "alice@example.com", "wrong password", ip, ""); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf(`failure %d: %v, want ErrBadCredentials`, i+1, err)
		}
	}
	_, _, err := a.Login(ctx, "ALICE@example.com", password, "203.0.113.50", "")
	var te *auth.ThrottledError
	if !errors.As(err, &te) {
		t.Fatalf(`sixth attempt with the right password = %v, want ThrottledError`, err)
	}
	if te.RetryAfter <= 0 || te.RetryAfter > window {
		t.Fatalf(`RetryAfter = %v, want within (0, %v]`, te.RetryAfter, window)
	}
	// Another email from one of the same addresses is not affected.
	createUser(t, a, "bob@example.com", model.RoleOperator)
	if _, _, err := a.Login(ctx, "bob@example.com", password, "198.51.100.1", ""); err != nil {
		t.Fatalf(`another email is throttled too: %v`, err)
	}

	clk.Advance(te.RetryAfter - time.Second)
	if _, _, err := a.Login(ctx, "alice@example.com", password, "203.0.113.50", ""); !errors.As(err, &te) {
		t.Fatalf(`just before the window ends = %v, want still throttled`, err)
	}
	clk.Advance(time.Second)
	if _, _, err := a.Login(ctx, "alice@example.com", password, "203.0.113.50", ""); err != nil {
		t.Fatalf(`after the window: %v, want a successful login`, err)
	}

	// A successful login forgets the email's failures.
	for range 4 {
		a.Login(ctx, "alice@example.com", "wrong password", "198.51.100.9", "")
	}
	if _, _, err := a.Login(ctx, "alice@example.com", password, "198.51.100.9", ""); err != nil {
		t.Fatalf(`login after 4 failures: %v`, err)
	}
	for range 4 {
		a.Login(ctx, "alice@example.com", "wrong password", "198.51.100.10", "")
	}
	if _, _, err := a.Login(ctx, "alice@example.com", password, "198.51.100.10", ""); err != nil {
		t.Fatalf(`failures before the last success still count: %v`, err)
	}
}

func TestLoginThrottlePerIP(t *testing.T) {
	a, _, clk := newService(t)
	createUser(t, a, "alice@example.com", model.RoleOperator)
	const ip = "203.0.113.9"
	// Ten failures, each for a different (unknown) email: the per-email
	// limit is never reached, the per-IP one is.
	for i := range 10 {
		email := fmt.Sprintf("guess%d@example.com", i)
		if _, _, err := a.Login(ctx, email, "whatever1", ip, ""); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf(`failure %d: %v, want ErrBadCredentials`, i+1, err)
		}
	}
	var te *auth.ThrottledError
	if _, _, err := a.Login(ctx, "alice@example.com", password, ip, ""); !errors.As(err, &te) {
		t.Fatalf(`right password from a throttled IP = %v, want ThrottledError`, err)
	}
	if _, _, err := a.Login(ctx, "alice@example.com", password, "203.0.113.10", ""); err != nil {
		t.Fatalf(`login from another IP: %v`, err)
	}
	clk.Advance(window)
	if _, _, err := a.Login(ctx, "alice@example.com", password, ip, ""); err != nil {
		t.Fatalf(`login after the window: %v`, err)
	}
}

func TestAuthenticateSlidesExpiry(t *testing.T) {
	a, _, clk := newService(t)
	createUser(t, a, "alice@example.com", model.RoleOperator)
	active, _, err := a.Login(ctx, "alice@example.com", password, "192.0.2.1", "")
	if err != nil {
		t.Fatal(err)
	}
	idle, _, err := a.Login(ctx, "alice@example.com", password, "192.0.2.1", "")
	if err != nil {
		t.Fatal(err)
	}
	// Sessions last 14 days from their last use: the one used every 10
	// days lives on, the one never used again ends after day 14.
	for _, day := range []int{10, 20, 30} {
		clk.Advance(10 * 24 * time.Hour)
		if _, _, err := a.Authenticate(ctx, active); err != nil {
			t.Fatalf(`session used every 10 days, on day %d: %v`, day, err)
		}
	}
	if _, _, err := a.Authenticate(ctx, idle); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`session unused for 30 days = %v, want ErrNoSession`, err)
	}
}

func TestLogout(t *testing.T) {
	a, _, _ := newService(t)
	createUser(t, a, "alice@example.com", model.RoleOperator)
	c1, _, _ := a.Login(ctx, "alice@example.com", password, "192.0.2.1", "")
	c2, _, _ := a.Login(ctx, "alice@example.com", password, "192.0.2.1", "")
	if err := a.Logout(ctx, c1); err != nil {
		t.Fatalf(`Logout: %v`, err)
	}
	if _, _, err := a.Authenticate(ctx, c1); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`Authenticate after logout = %v, want ErrNoSession`, err)
	}
	if _, _, err := a.Authenticate(ctx, c2); err != nil {
		t.Fatalf(`logout ended another browser's session: %v`, err)
	}
	if err := a.Logout(ctx, ""); err != nil {
		t.Fatalf(`Logout("") = %v`, err)
	}
}

func TestChangePassword(t *testing.T) {
	a, _, _ := newService(t)
	createUser(t, a, "alice@example.com", model.RoleOperator)
	here, _, _ := a.Login(ctx, "alice@example.com", password, "192.0.2.1", "")
	elsewhere, _, _ := a.Login(ctx, "alice@example.com", password, "192.0.2.2", "")
	u, ls, err := a.Authenticate(ctx, here)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, current, next, field string
	}{
		{"wrong current", "not my password", "brand new password", "current_password"},
		{"short new", password, "short", "new_password"},
		{"long new", password, strings.Repeat("x", 73), "new_password"},
		{"the same again", password, password, "new_password"},
	}
	for _, tt := range tests {
		err := a.ChangePassword(ctx, u, ls.ID, tt.current, tt.next, false)
		var fe *auth.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf(`%s: ChangePassword = %v, want a FieldError on %q`, tt.name, err, tt.field)
		}
	}
	if _, _, err := a.Authenticate(ctx, elsewhere); err != nil {
		t.Fatalf(`a refused change signed other sessions out: %v`, err)
	}

	const next = "brand new password"
	tok, _, err := a.CreateAPIToken(ctx, u.ID, "kept")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ChangePassword(ctx, u, ls.ID, password, next, false); err != nil {
		t.Fatalf(`ChangePassword: %v`, err)
	}
	if _, err := a.UserByAPIToken(ctx, tok); err != nil {
		t.Fatalf(`a change without revoking tokens revoked one: %v`, err)
	}
	if _, _, err := a.Authenticate(ctx, here); err != nil {
		t.Fatalf(`the current session ended: %v`, err)
	}
	if _, _, err := a.Authenticate(ctx, elsewhere); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`the other session = %v, want ErrNoSession`, err)
	}
	if _, _, err := a.Login(ctx, "alice@example.com", password, "192.0.2.3", ""); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf(`old password = %v, want ErrBadCredentials`, err)
	}
	if _, _, err := a.Login(ctx, "alice@example.com", next, "192.0.2.3", ""); err != nil {
		t.Fatalf(`new password: %v`, err)
	}
	// Asked to, the change also revokes the API tokens.
	if err := a.ChangePassword(ctx, u, ls.ID, next, "third password here", true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UserByAPIToken(ctx, tok); err == nil {
		t.Fatal(`the API token survived a change that revoked tokens`)
	}
}

func TestRequirePasswordChange(t *testing.T) {
	a, _, _ := newService(t)
	admin := createUser(t, a, "root@example.com", model.RoleAdmin)
	op := createUser(t, a, "alice@example.com", model.RoleOperator)
	c, _, _ := a.Login(ctx, "alice@example.com", password, "192.0.2.1", "")
	if _, err := a.RequirePasswordChange(ctx, op, admin.ID); err == nil {
		t.Fatal("an operator forced an admin's reset")
	}
	if _, err := a.RequirePasswordChange(ctx, admin, admin.ID); err == nil {
		t.Fatal("an admin forced their own reset")
	}
	u, err := a.RequirePasswordChange(ctx, admin, op.ID)
	if err != nil || !u.MustChangePassword {
		t.Fatalf("RequirePasswordChange: %v %+v", err, u)
	}
	if _, _, err := a.Authenticate(ctx, c); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("the user's session survived: %v", err)
	}
	c, u, err = a.Login(ctx, "alice@example.com", password, "192.0.2.1", "")
	if err != nil || !u.MustChangePassword {
		t.Fatalf("login after a forced reset: %v %+v", err, u)
	}
	_, ls, _ := a.Authenticate(ctx, c)
	if err := a.ChangePassword(ctx, u, ls.ID, password, "a fresh passphrase", false); err != nil {
		t.Fatal(err)
	}
	if again, _ := a.User(ctx, u.ID); again.MustChangePassword {
		t.Fatal("choosing a new password did not lift the requirement")
	}
}

func TestSetPasswordSignsOutEverywhere(t *testing.T) {
	a, _, _ := newService(t)
	u := createUser(t, a, "alice@example.com", model.RoleOperator)
	c, _, _ := a.Login(ctx, "alice@example.com", password, "192.0.2.1", "")
	if err := a.SetPassword(ctx, u.ID, "short"); err == nil {
		t.Fatalf(`SetPassword accepted a short password`)
	}
	if err := a.SetPassword(ctx, u.ID, "reset by admin"); err != nil {
		t.Fatalf(`SetPassword: %v`, err)
	}
	if _, _, err := a.Authenticate(ctx, c); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`session after a reset = %v, want ErrNoSession`, err)
	}
	if _, _, err := a.Login(ctx, "alice@example.com", "reset by admin", "192.0.2.1", ""); err != nil {
		t.Fatalf(`login with the reset password: %v`, err)
	}
}

func TestAPITokens(t *testing.T) {
	a, st, _ := newService(t)
	u := createUser(t, a, "bot@example.com", model.RoleOperator)
	plain, tok, err := a.CreateAPIToken(ctx, u.ID, "  CI  ")
	if err != nil {
		t.Fatalf(`CreateAPIToken: %v`, err)
	}
	if !strings.HasPrefix(plain, auth.TokenPrefix) || len(plain) < len(auth.TokenPrefix)+40 {
		t.Fatalf(`token %q: want the %q prefix and 256 random bits`, plain, auth.TokenPrefix)
	}
	if tok.Name != "CI" || tok.Hint != plain[len(plain)-4:] {
		t.Fatalf(`token record = %+v; want name "CI" and the last 4 characters as hint`, tok)
	}
	got, err := a.UserByAPIToken(ctx, plain)
	if err != nil || got.ID != u.ID {
		t.Fatalf(`UserByAPIToken = %v, %v; want user %d`, got, err, u.ID)
	}
	for name, bad := range map[string]string{
		"without the prefix": strings.TrimPrefix(plain, auth.TokenPrefix),
		"altered":            plain[:len(plain)-1] + "!",
		"empty":              "",
		"prefix only":        auth.TokenPrefix,
	} {
		if _, err := a.UserByAPIToken(ctx, bad); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf(`token %s = %v, want ErrNoSession`, name, err)
		}
	}
	if _, _, err := a.CreateAPIToken(ctx, u.ID, strings.Repeat("n", 81)); err == nil {
		t.Fatalf(`a token name over 80 characters was accepted`)
	}
	if err := st.DeleteAPIToken(ctx, u.ID, tok.ID); err != nil {
		t.Fatalf(`revoke: %v`, err)
	}
	if _, err := a.UserByAPIToken(ctx, plain); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf(`revoked token = %v, want ErrNoSession`, err)
	}
}

func TestSetup(t *testing.T) {
	a, st, _ := newService(t)
	lc := livechat.New(st, livechat.Options{Logger: apptest.Logger(t)})
	if _, err := lc.EnsureDefaultChannel(ctx, "Example"); err != nil {
		t.Fatalf(`EnsureDefaultChannel: %v`, err)
	}
	channels, err := st.Channels(ctx)
	if err != nil || len(channels) != 1 {
		t.Fatalf(`channels = %v, %v; want the default channel`, channels, err)
	}

	admin := auth.NewUser{Email: "admin@example.com", Name: "Admin", Password: password, Role: model.RoleOperator}
	// Before anyone asked for the token there is none, and "" never matches.
	if _, err := a.CompleteSetup(ctx, "", admin); !errors.Is(err, auth.ErrBadSetupToken) {
		t.Fatalf(`CompleteSetup before a token exists = %v, want ErrBadSetupToken`, err)
	}
	if needs, err := a.NeedsSetup(ctx); err != nil || !needs {
		t.Fatalf(`NeedsSetup = %v, %v; want true`, needs, err)
	}
	token := a.SetupToken()
	if token == "" || a.SetupToken() != token {
		t.Fatalf(`SetupToken is not stable: %q`, token)
	}
	for _, bad := range []string{"", "wrong", token + "x", strings.ToUpper(token)} {
		if bad == token {
			continue
		}
		if _, err := a.CompleteSetup(ctx, bad, admin); !errors.Is(err, auth.ErrBadSetupToken) {
			t.Errorf(`CompleteSetup(%q) = %v, want ErrBadSetupToken`, bad, err)
		}
	}
	// Invalid input keeps the token usable so the person can correct it.
	short := admin
	short.Password = "short"
	var fe *auth.FieldError
	if _, err := a.CompleteSetup(ctx, token, short); !errors.As(err, &fe) || fe.Field != "password" {
		t.Fatalf(`CompleteSetup with a short password = %v, want a FieldError on password`, err)
	}
	if !a.CheckSetupToken(token) {
		t.Fatalf(`the setup token stopped working after a validation error`)
	}

	u, err := a.CompleteSetup(ctx, token, admin)
	if err != nil {
		t.Fatalf(`CompleteSetup: %v`, err)
	}
	if u.Role != model.RoleAdmin {
		t.Fatalf(`setup created a %q, want an admin whatever the input said`, u.Role)
	}
	if needs, _ := a.NeedsSetup(ctx); needs {
		t.Fatalf(`NeedsSetup after setup = true`)
	}
	ops, err := st.ChannelOperatorIDs(ctx, channels[0].ID)
	if err != nil || !slices.Equal(ops, []int64{u.ID}) {
		t.Fatalf(`default channel operators = %v, %v; want the new admin %d`, ops, err, u.ID)
	}
	if a.CheckSetupToken(token) {
		t.Fatalf(`the setup token still checks after use`)
	}
	again := auth.NewUser{Email: "second@example.com", Name: "Second", Password: password}
	if _, err := a.CompleteSetup(ctx, token, again); !errors.Is(err, auth.ErrBadSetupToken) {
		t.Fatalf(`second use of the token = %v, want ErrBadSetupToken`, err)
	}
	if _, err := st.UserByEmail(ctx, "second@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf(`the second setup created a user: %v`, err)
	}
}

// The setup link stops working once an admin exists, however it was made.
func TestSetupAfterAdminCreatedElsewhere(t *testing.T) {
	a, _, _ := newService(t)
	token := a.SetupToken()
	if _, err := a.CreateFirstAdmin(ctx, auth.NewUser{Email: "cli@example.com", Name: "CLI", Password: password}); err != nil {
		t.Fatal(err)
	}
	_, err := a.CompleteSetup(ctx, token, auth.NewUser{Email: "mallory@example.com", Name: "Mallory", Password: password})
	if !errors.Is(err, auth.ErrBadSetupToken) {
		t.Fatalf(`CompleteSetup after an admin exists = %v, want ErrBadSetupToken`, err)
	}
	if a.CheckSetupToken(token) {
		t.Fatalf(`the setup token still works`)
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		pw, email, name string
		ok              bool
		why             string
	}{
		{"correct horse battery", "ada@example.com", "Ada Lovelace", true, ""},
		{"short pw", "", "", false, "at least 10"},
		{"password", "", "", false, "at least 10"},
		{"12345678", "", "", false, "at least 10"},
		{"1234567890", "", "", false, "most common"},
		{"QwertyUIOP", "", "", false, "most common"},
		{"ada.lovelace@example.com", "ada.lovelace@example.com", "", false, "email address or name"},
		{"my name is lovelace!", "x@example.com", "Ada Lovelace", false, ""},
		{"AdaLovelace2024", "x@example.com", "Ada Lovelace", false, "email address or name"},
		{"grace.hopper.99", "grace.hopper@example.com", "", false, "email address or name"},
		{"aaaaaaaaaaaa", "", "", false, ""},
		{"abababababab", "", "", false, "too few different"},
		{strings.Repeat("é", 37), "", "", false, "at most 72 bytes"},
	} {
		err := auth.ValidatePassword(c.pw, c.email, c.name)
		if c.ok != (err == nil) {
			t.Errorf("ValidatePassword(%q, %q, %q) = %v, want ok=%v", c.pw, c.email, c.name, err, c.ok)
			continue
		}
		var fe *auth.FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "password" || !strings.Contains(fe.Text(), c.why)) {
			t.Errorf("ValidatePassword(%q): %v, want a password error saying %q", c.pw, err, c.why)
		}
	}
}

// TestProfileLanguageRule: a profile language must be one Parley has a
// catalogue for, or empty (the browser's).
func TestProfileLanguageRule(t *testing.T) {
	st := apptest.NewStore(t)
	a := auth.New(st, auth.Options{BcryptCost: bcrypt.MinCost, Languages: []string{"en", "es"}})
	u := createUser(t, a, "alice@example.com", model.RoleOperator)
	for _, c := range []struct {
		lang string
		ok   bool
	}{{"es", true}, {"", true}, {"xx", false}, {"es-ES-extra-long-tag", false}} {
		lang := c.lang
		_, err := a.UpdateProfile(ctx, u, u.ID, auth.ProfileInput{Name: "Alice", Email: "alice@example.com", Language: &lang})
		var fe *auth.FieldError
		if c.ok != (err == nil) || (err != nil && (!errors.As(err, &fe) || fe.Field != "language")) {
			t.Errorf("language %q: %v, want ok=%v", c.lang, err, c.ok)
		}
	}
}

// Stored token hashes are hex SHA-256: changing the encoding would lock
// every visitor and integration out.
func TestHashTokenIsHexSHA256(t *testing.T) {
	if got, want := auth.HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Fatalf("HashToken(abc) = %s, want %s", got, want)
	}
}

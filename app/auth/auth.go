// Package auth owns users' credentials: password hashing, login sessions,
// login throttling, API tokens and the first-run setup token.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"parley/app/events"
	"parley/app/model"
	"parley/app/store"
)

// Errors a caller turns into messages for people.
var (
	ErrBadCredentials = errors.New("wrong email or password")
	ErrNoSession      = errors.New("not signed in")
	ErrBadSetupToken  = errors.New("this setup link is invalid or was already used")
	// ErrDeactivated refuses a login with the right password to an
	// account an admin deactivated.
	ErrDeactivated = errors.New("this account is deactivated")
)

// FieldError says which input is wrong and why.
type FieldError = model.FieldError

// ThrottledError is returned while an IP or an email has too many recent
// failed logins.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed login attempts; try again in %s", e.RetryAfter.Round(time.Second))
}

const (
	sessionTTL   = 14 * 24 * time.Hour
	sessionSlide = time.Hour // extend the expiry at most this often
)

// Service is the authentication service.
type Service struct {
	store     *store.Store
	now       func() time.Time
	limiter   *Limiter
	cost      int
	events    *events.Bus
	languages []string

	mu         sync.Mutex
	setupToken string
	csrf       []byte // the CSRF key, loaded on first use

	// adminMu serialises edits of accounts (role, deactivation) from
	// reading the user to writing the change, so two admins demoting or
	// deactivating each other at once cannot both pass the last-admin
	// check. One process owns the database: an in-process lock is enough.
	adminMu sync.Mutex
}

// Options tune a Service; zero values take production defaults.
type Options struct {
	Events *events.Bus // receives UserDeactivated; nil: nobody listens
	// Languages a user may choose in their profile ("en", "es"): the
	// catalogues Parley has. Empty: only the browser's ("").
	Languages  []string
	Now        func() time.Time
	BcryptCost int // tests lower it for speed
	Limiter    *Limiter
}

// New returns the authentication service.
func New(st *store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.DefaultCost
	}
	if o.Limiter == nil {
		o.Limiter = NewLimiter(10, 5, 15*time.Minute, o.Now)
	}
	return &Service{store: st, now: o.Now, limiter: o.Limiter, cost: o.BcryptCost, events: o.Events, languages: o.Languages}
}

// RandomToken returns a URL-safe random string with 256 bits of entropy.
func RandomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error()) // the OS RNG failing leaves nothing safe to do
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the SHA-256 of a bearer secret, as stored.
func HashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	var x [2 * sha256.Size]byte // hex.EncodeToString would allocate twice: every request with a token hashes it
	hex.Encode(x[:], h[:])
	return string(x[:])
}

// HashPassword validates pw for the user with this email and name and
// hashes it with bcrypt.
func (s *Service) HashPassword(pw, email, name string) (string, error) {
	if err := ValidatePassword(pw, email, name); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.cost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// NormalizeEmail trims and validates an email address.
func NormalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email, "@") {
		return "", &FieldError{Field: "email", Message: "Enter a valid email address."}
	}
	return strings.ToLower(email), nil
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Email, Name, ChatName, Password string
	Role                            model.Role
}

// CreateUser validates and stores a new user.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (*model.User, error) {
	name, chatName, email, err := normalizeProfile(n.Name, n.ChatName, n.Email)
	if err != nil {
		return nil, err
	}
	if !n.Role.Valid() {
		return nil, &FieldError{Field: "role", Message: "The role must be admin or operator."}
	}
	hash, err := s.HashPassword(n.Password, email, name)
	if err != nil {
		return nil, err
	}
	u := &model.User{Email: email, Name: name, ChatName: chatName, Role: n.Role, PasswordHash: hash}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &FieldError{Field: "email", Message: "A user with this email already exists."}
		}
		return nil, err
	}
	return u, nil
}

// Login checks credentials and opens a login session, returning the cookie
// value. Failures count towards the per-IP and per-email throttles.
func (s *Service) Login(ctx context.Context, email, password, ip, userAgent string) (string, *model.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if wait := s.limiter.Blocked(ip, email); wait > 0 {
		return "", nil, &ThrottledError{RetryAfter: wait}
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		// Compare against a fixed hash so an unknown email costs as much
		// time as a wrong password and does not reveal which emails exist.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		s.limiter.Fail(ip, email)
		return "", nil, ErrBadCredentials
	}
	if err != nil {
		return "", nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		s.limiter.Fail(ip, email)
		return "", nil, ErrBadCredentials
	}
	// Only someone who knows the password learns that the account is
	// deactivated; anyone else gets the usual wrong-credentials answer.
	if !u.Active {
		return "", nil, ErrDeactivated
	}
	s.limiter.Reset(email)
	cookie, err := s.StartSession(ctx, u.ID, ip, userAgent)
	if err != nil {
		return "", nil, err
	}
	now := s.now().UTC()
	if err := s.store.TouchLogin(ctx, u.ID, now); err != nil {
		return "", nil, err
	}
	u.LastLoginAt = now
	return cookie, u, nil
}

// dummyHash is compared against when the email is unknown, so that a
// login takes as long whether or not the account exists. It is a bcrypt
// hash at bcrypt.DefaultCost of a throwaway word, written out rather than
// computed at start: computing it cost every start of every command 60 ms.
var dummyHash = []byte("$2a$10$q/t0V0AfaCqdcZ5RAjW4b.Zvc6mpEsAmDloWKhJaGk1ddJVcVAaB.")

// StartSession opens a login session for userID and returns the cookie value.
func (s *Service) StartSession(ctx context.Context, userID int64, ip, userAgent string) (string, error) {
	cookie := RandomToken()
	now := s.now().UTC()
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	ls := &model.LoginSession{ID: HashToken(cookie), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(sessionTTL), LastSeenAt: now, IP: ip, UserAgent: userAgent}
	if err := s.store.CreateLoginSession(ctx, ls); err != nil {
		return "", err
	}
	return cookie, nil
}

// Authenticate returns the user behind a login cookie, sliding its expiry.
func (s *Service) Authenticate(ctx context.Context, cookie string) (*model.User, *model.LoginSession, error) {
	if cookie == "" {
		return nil, nil, ErrNoSession
	}
	now := s.now().UTC()
	ls, u, err := s.store.LoginSession(ctx, HashToken(cookie), now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	if !u.Active {
		return nil, nil, ErrNoSession // deactivation ends sessions; this covers one started meanwhile
	}
	if now.Sub(ls.LastSeenAt) > sessionSlide {
		if err := s.store.ExtendLoginSession(ctx, ls.ID, now, now.Add(sessionTTL)); err != nil {
			return nil, nil, err
		}
	}
	return u, ls, nil
}

// Logout ends the login session behind cookie.
func (s *Service) Logout(ctx context.Context, cookie string) error {
	if cookie == "" {
		return nil
	}
	return s.store.DeleteLoginSession(ctx, HashToken(cookie))
}

// ChangePassword checks the current password, stores the new one and signs
// the user out of every other browser.
func (s *Service) ChangePassword(ctx context.Context, u *model.User, sessionID, current, next string, revokeTokens bool) error {
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(current)) != nil {
		return &FieldError{Field: "current_password", Message: "The current password is wrong."}
	}
	if current == next {
		return &FieldError{Field: "new_password", Message: "The new password must differ from the current one."}
	}
	hash, err := s.HashPassword(next, u.Email, u.Name)
	if err != nil {
		fe := err.(*FieldError)
		return &FieldError{Field: "new_password", Message: fe.Message, Args: fe.Args}
	}
	if err := s.store.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return err
	}
	u.PasswordHash, u.MustChangePassword = hash, false
	if revokeTokens {
		if err := s.store.DeleteAPITokens(ctx, u.ID); err != nil {
			return err
		}
	}
	return s.store.DeleteUserLoginSessions(ctx, u.ID, sessionID)
}

// RequirePasswordChange is an admin's forced reset: the user is signed out
// everywhere and, at their next login, must choose a new password before
// anything else. Not for oneself (change it instead).
func (s *Service) RequirePasswordChange(ctx context.Context, actor *model.User, userID int64) (*model.User, error) {
	if actor == nil || !actor.IsAdmin() {
		return nil, forbidden("Only administrators can require a new password.")
	}
	if actor.ID == userID {
		return nil, refusal("own_password", "Change your own password in My Profile instead.")
	}
	if err := s.store.RequirePasswordChange(ctx, userID); err != nil {
		return nil, err
	}
	return s.store.User(ctx, userID)
}

// SetPassword replaces a user's password without asking for the old one
// (admins resetting an operator, the CLI).
func (s *Service) SetPassword(ctx context.Context, userID int64, pw string) error {
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return err
	}
	hash, err := s.HashPassword(pw, u.Email, u.Name)
	if err != nil {
		return err
	}
	if err := s.store.SetPasswordHash(ctx, userID, hash); err != nil {
		return err
	}
	return s.store.DeleteUserLoginSessions(ctx, userID, "")
}

// TokenPrefix starts every API token so that leaked tokens are recognisable.
const TokenPrefix = "parley_"

// CreateAPIToken makes a token for userID; the plain value is returned once
// and only its hash is stored. A deactivated user gets none.
func (s *Service) CreateAPIToken(ctx context.Context, userID int64, name string) (string, *model.APIToken, error) {
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return "", nil, err
	}
	if !u.Active {
		return "", nil, refusal("user_deactivated", "%s is deactivated: reactivate them before creating a token.", u.Name)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "API token"
	}
	if utf8.RuneCountInString(name) > 80 {
		return "", nil, &FieldError{Field: "name", Message: "The token name must be at most 80 characters."}
	}
	plain := TokenPrefix + RandomToken()
	t := &model.APIToken{UserID: userID, Name: name, Hint: plain[len(plain)-4:], CreatedAt: s.now().UTC()}
	if err := s.store.CreateAPIToken(ctx, t, HashToken(plain)); err != nil {
		return "", nil, err
	}
	return plain, t, nil
}

// UserByAPIToken returns the owner of a bearer token.
func (s *Service) UserByAPIToken(ctx context.Context, plain string) (*model.User, error) {
	if !strings.HasPrefix(plain, TokenPrefix) {
		return nil, ErrNoSession
	}
	u, err := s.store.UserByAPIToken(ctx, HashToken(plain), s.now().UTC())
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Active) {
		return nil, ErrNoSession
	}
	return u, err
}

// NeedsSetup reports whether no admin exists yet.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	n, err := s.store.CountAdmins(ctx)
	return n == 0, err
}

// SetupToken returns the one-time token of the first-run setup page,
// creating it on first use. It lives in memory only, until used.
func (s *Service) SetupToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.setupToken == "" {
		s.setupToken = RandomToken()
	}
	return s.setupToken
}

// CheckSetupToken reports whether token is the live setup token.
func (s *Service) CheckSetupToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setupToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.setupToken)) == 1
}

// CompleteSetup creates the first admin with the setup token, which then
// stops working, and makes the admin the operator of unstaffed channels.
func (s *Service) CompleteSetup(ctx context.Context, token string, n NewUser) (*model.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.setupToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.setupToken)) != 1 {
		return nil, ErrBadSetupToken
	}
	// An admin may have been created meanwhile (the CLI, the environment,
	// another browser): the link exists only while there is none.
	if needs, err := s.NeedsSetup(ctx); err != nil {
		return nil, err
	} else if !needs {
		s.setupToken = ""
		return nil, ErrBadSetupToken
	}
	n.Role = model.RoleAdmin
	u, err := s.CreateFirstAdmin(ctx, n)
	if err != nil {
		return nil, err
	}
	s.setupToken = ""
	return u, nil
}

// CreateFirstAdmin creates an admin and staffs the channels nobody operates.
func (s *Service) CreateFirstAdmin(ctx context.Context, n NewUser) (*model.User, error) {
	n.Role = model.RoleAdmin
	u, err := s.CreateUser(ctx, n)
	if err != nil {
		return nil, err
	}
	if err := s.store.AddOperatorToUnstaffedChannels(ctx, u.ID); err != nil {
		return nil, err
	}
	return u, nil
}

package auth

import (
	"golang.org/x/crypto/bcrypt"
	"slices"

	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"parley/app/events"
	"parley/app/model"
	"parley/app/store"
)

// Rules about accounts: who may see and change which account, what a
// profile holds, and deactivation when someone leaves. Every method takes
// the acting user; the web layer only parses and renders.

func refusal(code, msg string, args ...any) error {
	return model.Refuse(model.Conflict, code, msg, args...)
}

func forbidden(msg string, args ...any) error {
	return model.Refuse(model.Forbidden, "forbidden", msg, args...)
}

const maxNameLen = 100

// normalizeProfile trims and validates the fields that describe a person.
func normalizeProfile(name, chatName, email string) (string, string, string, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return "", "", "", err
	}
	name, chatName = strings.TrimSpace(name), strings.TrimSpace(chatName)
	switch {
	case name == "":
		return "", "", "", &FieldError{Field: "name", Message: "The name is required."}
	case utf8.RuneCountInString(name) > maxNameLen:
		return "", "", "", &FieldError{Field: "name", Message: "The name must be at most %d characters.", Args: []any{maxNameLen}}
	case utf8.RuneCountInString(chatName) > maxNameLen:
		return "", "", "", &FieldError{Field: "chat_name", Message: "The online chat name must be at most %d characters.", Args: []any{maxNameLen}}
	}
	return name, chatName, email, nil
}

// canManage reports whether actor may manage userID's account: their own,
// or anyone's for an admin.
func canManage(actor *model.User, userID int64) bool {
	return actor != nil && (actor.ID == userID || actor.IsAdmin())
}

// User returns the user with id; store.ErrNotFound when there is none.
func (s *Service) User(ctx context.Context, id int64) (*model.User, error) {
	return s.store.User(ctx, id)
}

// UserStatus selects users by whether they are active.
type UserStatus string

// User statuses for ListUsers; the empty one lists everyone.
const (
	AllUsers         UserStatus = ""
	ActiveUsers      UserStatus = "active"
	DeactivatedUsers UserStatus = "deactivated"
)

// maxListedUsers bounds the users page; search narrows it down.
const maxListedUsers = 500

// ListUsers lists users by name whose name, email or online chat name
// contains search, with the given status.
func (s *Service) ListUsers(ctx context.Context, search string, status UserStatus) ([]*model.User, error) {
	f := store.UserFilter{Query: search, Limit: maxListedUsers}
	switch status {
	case AllUsers:
	case ActiveUsers, DeactivatedUsers:
		active := status == ActiveUsers
		f.Active = &active
	default:
		return nil, &FieldError{Field: "status", Message: "Unknown status %q: use active or deactivated.", Args: []any{string(status)}}
	}
	return s.store.FilterUsers(ctx, f)
}

// ProfileInput is an edit of an account. An empty Role keeps the current
// one; an empty Password keeps the current password; a nil Language keeps
// the current one ("" follows the browser). The web layer checks Language
// is one it has a catalogue for.
type ProfileInput struct {
	Name, ChatName, Email string
	Role                  model.Role
	Password              string
	Language              *string
}

// UpdateProfile saves an edit of userID's account by actor. Anyone edits
// their own name, online chat name and email; only admins edit other
// people, change roles or set a password without the current one. The last
// active administrator keeps the role, so nobody is locked out.
func (s *Service) UpdateProfile(ctx context.Context, actor *model.User, userID int64, in ProfileInput) (*model.User, error) {
	if !canManage(actor, userID) {
		return nil, forbidden("You can only edit your own profile.")
	}
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	next := *u
	if next.Name, next.ChatName, next.Email, err = normalizeProfile(in.Name, in.ChatName, in.Email); err != nil {
		return nil, err
	}
	if in.Language != nil {
		if *in.Language != "" && !slices.Contains(s.languages, *in.Language) {
			return nil, &FieldError{Field: "language", Message: "This language is not available."}
		}
		next.Language = *in.Language
	}
	if in.Role != "" {
		if !in.Role.Valid() {
			return nil, &FieldError{Field: "role", Message: "The role must be admin or operator."}
		}
		if in.Role != u.Role && !actor.IsAdmin() {
			return nil, forbidden("Only administrators can change roles.")
		}
		next.Role = in.Role
	}
	if in.Password != "" {
		if !actor.IsAdmin() {
			return nil, forbidden("Change your password with your current one.")
		}
		if err := ValidatePassword(in.Password, next.Email, next.Name); err != nil {
			return nil, err
		}
	}
	if u.IsAdmin() && u.Active && !next.IsAdmin() {
		if err := s.keepAnActiveAdmin(ctx); errors.Is(err, errLastActiveAdmin) {
			return nil, &FieldError{Field: "role", Message: "This is the last administrator; make someone else an administrator first."}
		} else if err != nil {
			return nil, err
		}
	}
	if err := s.store.UpdateUserProfile(ctx, &next); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &FieldError{Field: "email", Message: "A user with this email already exists."}
		}
		return nil, err
	}
	if in.Password != "" {
		if err := s.SetPassword(ctx, u.ID, in.Password); err != nil {
			return nil, err
		}
	}
	return s.store.User(ctx, userID)
}

// errLastActiveAdmin is what keepAnActiveAdmin refuses with.
var errLastActiveAdmin = errors.New("auth: the last active administrator")

// keepAnActiveAdmin fails when an active admin losing that status would
// leave none. Call it with adminMu held, before the write, having read the
// user under the same lock.
func (s *Service) keepAnActiveAdmin(ctx context.Context) error {
	n, err := s.store.CountActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return errLastActiveAdmin
	}
	return nil
}

// DeactivateUser is for people who leave: they can no longer log in, their
// login sessions end and their API tokens are deleted, and they take no
// new chats; their chats and messages stay. Only admins do it, never to
// themselves, and never to the last active admin. Deactivating a
// deactivated user changes nothing. The caller closes the user's sockets;
// UserDeactivated tells live chat to hand their open chats over.
func (s *Service) DeactivateUser(ctx context.Context, actor *model.User, userID int64) (*model.User, error) {
	if actor == nil || !actor.IsAdmin() {
		return nil, forbidden("Only administrators can deactivate users.")
	}
	if actor.ID == userID {
		return nil, refusal("cannot_deactivate_self", "You cannot deactivate your own account; ask another administrator.")
	}
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	u, err := s.store.User(ctx, userID)
	if err != nil || !u.Active {
		return u, err
	}
	if u.IsAdmin() {
		if err := s.keepAnActiveAdmin(ctx); errors.Is(err, errLastActiveAdmin) {
			return nil, refusal("last_admin", "%s is the last active administrator; make someone else an administrator first.", u.Name)
		} else if err != nil {
			return nil, err
		}
	}
	if err := s.store.DeactivateUser(ctx, userID, s.now().UTC()); err != nil {
		return nil, err
	}
	u, err = s.store.User(ctx, userID)
	if err == nil && s.events != nil {
		c := *u
		s.events.Emit(events.UserDeactivated{User: &c})
	}
	return u, err
}

// ReactivateUser lets a deactivated user log in again. Their old API
// tokens stay deleted; they create new ones. Only admins do it.
func (s *Service) ReactivateUser(ctx context.Context, actor *model.User, userID int64) (*model.User, error) {
	if actor == nil || !actor.IsAdmin() {
		return nil, forbidden("Only administrators can reactivate users.")
	}
	u, err := s.store.User(ctx, userID)
	if err != nil || u.Active {
		return u, err
	}
	if err := s.store.ReactivateUser(ctx, userID); err != nil {
		return nil, err
	}
	return s.store.User(ctx, userID)
}

// APITokens lists userID's tokens, newest first, for themselves or an admin.
func (s *Service) APITokens(ctx context.Context, actor *model.User, userID int64) ([]model.APIToken, error) {
	if !canManage(actor, userID) {
		return nil, forbidden("You can only see your own API tokens.")
	}
	return s.store.APITokens(ctx, userID)
}

// CreateAPITokenFor makes a token for userID on behalf of actor: for
// themselves, or for anyone by an admin.
func (s *Service) CreateAPITokenFor(ctx context.Context, actor *model.User, userID int64, name string) (string, *model.APIToken, error) {
	if !canManage(actor, userID) {
		return "", nil, forbidden("You can only create API tokens for yourself.")
	}
	return s.CreateAPIToken(ctx, userID, name)
}

// RevokeAPIToken deletes ownerID's token tokenID on behalf of actor: their
// own tokens, or anyone's for an admin. A token of someone else than
// ownerID is not found. The caller closes the owner's sockets.
func (s *Service) RevokeAPIToken(ctx context.Context, actor *model.User, ownerID, tokenID int64) error {
	if !canManage(actor, ownerID) {
		return forbidden("You can only revoke your own API tokens.")
	}
	return s.store.DeleteAPIToken(ctx, ownerID, tokenID)
}

// PasswordMatches reports whether pw is the password of the user with
// email, without logging in or counting a failure: for start-up to notice
// that PARLEY_ADMIN_PASSWORD no longer applies.
func (s *Service) PasswordMatches(ctx context.Context, email, pw string) (bool, error) {
	u, err := s.store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return false, err
	}
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) == nil, nil
}

// RememberBrowserLanguage records the language of the browser a user
// logged in with: what is pushed to them live follows it while their
// profile leaves the language to the browser.
func (s *Service) RememberBrowserLanguage(ctx context.Context, userID int64, lang string) error {
	if len(lang) > 16 {
		return nil
	}
	return s.store.SetBrowserLanguage(ctx, userID, lang)
}

package auth

import (
	"context"
	"errors"
	"time"

	"parley/app/model"
	"parley/app/store"
)

// Invitations: an admin creates a user without a password and Parley mails
// them a one-time link where they choose one. Only the link's hash is
// stored; the link works once and expires.

// InviteTTL is how long an invitation link works.
const InviteTTL = 7 * 24 * time.Hour

// noPassword is the hash of a user who has not chosen a password yet: no
// bcrypt hash looks like it, so no password matches it.
const noPassword = "!invited"

// InviteUser creates the user n describes (its Password is ignored) with an
// invitation; compose makes the outbox item mailing the link, given the new
// user and the link's token, and it is committed with them. Admins only.
func (s *Service) InviteUser(ctx context.Context, actor *model.User, n NewUser, compose func(u *model.User, token string) (*model.OutboxItem, error)) (*model.User, error) {
	if actor == nil || !actor.IsAdmin() {
		return nil, forbidden("Only admins can invite users.")
	}
	name, chatName, email, err := normalizeProfile(n.Name, n.ChatName, n.Email)
	if err != nil {
		return nil, err
	}
	if !n.Role.Valid() {
		return nil, &FieldError{Field: "role", Message: "The role must be admin or operator."}
	}
	token := RandomToken()
	// The invitee reads the mail in the inviting admin's language until
	// they choose theirs.
	u := &model.User{Email: email, Name: name, ChatName: chatName, Role: n.Role, PasswordHash: noPassword, Language: actor.Language}
	err = s.store.CreateUserWithInvite(ctx, u, HashToken(token), s.now().Add(InviteTTL), func(u *model.User) (*model.OutboxItem, error) {
		return compose(u, token)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, &FieldError{Field: "email", Message: "A user with this email already exists."}
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// InvitedUser returns the user an invitation link is for, refusing a link
// that is unknown, used or expired.
func (s *Service) InvitedUser(ctx context.Context, token string) (*model.User, error) {
	in, err := s.store.InviteByToken(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, model.Refuse(model.NotFound, "invite_unknown", "This invitation link is not valid. Ask an admin for a new one.")
	}
	if err != nil {
		return nil, err
	}
	if !in.UsedAt.IsZero() {
		return nil, model.Refuse(model.Conflict, "invite_used", "This invitation link was already used. Log in, or ask an admin for a new one.")
	}
	if !s.now().Before(in.ExpiresAt) {
		return nil, model.Refuse(model.Conflict, "invite_expired", "This invitation link has expired. Ask an admin for a new one.")
	}
	return s.store.User(ctx, in.UserID)
}

// AcceptInvite sets the invited user's password (by the password rules),
// spends the link and logs them in, returning the session cookie value.
func (s *Service) AcceptInvite(ctx context.Context, token, password, ip, userAgent string) (string, *model.User, error) {
	u, err := s.InvitedUser(ctx, token)
	if err != nil {
		return "", nil, err
	}
	if !u.Active {
		return "", nil, forbidden("This account is deactivated.")
	}
	hash, err := s.HashPassword(password, u.Email, u.Name)
	if err != nil {
		return "", nil, err
	}
	if _, err := s.store.UseInvite(ctx, HashToken(token), hash, s.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) { // spent by a concurrent request
			return "", nil, model.Refuse(model.Conflict, "invite_used", "This invitation link was already used. Log in, or ask an admin for a new one.")
		}
		return "", nil, err
	}
	cookie, err := s.StartSession(ctx, u.ID, ip, userAgent)
	if err != nil {
		return "", nil, err
	}
	return cookie, u, nil
}

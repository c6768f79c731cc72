package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"parley/app/model"
)

const userCols = `id, email, name, chat_name, role, password_hash, created_at, last_login_at, active, deactivated_at, must_change_password, language, browser_language`

// userColsU is userCols for a join where users is aliased u.
var userColsU = "u." + strings.ReplaceAll(userCols, ", ", ", u.")

// scanUser reads userCols, then any extra columns that follow them.
func scanUser(row interface{ Scan(...any) error }, extra ...any) (*model.User, error) {
	var u model.User
	var created int64
	var last, deactivated sql.NullInt64
	var role string
	var active, mustChange int
	dest := []any{&u.ID, &u.Email, &u.Name, &u.ChatName, &role, &u.PasswordHash, &created, &last, &active, &deactivated, &mustChange, &u.Language, &u.BrowserLanguage}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	u.Role = model.Role(role)
	u.CreatedAt = fromMS(created)
	u.LastLoginAt = nullMS(last)
	u.Active = active != 0
	u.DeactivatedAt = nullMS(deactivated)
	u.MustChangePassword = mustChange != 0
	return &u, nil
}

// CreateUser inserts u and sets its ID; ErrConflict when the email is taken.
func (s *Store) CreateUser(ctx context.Context, u *model.User) error {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC()
	}
	res, err := s.exec(ctx,
		`INSERT INTO users (email, name, chat_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		strings.TrimSpace(u.Email), u.Name, u.ChatName, string(u.Role), u.PasswordHash, ms(u.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("store: create user %s: %w", u.Email, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	u.ID, _ = res.LastInsertId()
	u.Active, u.DeactivatedAt = true, time.Time{}
	return nil
}

// User returns the user with id.
func (s *Store) User(ctx context.Context, id int64) (*model.User, error) {
	u, err := scanUser(s.queryRowCached(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: user %d: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the user with email, compared case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (*model.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, strings.TrimSpace(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: user %s: %w", email, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: user %s: %w", email, err)
	}
	return u, nil
}

// Users lists users by name; query filters on name or email when not empty.
func (s *Store) Users(ctx context.Context, query string, limit int) ([]*model.User, error) {
	return s.FilterUsers(ctx, UserFilter{Query: query, Limit: limit})
}

// UserFilter narrows a user list; the zero value lists everyone.
type UserFilter struct {
	Query  string // name, email or online chat name contains it
	Active *bool  // when set, only active (true) or deactivated (false) users
	Limit  int    // 200 when zero
}

// FilterUsers lists the users f selects, by name.
func (s *Store) FilterUsers(ctx context.Context, f UserFilter) ([]*model.User, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.TrimSpace(f.Query)) + "%"
	active := -1
	if f.Active != nil {
		active = b2i(*f.Active)
	}
	return collect(ctx, s.r, "users", scanUserRow,
		`SELECT `+userCols+` FROM users
		 WHERE (name LIKE ?1 ESCAPE '\' OR email LIKE ?1 ESCAPE '\' OR chat_name LIKE ?1 ESCAPE '\')
		   AND (?3 < 0 OR active = ?3)
		 ORDER BY name COLLATE NOCASE, id LIMIT ?2`, like, f.Limit, active)
}

// CountActiveAdmins returns how many admins can still log in.
func (s *Store) CountActiveAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND active = 1`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count active admins: %w", err)
	}
	return n, nil
}

// DeactivateUser marks a user inactive and, in the same transaction, ends
// their login sessions and deletes their API tokens; their chats stay.
func (s *Store) DeactivateUser(ctx context.Context, id int64, at time.Time) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET active = 0, deactivated_at = ? WHERE id = ?`, ms(at), id)
		if err != nil {
			return fmt.Errorf("store: deactivate user %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: deactivate user %d: %w", id, ErrNotFound)
		}
		for _, q := range []string{`DELETE FROM login_sessions WHERE user_id = ?`, `DELETE FROM api_tokens WHERE user_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("store: deactivate user %d: %w", id, err)
			}
		}
		return nil
	})
}

// ReactivateUser lets a deactivated user log in again.
func (s *Store) ReactivateUser(ctx context.Context, id int64) error {
	res, err := s.exec(ctx, `UPDATE users SET active = 1, deactivated_at = NULL WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: reactivate user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: reactivate user %d: %w", id, ErrNotFound)
	}
	return nil
}

// CountAdmins returns how many admins exist.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count admins: %w", err)
	}
	return n, nil
}

// UpdateUserProfile saves name, chat name, email, role and language.
func (s *Store) UpdateUserProfile(ctx context.Context, u *model.User) error {
	res, err := s.exec(ctx, `UPDATE users SET email = ?, name = ?, chat_name = ?, role = ?, language = ? WHERE id = ?`,
		strings.TrimSpace(u.Email), u.Name, u.ChatName, string(u.Role), u.Language, u.ID)
	if isUnique(err) {
		return fmt.Errorf("store: update user %d: %w", u.ID, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: update user %d: %w", u.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: update user %d: %w", u.ID, ErrNotFound)
	}
	return nil
}

// RequirePasswordChange makes a user choose a new password before anything
// else and signs them out everywhere, in one transaction.
func (s *Store) RequirePasswordChange(ctx context.Context, userID int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET must_change_password = 1 WHERE id = ?`, userID)
		if err != nil {
			return fmt.Errorf("store: require password change %d: %w", userID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: require password change %d: %w", userID, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_sessions WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("store: require password change %d: %w", userID, err)
		}
		return nil
	})
}

// SetBrowserLanguage records the language of the browser a user last
// logged in with.
func (s *Store) SetBrowserLanguage(ctx context.Context, userID int64, lang string) error {
	if _, err := s.exec(ctx, `UPDATE users SET browser_language = ? WHERE id = ? AND browser_language != ?`, lang, userID, lang); err != nil {
		return fmt.Errorf("store: browser language of %d: %w", userID, err)
	}
	return nil
}

// DeleteAPITokens deletes every API token of a user.
func (s *Store) DeleteAPITokens(ctx context.Context, userID int64) error {
	if _, err := s.exec(ctx, `DELETE FROM api_tokens WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("store: delete api tokens of %d: %w", userID, err)
	}
	return nil
}

// SetPasswordHash replaces a user's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, userID int64, hash string) error {
	res, err := s.exec(ctx, `UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?`, hash, userID)
	if err != nil {
		return fmt.Errorf("store: set password %d: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: set password %d: %w", userID, ErrNotFound)
	}
	return nil
}

// TouchLogin records a successful login.
func (s *Store) TouchLogin(ctx context.Context, userID int64, at time.Time) error {
	if _, err := s.exec(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, ms(at), userID); err != nil {
		return fmt.Errorf("store: touch login %d: %w", userID, err)
	}
	return nil
}

// FirstAdminID returns the oldest admin's id; ErrNotFound when none exists.
func (s *Store) FirstAdminID(ctx context.Context) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: first admin: %w", ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: first admin: %w", err)
	}
	return id, nil
}

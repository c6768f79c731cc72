package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Setting returns a stored setting; ErrNotFound when unset.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: setting %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores a setting, replacing any previous value.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("store: set setting %s: %w", key, err)
	}
	return nil
}

// SettingsWithPrefix returns every stored setting whose key starts with
// prefix.
func (s *Store) SettingsWithPrefix(ctx context.Context, prefix string) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, value FROM settings WHERE substr(key, 1, length(?)) = ?`, prefix, prefix)
	if err != nil {
		return nil, fmt.Errorf("store: settings %s*: %w", prefix, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("store: settings %s*: %w", prefix, err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: settings %s*: %w", prefix, err)
	}
	return out, nil
}

// SaveSettings stores set and deletes del in one transaction, so a form's
// settings change together or not at all.
func (s *Store) SaveSettings(ctx context.Context, set map[string]string, del []string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return saveSettings(ctx, tx, set, del) })
}

// SaveSettingsRenamingChannels is SaveSettings that also renames, in the
// same transaction, the channels named exactly from (letter case included)
// to to, and returns their ids. ErrConflict: another channel is named to
// already, and nothing changed.
func (s *Store) SaveSettingsRenamingChannels(ctx context.Context, set map[string]string, del []string, from, to string) ([]int64, error) {
	var ids []int64
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if err := saveSettings(ctx, tx, set, del); err != nil {
			return err
		}
		// The name column compares without case: BINARY makes "exactly".
		rows, err := tx.QueryContext(ctx, `UPDATE channels SET name = ?, updated_at = ? WHERE name = ? COLLATE BINARY RETURNING id`,
			to, ms(time.Now().UTC()), from)
		if err != nil {
			if isUnique(err) {
				return fmt.Errorf("store: rename channels %q to %q: %w", from, to, ErrConflict)
			}
			return fmt.Errorf("store: rename channels %q to %q: %w", from, to, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return fmt.Errorf("store: rename channels %q: %w", from, err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			if isUnique(err) {
				return fmt.Errorf("store: rename channels %q to %q: %w", from, to, ErrConflict)
			}
			return fmt.Errorf("store: rename channels %q to %q: %w", from, to, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func saveSettings(ctx context.Context, tx *sql.Tx, set map[string]string, del []string) error {
	for k, v := range set {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return fmt.Errorf("store: set setting %s: %w", k, err)
		}
	}
	for _, k := range del {
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, k); err != nil {
			return fmt.Errorf("store: delete setting %s: %w", k, err)
		}
	}
	return nil
}

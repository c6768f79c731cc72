package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"parley/app/model"
)

const channelCols = `id, name, button_text, default_message, input_placeholder, header_background_color,
	title_color, button_background_color, button_text_color, published, website_description,
	allowed_domains, identity_secret, identity_enforce, default_language, texts, notify_email, created_at, updated_at, image_hash, prechat, prefer_language`

func scanChannel(row interface{ Scan(...any) error }, extra ...any) (*model.Channel, error) {
	var c model.Channel
	var pub, enforce, prefer int
	var domains, texts, prechat string
	var created, updated int64
	o := &c.Options
	dest := []any{&c.ID, &c.Name, &o.ButtonText, &o.DefaultMessage, &o.InputPlaceholder, &o.HeaderBackgroundColor,
		&o.TitleColor, &o.ButtonBackgroundColor, &o.ButtonTextColor, &pub, &c.WebsiteDescription,
		&domains, &c.IdentitySecret, &enforce, &c.DefaultLanguage, &texts, &c.NotifyEmail, &created, &updated, &c.ImageHash, &prechat, &prefer}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	if texts != "" && texts != "{}" {
		if err := json.Unmarshal([]byte(texts), &c.Texts); err != nil {
			return nil, fmt.Errorf("store: channel %d texts: %w", c.ID, err)
		}
	}
	if prechat != "" && prechat != "{}" {
		if err := json.Unmarshal([]byte(prechat), &c.Prechat); err != nil {
			return nil, fmt.Errorf("store: channel %d pre-chat form: %w", c.ID, err)
		}
	}
	c.Published, c.IdentityEnforce, c.PreferLanguage = pub != 0, enforce != 0, prefer != 0
	c.AllowedDomains = splitLines(domains)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return &c, nil
}

// CreateChannel inserts c with the given operators; ErrConflict on a taken name.
func (s *Store) CreateChannel(ctx context.Context, c *model.Channel, operatorIDs ...int64) error {
	now := time.Now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	return s.Tx(ctx, func(tx *sql.Tx) error {
		o := c.Options
		res, err := tx.ExecContext(ctx,
			`INSERT INTO channels (name, button_text, default_message, input_placeholder, header_background_color,
			  title_color, button_background_color, button_text_color, published, website_description,
			  allowed_domains, identity_enforce, default_language, texts, notify_email, prechat, prefer_language, created_at, updated_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			strings.TrimSpace(c.Name), o.ButtonText, o.DefaultMessage, o.InputPlaceholder, o.HeaderBackgroundColor,
			o.TitleColor, o.ButtonBackgroundColor, o.ButtonTextColor, b2i(c.Published), c.WebsiteDescription,
			strings.Join(c.AllowedDomains, "\n"), b2i(c.IdentityEnforce), c.DefaultLanguage, textsJSON(c.Texts), c.NotifyEmail, prechatJSON(c.Prechat), b2i(c.PreferLanguage), ms(now), ms(now))
		if isUnique(err) {
			return fmt.Errorf("store: create channel %q: %w", c.Name, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create channel: %w", err)
		}
		c.ID, _ = res.LastInsertId()
		for _, uid := range operatorIDs {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO channel_operators (channel_id, user_id, added_at) VALUES (?, ?, ?)`, c.ID, uid, ms(now)); err != nil {
				return fmt.Errorf("store: create channel operator: %w", err)
			}
		}
		return nil
	})
}

// UpdateChannel saves a channel's name, options, publication, allowed
// domains and identity enforcement; the identity secret has its own call,
// so a form opened before a regeneration cannot bring the old one back.
func (s *Store) UpdateChannel(ctx context.Context, c *model.Channel) error {
	c.UpdatedAt = time.Now().UTC()
	o := c.Options
	res, err := s.w.ExecContext(ctx,
		`UPDATE channels SET name = ?, button_text = ?, default_message = ?, input_placeholder = ?, header_background_color = ?,
		  title_color = ?, button_background_color = ?, button_text_color = ?, published = ?, website_description = ?,
		  allowed_domains = ?, identity_enforce = ?, default_language = ?, texts = ?, notify_email = ?, prechat = ?, prefer_language = ?, updated_at = ?
		 WHERE id = ?`,
		strings.TrimSpace(c.Name), o.ButtonText, o.DefaultMessage, o.InputPlaceholder, o.HeaderBackgroundColor,
		o.TitleColor, o.ButtonBackgroundColor, o.ButtonTextColor, b2i(c.Published), c.WebsiteDescription,
		strings.Join(c.AllowedDomains, "\n"), b2i(c.IdentityEnforce), c.DefaultLanguage, textsJSON(c.Texts), c.NotifyEmail, prechatJSON(c.Prechat), b2i(c.PreferLanguage), ms(c.UpdatedAt), c.ID)
	if isUnique(err) {
		return fmt.Errorf("store: update channel %q: %w", c.Name, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: update channel %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: update channel %d: %w", c.ID, ErrNotFound)
	}
	return nil
}

// SetChannelIdentitySecret replaces a channel's identity secret.
func (s *Store) SetChannelIdentitySecret(ctx context.Context, channelID int64, secret string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE channels SET identity_secret = ?, updated_at = ? WHERE id = ?`,
		secret, ms(time.Now()), channelID)
	if err != nil {
		return fmt.Errorf("store: channel %d identity secret: %w", channelID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: channel %d identity secret: %w", channelID, ErrNotFound)
	}
	return nil
}

// textsJSON is the texts column: a JSON object by language tag.
func textsJSON(t map[string]model.ChannelTexts) string {
	if len(t) == 0 {
		return "{}"
	}
	b, err := json.Marshal(t)
	if err != nil { // a map of strings always marshals
		return "{}"
	}
	return string(b)
}

// splitLines reads a newline-separated list column; "" is an empty list.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// DeleteChannel removes a channel with its rules and operator links.
func (s *Store) DeleteChannel(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM channels WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: delete channel %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: delete channel %d: %w", id, ErrNotFound)
	}
	return nil
}

// Channel returns one channel.
func (s *Store) Channel(ctx context.Context, id int64) (*model.Channel, error) {
	c, err := scanChannel(s.r.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: channel %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: channel %d: %w", id, err)
	}
	return c, nil
}

// Channels lists every channel by name.
func (s *Store) Channels(ctx context.Context) ([]*model.Channel, error) {
	return collect(ctx, s.r, "channels", scanChannelRow, `SELECT `+channelCols+` FROM channels ORDER BY name COLLATE NOCASE, id`)
}

// CountChannels returns how many channels exist.
func (s *Store) CountChannels(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM channels`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count channels: %w", err)
	}
	return n, nil
}

// ChannelOperatorIDs returns the user ids of a channel's operators.
func (s *Store) ChannelOperatorIDs(ctx context.Context, channelID int64) ([]int64, error) {
	return collect(ctx, s.r, "channel operators", func(r *sql.Rows) (id int64, err error) { return id, r.Scan(&id) },
		`SELECT user_id FROM channel_operators WHERE channel_id = ? ORDER BY added_at, user_id`, channelID)
}

// ActiveChannelOperatorIDs returns the ids of a channel's operators who are
// not deactivated: the ones who may take new chats.
func (s *Store) ActiveChannelOperatorIDs(ctx context.Context, channelID int64) ([]int64, error) {
	return collect(ctx, s.r, "channel operators", func(r *sql.Rows) (id int64, err error) { return id, r.Scan(&id) },
		`SELECT co.user_id FROM channel_operators co JOIN users u ON u.id = co.user_id
		 WHERE co.channel_id = ? AND u.active = 1 ORDER BY co.added_at, co.user_id`, channelID)
}

// ChannelOperators returns a channel's operators by name.
func (s *Store) ChannelOperators(ctx context.Context, channelID int64) ([]*model.User, error) {
	return collect(ctx, s.r, "channel operators", scanUserRow,
		`SELECT `+userColsU+`
		 FROM channel_operators co JOIN users u ON u.id = co.user_id
		 WHERE co.channel_id = ? ORDER BY u.name COLLATE NOCASE, u.id`, channelID)
}

// AddChannelOperators joins users to a channel; already-joined users are kept.
func (s *Store) AddChannelOperators(ctx context.Context, channelID int64, userIDs ...int64) error {
	now := ms(time.Now())
	return s.Tx(ctx, func(tx *sql.Tx) error {
		for _, uid := range userIDs {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO channel_operators (channel_id, user_id, added_at) VALUES (?, ?, ?)`, channelID, uid, now); err != nil {
				return fmt.Errorf("store: add channel operator: %w", err)
			}
		}
		return nil
	})
}

// RemoveChannelOperator removes a user from a channel's operators, unless
// they are its last one: one statement, so two operators leaving at once
// cannot both pass a check and leave the channel empty. It reports whether
// a row was removed.
func (s *Store) RemoveChannelOperator(ctx context.Context, channelID, userID int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM channel_operators WHERE channel_id = ?1 AND user_id = ?2
		AND (SELECT count(*) FROM channel_operators WHERE channel_id = ?1) > 1`, channelID, userID)
	if err != nil {
		return false, fmt.Errorf("store: remove channel operator: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// AddOperatorToUnstaffedChannels makes userID the operator of every channel
// that has none, so the first admin staffs the default channel.
func (s *Store) AddOperatorToUnstaffedChannels(ctx context.Context, userID int64) error {
	_, err := s.w.ExecContext(ctx,
		`INSERT INTO channel_operators (channel_id, user_id, added_at)
		 SELECT c.id, ?, ? FROM channels c
		 WHERE NOT EXISTS (SELECT 1 FROM channel_operators co WHERE co.channel_id = c.id)`, userID, ms(time.Now()))
	if err != nil {
		return fmt.Errorf("store: staff channels: %w", err)
	}
	return nil
}

// ChannelSummaries lists channels with their operator and session counts and
// whether viewerID operates each, for the channels dashboard.
func (s *Store) ChannelSummaries(ctx context.Context, viewerID int64) ([]model.ChannelSummary, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+channelCols+`,
		  (SELECT count(*) FROM channel_operators co WHERE co.channel_id = channels.id),
		  (SELECT count(*) FROM chat_sessions cs WHERE cs.channel_id = channels.id),
		  EXISTS (SELECT 1 FROM channel_operators co WHERE co.channel_id = channels.id AND co.user_id = ?)
		 FROM channels ORDER BY name COLLATE NOCASE, id`, viewerID)
	if err != nil {
		return nil, fmt.Errorf("store: channel summaries: %w", err)
	}
	defer rows.Close()
	var out []model.ChannelSummary
	for rows.Next() {
		var sum model.ChannelSummary
		var member int
		c, err := scanChannel(rows, &sum.OperatorCount, &sum.SessionCount, &member)
		if err != nil {
			return nil, fmt.Errorf("store: channel summaries: %w", err)
		}
		sum.Channel, sum.IsMember = *c, member != 0
		out = append(out, sum)
	}
	return out, rows.Err()
}

// prechatJSON is the stored form of a pre-chat form; a struct of strings
// and a bool always marshals.
func prechatJSON(p model.PrechatForm) string {
	b, _ := json.Marshal(p)
	return string(b)
}

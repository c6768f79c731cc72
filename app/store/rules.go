package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"parley/app/model"
)

// Rules returns a channel's rules in matching order, with their countries.
func (s *Store) Rules(ctx context.Context, channelID int64) ([]model.Rule, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT r.id, r.channel_id, r.sequence, r.action, r.regex_url, r.auto_popup_timer,
		        COALESCE(r.chatbot_id, 0), r.chatbot_only_if_no_operator,
		        COALESCE((SELECT group_concat(country, ',') FROM (SELECT country FROM channel_rule_countries WHERE rule_id = r.id ORDER BY country)), '')
		 FROM channel_rules r WHERE r.channel_id = ? ORDER BY r.sequence, r.id`, channelID)
	if err != nil {
		return nil, fmt.Errorf("store: rules of channel %d: %w", channelID, err)
	}
	defer rows.Close()
	var out []model.Rule
	for rows.Next() {
		var r model.Rule
		var action, countries string
		var onlyIf int
		if err := rows.Scan(&r.ID, &r.ChannelID, &r.Sequence, &action, &r.RegexURL, &r.AutoPopupTimer, &r.ChatbotID, &onlyIf, &countries); err != nil {
			return nil, fmt.Errorf("store: rules of channel %d: %w", channelID, err)
		}
		r.Action = model.RuleAction(action)
		r.ChatbotOnlyIfNoOperator = onlyIf != 0
		if countries != "" {
			r.Countries = strings.Split(countries, ",")
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReplaceRules swaps a channel's whole rule list in one transaction, so a
// reordered or edited list is never half saved. Rules keep their IDs when
// they carry one of this channel's; sequences follow the slice order.
func (s *Store) ReplaceRules(ctx context.Context, channelID int64, rules []model.Rule) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM channels WHERE id = ?`, channelID).Scan(&exists); err != nil {
			return fmt.Errorf("store: replace rules: %w", err)
		}
		if exists == 0 {
			return fmt.Errorf("store: replace rules of channel %d: %w", channelID, ErrNotFound)
		}
		keep := map[int64]bool{}
		for i := range rules {
			r := &rules[i]
			r.ChannelID = channelID
			var chatbot any
			if r.ChatbotID != 0 {
				chatbot = r.ChatbotID
			}
			if r.ID != 0 {
				res, err := tx.ExecContext(ctx,
					`UPDATE channel_rules SET sequence = ?, action = ?, regex_url = ?, auto_popup_timer = ?, chatbot_id = ?, chatbot_only_if_no_operator = ?
					 WHERE id = ? AND channel_id = ?`,
					r.Sequence, string(r.Action), r.RegexURL, r.AutoPopupTimer, chatbot, b2i(r.ChatbotOnlyIfNoOperator), r.ID, channelID)
				if err != nil {
					return fmt.Errorf("store: update rule %d: %w", r.ID, err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					r.ID = 0 // not this channel's: insert as new
				}
			}
			if r.ID == 0 {
				res, err := tx.ExecContext(ctx,
					`INSERT INTO channel_rules (channel_id, sequence, action, regex_url, auto_popup_timer, chatbot_id, chatbot_only_if_no_operator)
					 VALUES (?, ?, ?, ?, ?, ?, ?)`,
					channelID, r.Sequence, string(r.Action), r.RegexURL, r.AutoPopupTimer, chatbot, b2i(r.ChatbotOnlyIfNoOperator))
				if err != nil {
					return fmt.Errorf("store: insert rule: %w", err)
				}
				r.ID, _ = res.LastInsertId()
			}
			keep[r.ID] = true
			if _, err := tx.ExecContext(ctx, `DELETE FROM channel_rule_countries WHERE rule_id = ?`, r.ID); err != nil {
				return fmt.Errorf("store: rule countries: %w", err)
			}
			for _, c := range r.Countries {
				if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO channel_rule_countries (rule_id, country) VALUES (?, ?)`, r.ID, c); err != nil {
					return fmt.Errorf("store: rule countries: %w", err)
				}
			}
		}
		ids, err := tx.QueryContext(ctx, `SELECT id FROM channel_rules WHERE channel_id = ?`, channelID)
		if err != nil {
			return fmt.Errorf("store: replace rules: %w", err)
		}
		var drop []int64
		for ids.Next() {
			var id int64
			if err := ids.Scan(&id); err != nil {
				ids.Close()
				return fmt.Errorf("store: replace rules: %w", err)
			}
			if !keep[id] {
				drop = append(drop, id)
			}
		}
		ids.Close()
		for _, id := range drop {
			if _, err := tx.ExecContext(ctx, `DELETE FROM channel_rules WHERE id = ?`, id); err != nil {
				return fmt.Errorf("store: delete rule %d: %w", id, err)
			}
		}
		return nil
	})
}

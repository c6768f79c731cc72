package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"parley/app/model"
)

// Webhooks of sales and helpdesk teams. kind names the team table: "sales"
// or "helpdesk".

var teamTables = map[string]string{"sales": "sales_teams", "helpdesk": "helpdesk_teams"}

func teamTable(kind string) (string, error) {
	t, ok := teamTables[kind]
	if !ok {
		return "", fmt.Errorf("store: unknown team kind %q", kind)
	}
	return t, nil
}

// TeamWebhook returns a team's webhook URL and secret, empty when none.
func (s *Store) TeamWebhook(ctx context.Context, kind string, teamID int64) (url, secret string, err error) {
	t, err := teamTable(kind)
	if err != nil {
		return "", "", err
	}
	err = s.r.QueryRowContext(ctx, `SELECT webhook_url, webhook_secret FROM `+t+` WHERE id = ?`, teamID).Scan(&url, &secret)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("store: %s team %d webhook: %w", kind, teamID, err)
	}
	return url, secret, nil
}

// TeamWebhookURLTx is TeamWebhook's URL read inside a write transaction,
// for a lead or ticket whose creation enqueues the call.
func TeamWebhookURLTx(ctx context.Context, tx *sql.Tx, kind string, teamID int64) (string, error) {
	t, err := teamTable(kind)
	if err != nil {
		return "", err
	}
	var url string
	err = tx.QueryRowContext(ctx, `SELECT webhook_url FROM `+t+` WHERE id = ?`, teamID).Scan(&url)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: %s team %d webhook: %w", kind, teamID, err)
	}
	return url, nil
}

// SetTeamWebhook sets a team's webhook URL (” removes it) and, when
// secret is not ”, its secret.
func (s *Store) SetTeamWebhook(ctx context.Context, kind string, teamID int64, url, secret string) error {
	t, err := teamTable(kind)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE `+t+` SET webhook_url = ?, webhook_secret = CASE WHEN ? = '' THEN webhook_secret ELSE ? END WHERE id = ?`,
			url, secret, secret, teamID)
		if err != nil {
			return fmt.Errorf("store: set %s team %d webhook: %w", kind, teamID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// WebhookDeliveries lists the latest webhook calls about ref ("sales_team:3").
func (s *Store) WebhookDeliveries(ctx context.Context, ref string, limit int) ([]model.OutboxItem, error) {
	return collect(ctx, s.r, "webhook deliveries", func(r *sql.Rows) (model.OutboxItem, error) { return scanOutbox(r) },
		`SELECT `+outboxCols+` FROM outbox WHERE kind = 'webhook' AND ref = ? ORDER BY id DESC LIMIT ?`, ref, limit)
}

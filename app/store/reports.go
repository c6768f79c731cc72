package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"parley/app/model"
)

// reportBase is one row per session that has an operator and at least one
// chat message (Odoo's report.channel view): when it started, how long it
// lasted, how long until the operator first answered.
const reportBase = `WITH base AS (
	SELECT cs.id, cs.created_at,
	       COALESCE(cs.channel_id, 0) AS channel_id, COALESCE(c.name, '') AS channel_name,
	       cs.operator_id, COALESCE(u.name, cs.operator_name) AS operator_name,
	       min(m.created_at) AS first_at, max(m.created_at) AS last_at,
	       min(CASE WHEN m.author_kind = 'operator' THEN m.created_at END) AS first_reply_at,
	       count(*) AS messages
	FROM chat_sessions cs
	JOIN messages m ON m.session_id = cs.id AND m.author_kind <> 'system' AND m.internal = 0 -- notes are not part of the chat
	LEFT JOIN channels c ON c.id = cs.channel_id
	LEFT JOIN users u ON u.id = cs.operator_id
	WHERE cs.operator_id IS NOT NULL AND cs.created_at >= ?1 AND cs.created_at < ?2 AND (?3 = 0 OR cs.channel_id = ?3)
	GROUP BY cs.id
)`

const reportMeasures = `count(*), COALESCE(sum(first_reply_at IS NULL), 0),
	COALESCE(avg(last_at - first_at), 0),
	COALESCE(avg(first_reply_at - first_at), 0),
	COALESCE(avg(messages), 0)`

func scanFigures(dest []any, f *model.SessionFigures) []any {
	return append(dest, &f.Sessions, &f.Unanswered, new(float64), new(float64), &f.AvgMessages)
}

func setDurations(vals []any, f *model.SessionFigures) {
	n := len(vals)
	f.AvgDuration = time.Duration(*vals[n-3].(*float64) * float64(time.Millisecond))
	f.AvgTimeToReply = time.Duration(*vals[n-2].(*float64) * float64(time.Millisecond))
}

// SessionReport computes the report for f, in four aggregate queries.
func (s *Store) SessionReport(ctx context.Context, f model.ReportFilter) (*model.Report, error) {
	args := []any{ms(f.Since), ms(f.Until), f.ChannelID}
	r := &model.Report{}
	vals := scanFigures(nil, &r.Total)
	if err := s.r.QueryRowContext(ctx, reportBase+` SELECT `+reportMeasures+` FROM base`, args...).Scan(vals...); err != nil {
		return nil, fmt.Errorf("store: session report: %w", err)
	}
	setDurations(vals, &r.Total)
	var err error
	if r.ByChannel, err = s.reportRows(ctx, `channel_id, channel_name`, `GROUP BY channel_id ORDER BY count(*) DESC, channel_name`, args); err != nil {
		return nil, err
	}
	if r.ByOperator, err = s.reportRows(ctx, `operator_id, operator_name`, `GROUP BY operator_id ORDER BY count(*) DESC, operator_name`, args); err != nil {
		return nil, err
	}
	if r.ByDay, err = s.reportRows(ctx, `0, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')`, `GROUP BY 2 ORDER BY 2`, args); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Store) reportRows(ctx context.Context, key, group string, args []any) ([]model.ReportRow, error) {
	rows, err := s.r.QueryContext(ctx, reportBase+` SELECT `+key+`, `+reportMeasures+` FROM base `+group, args...)
	if err != nil {
		return nil, fmt.Errorf("store: session report: %w", err)
	}
	defer rows.Close()
	var out []model.ReportRow
	for rows.Next() {
		var row model.ReportRow
		var name sql.NullString
		vals := scanFigures([]any{&row.ID, &name}, &row.Figures)
		if err := rows.Scan(vals...); err != nil {
			return nil, fmt.Errorf("store: session report: %w", err)
		}
		setDurations(vals, &row.Figures)
		row.Key = name.String
		out = append(out, row)
	}
	return out, rows.Err()
}

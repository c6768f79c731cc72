package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/app/model"
)

// Reports read the chat figures kept on each session (migration 00026)
// through the chat_sessions_report index alone: answered sessions, that is
// with an operator and at least one chat message (Odoo's report.channel
// view). Groups are formed on cheap keys first; names and dates are put on
// the groups afterwards, not on every session.
const reportFrom = ` FROM chat_sessions cs INDEXED BY chat_sessions_report
	WHERE cs.chat_messages > 0 AND cs.operator_id IS NOT NULL AND cs.created_at >= ?1 AND cs.created_at < ?2
	AND (?3 = 0 OR cs.channel_id = ?3) AND (?4 = 0 OR cs.operator_id = ?4) AND (?5 = '' OR cs.country = ?5) AND (?6 = '' OR cs.visitor_language = ?6)`

const reportMeasures = `count(*) AS n, COALESCE(sum(cs.first_reply_at IS NULL), 0) AS unanswered,
	COALESCE(avg(cs.chat_last_at - cs.chat_first_at), 0) AS duration,
	COALESCE(avg(cs.first_reply_at - cs.chat_first_at), 0) AS reply,
	COALESCE(avg(cs.chat_messages), 0) AS messages, count(cs.rating) AS rated, COALESCE(avg(cs.rating), 0) AS rating,
	count(cs.queued_at) AS queued, COALESCE(avg(cs.assigned_at - cs.queued_at), 0) AS wait`

// ReportDimension is what sessions can be grouped by: the key over a
// session (cs), its id and label over the group's key (k<i>), and the join
// that label needs.
type ReportDimension struct{ Key, ID, Label, Join string }

// ReportDimensions are the groupings the reports offer. Times are UTC;
// days count from the epoch, weeks start on Monday (the epoch was a
// Thursday) and read as that Monday's date.
var ReportDimensions = map[string]ReportDimension{
	"channel":  {Key: "COALESCE(cs.channel_id, 0)", ID: "%k", Label: "COALESCE(c%i.name, '')", Join: "LEFT JOIN channels c%i ON c%i.id = %k"},
	"operator": {Key: "cs.operator_id", ID: "%k", Label: "COALESCE(u%i.name, '')", Join: "LEFT JOIN users u%i ON u%i.id = %k"},
	"country":  {Key: "cs.country", ID: "%k", Label: "%k"},
	"language": {Key: "cs.visitor_language", ID: "%k", Label: "%k"},
	"day":      {Key: "cs.created_at / 86400000", ID: "date(%k * 86400, 'unixepoch')", Label: "date(%k * 86400, 'unixepoch')"},
	"week":     {Key: "(cs.created_at / 86400000 + 3) / 7", ID: "date((%k * 7 - 3) * 86400, 'unixepoch')", Label: "date((%k * 7 - 3) * 86400, 'unixepoch')"},
	"month":    {Key: "strftime('%Y-%m', cs.created_at / 1000, 'unixepoch')", ID: "%k", Label: "%k"},
	"hour":     {Key: "cs.created_at / 3600000 % 24", ID: "printf('%02d', %k)", Label: "printf('%02d', %k)"},
}

func reportArgs(f model.ReportFilter) []any {
	return []any{ms(f.Since), ms(f.Until), f.ChannelID, f.OperatorID, f.Country, f.Language}
}

// GroupSessions computes the Session Statistics measures of the answered
// sessions matching f, grouped by dims (names in ReportDimensions), in one
// aggregate query; without dims, one cell for them all.
func (s *Store) GroupSessions(ctx context.Context, f model.ReportFilter, dims ...string) ([]model.ReportCell, error) {
	var keys, group, sel, joins []string
	for i, d := range dims {
		dim, ok := ReportDimensions[d]
		if !ok {
			return nil, fmt.Errorf("store: group sessions: unknown dimension %q", d)
		}
		k := fmt.Sprintf("g.k%d", i)
		sub := strings.NewReplacer("%k", k, "%i", strconv.Itoa(i))
		keys = append(keys, dim.Key+fmt.Sprintf(" AS k%d", i))
		group = append(group, fmt.Sprintf("k%d", i))
		sel = append(sel, "CAST("+sub.Replace(dim.ID)+" AS TEXT)", "CAST("+sub.Replace(dim.Label)+" AS TEXT)")
		if dim.Join != "" {
			joins = append(joins, sub.Replace(dim.Join))
		}
	}
	inner := `SELECT ` + strings.Join(append(keys, reportMeasures), ", ") + reportFrom
	if len(group) > 0 {
		inner += ` GROUP BY ` + strings.Join(group, ", ")
	}
	q := `SELECT ` + strings.Join(append(sel, "g.n, g.unanswered, g.duration, g.reply, g.messages, g.rated, g.rating, g.queued, g.wait"), ", ") +
		` FROM (` + inner + `) g ` + strings.Join(joins, " ")
	rows, err := s.r.QueryContext(ctx, q, reportArgs(f)...)
	if err != nil {
		return nil, fmt.Errorf("store: group sessions: %w", err)
	}
	defer rows.Close()
	var out []model.ReportCell
	for rows.Next() {
		c := model.ReportCell{Keys: make([]string, len(dims)), Labels: make([]string, len(dims))}
		dest := make([]any, 0, 2*len(dims)+9)
		for i := range dims {
			dest = append(dest, &c.Keys[i], &c.Labels[i])
		}
		var dur, reply, wait float64
		fg := &c.Figures
		dest = append(dest, &fg.Sessions, &fg.Unanswered, &dur, &reply, &fg.AvgMessages, &fg.Rated, &fg.AvgRating, &fg.Queued, &wait)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store: group sessions: %w", err)
		}
		fg.AvgDuration = time.Duration(dur * float64(time.Millisecond))
		fg.AvgTimeToReply = time.Duration(reply * float64(time.Millisecond))
		fg.AvgWait = time.Duration(wait * float64(time.Millisecond))
		if len(dims) == 0 && fg.Sessions == 0 {
			continue // an aggregate over nothing
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SessionReport computes the report for f: totals, by channel, by
// operator, by day.
func (s *Store) SessionReport(ctx context.Context, f model.ReportFilter) (*model.Report, error) {
	r := &model.Report{}
	total, err := s.GroupSessions(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(total) == 1 {
		r.Total = total[0].Figures
	}
	rowsOf := func(dim string) ([]model.ReportRow, error) {
		cells, err := s.GroupSessions(ctx, f, dim)
		if err != nil {
			return nil, err
		}
		out := make([]model.ReportRow, 0, len(cells))
		for _, c := range cells {
			row := model.ReportRow{Key: c.Labels[0], Figures: c.Figures}
			if dim != "day" {
				row.ID, _ = strconv.ParseInt(c.Keys[0], 10, 64)
			}
			out = append(out, row)
		}
		return out, nil
	}
	if r.ByChannel, err = rowsOf("channel"); err != nil {
		return nil, err
	}
	if r.ByOperator, err = rowsOf("operator"); err != nil {
		return nil, err
	}
	if r.ByDay, err = rowsOf("day"); err != nil {
		return nil, err
	}
	sortRows(r.ByChannel)
	sortRows(r.ByOperator)
	return r, nil
}

// sortRows puts the busiest first, then by name.
func sortRows(rows []model.ReportRow) {
	slices.SortStableFunc(rows, func(a, b model.ReportRow) int {
		if a.Figures.Sessions != b.Figures.Sessions {
			return b.Figures.Sessions - a.Figures.Sessions
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// Unanswered counts the sessions created in [since, until) with a chat
// message and no operator reply, with or without an operator: the
// digest's missed conversations.
func (s *Store) Unanswered(ctx context.Context, since, until time.Time) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM chat_sessions INDEXED BY chat_sessions_unanswered
		WHERE chat_messages > 0 AND first_reply_at IS NULL AND created_at >= ? AND created_at < ?`, ms(since), ms(until)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: unanswered sessions: %w", err)
	}
	return n, nil
}

package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/app/model"
)

// Reports read the chat figures kept on each session (migration 00026)
// through the chat_sessions_report_day index alone (migration 00029):
// answered sessions, that is with an operator and at least one chat message
// (Odoo's report.channel view). SQLite sums the sessions into groups of
// day, channel and operator (then country and language) in the index's own
// order, so it never sorts the period's sessions; weeks, months, totals and
// names are put together from those few groups afterwards. Only a grouping
// by hour of the day, which that order cannot give, makes SQLite sort.
const reportFrom = ` FROM chat_sessions cs INDEXED BY chat_sessions_report_day
	WHERE cs.chat_messages > 0 AND cs.operator_id IS NOT NULL
	AND cs.created_at / 86400000 >= ?1 / 86400000 AND cs.created_at / 86400000 <= ?2 / 86400000
	AND cs.created_at >= ?1 AND cs.created_at < ?2
	AND (?3 = 0 OR cs.channel_id = ?3) AND (?4 = 0 OR cs.operator_id = ?4) AND (?5 = '' OR cs.country = ?5) AND (?6 = '' OR cs.visitor_language = ?6)`

// reportSums are added up over groups; the figures are worked out from
// them at the end. A session without a reply has no time to reply, so the
// replied sessions are the others.
const reportSums = `count(*), count(cs.first_reply_at), total(cs.chat_last_at - cs.chat_first_at),
	total(cs.first_reply_at - cs.chat_first_at), total(cs.chat_messages), count(cs.rating), total(cs.rating),
	count(cs.queued_at), total(cs.assigned_at - cs.queued_at)`

type reportSum struct {
	n, replied, rated, queued      int
	dur, reply, msgs, rating, wait float64
}

func (a *reportSum) add(b reportSum) {
	a.n, a.replied, a.rated = a.n+b.n, a.replied+b.replied, a.rated+b.rated
	a.dur, a.reply, a.msgs, a.rating = a.dur+b.dur, a.reply+b.reply, a.msgs+b.msgs, a.rating+b.rating
	a.queued, a.wait = a.queued+b.queued, a.wait+b.wait
}

func (a reportSum) figures() model.SessionFigures {
	f := model.SessionFigures{Sessions: a.n, Unanswered: a.n - a.replied, Rated: a.rated, Queued: a.queued}
	if a.queued > 0 {
		f.AvgWait = time.Duration(a.wait / float64(a.queued) * float64(time.Millisecond))
	}
	if a.n > 0 {
		f.AvgDuration = time.Duration(a.dur / float64(a.n) * float64(time.Millisecond))
		f.AvgMessages = a.msgs / float64(a.n)
	}
	if a.replied > 0 {
		f.AvgTimeToReply = time.Duration(a.reply / float64(a.replied) * float64(time.Millisecond))
	}
	if a.rated > 0 {
		f.AvgRating = a.rating / float64(a.rated)
	}
	return f
}

// reportKeys are what SQLite groups on, by name: the first five in the
// index's order, the hour apart.
var reportKeys = map[string]string{
	"day":      "cs.created_at / 86400000",
	"channel":  "cs.channel_id",
	"operator": "cs.operator_id",
	"country":  "cs.country",
	"language": "cs.visitor_language",
	"hour":     "cs.created_at / 3600000 % 24",
}

var reportIndexOrder = []string{"day", "channel", "operator", "country", "language"}

// reportKeyOf is the SQL grouping a dimension is computed from.
func reportKeyOf(dim string) (string, error) {
	switch dim {
	case "day", "week", "month":
		return "day", nil
	case "channel", "operator", "country", "language", "hour":
		return dim, nil
	}
	return "", fmt.Errorf("store: group sessions: unknown dimension %q", dim)
}

// sumSessions sums the answered sessions matching f by the SQL groupings
// keys (names of reportKeys); each row's keys come back as int64, string or
// nil.
func (s *Store) sumSessions(ctx context.Context, f model.ReportFilter, keys []string) ([][]any, []reportSum, error) {
	rows, err := s.r.QueryContext(ctx, reportQuery(keys), reportArgs(f)...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: group sessions: %w", err)
	}
	defer rows.Close()
	var outKeys [][]any
	var sums []reportSum
	for rows.Next() {
		k := make([]any, len(keys))
		var m reportSum
		dest := make([]any, 0, len(keys)+9)
		for i := range k {
			dest = append(dest, &k[i])
		}
		dest = append(dest, &m.n, &m.replied, &m.dur, &m.reply, &m.msgs, &m.rated, &m.rating, &m.queued, &m.wait)
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, fmt.Errorf("store: group sessions: %w", err)
		}
		if m.n == 0 {
			continue // an aggregate over nothing
		}
		outKeys, sums = append(outKeys, k), append(sums, m)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: group sessions: %w", err)
	}
	return outKeys, sums, nil
}

// reportGrouping is what SQLite groups on for the SQL groupings needed:
// without the hour, the shortest start of the index's order that holds
// them all, so SQLite does not sort.
func reportGrouping(need map[string]bool) []string {
	var keys []string
	if !need["hour"] && len(need) > 0 {
		last := 0
		for i, k := range reportIndexOrder {
			if need[k] {
				last = i
			}
		}
		keys = reportIndexOrder[:last+1]
	} else {
		for _, k := range slices.Concat(reportIndexOrder, []string{"hour"}) {
			if need[k] {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// reportQuery sums the sessions by the SQL groupings keys.
func reportQuery(keys []string) string {
	exprs := make([]string, len(keys))
	for i, k := range keys {
		exprs[i] = reportKeys[k]
	}
	q := `SELECT ` + strings.Join(append(slices.Clone(exprs), reportSums), ", ") + reportFrom
	if len(keys) > 0 {
		q += ` GROUP BY ` + strings.Join(exprs, ", ")
	}
	return q
}

// reportNames are the channels' and users' names, for the groups' labels;
// a deleted one has none.
type reportNames struct{ channels, users map[int64]string }

func (s *Store) reportNames(ctx context.Context, dims []string) (reportNames, error) {
	n := reportNames{channels: map[int64]string{}, users: map[int64]string{}}
	for _, d := range dims {
		var q string
		var into map[int64]string
		switch d {
		case "channel":
			q, into = `SELECT id, name FROM channels`, n.channels
		case "operator":
			q, into = `SELECT id, name FROM users`, n.users
		default:
			continue
		}
		rows, err := s.r.QueryContext(ctx, q)
		if err != nil {
			return n, fmt.Errorf("store: report names: %w", err)
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return n, fmt.Errorf("store: report names: %w", err)
			}
			into[id] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, fmt.Errorf("store: report names: %w", err)
		}
	}
	return n, nil
}

// keyLabel names a group's value of dim from its SQL key v. Times are UTC;
// days count from the epoch, weeks start on Monday and read as that
// Monday's date.
func (n reportNames) keyLabel(dim string, v any) (string, string) {
	i, _ := v.(int64)
	str, _ := v.(string)
	day := func(d int64) string { return time.Unix(d*86400, 0).UTC().Format("2006-01-02") }
	switch dim {
	case "channel":
		return strconv.FormatInt(i, 10), n.channels[i]
	case "operator":
		return strconv.FormatInt(i, 10), n.users[i]
	case "day":
		return day(i), day(i)
	case "week":
		// The epoch was a Thursday: day 4 is the first Monday.
		monday := day(i - (i+3)%7)
		return monday, monday
	case "month":
		m := time.Unix(i*86400, 0).UTC().Format("2006-01")
		return m, m
	case "hour":
		h := fmt.Sprintf("%02d", i)
		return h, h
	}
	return str, str
}

func reportArgs(f model.ReportFilter) []any {
	return []any{ms(f.Since), ms(f.Until), f.ChannelID, f.OperatorID, f.Country, f.Language}
}

// GroupSessions computes the Session Statistics measures of the answered
// sessions matching f, grouped by dims (day, week, month, channel, operator,
// country, language, hour); without dims, one cell for them all.
func (s *Store) GroupSessions(ctx context.Context, f model.ReportFilter, dims ...string) ([]model.ReportCell, error) {
	cells, sums, err := s.groupSums(ctx, f, dims)
	if err != nil {
		return nil, err
	}
	for j := range cells {
		cells[j].Figures = sums[j].figures()
	}
	return cells, nil
}

// groupSums is GroupSessions before the sums become figures, in the order
// of the groups' keys.
func (s *Store) groupSums(ctx context.Context, f model.ReportFilter, dims []string) ([]model.ReportCell, []reportSum, error) {
	need := map[string]bool{}
	for _, d := range dims {
		k, err := reportKeyOf(d)
		if err != nil {
			return nil, nil, err
		}
		need[k] = true
	}
	keys := reportGrouping(need)
	rowKeys, sums, err := s.sumSessions(ctx, f, keys)
	if err != nil {
		return nil, nil, err
	}
	names, err := s.reportNames(ctx, dims)
	if err != nil {
		return nil, nil, err
	}
	col := make([]int, len(dims))
	for i, d := range dims {
		k, _ := reportKeyOf(d)
		col[i] = slices.Index(keys, k)
	}
	at := map[string]int{}
	var cells []model.ReportCell
	var totals []reportSum
	for r, rk := range rowKeys {
		c := model.ReportCell{Keys: make([]string, len(dims)), Labels: make([]string, len(dims))}
		for i, d := range dims {
			c.Keys[i], c.Labels[i] = names.keyLabel(d, rk[col[i]])
		}
		id := strings.Join(c.Keys, "\x00")
		j, ok := at[id]
		if !ok {
			j = len(cells)
			at[id] = j
			cells, totals = append(cells, c), append(totals, reportSum{})
		}
		totals[j].add(sums[r])
	}
	order := make([]int, len(cells))
	for j := range order {
		order[j] = j
	}
	slices.SortFunc(order, func(x, y int) int {
		for i := range dims {
			if c := compareKeys(cells[x].Keys[i], cells[y].Keys[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	sortedCells, sortedSums := make([]model.ReportCell, len(order)), make([]reportSum, len(order))
	for j, o := range order {
		sortedCells[j], sortedSums[j] = cells[o], totals[o]
	}
	return sortedCells, sortedSums, nil
}

// compareKeys orders ids as numbers and the rest as text.
func compareKeys(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

// SessionReport computes the report for f: totals, by channel, by
// operator, by day, all from one pass over the index.
func (s *Store) SessionReport(ctx context.Context, f model.ReportFilter) (*model.Report, error) {
	dims := []string{"channel", "operator", "day"}
	cells, sums, err := s.groupSums(ctx, f, dims)
	if err != nil {
		return nil, err
	}
	var total reportSum
	for _, m := range sums {
		total.add(m)
	}
	rowsOf := func(i int) []model.ReportRow {
		var out []model.ReportRow
		var outSums []reportSum
		at := map[string]int{}
		for c, cell := range cells {
			j, ok := at[cell.Keys[i]]
			if !ok {
				j = len(out)
				at[cell.Keys[i]] = j
				row := model.ReportRow{Key: cell.Labels[i]}
				if dims[i] != "day" {
					row.ID, _ = strconv.ParseInt(cell.Keys[i], 10, 64)
				}
				out, outSums = append(out, row), append(outSums, reportSum{})
			}
			outSums[j].add(sums[c])
		}
		for j := range out {
			out[j].Figures = outSums[j].figures()
		}
		return out
	}
	r := &model.Report{Total: total.figures(), ByChannel: rowsOf(0), ByOperator: rowsOf(1), ByDay: rowsOf(2)}
	// Days in time order: the cells are ordered by channel first.
	slices.SortFunc(r.ByDay, func(a, b model.ReportRow) int { return strings.Compare(a.Key, b.Key) })
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

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
// of answered sessions, that is with an operator and at least one chat
// message (Odoo's report.channel view). Closed sessions are read through
// one of two indexes alone (migration 00035): SQLite sums them into groups
// of day (chat_sessions_report_day) or, when the hour of the day is asked
// for, of hour (chat_sessions_report_hour), then channel and operator,
// then country and language, in the index's own order, so it never sorts
// the period's sessions. Open sessions, whose figures change with every
// message and so are in neither index, are few: the same statement sums
// them from chat_sessions_open_operator (UNION ALL, one snapshot). Weeks,
// months, hours of the day, totals and names are put together from those
// groups afterwards.
func reportFrom(hourly bool) string {
	index, unit := "chat_sessions_report_day", "86400000"
	if hourly {
		index, unit = "chat_sessions_report_hour", "3600000"
	}
	return ` FROM chat_sessions cs INDEXED BY ` + index + `
	WHERE cs.status = 'closed' AND cs.chat_messages > 0 AND cs.operator_id IS NOT NULL
	AND cs.created_at / ` + unit + ` >= ?1 / ` + unit + ` AND cs.created_at / ` + unit + ` <= ?2 / ` + unit + reportFilters
}

// reportFromOpen reads the open sessions among the answered ones.
const reportFromOpen = ` FROM chat_sessions cs INDEXED BY chat_sessions_open_operator
	WHERE cs.status = 'open' AND cs.chat_messages > 0 AND cs.operator_id IS NOT NULL` + reportFilters

const reportFilters = `
	AND cs.created_at >= ?1 AND cs.created_at < ?2
	AND (?3 = 0 OR cs.channel_id = ?3) AND (?4 = 0 OR cs.operator_id = ?4) AND (?5 = '' OR cs.country = ?5) AND (?6 = '' OR cs.visitor_language = ?6)`

// reportSums are added up over groups; the figures are worked out from
// them at the end. A session without a reply has no time to reply, so the
// replied sessions are the others. Each is computed only for the figures
// that need it (0 otherwise): every one is arithmetic over every session
// of the period.
var reportSums = []struct {
	expr string
	figs model.Figures
}{
	{"count(*)", model.AllFigures},
	{"count(cs.first_reply_at)", model.FigUnanswered | model.FigTimeToReply},
	{"total(cs.chat_last_at - cs.chat_first_at)", model.FigDuration},
	{"total(cs.first_reply_at - cs.chat_first_at)", model.FigTimeToReply},
	{"total(cs.chat_messages)", model.FigMessages},
	{"count(cs.rating)", model.FigRating},
	{"total(cs.rating)", model.FigRating},
	{"count(cs.queued_at)", model.FigWait},
	{"total(cs.assigned_at - cs.queued_at)", model.FigWait},
}

func reportSumsFor(only model.Figures) string {
	if only == 0 {
		only = model.AllFigures
	}
	exprs := make([]string, len(reportSums))
	for i, m := range reportSums {
		exprs[i] = "0"
		if i == 0 || m.figs&only != 0 {
			exprs[i] = m.expr
		}
	}
	return strings.Join(exprs, ", ")
}

type reportSum struct {
	n, replied, rated, queued      int
	dur, reply, msgs, rating, wait float64
}

func (a *reportSum) add(b reportSum) {
	a.n, a.replied, a.rated = a.n+b.n, a.replied+b.replied, a.rated+b.rated
	a.dur, a.reply, a.msgs, a.rating = a.dur+b.dur, a.reply+b.reply, a.msgs+b.msgs, a.rating+b.rating
	a.queued, a.wait = a.queued+b.queued, a.wait+b.wait
}

// figures are the figures of the sums; only those asked for (zero for
// all), the others were not summed.
func (a reportSum) figures(only model.Figures) model.SessionFigures {
	f := model.SessionFigures{Sessions: a.n, Unanswered: a.n - a.replied, Rated: a.rated, Queued: a.queued}
	if only != 0 && only&(model.FigUnanswered|model.FigTimeToReply) == 0 {
		f.Unanswered = 0
	}
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

// reportKeys are what SQLite groups on, by name, in the indexes' order
// after their first: the day, or the hour counted from the epoch.
var reportKeys = map[string]string{
	"day":      "cs.created_at / 86400000",
	"hours":    "cs.created_at / 3600000",
	"channel":  "cs.channel_id",
	"operator": "cs.operator_id",
	"country":  "cs.country",
	"language": "cs.visitor_language",
}

var reportIndexOrder = []string{"channel", "operator", "country", "language"}

// reportKeyOf is the SQL grouping a dimension is computed from; hourly
// when the hour of the day is among the dimensions, so times come from
// the hour index.
func reportKeyOf(dim string, hourly bool) (string, error) {
	switch dim {
	case "day", "week", "month", "hour":
		if hourly {
			return "hours", nil
		}
		if dim == "hour" {
			return "", fmt.Errorf("store: group sessions: the hour needs the hour index")
		}
		return "day", nil
	case "channel", "operator", "country", "language":
		return dim, nil
	}
	return "", fmt.Errorf("store: group sessions: unknown dimension %q", dim)
}

// sumSessions sums the answered sessions matching f by the SQL groupings
// keys (names of reportKeys) walking the index, then by those needed; each
// row's needed keys come back as int64, string or nil.
func (s *Store) sumSessions(ctx context.Context, f model.ReportFilter, keys []string, need map[string]bool) ([][]any, []reportSum, error) {
	rows, err := s.r.QueryContext(ctx, reportQuery(keys, need, f.Only), reportArgs(f)...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: group sessions: %w", err)
	}
	defer rows.Close()
	var outKeys [][]any
	var sums []reportSum
	n := len(reportOut(keys, need))
	for rows.Next() {
		k := make([]any, n)
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
// the shortest start of the index's order that holds them all, so SQLite
// does not sort.
func reportGrouping(need map[string]bool) []string {
	if len(need) == 0 {
		return nil
	}
	order := slices.Concat([]string{"day"}, reportIndexOrder)
	if need["hours"] {
		order[0] = "hours"
	}
	last := 0
	for i, k := range order {
		if need[k] {
			last = i
		}
	}
	return order[:last+1]
}

// reportQuery sums the sessions by the SQL groupings keys (from
// reportGrouping), computing the figures only; its rows hold the keys
// needed, in the order of keys, then the sums: the closed sessions' groups,
// then the open sessions' (a key may come twice; the caller adds them up).
func reportQuery(keys []string, need map[string]bool, only model.Figures) string {
	return reportSelect(keys, need, only, reportFrom(slices.Contains(keys, "hours"))) +
		"\nUNION ALL\n" + reportSelect(keys, need, only, reportFromOpen)
}

// reportSelect is reportQuery over the sessions of from. When keys hold
// more than is needed (a grouping by country walks the days, channels and
// operators first), SQLite adds those groups up itself: a few thousand
// groups summed inside SQLite cost less than handing each one over.
func reportSelect(keys []string, need map[string]bool, only model.Figures, from string) string {
	exprs := make([]string, len(keys))
	for i, k := range keys {
		exprs[i] = reportKeys[k]
	}
	q := `SELECT ` + strings.Join(append(slices.Clone(exprs), reportSumsFor(only)), ", ") + from
	if len(keys) > 0 {
		q += ` GROUP BY ` + strings.Join(exprs, ", ")
	}
	out := reportOut(keys, need)
	if len(out) == len(keys) && !need[foldHours] {
		return q
	}
	// The inner query's columns are k0… for its keys and s0… for its sums.
	inner := make([]string, len(keys))
	for i := range keys {
		inner[i] = fmt.Sprintf("%s AS k%d", exprs[i], i)
	}
	sums := strings.Split(reportSumsFor(only), ", ")
	innerSums, outer := make([]string, len(sums)), []string{}
	for i, k := range keys {
		switch {
		case k == "hours" && need[foldHours]:
			outer = append(outer, fmt.Sprintf("k%d %% 24", i))
		case need[k]:
			outer = append(outer, fmt.Sprintf("k%d", i))
		}
	}
	groupBy := strings.Join(outer, ", ")
	for i, sum := range sums {
		innerSums[i] = fmt.Sprintf("%s AS s%d", sum, i)
		switch {
		case sum == "0":
			outer = append(outer, "0")
		case strings.HasPrefix(sum, "count("):
			outer = append(outer, fmt.Sprintf("sum(s%d)", i))
		default:
			outer = append(outer, fmt.Sprintf("total(s%d)", i))
		}
	}
	return `SELECT ` + strings.Join(outer, ", ") + ` FROM (SELECT ` + strings.Join(append(inner, innerSums...), ", ") +
		from + ` GROUP BY ` + strings.Join(exprs, ", ") + `) GROUP BY ` + groupBy
}

// foldHours, among the SQL groupings needed, asks for the hours counted
// from the epoch to be added up into hours of the day inside SQLite: a
// year has 8,760 of them, a day 24.
const foldHours = "hours of the day"

// reportNeed are the SQL groupings dims need, and whether they read the
// hour index.
func reportNeed(dims []string) (map[string]bool, bool, error) {
	hourly := slices.Contains(dims, "hour")
	need := map[string]bool{}
	for _, d := range dims {
		k, err := reportKeyOf(d, hourly)
		if err != nil {
			return nil, false, err
		}
		need[k] = true
	}
	if hourly && !slices.ContainsFunc(dims, func(d string) bool { return d == "day" || d == "week" || d == "month" }) {
		need[foldHours] = true
	}
	return need, hourly, nil
}

// reportOut are the keys of a grouping that are needed, in its order.
func reportOut(keys []string, need map[string]bool) []string {
	var out []string
	for _, k := range keys {
		if need[k] {
			out = append(out, k)
		}
	}
	return out
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
// days (or with hours, hours) count from the epoch, weeks start on Monday
// and read as that Monday's date.
func (n reportNames) keyLabel(dim string, v any, hours bool) (string, string) {
	i, _ := v.(int64)
	str, _ := v.(string)
	if hours && dim != "hour" {
		i /= 24
	}
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
		h := fmt.Sprintf("%02d", i%24)
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
		cells[j].Figures = sums[j].figures(f.Only)
	}
	return cells, nil
}

// groupSums is GroupSessions before the sums become figures, in the order
// of the groups' keys.
func (s *Store) groupSums(ctx context.Context, f model.ReportFilter, dims []string) ([]model.ReportCell, []reportSum, error) {
	need, hourly, err := reportNeed(dims)
	if err != nil {
		return nil, nil, err
	}
	walk := reportGrouping(need)
	rowKeys, sums, err := s.sumSessions(ctx, f, walk, need)
	if err != nil {
		return nil, nil, err
	}
	names, err := s.reportNames(ctx, dims)
	if err != nil {
		return nil, nil, err
	}
	col := make([]int, len(dims))
	keys := reportOut(walk, need)
	for i, d := range dims {
		k, _ := reportKeyOf(d, hourly)
		col[i] = slices.Index(keys, k)
	}
	at := map[string]int{}
	var cells []model.ReportCell
	var totals []reportSum
	for r, rk := range rowKeys {
		c := model.ReportCell{Keys: make([]string, len(dims)), Labels: make([]string, len(dims))}
		for i, d := range dims {
			c.Keys[i], c.Labels[i] = names.keyLabel(d, rk[col[i]], hourly)
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
			out[j].Figures = outSums[j].figures(f.Only)
		}
		return out
	}
	r := &model.Report{Total: total.figures(f.Only), ByChannel: rowsOf(0), ByOperator: rowsOf(1), ByDay: rowsOf(2)}
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
	// A period's sessions by creation time: the digest counts them once a
	// day, and an index of unanswered sessions was rewritten with every
	// message (migration 00035).
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM chat_sessions INDEXED BY chat_sessions_created
		WHERE created_at >= ? AND created_at < ? AND chat_messages > 0 AND first_reply_at IS NULL`, ms(since), ms(until)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: unanswered sessions: %w", err)
	}
	return n, nil
}

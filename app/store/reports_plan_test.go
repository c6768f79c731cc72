package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"parley/db"
)

// TestReportQueryPlans: every report grouping reads the closed sessions
// from a report index alone, the hour index when it asks for the hour of
// the day, the day index otherwise, and aggregates in the index's order
// instead of sorting the period's sessions first; the open sessions, in
// the same statement, are read through the index of open sessions.
func TestReportQueryPlans(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := db.Migrate(ctx, st.Writer()); err != nil {
		t.Fatal(err)
	}
	for _, dims := range [][]string{nil, {"day"}, {"channel", "operator", "day"}, {"operator", "month"}, {"week"},
		{"country", "language"}, {"language"}, {"day", "hour"}, {"hour"}, {"operator", "hour"}, {"hour", "month"}} {
		need, hourly, err := reportNeed(dims)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := st.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+reportQuery(reportGrouping(need), need, 0), 0, 1, 0, 0, "", "")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "; ")
		t.Logf("%v: %s", dims, all)
		got, open, ok := strings.Cut(all, "; UNION ALL; ")
		if !ok || !strings.Contains(open, "USING INDEX chat_sessions_open_operator") || strings.Contains(open, "chat_sessions_report") {
			t.Errorf("%v does not add the open sessions from their index: %s", dims, all)
		}
		index := "chat_sessions_report_day"
		if hourly {
			index = "chat_sessions_report_hour"
		}
		if !strings.Contains(got, "USING COVERING INDEX "+index+" (<expr>>? AND <expr><?)") {
			t.Errorf("%v does not search %s by its time: %s", dims, index, got)
		}
		// Only the groups, when added up further, are sorted.
		nested := len(reportOut(reportGrouping(need), need)) < len(reportGrouping(need)) || need[foldHours]
		if sorts := strings.Count(got, "TEMP B-TREE"); sorts > 1 || (sorts == 1) != nested || (nested && !strings.Contains(got, "CO-ROUTINE")) {
			t.Errorf("%v sorts %d times (groups added up: %v): %s", dims, sorts, nested, got)
		}
	}
}

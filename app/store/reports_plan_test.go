package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"parley/db"
)

// TestReportQueryPlans: every report grouping reads the report index alone,
// and every one but the hour's aggregates in the index's order instead of
// sorting the period's sessions first.
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
		{"country", "language"}, {"language"}, {"day", "hour"}, {"hour"}} {
		need := map[string]bool{}
		for _, d := range dims {
			k, err := reportKeyOf(d)
			if err != nil {
				t.Fatal(err)
			}
			need[k] = true
		}
		rows, err := st.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+reportQuery(reportGrouping(need)), 0, 1, 0, 0, "", "")
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
		got := strings.Join(plan, "; ")
		t.Logf("%v: %s", dims, got)
		if !strings.Contains(got, "USING COVERING INDEX chat_sessions_report_day (<expr>>? AND <expr><?)") {
			t.Errorf("%v does not search the report index by day: %s", dims, got)
		}
		if sorts := strings.Contains(got, "TEMP B-TREE"); sorts != need["hour"] {
			t.Errorf("%v sorts %v, want %v: %s", dims, sorts, need["hour"], got)
		}
	}
}

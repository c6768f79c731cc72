package pivot_test

import (
	"reflect"
	"testing"

	"parley/app/pivot"
)

func k(id string) pivot.Key { return pivot.Key{ID: id, Label: id} }

func TestBuildLaysOutCellsWithTotals(t *testing.T) {
	cells := []pivot.Cell{
		{Row: k("Bob"), Col: k("5"), Value: 3},
		{Row: k("Ann"), Col: k("1"), Value: 1},
		{Row: k("Ann"), Col: k("5"), Value: 2},
		{Row: k("Bob"), Col: k("5"), Value: 1}, // same cell twice: adds up
	}
	tab := pivot.Build(cells, nil, func(a, b pivot.Key) int { return -pivot.ByLabel(a, b) })
	if got := []pivot.Key{k("Ann"), k("Bob")}; !reflect.DeepEqual(tab.Rows, got) {
		t.Errorf("rows %v", tab.Rows)
	}
	if got := []pivot.Key{k("5"), k("1")}; !reflect.DeepEqual(tab.Cols, got) {
		t.Errorf("cols %v (want the column order given)", tab.Cols)
	}
	if want := [][]float64{{2, 1}, {4, 0}}; !reflect.DeepEqual(tab.Values, want) {
		t.Errorf("values %v, want %v", tab.Values, want)
	}
	if !reflect.DeepEqual(tab.RowTotals, []float64{3, 4}) || !reflect.DeepEqual(tab.ColTotals, []float64{6, 1}) || tab.Total != 7 {
		t.Errorf("totals %v %v %v", tab.RowTotals, tab.ColTotals, tab.Total)
	}
	if s := tab.Share(tab.Values[1][0]); s < 57.14 || s > 57.15 {
		t.Errorf("share %v", s)
	}
}

func TestLabelsMayRepeatUnderDifferentIDs(t *testing.T) {
	// Two operators called the same stay two rows.
	tab := pivot.Build([]pivot.Cell{{Row: pivot.Key{ID: "1", Label: "Sam"}, Value: 1}, {Row: pivot.Key{ID: "2", Label: "Sam"}, Value: 2}}, nil, nil)
	if len(tab.Rows) != 2 || len(tab.Cols) != 1 || tab.Values[1][0] != 2 {
		t.Errorf("%+v", tab)
	}
}

func TestEmptyTable(t *testing.T) {
	tab := pivot.Build(nil, nil, nil)
	if len(tab.Rows) != 0 || tab.Total != 0 || tab.Share(5) != 0 {
		t.Errorf("%+v", tab)
	}
}

// Means are weighted: a row's total is the mean of all its things, not the
// mean of its cells, and a cell over nothing holds no figure.
func TestBuildMean(t *testing.T) {
	a, b := pivot.Key{ID: "a", Label: "A"}, pivot.Key{ID: "b", Label: "B"}
	x, y := pivot.Key{ID: "x", Label: "X"}, pivot.Key{ID: "y", Label: "Y"}
	tb := pivot.BuildMean([]pivot.Cell{
		{Row: a, Col: x, Value: 10, Weight: 1},
		{Row: a, Col: y, Value: 40, Weight: 3},
		{Row: b, Col: x, Value: 20, Weight: 1},
		{Row: b, Col: x, Value: 50, Weight: 2}, // same cell: (20 + 100) / 3
		{Row: b, Col: y, Value: 0, Weight: 0},
	}, nil, nil)
	if got := tb.Values[0]; got[0] != 10 || got[1] != 40 {
		t.Errorf("row a = %v", got)
	}
	if tb.Values[1][0] != 40 || tb.Has(1, 1) || !tb.Has(1, 0) {
		t.Errorf("row b = %v, has %v %v", tb.Values[1], tb.Has(1, 0), tb.Has(1, 1))
	}
	if tb.RowTotals[0] != 32.5 || tb.RowTotals[1] != 40 || tb.ColTotals[0] != 32.5 || tb.ColTotals[1] != 40 {
		t.Errorf("totals %v %v", tb.RowTotals, tb.ColTotals)
	}
	if want := (10 + 120 + 120.0) / 7; tb.Total != want || !tb.Has(-1, -1) {
		t.Errorf("total %v, want %v", tb.Total, want)
	}
	if sums := pivot.Build([]pivot.Cell{{Row: a, Col: x, Value: 1}}, nil, nil); !sums.Has(0, 0) || sums.Mean {
		t.Errorf("a table of sums always has its figures")
	}
}

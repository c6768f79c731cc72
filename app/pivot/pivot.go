// Package pivot arranges grouped figures in a table: one row per value of
// one grouping, one column per value of another, with totals and shares.
// The figures come already aggregated (by SQL); pivot only lays them out,
// so every report can offer rows and columns of the user's choosing.
package pivot

import (
	"cmp"
	"slices"
)

// Key is one value of a grouping: a stable id and what people read.
type Key struct {
	ID    string
	Label string
}

// Cell is one aggregated figure: the row and column it belongs to. A table
// without a column grouping puts every cell in the same column.
type Cell struct {
	Row, Col Key
	Value    float64
}

// Order sorts the values of a grouping; ByLabel is the default.
type Order func(a, b Key) int

// ByLabel sorts by label, then id.
func ByLabel(a, b Key) int { return cmp.Or(cmp.Compare(a.Label, b.Label), cmp.Compare(a.ID, b.ID)) }

// Table is the laid-out pivot.
type Table struct {
	Rows, Cols []Key
	// Values[r][c] is the figure of row r and column c (0 where no cell).
	Values    [][]float64
	RowTotals []float64
	ColTotals []float64
	Total     float64
}

// Build lays cells out; rows and cols order each axis (nil: ByLabel).
// Cells with the same row and column add up.
func Build(cells []Cell, rows, cols Order) *Table {
	if rows == nil {
		rows = ByLabel
	}
	if cols == nil {
		cols = ByLabel
	}
	t := &Table{Rows: keys(cells, func(c Cell) Key { return c.Row }, rows), Cols: keys(cells, func(c Cell) Key { return c.Col }, cols)}
	ri, ci := index(t.Rows), index(t.Cols)
	t.Values = make([][]float64, len(t.Rows))
	for i := range t.Values {
		t.Values[i] = make([]float64, len(t.Cols))
	}
	t.RowTotals, t.ColTotals = make([]float64, len(t.Rows)), make([]float64, len(t.Cols))
	for _, c := range cells {
		r, k := ri[c.Row.ID], ci[c.Col.ID]
		t.Values[r][k] += c.Value
		t.RowTotals[r] += c.Value
		t.ColTotals[k] += c.Value
		t.Total += c.Value
	}
	return t
}

func keys(cells []Cell, pick func(Cell) Key, order Order) []Key {
	seen := map[string]bool{}
	var out []Key
	for _, c := range cells {
		k := pick(c)
		if !seen[k.ID] {
			seen[k.ID] = true
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, order)
	return out
}

func index(ks []Key) map[string]int {
	m := make(map[string]int, len(ks))
	for i, k := range ks {
		m[k.ID] = i
	}
	return m
}

// Share is a figure as a percentage of the whole table (0 for an empty one).
func (t *Table) Share(v float64) float64 {
	if t.Total == 0 {
		return 0
	}
	return v * 100 / t.Total
}

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
	// Weight is, in a table of means (BuildMean), how many things Value is
	// the mean of.
	Weight float64
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
	// Mean tables hold means: totals are the means of everything they
	// cover, and the weights say over how many things each is taken (none:
	// no figure at all, not a mean of 0).
	Mean                   bool
	Weights                [][]float64
	RowWeights, ColWeights []float64
	TotalWeight            float64
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

// BuildMean lays out means: each cell's Value is a mean over its Weight
// things; cells with the same row and column, and the totals, are the
// means of all they cover.
func BuildMean(cells []Cell, rows, cols Order) *Table {
	sums := make([]Cell, len(cells))
	for i, c := range cells {
		sums[i] = Cell{Row: c.Row, Col: c.Col, Value: c.Value * c.Weight}
	}
	t := Build(sums, rows, cols)
	t.Mean = true
	ri, ci := index(t.Rows), index(t.Cols)
	t.Weights = make([][]float64, len(t.Rows))
	for i := range t.Weights {
		t.Weights[i] = make([]float64, len(t.Cols))
	}
	t.RowWeights, t.ColWeights = make([]float64, len(t.Rows)), make([]float64, len(t.Cols))
	for _, c := range cells {
		r, k := ri[c.Row.ID], ci[c.Col.ID]
		t.Weights[r][k] += c.Weight
		t.RowWeights[r] += c.Weight
		t.ColWeights[k] += c.Weight
		t.TotalWeight += c.Weight
	}
	div := func(v, w float64) float64 {
		if w == 0 {
			return 0
		}
		return v / w
	}
	for r := range t.Values {
		for k := range t.Values[r] {
			t.Values[r][k] = div(t.Values[r][k], t.Weights[r][k])
		}
		t.RowTotals[r] = div(t.RowTotals[r], t.RowWeights[r])
	}
	for k := range t.ColTotals {
		t.ColTotals[k] = div(t.ColTotals[k], t.ColWeights[k])
	}
	t.Total = div(t.Total, t.TotalWeight)
	return t
}

// Has says whether the cell at row r and column c (-1 for the totals)
// holds a figure: always in a table of sums, where there is something to
// take the mean of in one of means.
func (t *Table) Has(r, c int) bool {
	if !t.Mean {
		return true
	}
	switch {
	case r < 0 && c < 0:
		return t.TotalWeight > 0
	case r < 0:
		return t.ColWeights[c] > 0
	case c < 0:
		return t.RowWeights[r] > 0
	}
	return t.Weights[r][c] > 0
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

package chart_test

import (
	"encoding/xml"
	"io"
	"reflect"
	"strings"
	"testing"

	"parley/app/chart"
)

func TestTicksAreRoundAndCoverTheMaximum(t *testing.T) {
	for _, c := range []struct {
		max  float64
		want []float64
	}{
		{0, []float64{0, 1}},
		{1, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{7, []float64{0, 2, 4, 6, 8}},
		{10, []float64{0, 2, 4, 6, 8, 10}},
		{93, []float64{0, 20, 40, 60, 80, 100}},
		{1234, []float64{0, 500, 1000, 1500}},
	} {
		if got := chart.Ticks(c.max, 5); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Ticks(%v) = %v, want %v", c.max, got, c.want)
		}
	}
}

// wellFormed parses the SVG as XML, so an unescaped label would fail.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed SVG: %v\n%s", err, svg)
		}
	}
}

func TestBarChart(t *testing.T) {
	c := chart.Chart{Kind: chart.Bar, Title: `Ratings <by> "day"`, Labels: []string{"2026-01-01", "2026-01-02", "2026-01-03"},
		Series: []chart.Series{{Name: "Satisfied", Color: "#28a745", Values: []float64{3, 0, 5}}, {Name: "Dissatisfied & co", Color: "#dc3545", Values: []float64{1, 2, 0}}}}
	svg := c.SVG()
	wellFormed(t, svg)
	if n := strings.Count(svg, `class="bar"`); n != 4 {
		t.Errorf("%d bars, want 4 (zeros are not drawn)", n)
	}
	for _, want := range []string{"2026-01-01", "2026-01-03", `>5</text>`, `>0</text>`, "Dissatisfied &amp; co", `aria-label="Ratings &lt;by&gt; &#34;day&#34;"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Contains(svg, "<by>") {
		t.Error("title not escaped")
	}
}

func TestLineChartThinsLabels(t *testing.T) {
	labels := make([]string, 365)
	vals := make([]float64, 365)
	for i := range labels {
		labels[i] = "d" + string(rune('A'+i%26))
		vals[i] = float64(i % 7)
	}
	svg := chart.Chart{Kind: chart.Line, Title: "Year", Labels: labels, Series: []chart.Series{{Name: "All", Color: "#333", Values: vals}}}.SVG()
	wellFormed(t, svg)
	if strings.Count(svg, "<polyline") != 1 || strings.Count(svg, "<circle") != 365 {
		t.Error("one line with a point per day expected")
	}
	if n := strings.Count(svg, `class="label"`); n < 5 || n > 20 {
		t.Errorf("%d axis labels for 365 days: they would overlap or be missing", n)
	}
}

func TestEmptyChart(t *testing.T) {
	svg := chart.Chart{Kind: chart.Bar, Title: "Nothing"}.SVG()
	wellFormed(t, svg)
	if strings.Contains(svg, `class="bar"`) {
		t.Error("bars without data")
	}
}

// Package chart draws bar and line charts as SVG on the server: axes, a
// scale with round steps, category labels (dates) and a legend. Pure Go,
// no script, nothing loaded from elsewhere; the page embeds the result.
package chart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Kind is how series are drawn.
type Kind string

// The kinds of chart.
const (
	Bar  Kind = "bar"
	Line Kind = "line"
)

// Series is one named line or set of bars; Values match Chart.Labels.
type Series struct {
	Name   string
	Color  string // CSS colour
	Values []float64
}

// Chart is what to draw.
type Chart struct {
	Kind   Kind
	Title  string   // the SVG's accessible name
	Labels []string // the x axis, one per category (a day, an operator)
	Series []Series
	Width  int // default 720
	Height int // default 320
	// Format writes a scale value (default: the number without decimals
	// when whole).
	Format func(float64) string
}

// Ticks returns round scale steps from 0 to at least max: about n steps of
// 1, 2 or 5 times a power of ten.
func Ticks(max float64, n int) []float64 {
	if n < 1 {
		n = 5
	}
	if max <= 0 || math.IsNaN(max) || math.IsInf(max, 0) {
		return []float64{0, 1}
	}
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for i := 0; ; i++ {
		// Through text, so 3 × 0.2 is 0.6 and not 0.6000000000000001.
		v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(i)*step, 'g', 12, 64), 64)
		out = append(out, v)
		if v >= max {
			return out
		}
	}
}

func defaultFormat(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

const (
	padLeft, padRight, padTop, padBottom = 48, 16, 16, 64
)

// SVG renders the chart. Every text is escaped.
func (c Chart) SVG() string {
	w, h := c.Width, c.Height
	if w <= 0 {
		w = 720
	}
	if h <= 0 {
		h = 320
	}
	format := c.Format
	if format == nil {
		format = defaultFormat
	}
	max := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			max = math.Max(max, v)
		}
	}
	ticks := Ticks(max, 5)
	top := ticks[len(ticks)-1]
	plotW, plotH := float64(w-padLeft-padRight), float64(h-padTop-padBottom)
	y := func(v float64) float64 { return float64(padTop) + plotH - v/top*plotH }
	n := len(c.Labels)
	band := plotW / math.Max(1, float64(n))
	x := func(i int) float64 { return float64(padLeft) + band*(float64(i)+0.5) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-%s" viewBox="0 0 %d %d" role="img" aria-label="%s" font-family="system-ui, sans-serif" font-size="11">`,
		esc(string(c.Kind)), w, h, esc(c.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Title))
	// The scale: gridlines and values.
	for _, t := range ticks {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e3e5ea"/>`, padLeft, w-padRight, y(t), y(t))
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle" fill="#5b6270">%s</text>`, padLeft-6, y(t), esc(format(t)))
	}
	// The axes.
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#8a909c"/>`, padLeft, w-padRight, y(0), y(0))
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%d" y2="%.1f" stroke="#8a909c"/>`, padLeft, padLeft, padTop, y(0))
	// Category labels: as many as fit, evenly spaced, always the last.
	every := int(math.Ceil(float64(n) * 64 / plotW))
	for i, l := range c.Labels {
		if every > 1 && i%every != 0 && i != n-1 {
			continue
		}
		fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%.1f" text-anchor="middle" fill="#5b6270">%s</text>`, x(i), y(0)+16, esc(l))
	}
	switch c.Kind {
	case Line:
		for _, s := range c.Series {
			var pts []string
			for i, v := range s.Values {
				if i < n {
					pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
				}
			}
			fmt.Fprintf(&b, `<polyline class="series" data-series="%s" fill="none" stroke="%s" stroke-width="2" points="%s"/>`, esc(s.Name), esc(s.Color), strings.Join(pts, " "))
			for i, v := range s.Values {
				if i < n {
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s · %s: %s</title></circle>`, x(i), y(v), esc(s.Color), esc(c.Labels[i]), esc(s.Name), esc(format(v)))
				}
			}
		}
	default:
		k := math.Max(1, float64(len(c.Series)))
		bw := band * 0.8 / k
		for si, s := range c.Series {
			for i, v := range s.Values {
				if i >= n || v == 0 {
					continue
				}
				bx := x(i) - band*0.4 + bw*float64(si)
				fmt.Fprintf(&b, `<rect class="bar" data-series="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s · %s: %s</title></rect>`,
					esc(s.Name), bx, y(v), math.Max(bw-1, 1), y(0)-y(v), esc(s.Color), esc(c.Labels[i]), esc(s.Name), esc(format(v)))
			}
		}
	}
	// The legend, under the labels.
	lx := float64(padLeft)
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="10" height="10" fill="%s"/><text class="legend" x="%.1f" y="%d" fill="#2b2f36">%s</text>`,
			lx, h-18, esc(s.Color), lx+14, h-9, esc(s.Name))
		lx += 14 + float64(len([]rune(s.Name)))*7 + 18
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func esc(s string) string { return html.EscapeString(s) }

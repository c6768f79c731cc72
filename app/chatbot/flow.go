package chatbot

import (
	"fmt"
	"html"
	"slices"
	"strings"
	"unicode/utf8"

	"parley/app/model"
)

// Edge is a way from one step to the next: after an answer (AnswerID),
// when nobody takes a forward (NoOperator), or plainly.
type Edge struct {
	From, To   int // step indexes
	AnswerID   int64
	NoOperator bool
}

// Edges lists every way visitors can go from step to step, found by the
// same walk as the checker.
func Edges(sc *model.Chatbot) []Edge {
	seen := map[Edge]bool{}
	var out []Edge
	add := func(e Edge) {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	walks := 0
	var walk func(from int, chosen []int64, via Edge)
	walk = func(from int, chosen []int64, via Edge) {
		if walks++; walks > maxWalks {
			return
		}
		for {
			i := Next(sc, from, chosen)
			if i < 0 {
				return
			}
			if from >= 0 {
				e := via
				e.From, e.To = from, i
				add(e)
			}
			via = Edge{}
			st := &sc.Steps[i]
			if st.Type == model.StepQuestion {
				for _, a := range st.Answers {
					walk(i, append(slices.Clone(chosen), a.ID), Edge{AnswerID: a.ID})
				}
				return
			}
			if st.Type == model.StepForward {
				via = Edge{NoOperator: true}
			}
			from = i
		}
	}
	walk(-1, nil, Edge{})
	slices.SortFunc(out, func(a, b Edge) int {
		if a.From != b.From {
			return a.From - b.From
		}
		return a.To - b.To
	})
	return out
}

// FlowSVG draws the script: steps as boxes, top to bottom, and the ways
// between them as arrows labelled with the answer that leads there.
// Texts are in lang (the chatbot's language when missing); labels are
// from the caller, translated: labels[0] is "no operator available" and
// type names come from typeLabel.
func FlowSVG(sc *model.Chatbot, lang string, typeLabel func(model.StepType) string, noOperator string) string {
	const (
		boxW, boxH, gap = 300, 44, 34
		left, top       = 16, 16
	)
	edges := Edges(sc)
	// Arrows that skip steps run on the right, each in its own lane.
	lanes := 0
	for _, e := range edges {
		if e.To != e.From+1 {
			lanes++
		}
	}
	width := left + boxW + 40 + lanes*22 + 170
	height := top + len(sc.Steps)*(boxH+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="flow" viewBox="0 0 %d %d" width="%d" height="%d" role="group" aria-labelledby="flow-title">`, width, height, width, height)
	b.WriteString(`<defs><marker id="flow-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#6b7280"/></marker></defs>`)
	answer := map[int64]string{}
	for _, st := range sc.Steps {
		for _, a := range st.Answers {
			answer[a.ID] = a.Label.In(lang, sc.Language)
		}
	}
	y := func(i int) int { return top + i*(boxH+gap) }
	lane := 0
	for _, e := range edges {
		label := answer[e.AnswerID]
		if e.NoOperator {
			label = noOperator
		}
		if e.To == e.From+1 {
			x := left + boxW/2
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#6b7280" marker-end="url(#flow-arrow)"/>`, x, y(e.From)+boxH, x, y(e.To)-2)
			if label != "" {
				fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#374151">%s</text>`, x+6, y(e.From)+boxH+gap/2+4, esc(short(label, 40)))
			}
			continue
		}
		lane++
		x := left + boxW + 16 + lane*22
		y1, y2 := y(e.From)+boxH/2, y(e.To)+boxH/2
		fmt.Fprintf(&b, `<path d="M%d %d H%d V%d H%d" fill="none" stroke="#6b7280" marker-end="url(#flow-arrow)"/>`, left+boxW, y1, x, y2, left+boxW+2)
		if label != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#374151">%s</text>`, left+boxW+16+lanes*22+12, y1+4, esc(short(label, 28)))
		}
	}
	for i, st := range sc.Steps {
		fill := "#f3f4f6"
		if st.Type.Waits() {
			fill = "#e0f2fe"
		} else if st.Type == model.StepForward {
			fill = "#fef3c7"
		}
		fmt.Fprintf(&b, `<a href="#step-%d"><rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s" stroke="#9ca3af"/>`, i+1, left, y(i), boxW, boxH, fill)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" font-weight="600" fill="#374151">%d · %s</text>`, left+10, y(i)+16, i+1, esc(typeLabel(st.Type)))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#111827">%s</text></a>`, left+10, y(i)+34, esc(short(st.Message.In(lang, sc.Language), 44)))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func esc(s string) string { return html.EscapeString(s) }

func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

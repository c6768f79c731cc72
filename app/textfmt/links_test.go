package textfmt

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// linkCase is one case of the link rule shared by every client: a text and
// the parts it splits into, each {"text": …} or {"link": …}.
type linkCase struct {
	In    string              `json:"in"`
	Parts []map[string]string `json:"parts"`
}

func loadLinkCases(t *testing.T) []linkCase {
	t.Helper()
	b, err := os.ReadFile("../../assets/testdata/links.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct{ Cases []linkCase }
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatalf(`links.json: %v`, err)
	}
	if len(table.Cases) < 10 {
		t.Fatalf(`links.json: only %d cases`, len(table.Cases))
	}
	return table.Cases
}

// TestLinks runs the shared table (the browser tests in app/web run the same
// one against chat.js and widget.js).
func TestLinks(t *testing.T) {
	for _, c := range loadLinkCases(t) {
		want := []Part{}
		var joined strings.Builder
		for _, p := range c.Parts {
			if u, ok := p["link"]; ok {
				want = append(want, Part{Text: u, Link: true})
				joined.WriteString(u)
			} else {
				want = append(want, Part{Text: p["text"]})
				joined.WriteString(p["text"])
			}
		}
		if joined.String() != c.In {
			t.Errorf(`links.json: the parts of %q join into %q`, c.In, joined.String())
		}
		got := Links(c.In)
		if got == nil {
			got = []Part{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf(`Links(%q) = %+v, want %+v`, c.In, got, want)
		}
	}
}

// FuzzLinks: whatever the input, the parts join into it and
// links start with http(s)://.
func FuzzLinks(f *testing.F) {
	f.Add("see https://en.wikipedia.org/wiki/Go_(programming_language)).")
	f.Add("(https://a.example/[x](y)]")
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		for _, p := range Links(s) {
			b.WriteString(p.Text)
			if p.Link && !strings.HasPrefix(strings.ToLower(p.Text), "http") {
				t.Fatalf(`link %q in %q`, p.Text, s)
			}
		}
		if b.String() != s {
			t.Fatalf(`Links(%q) joins into %q`, s, b.String())
		}
	})
}

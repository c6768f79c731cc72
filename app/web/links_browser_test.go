package web_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
)

// jsLinkParts is the link rule as chat.js and widget.js both write it: the
// LINK_RE expression and the linkParts function after it, up to the line that
// closes it.
var jsLinkParts = regexp.MustCompile(`(?s)\n  var LINK_RE = [^\n]*\n  function linkParts\(text\) \{\n.*?\n  \}\n`)

// TestBrowserLinkParts runs the link table that app/textfmt's Go test runs
// (assets/testdata/links.json) against the linkParts function of the
// operator's chat.js and of the visitor's widget.js, in Chromium: every
// client shows the same links.
func TestBrowserLinkParts(t *testing.T) {
	table, err := os.ReadFile(filepath.Join(apptest.AssetsDir(), "testdata", "links.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Cases []struct {
			In    string              `json:"in"`
			Parts []map[string]string `json:"parts"`
		}
	}
	if err := json.Unmarshal(table, &want); err != nil {
		t.Fatalf(`links.json: %v`, err)
	}
	browser := apptest.NewBrowser(t)
	var fns []string
	for _, file := range []string{"static/js/chat.js", "widget/widget.js"} {
		src, err := os.ReadFile(filepath.Join(apptest.AssetsDir(), file))
		if err != nil {
			t.Fatal(err)
		}
		fn := jsLinkParts.Find(src)
		if fn == nil {
			t.Fatalf(`%s: no "var LINK_RE = …" followed by "function linkParts(text) {…}" found`, file)
		}
		fns = append(fns, string(fn))
		got := apptest.Run(t, browser, chromedp.Evaluate[[][]map[string]string](`(function () {`+string(fn)+`
  return (`+string(table)+`).cases.map(function (c) { return linkParts(c.in); });
})()`))
		if len(got) != len(want.Cases) {
			t.Fatalf(`%s: %d results for %d cases`, file, len(got), len(want.Cases))
		}
		for i, c := range want.Cases {
			if g, w := fmt.Sprintf("%q", got[i]), fmt.Sprintf("%q", c.Parts); g != w {
				t.Errorf(`%s: linkParts(%q) = %s, want %s`, file, c.In, g, w)
			}
		}
	}
	if fns[0] != fns[1] {
		t.Errorf(`chat.js and widget.js write linkParts differently: keep the two copies the same`)
	}
	apptest.AssertNoConsoleErrors(t, browser)
}

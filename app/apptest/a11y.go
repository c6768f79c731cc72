package apptest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axe-core is vendored for the tests only (assets/vendor.sh); it is read
// once and injected into each page through DevTools, so the pages' CSP
// does not have to allow it.
var (
	axeOnce sync.Once
	axeSrc  string
	axeErr  error
)

func axeSource() (string, error) {
	axeOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(AssetsDir(), "testdata", "axe", "axe.min.js"))
		axeSrc, axeErr = string(b), err
	})
	return axeSrc, axeErr
}

// AxeViolation is one rule a page breaks, with the elements that break it.
type AxeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", v.ID, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
	}
	return b.String()
}

// AssertAccessible runs axe-core's WCAG 2.1 A and AA rules on the tab's
// current page (open shadow roots included, so the widget is checked too)
// and fails the test with every violation, named by what.
func AssertAccessible(t testing.TB, ctx context.Context, what string) {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatalf("axe-core: %v (run assets/vendor.sh)", err)
	}
	if !Run(t, ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		Run(t, ctx, chromedp.Evaluate[bool](src+"\n;true"))
	}
	const run = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]})
		.then(r => JSON.stringify(r.violations))`
	raw := Run(t, ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatalf("axe-core answer: %v", err)
	}
	for _, v := range vs {
		t.Errorf("%s: accessibility: %s", what, v)
	}
}

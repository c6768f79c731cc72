package web

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

// TestJSTextKeys: every text key the admin scripts ask for exists in the
// JSON block of the page they run on (a missing one would show the bare
// key, such as "endAsk", in the chat window), and every key of a block is
// used; the blocks' values go through the catalogues, which the i18n test
// keeps complete.
func TestJSTextKeys(t *testing.T) {
	root := filepath.Join("..", "..", "assets")
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	blockKeys := func(src, id string) map[string]bool {
		m := regexp.MustCompile(`(?s)id="` + id + `">\{(.*?)\}</script>`).FindStringSubmatch(src)
		if m == nil {
			t.Fatalf("no %s block", id)
		}
		keys := map[string]bool{}
		for _, k := range regexp.MustCompile(`"(\w+)":`).FindAllStringSubmatch(m[1], -1) {
			keys[k[1]] = true
		}
		return keys
	}
	calls := func(src, fn string) map[string]bool {
		used := map[string]bool{}
		for _, k := range regexp.MustCompile(`\b`+fn+`\('(\w+)'`).FindAllStringSubmatch(src, -1) {
			used[k[1]] = true
		}
		return used
	}
	for _, c := range []struct {
		script, fn, template, block string
	}{
		{"static/js/chat.js", "tr", "templates/partials/_chat.html", "chat-i18n"},
		{"static/js/chat.js", "pageT", "templates/pages/conversations.html", "conv-i18n"},
		{"static/js/admin.js", "tr", "templates/layout/base.html", "admin-i18n"},
	} {
		used, have := calls(read(c.script), c.fn), blockKeys(read(c.template), c.block)
		var missing, unused []string
		for k := range used {
			if !have[k] {
				missing = append(missing, k)
			}
		}
		for k := range have {
			if !used[k] {
				unused = append(unused, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(unused)
		if len(missing) > 0 {
			t.Errorf("%s asks %s for %v, missing from the %s block in %s", c.script, c.fn, missing, c.block, c.template)
		}
		if len(unused) > 0 {
			t.Errorf("the %s block in %s has %v, which %s never asks for", c.block, c.template, unused, c.script)
		}
	}
}

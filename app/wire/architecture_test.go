package wire_test

import (
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// allowed is the table of docs' architecture (package → the project
// packages it may import), enforced: rules live in domain packages, the
// store knows no domain, nothing but the composition root knows web.
// Imports outside the module (stdlib, dependencies) and test files (which
// set up real databases and servers) are not restricted here.
var allowed = map[string][]string{
	"model":    {},
	"version":  {},
	"i18n":     {},
	"config":   {},
	"geo":      {},
	"events":   {"model"},
	"realtime": {"model"},
	"store":    {"model", "db", "lru"},
	"auth":     {"model", "store", "events", "lru"},
	"attach":   {"model"},
	"livechat": {"model", "store", "events", "auth", "geo", "schedule", "face", "attach"},
	"schedule": {},
	"face":     {"model"},
	"rating":   {"model", "store", "events", "livechat"},
	"pivot":    {},
	"chart":    {},
	"csvout":   {},
	"chatbot":  {"model", "store", "livechat"},
	"web":      {"model", "attach", "config", "i18n", "version", "geo", "realtime", "events", "auth", "livechat", "rating", "pivot", "chart", "csvout", "chatbot", "textfmt", "lru", "mail", "leads", "helpdesk", "commands", "webhooks", "site"},
	"wire":     {"*"},
	"apptest":  {"*"},
	"textfmt":  {},
	"lru":      {},
	"metrics":  {"events", "livechat", "realtime", "outbox"},
	"outbox":   {"model", "store"},
	"settings": {"store"},
	"replica":  {"config"},
	// The load tool speaks to a server only through its public contract.
	"loadtest": {},
	// The collector's pace reads only the runtime.
	"heap":     {},
	"site":     {"model", "store", "settings", "config", "geo", "i18n", "livechat"},
	"mail":     {"model", "store", "outbox", "settings", "i18n", "config", "auth", "livechat"},
	"leads":    {"model", "store"},
	"helpdesk": {"model", "store"},
	"commands": {"model", "store", "livechat", "leads", "helpdesk", "events"},
	"webhooks": {"model", "store", "outbox"},
}

// TestImportsFollowTheArchitecture fails when a package imports against
// the table, so the shape does not erode one handler at a time.
func TestImportsFollowTheArchitecture(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	appDir := filepath.Join(filepath.Dir(file), "..")
	entries, err := os.ReadDir(appDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		pkg := e.Name()
		rules, known := allowed[pkg]
		if !known {
			t.Errorf("app/%s is not in the architecture table: add it with the packages it may import", pkg)
			continue
		}
		for imp, files := range projectImports(t, filepath.Join(appDir, pkg)) {
			if !permitted(pkg, imp, rules) {
				t.Errorf("app/%s imports %s (%s): not allowed by the architecture (see docs); it may import %v", pkg, imp, strings.Join(files, ", "), rules)
			}
		}
	}
}

func permitted(pkg, imp string, rules []string) bool {
	if imp == "web" || imp == "wire" {
		return pkg == "wire" || pkg == "apptest"
	}
	for _, r := range rules {
		if r == "*" || r == imp || strings.HasPrefix(imp, r+"/") {
			return true
		}
	}
	return strings.HasPrefix(imp, pkg+"/") // its own subpackages (geo/geotest)
}

// projectImports maps each project package a directory's non-test Go
// files import (as "store", "db", "geo/geotest") to the files importing it.
func projectImports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if ok, err := build.Default.MatchFile(dir, filepath.Base(f)); err != nil || !ok {
			continue // not part of the build (a generator behind //go:build ignore)
		}
		for _, is := range af.Imports {
			path, _ := strconv.Unquote(is.Path.Value)
			var rel string
			switch {
			case strings.HasPrefix(path, "parley/app/"):
				rel = strings.TrimPrefix(path, "parley/app/")
			case path == "parley/db" || path == "parley/assets":
				rel = strings.TrimPrefix(path, "parley/")
			default:
				continue
			}
			out[rel] = append(out[rel], filepath.Base(f))
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

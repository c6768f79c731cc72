package i18n

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The completeness check: every translatable string the code uses must
// have an entry in every catalogue, and no catalogue may keep an entry
// nobody uses. Strings are found where the code hands English text to be
// translated:
//
//   - Go: the message argument of T, N (the singular is the key), userErr,
//     model.Refuse and the packages' refusal helpers; Message, Msg and Help
//     fields of composite literals; strings returned by Label methods;
//     literals assigned to a variable named msg; the widgetStrings list;
//     named string constants used in those places are resolved.
//   - Templates: {{.L.T "…"}} (any receiver ending in L) and
//     {{.L.N count "singular" "plural"}}, which also covers the JSON blocks
//     the admin JavaScript reads its texts from.

// msgArg is, for each function or method name, the index of its argument
// that holds the English message.
var msgArg = map[string]int{
	"T": 0, "N": 1, "userErr": 2, "Refuse": 2, "refusal": 1, "forbidden": 0, "fieldErr": 1, "userAction": 2,
	"fail": 0, "usageErr": 0, "say": 1, // the CLI (main.go)
	"optionErr": 0, "progress": 0, // parley loadtest
}

var msgFields = map[string]bool{"Message": true, "Msg": true, "Help": true}

const root = "../.."

func usedStrings(t *testing.T) map[string][]string {
	used := map[string][]string{} // string -> where
	add := func(s, where string) {
		if s != "" && !slices.Contains(used[s], where) {
			used[s] = append(used[s], where)
		}
	}
	goStrings(t, add)
	templateStrings(t, add)
	return used
}

func goStrings(t *testing.T, add func(s, where string)) {
	fset := token.NewFileSet()
	var files []*ast.File
	consts := map[string]string{} // "pkg.Name" and "Name" -> value
	err := filepath.WalkDir(filepath.Join(root, "app"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		if strings.Contains(p, string(filepath.Separator)+"apptest"+string(filepath.Separator)) {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, f)
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := literal(vs.Values[i], nil); ok {
							consts[f.Name.Name+"."+name.Name] = s
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The CLI speaks to people too.
	mainFile, err := parser.ParseFile(fset, filepath.Join(root, "main.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, mainFile)
	for _, decl := range mainFile.Decls {
		if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.CONST {
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := literal(vs.Values[i], nil); ok {
							consts["main."+name.Name] = s
						}
					}
				}
			}
		}
	}
	for _, f := range files {
		pkg := f.Name.Name
		str := func(e ast.Expr) (string, bool) {
			return literal(e, func(e ast.Expr) (string, bool) {
				switch x := e.(type) {
				case *ast.Ident:
					s, ok := consts[pkg+"."+x.Name]
					return s, ok
				case *ast.SelectorExpr:
					if p, ok := x.X.(*ast.Ident); ok {
						s, ok := consts[p.Name+"."+x.Sel.Name]
						return s, ok
					}
				}
				return "", false
			})
		}
		where := func(n ast.Node) string {
			pos := fset.Position(n.Pos())
			rel, _ := filepath.Rel(root, pos.Filename)
			return filepath.ToSlash(rel) + ":" + strconv.Itoa(pos.Line)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				var name string
				switch fn := x.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
					if name == "T" || name == "N" {
						return true // a generic T(), not a translation
					}
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if i, ok := msgArg[name]; ok && i < len(x.Args) {
					if s, ok := str(x.Args[i]); ok {
						add(s, where(x))
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.Ident); ok && msgFields[k.Name] {
					if s, ok := str(x.Value); ok {
						add(s, where(x))
					}
				}
			case *ast.AssignStmt:
				for i, lhs := range x.Lhs {
					if id, ok := lhs.(*ast.Ident); ok && id.Name == "msg" && i < len(x.Rhs) {
						if s, ok := str(x.Rhs[i]); ok {
							add(s, where(x))
						}
					}
				}
			case *ast.FuncDecl:
				if strings.HasSuffix(x.Name.Name, "Label") && x.Body != nil {
					ast.Inspect(x.Body, func(n ast.Node) bool {
						if r, ok := n.(*ast.ReturnStmt); ok && len(r.Results) == 1 {
							if s, ok := str(r.Results[0]); ok {
								add(s, where(r))
							}
						}
						return true
					})
				}
			case *ast.ValueSpec:
				for i, name := range x.Names {
					if name.Name == "widgetStrings" && i < len(x.Values) {
						for _, el := range x.Values[i].(*ast.CompositeLit).Elts {
							if s, ok := str(el); ok {
								add(s, where(el))
							}
						}
					}
				}
			}
			return true
		})
	}
}

// literal evaluates a string literal, a sum of them, or (through resolve)
// a named constant.
func literal(e ast.Expr, resolve func(ast.Expr) (string, bool)) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			s, err := strconv.Unquote(x.Value)
			return s, err == nil
		}
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			a, ok1 := literal(x.X, resolve)
			b, ok2 := literal(x.Y, resolve)
			return a + b, ok1 && ok2
		}
	case *ast.ParenExpr:
		return literal(x.X, resolve)
	}
	if resolve != nil {
		return resolve(e)
	}
	return "", false
}

var (
	tplString = `("(?:[^"\\]|\\.)*"|` + "`[^`]*`)"
	tplT      = regexp.MustCompile(`\bL\.T\s+` + tplString)
	tplN      = regexp.MustCompile(`\bL\.N\s+[^\s"]+\s+` + tplString + `\s+` + tplString)
)

func templateStrings(t *testing.T, add func(s, where string)) {
	dir := filepath.Join(root, "assets", "templates")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		src := string(b)
		line := func(i int) string { return filepath.ToSlash(rel) + ":" + strconv.Itoa(1+strings.Count(src[:i], "\n")) }
		unq := func(q string) string {
			if strings.HasPrefix(q, "`") {
				return strings.Trim(q, "`")
			}
			s, err := strconv.Unquote(q)
			if err != nil {
				t.Errorf("%s: cannot read %s: %v", rel, q, err)
			}
			return s
		}
		for _, m := range tplT.FindAllStringSubmatchIndex(src, -1) {
			add(unq(src[m[2]:m[3]]), line(m[0]))
		}
		for _, m := range tplN.FindAllStringSubmatchIndex(src, -1) {
			add(unq(src[m[2]:m[3]]), line(m[0]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCataloguesComplete(t *testing.T) {
	used := usedStrings(t)
	if len(used) < 300 {
		t.Fatalf("found only %d translatable strings; the extraction is broken", len(used))
	}
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range b.Languages()[1:] {
		keys := b.Keys(lang)
		var missing, unused []string
		for s, where := range used {
			if !slices.Contains(keys, s) {
				q, _ := json.Marshal(s)
				missing = append(missing, string(q)+"  ("+strings.Join(where, ", ")+")")
			}
		}
		for _, k := range keys {
			if _, ok := used[k]; !ok {
				unused = append(unused, strconv.Quote(k))
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("locales/%s (.json or a part) lacks %d strings:\n%s", lang, len(missing), strings.Join(missing, "\n"))
		}
		if len(unused) > 0 {
			t.Errorf("locales/%s (.json or a part) has %d entries nobody uses (remove them):\n%s", lang, len(unused), strings.Join(unused, "\n"))
		}
	}
}

var verb = regexp.MustCompile(`%[-+# 0]*(?:\[\d+\])?\d*(?:\.\d+)?[a-zA-Z%]`)

// TestTranslationsKeepVerbs checks that every translation has the format
// verbs of its English source, in the same order: a lost %d or a %s where
// %d belongs would print garbage like %!d(string=…).
func TestTranslationsKeepVerbs(t *testing.T) {
	files, err := catalogueFiles(locales, "locales")
	if err != nil {
		t.Fatal(err)
	}
	for _, cf := range files {
		f := cf.path
		b, _ := fs.ReadFile(locales, f)
		var cat map[string]json.RawMessage
		if err := json.Unmarshal(b, &cat); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for src, raw := range cat {
			var forms map[string]string
			var text string
			if json.Unmarshal(raw, &text) == nil {
				forms = map[string]string{"": text}
			} else if err := json.Unmarshal(raw, &forms); err != nil {
				t.Errorf("%s: %q: %v", f, src, err)
				continue
			}
			want := strings.Join(verb.FindAllString(src, -1), " ")
			for form, tr := range forms {
				if strings.TrimSpace(tr) == "" {
					t.Errorf("%s: %q: empty translation", f, src)
				}
				if got := strings.Join(verb.FindAllString(tr, -1), " "); got != want {
					t.Errorf("%s: %q %s: verbs %q, want %q as in English", f, src, form, got, want)
				}
			}
		}
	}
}

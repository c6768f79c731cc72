package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"parley/app/helpdesk"
	"parley/app/i18n"
	"parley/app/leads"
	"parley/app/livechat"
	"parley/app/model"
)

// Page is what every full admin page template receives.
type Page struct {
	Title     string
	BodyClass string
	Nav       string // active navigation entry
	User      *model.User
	CSRF      string
	L         *i18n.Localizer
	Flash     *Flash
	SiteName  string
	Version   string
	BaseURL   string
	// AddressInUse is the address an admin browses from when the public URL
	// names this machine's loopback, which visitors cannot reach: the page
	// says so and offers it. Empty otherwise.
	AddressInUse string
	// MailOff is set for admins while no SMTP server is configured: mail
	// waits in the outbox, and the page says so.
	MailOff bool
	// RestartFor is the public URL an admin saved, which Parley uses
	// after a restart; "" when it is the one in use.
	RestartFor string
	Data       any
}

// Flash is a one-shot message carried across a redirect.
type Flash struct {
	Kind string // ok | error | info
	Msg  string
}

// Fragment is what a partial receives: the same request context as a page,
// with its own data.
type Fragment struct {
	User *model.User
	CSRF string
	L    *i18n.Localizer
	Data any
}

// renderer parses templates once (or per request in dev mode) and serves
// content-hashed static URLs.
type renderer struct {
	fsys fs.FS
	dev  bool

	mu     sync.Mutex
	pages  map[string]*lazyPage // page name → base + partials + page, built on first use
	parts  *template.Template   // partials only, for htmx fragments
	hashes map[string]string    // static path → content hash
	packed precompressed        // static files compressed once
}

func newRenderer(fsys fs.FS, dev bool) (*renderer, error) {
	r := &renderer{fsys: fsys, dev: dev}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *renderer) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": r.assetURL,
		"iso": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"utc": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"initials": initials,
		// decimal writes a figure as the reader's language does (1,5 in Spanish).
		"decimal": func(l *i18n.Localizer, v float64) string { return l.Decimal(v, 1) },
		// visitorName labels a visitor without a name in the viewer's language.
		"visitorName": func(l *i18n.Localizer, name string, id int64) string { return livechat.VisitorLabel(l, name, id) },
		"stageLabel":  leads.StageLabel,
		"statusLabel": helpdesk.StatusLabel,
		"langName":    func(tag string) string { return i18n.LanguageName(tag) },
		// languageName is a language's own name ("Español"), for pickers.
		"languageName": i18n.LanguageName,
		"faceLabel":    faceLabel,
		"viewLabel":    viewLabel,
		"dimLabel":     dimLabel,
		"measureLabel": measureLabel,
		"list":         func(v ...any) []any { return v },
		// query is "?" and the URL query of v with the pairs kv set.
		"query": func(v url.Values, kv ...string) template.URL {
			q := url.Values{}
			for k, vs := range v {
				q[k] = vs
			}
			for i := 0; i+1 < len(kv); i += 2 {
				q.Set(kv[i], kv[i+1])
			}
			return template.URL("?" + q.Encode()) // encoded: a safe relative URL
		},
		"flag":      flagEmoji,
		"avatarHue": func(id int64) int { return int((id * 47) % 360) },
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"contains": func(list []string, s string) bool {
			for _, v := range list {
				if v == s {
					return true
				}
			}
			return false
		},
		"add":      func(a, b int) int { return a + b },
		"duration": humanDuration,
		"percent": func(part, whole int) int {
			if whole <= 0 {
				return 0
			}
			return part * 100 / whole
		},
	}
}

func initials(name string) string {
	var out []rune
	for _, f := range strings.Fields(name) {
		out = append(out, []rune(strings.ToUpper(f))[0])
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

func (r *renderer) load() error {
	hashes := map[string]string{}
	err := fs.WalkDir(r.fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(r.fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hashes[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:])[:10]
		return nil
	})
	if err != nil {
		return fmt.Errorf("web: hash static files: %w", err)
	}
	r.mu.Lock()
	r.hashes = hashes
	r.mu.Unlock()

	common, err := fs.Glob(r.fsys, "templates/partials/*.html")
	if err != nil {
		return err
	}
	layouts, err := fs.Glob(r.fsys, "templates/layout/*.html")
	if err != nil {
		return err
	}
	parts := template.New("").Funcs(r.funcs())
	if len(common) > 0 {
		if parts, err = parts.ParseFS(r.fsys, common...); err != nil {
			return fmt.Errorf("web: parse partials: %w", err)
		}
	}
	base, err := parts.Clone()
	if err != nil {
		return err
	}
	if base, err = base.ParseFS(r.fsys, layouts...); err != nil {
		return fmt.Errorf("web: parse layouts: %w", err)
	}
	pageFiles, err := fs.Glob(r.fsys, "templates/pages/*.html")
	if err != nil {
		return err
	}
	// Each page is a deep copy of every partial (html/template escapes its
	// copy in place): all of them together were most of an idle server's
	// heap and of its start. Its set is built when first opened. With
	// --dev a page's own file is parsed here too, so that an edit that
	// breaks it shows at once; the embedded pages are all rendered by
	// TestTemplates, so a broken one cannot ship, and parsing them again at
	// every start took 9 ms of it.
	pages := map[string]*lazyPage{}
	for _, f := range pageFiles {
		if r.dev {
			if _, err := template.New(path.Base(f)).Funcs(r.funcs()).ParseFS(r.fsys, f); err != nil {
				return fmt.Errorf("web: parse %s: %w", f, err)
			}
		}
		pages[strings.TrimSuffix(path.Base(f), ".html")] = &lazyPage{base: base, fsys: r.fsys, file: f}
	}
	r.mu.Lock()
	r.pages, r.parts = pages, parts
	r.mu.Unlock()
	return nil
}

func (r *renderer) assetURL(name string) string {
	r.mu.Lock()
	h := r.hashes[name]
	r.mu.Unlock()
	if h == "" {
		h = "0"
	}
	return "/static/" + h + "/" + name
}

// page renders a full page into w through the base layout.
func (r *renderer) page(w io.Writer, name string, p *Page) error {
	if r.dev {
		if err := r.load(); err != nil {
			return err
		}
	}
	r.mu.Lock()
	lp := r.pages[name]
	r.mu.Unlock()
	if lp == nil {
		return fmt.Errorf("web: no page template %q", name)
	}
	t, err := lp.get()
	if err != nil {
		return err
	}
	var buf bytes.Buffer // render fully first so a template error never sends half a page
	if err := t.ExecuteTemplate(&buf, "base", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	_, err = buf.WriteTo(w)
	return err
}

// lazyPage is one page's template set, built when first rendered.
type lazyPage struct {
	base *template.Template
	fsys fs.FS
	file string
	once sync.Once
	t    *template.Template
	err  error
}

func (lp *lazyPage) parse() (*template.Template, error) {
	t, err := lp.base.Clone()
	if err != nil {
		return nil, err
	}
	if t, err = t.ParseFS(lp.fsys, lp.file); err != nil {
		return nil, fmt.Errorf("web: parse %s: %w", lp.file, err)
	}
	return t, nil
}

func (lp *lazyPage) get() (*template.Template, error) {
	lp.once.Do(func() { lp.t, lp.err = lp.parse() })
	return lp.t, lp.err
}

// fragment renders one named partial on its own, for htmx swaps.
func (r *renderer) fragment(w io.Writer, name string, f *Fragment) error {
	if r.dev {
		if err := r.load(); err != nil {
			return err
		}
	}
	r.mu.Lock()
	t := r.parts
	r.mu.Unlock()
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, f); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// staticHash returns the current hash of a static file, "" when unknown.
func (r *renderer) staticHash(name string) string {
	if r.dev {
		if b, err := fs.ReadFile(r.fsys, "static/"+name); err == nil {
			sum := sha256.Sum256(b)
			return hex.EncodeToString(sum[:])[:10]
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hashes[name]
}

// faceLabel names a rating's face in the reader's language.
func faceLabel(l *i18n.Localizer, v int) string {
	switch v {
	case model.RatingSatisfied:
		return l.T("Satisfied")
	case model.RatingNeutral:
		return l.T("Neutral")
	case model.RatingDissatisfied:
		return l.T("Dissatisfied")
	}
	return ""
}

// viewLabel names a report view.
func viewLabel(l *i18n.Localizer, v string) string {
	switch v {
	case "kanban":
		return l.T("Kanban")
	case "list":
		return l.T("List")
	case "pivot":
		return l.T("Pivot")
	case "graph":
		return l.T("Graph")
	case "summary":
		return l.T("Summary")
	}
	return v
}

// dimLabel names what a report groups by.
func dimLabel(l *i18n.Localizer, d string) string {
	switch d {
	case "operator":
		return l.T("Operator")
	case "channel":
		return l.T("Channel")
	case "rating":
		return l.T("Rating")
	case "day":
		return l.T("Day")
	case "week":
		return l.T("Week")
	case "month":
		return l.T("Month")
	case "country":
		return l.T("Country")
	case "language":
		return l.T("Language")
	case "hour":
		return l.T("Hour (UTC)")
	}
	return d
}

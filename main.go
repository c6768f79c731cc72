// Command parley is a self-hosted live chat appliance: one binary, one
// SQLite file. This file is the composition root: it alone reads flags and
// the environment, builds every component in order and exits.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"parley/app/auth"
	"parley/app/config"
	"parley/app/heap"
	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/loadtest"
	"parley/app/model"
	"parley/app/replica"
	"parley/app/store"
	"parley/app/version"
	"parley/app/wire"
	"parley/assets"
	"parley/db"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr))
}

const usage = `Parley — self-hosted live chat.

Usage:
  parley [serve] [flags]            run the server (the default command)
  parley migrate [flags]            apply database migrations and exit
  parley user create --email E --name N --role admin|operator [--password-file F]
                                    create a user; the password comes from
                                    --password-file, PARLEY_PASSWORD or a prompt
  parley token create --email E [--name N]
                                    create an API token; printed alone on the last line
  parley backup FILE                write a consistent copy of the database to FILE
  parley restore FILE               replace the database with a backup (server stopped;
                                    the replaced file is kept beside it)
  parley restore --from-replica URL [--at TIME]
                                    the same from a Litestream replica, as it was
                                    at TIME (RFC 3339) or as it is now
  parley visitor export --id N      print everything stored about a visitor, as JSON
  parley visitor erase --id N       delete a visitor with their conversations (GDPR)
  parley healthcheck                probe /healthz of the running server (for Docker)
  parley loadtest [--idle N] [--chatting N --rate R --duration D] [--operators K | --tokens F]
                                    drive a running server as visitors and operators
                                    would and report its capacity (see README)
  parley version                    print the version

Flags shared by every command:
  --config FILE      YAML configuration (default ./parley.yaml when it exists)
  --data-dir DIR     where parley.db lives (default ./data)
  --log-level LEVEL  debug, info, warn or error
  --log-format FMT   text or json
serve also takes --listen ADDR, --base-url URL and --dev (read assets/ from disk).
Every setting can also come from PARLEY_* environment variables; see config.example.yaml.
`

// exit codes
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// cli carries what one invocation needs.
type cli struct {
	l       *i18n.Localizer // the terminal's language
	ctx     context.Context
	environ []string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
}

func (c *cli) getenv(key string) string {
	for _, kv := range c.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// fail prints a message for the person at the terminal, in their
// language, and returns the error exit code.
func (c *cli) fail(format string, args ...any) int {
	fmt.Fprintf(c.stderr, "parley: %s\n", c.l.T(format, args...))
	return exitError
}

func (c *cli) usageErr(format string, args ...any) int {
	fmt.Fprintf(c.stderr, "parley: %s\n\n%s", c.l.T(format, args...), c.l.T(usage))
	return exitUsage
}

// say prints a line for the person at the terminal, in their language.
func (c *cli) say(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, c.l.T(format, args...))
}

// terminalLanguage is the language of the person at the terminal, from
// LC_ALL, LC_MESSAGES or LANG ("es_ES.UTF-8"); English when none names one
// Parley has a catalogue for.
func terminalLanguage(environ []string) *i18n.Localizer {
	b, err := i18n.Load()
	if err != nil {
		return i18n.New(nil).English()
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v, _, _ := strings.Cut(env[k], ".")
		v, _, _ = strings.Cut(v, "@")
		if v == "" || v == "C" || v == "POSIX" {
			continue
		}
		return b.MatchStrings(strings.ReplaceAll(v, "_", "-"))
	}
	return b.English()
}

func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{ctx: ctx, environ: environ, stdin: stdin, stdout: stdout, stderr: stderr, l: terminalLanguage(environ)}
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return c.serve(args)
	case "migrate":
		return c.migrate(args)
	case "user":
		if len(args) == 0 || args[0] != "create" {
			return c.usageErr("unknown user command; want: parley user create")
		}
		return c.userCreate(args[1:])
	case "token":
		if len(args) == 0 || args[0] != "create" {
			return c.usageErr("unknown token command; want: parley token create")
		}
		return c.tokenCreate(args[1:])
	case "backup":
		return c.backup(args)
	case "restore":
		return c.restore(args)
	case "visitor":
		if len(args) == 0 || (args[0] != "export" && args[0] != "erase") {
			return c.usageErr("unknown visitor command; want: parley visitor export|erase --id N")
		}
		return c.visitor(args[0], args[1:])
	case "healthcheck":
		return c.healthcheck(args)
	case "loadtest":
		return c.loadtest(args)
	case "version":
		// version takes the shared flags like every command (and ignores
		// them), but a bogus flag or word is still a usage error.
		if code, ok := c.parse(c.flags("version", false), args); !ok {
			return code
		}
		fmt.Fprintln(stdout, "parley", version.String())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, c.l.T(usage))
		return exitOK
	}
	return c.usageErr("unknown command %q", cmd)
}

// common flags shared by every command.
type common struct {
	fs                        *flag.FlagSet
	configPath                string
	dataDir, logLevel, logFmt string
	listen, baseURL           string
	dev                       bool
}

func (c *cli) flags(name string, serve bool) *common {
	f := &common{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	f.fs.SetOutput(io.Discard) // errors are printed once, with the usage, below
	f.fs.StringVar(&f.configPath, "config", "", "YAML configuration file")
	f.fs.StringVar(&f.dataDir, "data-dir", "", "data directory")
	f.fs.StringVar(&f.logLevel, "log-level", "", "log level")
	f.fs.StringVar(&f.logFmt, "log-format", "", "log format")
	if serve {
		f.fs.StringVar(&f.listen, "listen", "", "listen address")
		f.fs.StringVar(&f.baseURL, "base-url", "", "public URL")
		f.fs.BoolVar(&f.dev, "dev", false, "read assets from disk")
	}
	return f
}

// parse parses args, reporting bad flags and leftover words as a usage
// error. The flag package stops at the first word that is not a flag, so
// without the check "parley serve extra --listen X" would silently drop
// --listen X and run with settings nobody asked for.
func (c *cli) parse(f *common, args []string) (int, bool) {
	if code, ok := c.parseFlags(f, args); !ok {
		return code, false
	}
	if f.fs.NArg() > 0 {
		return c.usageErr("%s: unexpected argument %q", f.fs.Name(), f.fs.Arg(0)), false
	}
	return 0, true
}

// parseFlags parses args, reporting bad flags as a usage error.
func (c *cli) parseFlags(f *common, args []string) (int, bool) {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(c.stdout, c.l.T(usage))
			return exitOK, false
		}
		return c.usageErr("%s: %v", f.fs.Name(), err), false
	}
	return 0, true
}

// parseWords parses args allowing flags before, between and after the
// words that are not flags, which it returns: the flag package stops at the
// first such word, so the rest is parsed again after it. After "--" every
// remaining argument is a word.
func (c *cli) parseWords(f *common, args []string) ([]string, int, bool) {
	var words []string
	for {
		if code, ok := c.parseFlags(f, args); !ok {
			return nil, code, false
		}
		rest := f.fs.Args()
		if len(rest) == 0 {
			return words, 0, true
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(words, rest...), 0, true
		}
		words = append(words, rest[0])
		args = rest[1:]
	}
}

// config loads file < env < flags and validates.
func (c *cli) config(f *common) (config.Config, error) {
	path := f.configPath
	if path == "" {
		path = c.getenv("PARLEY_CONFIG")
	}
	if path == "" {
		if _, err := os.Stat("parley.yaml"); err == nil {
			path = "parley.yaml"
		}
	}
	cfg, err := config.Load(path, c.environ)
	if err != nil {
		return cfg, err
	}
	for key, v := range map[string]string{"data_dir": f.dataDir, "log.level": f.logLevel, "log.format": f.logFmt, "listen": f.listen, "base_url": f.baseURL} {
		if v != "" {
			if err := cfg.Set(key, v); err != nil {
				return cfg, err
			}
		}
	}
	return cfg, cfg.Validate()
}

func (c *cli) logger(cfg config.Config) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(c.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(c.stderr, opts))
}

// openStore makes the data directory and opens the database in it as it
// is, without migrating it.
func (c *cli) openStore(cfg config.Config) (*store.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data_dir %s cannot be created: %w", cfg.DataDir, err)
	}
	probe, err := os.CreateTemp(cfg.DataDir, ".write-test-*")
	if err != nil {
		return nil, fmt.Errorf("data_dir %s is not writable: %w", cfg.DataDir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return store.Open(c.ctx, cfg.DatabasePath())
}

// openMigrated opens the database like openStore and applies pending
// migrations.
func (c *cli) openMigrated(cfg config.Config, log *slog.Logger) (*store.Store, error) {
	st, err := c.openStore(cfg)
	if err != nil {
		return nil, err
	}
	// An upgrade that changes the schema keeps a copy of the database as it
	// was, so going back to the previous release is a restore away.
	current, known, err := db.Versions(c.ctx, st.Writer())
	if err != nil {
		st.Close()
		return nil, err
	}
	if current > 0 && current < known {
		path, err := preUpgradeBackup(c.ctx, st, cfg, current)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("backup before upgrading the database: %w", err)
		}
		log.Info("database backed up before upgrading its schema", "path", path, "schema_version", current, "new_schema_version", known)
	}
	n, err := db.Migrate(c.ctx, st.Writer())
	if err != nil {
		st.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("database migrated", "migrations_applied", n, "path", cfg.DatabasePath())
	}
	return st, nil
}

// preUpgradeBackup copies the database into data_dir/backups before its
// schema is upgraded, named after the schema version it has.
func preUpgradeBackup(ctx context.Context, st *store.Store, cfg config.Config, version int64) (string, error) {
	dir := cfg.BackupDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("parley-schema%d-%s.db", version, time.Now().UTC().Format("20060102-150405")))
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return path, st.Backup(ctx, abs)
}

// setup parses args, then loads config, logger and the migrated store for
// the commands that need them.
func (c *cli) setup(f *common, args []string) (config.Config, *slog.Logger, *store.Store, int) {
	if code, ok := c.parse(f, args); !ok {
		return config.Config{}, nil, nil, code
	}
	return c.load(f)
}

// load loads config, logger and the migrated store once flags are parsed.
func (c *cli) load(f *common) (config.Config, *slog.Logger, *store.Store, int) {
	cfg, err := c.config(f)
	if err != nil {
		return cfg, nil, nil, c.fail("%v", err)
	}
	log := c.logger(cfg)
	for _, w := range config.UnknownEnv(c.environ, otherEnv...) {
		log.Warn(w)
	}
	st, err := c.openMigrated(cfg, log)
	if err != nil {
		return cfg, nil, nil, c.fail("%v", err)
	}
	return cfg, log, st, exitOK
}

// otherEnv are the PARLEY_* variables read outside the configuration: the
// config file's path, the first admin, the CLI's password, the tests'.
var otherEnv = []string{"PARLEY_CONFIG", "PARLEY_ADMIN_EMAIL", "PARLEY_ADMIN_PASSWORD", "PARLEY_ADMIN_NAME",
	"PARLEY_PASSWORD", "PARLEY_CHROMIUM", "PARLEY_SCREENSHOTS"}

func (c *cli) migrate(args []string) int {
	_, _, st, code := c.setup(c.flags("migrate", false), args)
	if st == nil {
		return code
	}
	defer st.Close()
	c.say(c.stdout, "database is up to date")
	return exitOK
}

func (c *cli) serve(args []string) int {
	spareProc(c.environ)
	f := c.flags("serve", true)
	cfg, log, st, code := c.setup(f, args)
	if st == nil {
		return code
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close database", "error", err)
		}
	}()
	ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	total := heap.Total()
	pace := heap.Default(total)
	if h := cfg.Memory.HeadroomMiB; h != config.AutoHeadroom {
		pace.Headroom = uint64(h) << 20
	}
	tune := !inEnv(c.environ, "GOGC")
	switch {
	case !tune:
		log.Info("heap pace: Go's own, GOGC is set")
	case pace.Headroom == 0 && cfg.Memory.HeadroomMiB == 0:
		log.Info("heap pace: Go's own, memory.headroom_mib is 0")
	case pace.Headroom == 0:
		log.Info("heap pace: Go's own, this system does not say how much memory it has")
	default:
		log.Info("heap pace", "headroom_mib", pace.Headroom>>20, "memory_mib", total>>20)
	}
	go heap.Run(ctx, pace, tune, log)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return c.fail("listen %s: %v", cfg.Listen, err)
	}
	listen := cfg.Listen
	cfg.Listen = ln.Addr().String() // the real port when listen asked for :0
	app, err := wire.Build(ctx, cfg, wire.Deps{Store: st, Logger: log, Assets: assets.FS(f.dev, "assets"), Dev: f.dev})
	if err != nil {
		ln.Close()
		return c.fail("%v", err)
	}
	// The public URL may come from Configuration ▸ Settings: the built
	// application's configuration has it.
	eff := app.Config
	eff.Listen = listen
	if w := eff.LoopbackWarning(); w != "" {
		log.Warn(w)
	}
	srv, authSvc := app.Web, app.Auth
	url := app.Config.PublicURL()
	// The first admin comes before the announcement: invalid PARLEY_ADMIN_*
	// must not print "running at" and then exit.
	msg, err := c.firstAdmin(ctx, authSvc, url)
	if err != nil {
		ln.Close()
		return c.fail("%v", err)
	}
	c.say(c.stdout, "Parley %s is running at %s", version.String(), url)
	fmt.Fprintln(c.stdout, msg)

	app.Start()
	if addr := cfg.Metrics.Listen; addr != "" {
		mln, err := net.Listen("tcp", addr)
		if err != nil {
			ln.Close()
			_ = app.Shutdown(ctx)
			return c.fail("metrics.listen %s: %v", addr, err)
		}
		msrv := &http.Server{Handler: app.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
		log.Info("metrics served", "url", "http://"+mln.Addr().String()+"/metrics")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// Starting (templates, catalogues, migrations) leaves garbage the
	// heap would otherwise keep until the next collection; an idle server
	// should hold only what it uses.
	go debug.FreeOSMemory()
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		log.Info("shutting down: finishing in-flight requests")
	}
	// Sockets close, queued messages are committed and queued events
	// delivered before the deferred store close.
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := app.Shutdown(sctx); err != nil {
		log.Error("shutdown", "error", err)
	}
	if serveErr != nil {
		return c.fail("serve: %v", serveErr)
	}
	if ctx.Err() != nil {
		<-errc
		log.Info("stopped")
	}
	return exitOK
}

// firstAdmin creates the first admin from PARLEY_ADMIN_EMAIL and
// PARLEY_ADMIN_PASSWORD, or returns the one-time setup URL; either way it
// returns the line telling the person at the terminal how to log in.
func (c *cli) firstAdmin(ctx context.Context, a *auth.Service, url string) (string, error) {
	needs, err := a.NeedsSetup(ctx)
	if err != nil {
		return "", err
	}
	if !needs {
		if email, pw := c.getenv("PARLEY_ADMIN_EMAIL"), c.getenv("PARLEY_ADMIN_PASSWORD"); email != "" && pw != "" {
			if ok, err := a.PasswordMatches(ctx, email, pw); err == nil && !ok {
				c.say(c.stderr, "parley: PARLEY_ADMIN_PASSWORD applies only on the first start; %s keeps its current password (change it in My Profile)", email)
			}
		}
		return c.l.T("Log in at %s/login with your administrator account.", url), nil
	}
	email, pw := c.getenv("PARLEY_ADMIN_EMAIL"), c.getenv("PARLEY_ADMIN_PASSWORD")
	if (email == "") != (pw == "") {
		return "", errors.New("PARLEY_ADMIN_EMAIL and PARLEY_ADMIN_PASSWORD must be set together")
	}
	if email != "" && pw != "" {
		name := c.getenv("PARLEY_ADMIN_NAME")
		if name == "" {
			name = "Administrator"
		}
		if _, err := a.CreateFirstAdmin(ctx, auth.NewUser{Email: email, Name: name, Password: pw}); err != nil {
			return "", fmt.Errorf("PARLEY_ADMIN_EMAIL/PARLEY_ADMIN_PASSWORD: %v", err)
		}
		return c.l.T("Administrator %s created from PARLEY_ADMIN_EMAIL. Log in at %s/login", email, url), nil
	}
	return c.l.T("No administrator yet. Create one in your browser (this link works once):\n  %s/setup?token=%s", url, a.SetupToken()), nil
}

func (c *cli) userCreate(args []string) int {
	f := c.flags("user create", false)
	var email, name, role, pwFile string
	f.fs.StringVar(&email, "email", "", "email")
	f.fs.StringVar(&name, "name", "", "name")
	f.fs.StringVar(&role, "role", "operator", "admin or operator")
	f.fs.StringVar(&pwFile, "password-file", "", "file whose first line is the password")
	if code, ok := c.parse(f, args); !ok {
		return code
	}
	if email == "" || name == "" {
		return c.usageErr("user create: --email and --name are required")
	}
	if !model.Role(role).Valid() {
		return c.usageErr("user create: --role %q must be admin or operator", role)
	}
	pw, err := c.password(pwFile)
	if err != nil {
		return c.fail("user create: %v", err)
	}
	// Migrated, unlike backup: the user goes into tables a fresh or older
	// database may not have yet.
	cfg, log, st, code := c.load(f)
	if st == nil {
		return code
	}
	defer st.Close()
	if cfg, err = wire.Effective(c.ctx, st, cfg, log); err != nil {
		return c.fail("user create: %v", err)
	}
	a := auth.New(st, auth.Options{})
	if err := wire.FirstRun(c.ctx, cfg, st, log); err != nil {
		return c.fail("first-run data: %v", err)
	}
	n := auth.NewUser{Email: email, Name: name, Role: model.Role(role), Password: pw}
	var u *model.User
	if needs, _ := a.NeedsSetup(c.ctx); needs && n.Role == model.RoleAdmin {
		u, err = a.CreateFirstAdmin(c.ctx, n)
	} else {
		u, err = a.CreateUser(c.ctx, n)
	}
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return c.fail("user create: --%s: %s", strings.ReplaceAll(fe.Field, "_", "-"), fe.Text())
	}
	if err != nil {
		return c.fail("user create: %v", err)
	}
	c.say(c.stdout, "created %s %s <%s> (id %d)", u.Role, u.Name, u.Email, u.ID)
	c.say(c.stdout, "%s can log in at %s/login", u.Name, cfg.PublicURL())
	return exitOK
}

// password reads the new user's password from a file, PARLEY_PASSWORD, or
// a terminal prompt, in that order.
func (c *cli) password(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	if pw := c.getenv("PARLEY_PASSWORD"); pw != "" {
		return pw, nil
	}
	in, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return "", errors.New("no password: use --password-file FILE, set PARLEY_PASSWORD, or run in a terminal to be prompted")
	}
	fmt.Fprint(c.stderr, "Password: ")
	a, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(c.stderr, "Repeat password: ")
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", err
	}
	if string(a) != string(b) {
		return "", errors.New("the passwords do not match")
	}
	return string(a), nil
}

func (c *cli) tokenCreate(args []string) int {
	f := c.flags("token create", false)
	var email, name string
	f.fs.StringVar(&email, "email", "", "the user the token acts as")
	f.fs.StringVar(&name, "name", "CLI token", "a name to recognise the token")
	if code, ok := c.parse(f, args); !ok {
		return code
	}
	if email == "" {
		return c.usageErr("token create: --email is required")
	}
	// Migrated, unlike backup: the token goes into a table a fresh or older
	// database may not have yet.
	cfg, log, st, code := c.load(f)
	if st == nil {
		return code
	}
	defer st.Close()
	cfg, err := wire.Effective(c.ctx, st, cfg, log)
	if err != nil {
		return c.fail("token create: %v", err)
	}
	u, err := st.UserByEmail(c.ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return c.fail("token create: --email: no user %q", email)
	}
	if err != nil {
		return c.fail("token create: %v", err)
	}
	plain, _, err := auth.New(st, auth.Options{}).CreateAPIToken(c.ctx, u.ID, name)
	if err != nil {
		return c.fail("token create: %v", err)
	}
	c.say(c.stdout, "Send it as \"Authorization: Bearer TOKEN\" to the API at %s/api/v1/.", cfg.PublicURL())
	c.say(c.stdout, "API token for %s <%s>, with the %s role. It is shown only this once:\n%s", u.Name, u.Email, u.Role, plain)
	return exitOK
}

func (c *cli) backup(args []string) int {
	f := c.flags("backup", false)
	// FILE may come before flags too: "parley backup out.db --data-dir D".
	words, code, ok := c.parseWords(f, args)
	if !ok {
		return code
	}
	switch len(words) {
	case 0:
		return c.usageErr("backup: give exactly one destination FILE")
	case 1:
	default:
		return c.usageErr("backup: give exactly one destination FILE, not also %q", words[1])
	}
	dest := words[0]
	cfg, err := c.config(f)
	if err != nil {
		return c.fail("%v", err)
	}
	if _, err := os.Stat(cfg.DatabasePath()); err != nil {
		return c.fail("backup: no database at %s: %v", cfg.DatabasePath(), err)
	}
	// Not migrated: a backup taken with a newer binary before an upgrade
	// must copy the database as it is, and must not change the schema under
	// an older server that is still running on it.
	st, err := c.openStore(cfg)
	if err != nil {
		return c.fail("%v", err)
	}
	defer st.Close()
	abs, _ := filepath.Abs(dest)
	if err := st.Backup(c.ctx, abs); err != nil {
		return c.fail("%v", err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return c.fail("backup: %v", err)
	}
	c.say(c.stdout, "backup written to %s (%d bytes)", dest, info.Size())
	return exitOK
}

// visitor exports or erases one visitor's data, for people exercising
// their rights of access and erasure.
func (c *cli) visitor(cmd string, args []string) int {
	f := c.flags("visitor "+cmd, false)
	var id int64
	f.fs.Int64Var(&id, "id", 0, "the visitor's number (Website Visitor #N)")
	if code, ok := c.parse(f, args); !ok {
		return code
	}
	if id <= 0 {
		return c.usageErr("visitor %s: --id must be the visitor's number (Website Visitor #N)", cmd)
	}
	cfg, log, st, code := c.load(f)
	if st == nil {
		return code
	}
	defer st.Close()
	cfg, err := wire.Effective(c.ctx, st, cfg, log)
	if err != nil {
		return c.fail("visitor %s: %v", cmd, err)
	}
	lc := livechat.New(st, livechat.Options{Logger: log, BaseURL: cfg.PublicURL()})
	defer lc.Stop()
	if cmd == "export" {
		ex, err := lc.ExportVisitor(c.ctx, id)
		if errors.Is(err, model.ErrNotFound) {
			return c.fail("visitor export: no visitor %d", id)
		}
		if err != nil {
			return c.fail("visitor export: %v", err)
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ex); err != nil {
			return c.fail("visitor export: %v", err)
		}
		return exitOK
	}
	n, err := lc.EraseVisitor(c.ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return c.fail("visitor erase: no visitor %d", id)
	}
	if err != nil {
		return c.fail("visitor erase: %v", err)
	}
	c.say(c.stdout, "visitor %d erased with %d conversation(s)", id, n)
	return exitOK
}

// restore replaces the database with a backup: the file is checked
// (integrity, schema version) on a copy, the current database is kept
// aside, and nothing changes unless every check passed. The server must be
// stopped; one answering on the configured address is a refusal.
func (c *cli) restore(args []string) int {
	f := c.flags("restore", false)
	var from, at string
	f.fs.StringVar(&from, "from-replica", "", "replica URL")
	f.fs.StringVar(&at, "at", "", "point in time")
	words, code, ok := c.parseWords(f, args)
	if !ok {
		return code
	}
	if (from == "") == (len(words) == 0) || len(words) > 1 {
		return c.usageErr("restore: give exactly one backup FILE, or --from-replica URL")
	}
	var when time.Time
	if at != "" {
		if from == "" {
			return c.usageErr("restore: --at goes with --from-replica")
		}
		var err error
		if when, err = time.Parse(time.RFC3339, at); err != nil {
			return c.usageErr("restore: --at %q is not a time such as 2026-03-01T09:30:00Z", at)
		}
	}
	cfg, err := c.config(f)
	if err != nil {
		return c.fail("%v", err)
	}
	if addr, running := serverAnswering(cfg); running {
		return c.fail("restore: Parley is running at %s on this database: stop it first", addr)
	}
	src := from
	if from == "" {
		src = words[0]
		if info, err := os.Stat(src); err != nil || info.IsDir() {
			return c.fail("restore: %s is not a backup file", src)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return c.fail("restore: data_dir %s: %v", cfg.DataDir, err)
	}
	dbPath := cfg.DatabasePath()
	staged := dbPath + ".restoring"
	removeDB(staged)
	if from != "" {
		// The replica's keys and endpoint come from the configuration.
		rc := cfg.Replica
		rc.URL = from
		src = replica.Redact(from)
		if err := replica.Restore(c.ctx, rc, staged, when); err != nil {
			removeDB(staged)
			return c.fail("restore: %v", err)
		}
	} else if err := copyFile(src, staged); err != nil {
		return c.fail("restore: %v", err)
	}
	version, err := c.checkBackup(staged)
	if err != nil {
		removeDB(staged)
		return c.fail("restore: %s: %v", src, err)
	}
	kept := ""
	if _, err := os.Stat(dbPath); err == nil {
		kept = fmt.Sprintf("%s.replaced-%s", dbPath, time.Now().UTC().Format("20060102-150405"))
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(dbPath+suffix, kept+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return c.fail("restore: keeping the current database aside: %v", err)
			}
		}
	}
	if err := os.Rename(staged, dbPath); err != nil {
		return c.fail("restore: %v", err)
	}
	c.say(c.stdout, "restored %s into %s (schema version %d)", src, dbPath, version)
	if kept != "" {
		c.say(c.stdout, "the database it replaced is kept at %s", kept)
	}
	return exitOK
}

// checkBackup opens a staged backup and checks that it is a whole SQLite
// database this binary can run (it is migrated at the next start).
func (c *cli) checkBackup(path string) (int64, error) {
	st, err := store.Open(c.ctx, path)
	if err != nil {
		return 0, fmt.Errorf("not a readable database: %w", err)
	}
	defer func() {
		st.Close()
		// Only the staged file stays.
		os.Remove(path + "-wal")
		os.Remove(path + "-shm")
	}()
	if err := st.Check(c.ctx); err != nil {
		return 0, err
	}
	current, _, err := db.Versions(c.ctx, st.Writer())
	if err != nil {
		return 0, err
	}
	if current == 0 {
		return 0, errors.New("not a Parley database (no schema version)")
	}
	return current, nil
}

// serverAnswering reports whether a Parley answers /healthz on the
// configured listen address.
func serverAnswering(cfg config.Config) (string, bool) {
	addr := localAddr(cfg)
	client := &http.Client{Timeout: 2 * time.Second}
	res, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		return addr, false
	}
	res.Body.Close()
	return addr, true
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// removeDB removes a database file with its WAL and shared-memory files.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

// localAddr is where this machine reaches the configured listen address
// (a wildcard host means loopback).
func localAddr(cfg config.Config) string {
	host, port, _ := net.SplitHostPort(cfg.Listen)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// healthcheck probes the local server's /healthz; Docker's HEALTHCHECK runs
// it because the distroless image has no curl.
func (c *cli) healthcheck(args []string) int {
	f := c.flags("healthcheck", true)
	if code, ok := c.parse(f, args); !ok {
		return code
	}
	cfg, err := c.config(f)
	if err != nil {
		return c.fail("%v", err)
	}
	client := &http.Client{Timeout: 3 * time.Second}
	res, err := client.Get("http://" + localAddr(cfg) + "/healthz")
	if err != nil {
		return c.fail("healthcheck: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(bufio.NewReader(io.LimitReader(res.Body, 512)))
	if res.StatusCode != http.StatusOK {
		return c.fail("healthcheck: %s: %s", res.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(c.stdout, "ok")
	return exitOK
}

// loadtest drives a running server through its public contract and
// reports what it measured (app/loadtest). With --operators it first
// makes load-test operators in the local database and API tokens for
// them; the tokens are deleted when the run ends.
func (c *cli) loadtest(args []string) int {
	f := c.flags("loadtest", true)
	var o loadtest.Options
	var tokensFile string
	var operators int
	f.fs.StringVar(&o.URL, "url", "", "the server's address (default: the configured listen address on this machine)")
	f.fs.Int64Var(&o.ChannelID, "channel", 1, "the channel the visitors chat on")
	f.fs.IntVar(&o.Idle, "idle", 0, "visitors on the site with the widget's socket open, not chatting")
	f.fs.IntVar(&o.Chatting, "chatting", 0, "visitors in a conversation, each posting --rate messages per second")
	f.fs.Float64Var(&o.Rate, "rate", 1, "messages per second per chatting visitor")
	f.fs.IntVar(&o.Size, "size", 200, "bytes per message")
	f.fs.DurationVar(&o.Duration, "duration", 30*time.Second, "how long the chatting visitors send")
	f.fs.StringVar(&tokensFile, "tokens", "", "a file of operators' API tokens, one per line")
	f.fs.IntVar(&operators, "operators", 0, "make this many load-test operators in the local database")
	f.fs.BoolVar(&o.Forwarded, "forwarded", false, "give every visitor its own X-Forwarded-For address (the server must trust this machine in trusted_proxies)")
	f.fs.IntVar(&o.Concurrency, "concurrency", 256, "connects and posts in flight")
	f.fs.IntVar(&o.PID, "pid", 0, "the server's process id, to read its memory")
	f.fs.DurationVar(&o.Grace, "grace", 5*time.Second, "how long to wait for deliveries after the last send")
	var timeout time.Duration
	f.fs.DurationVar(&timeout, "timeout", 10*time.Minute, "stop the whole run after this long")
	var cpuProfile string
	f.fs.StringVar(&cpuProfile, "cpuprofile", "", "write the load tool's own CPU profile to this file (what the loader costs beside the server)")
	if code, ok := c.parse(f, args); !ok {
		return code
	}
	cfg, err := c.config(f)
	if err != nil {
		return c.fail("%v", err)
	}
	if o.URL == "" {
		o.URL = "http://" + localAddr(cfg)
	}
	switch {
	case tokensFile != "" && operators > 0:
		return c.usageErr("loadtest: give --tokens or --operators, not both")
	case operators < 0 || operators > 100:
		return c.usageErr("loadtest: --operators %d: want between 1 and 100", operators)
	case tokensFile != "":
		b, err := os.ReadFile(tokensFile)
		if err != nil {
			return c.fail("loadtest: --tokens: %v", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				o.OperatorTokens = append(o.OperatorTokens, line)
			}
		}
		if len(o.OperatorTokens) == 0 {
			return c.fail("loadtest: --tokens %s holds no token", tokensFile)
		}
	case operators > 0:
		_, _, st, code := c.load(f)
		if st == nil {
			return code
		}
		defer st.Close()
		toks, cleanup, err := loadtestOperators(c.ctx, st, o.ChannelID, operators)
		if err != nil {
			return c.fail("loadtest: --operators: %v", err)
		}
		defer cleanup()
		o.OperatorTokens = toks
	}
	if timeout <= 0 {
		return c.usageErr("loadtest: --timeout %s: want how long the whole run may take, > 0", timeout)
	}
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	defer cancel()
	o.Progress = c.stderr
	o.Lang = c.l
	if cpuProfile != "" {
		pf, err := os.Create(cpuProfile)
		if err != nil {
			return c.fail("loadtest: --cpuprofile: %v", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return c.fail("loadtest: --cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := loadtest.Run(ctx, o)
	var oe *loadtest.OptionError
	if errors.As(err, &oe) {
		return c.usageErr(oe.Format, oe.Args...)
	}
	if rep == nil {
		return c.fail("loadtest: %v", err)
	}
	rep.Write(c.stdout, c.l)
	if err != nil {
		// Interrupted or out of time: the figures above are partial.
		return c.fail("loadtest: stopped early (%v); the figures cover what ran", err)
	}
	return exitOK
}

// loadtestOperators makes (or reuses) n operators of channelID named
// "Load test operator N" and an API token for each; cleanup deletes the
// tokens. They stay in Configuration ▸ Users, offline, so no visitor is
// ever offered them outside a load test.
func loadtestOperators(ctx context.Context, st *store.Store, channelID int64, n int) ([]string, func(), error) {
	if _, err := st.Channel(ctx, channelID); err != nil {
		return nil, nil, fmt.Errorf("channel %d: %w", channelID, err)
	}
	a := auth.New(st, auth.Options{})
	type made struct{ user, token int64 }
	var toks []string
	var all []made
	cleanup := func() {
		for _, m := range all {
			_ = st.DeleteAPIToken(context.Background(), m.user, m.token)
		}
	}
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("loadtest-operator-%d@parley.invalid", i)
		u, err := st.UserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			u, err = a.CreateUser(ctx, auth.NewUser{Email: email, Name: fmt.Sprintf("Load test operator %d", i), Role: model.RoleOperator, Password: auth.RandomToken()})
		}
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		if err := st.AddChannelOperators(ctx, channelID, u.ID); err != nil {
			cleanup()
			return nil, nil, err
		}
		plain, t, err := a.CreateAPIToken(ctx, u.ID, "load test")
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		toks = append(toks, plain)
		all = append(all, made{u.ID, t.ID})
	}
	return toks, cleanup, nil
}

// spareProc gives the server one P more than the machine has CPUs. Every
// commit waits for the disk (fsync) on the committer's thread, which holds
// its P until the scheduler takes it back; meanwhile one CPU's worth of
// requests and sockets wait. With a spare P they keep running: one pinned
// core at 800 messages a second went from p99 100–185 ms to 38–58 ms, two
// cores at 2,000 from 84–123 ms to 62–93 ms (runs side by side). Where Go
// chose fewer Ps than CPUs, for a container's CPU quota (--cpus=1 on a
// bigger machine), it is left alone: a spare P there would spend the
// quota early and be throttled. GOMAXPROCS in the environment still
// decides.
func spareProc(environ []string) {
	if inEnv(environ, "GOMAXPROCS") {
		return
	}
	if n := runtime.NumCPU(); runtime.GOMAXPROCS(0) == n {
		runtime.GOMAXPROCS(n + 1)
	}
}

// inEnv says whether the environment sets name.
func inEnv(environ []string, name string) bool {
	for _, kv := range environ {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/app/auth"
	"parley/app/store"
	"parley/app/version"
	"parley/db"
)

// guard bounds waits on the server so a hang fails instead of blocking the
// test run; it is not a performance expectation.
const guard = 10 * time.Second

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCmd runs one CLI invocation to completion.
func runCmd(t *testing.T, env []string, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb syncBuffer
	code = run(context.Background(), args, env, stdin, &out, &errb)
	if s := errb.String(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
		t.Fatalf(`%v panicked: %s`, args, s)
	}
	return code, out.String(), errb.String()
}

// workDir moves the test into an empty directory, so no parley.yaml or
// ./data of the checkout is picked up, and returns it.
func workDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf(`database file: %v`, err)
	}
	conn, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf(`open %s: %v`, path, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func emails(t *testing.T, conn *sql.DB) []string {
	t.Helper()
	rows, err := conn.Query(`SELECT email FROM users ORDER BY id`)
	if err != nil {
		t.Fatalf(`query users: %v`, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestVersionAndHelp(t *testing.T) {
	workDir(t)
	code, out, _ := runCmd(t, nil, nil, "version")
	if code != 0 || out != "parley "+version.String()+"\n" {
		t.Fatalf(`version = %d %q`, code, out)
	}
	code, out, _ = runCmd(t, nil, nil, "help")
	if code != 0 || !strings.Contains(out, "Usage:") {
		t.Fatalf(`help = %d %q`, code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	workDir(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"serve", "--nope"}, "-nope"},
		{[]string{"--nope"}, "-nope"},
		{[]string{"user"}, "parley user create"},
		{[]string{"user", "delete"}, "parley user create"},
		{[]string{"token"}, "parley token create"},
		{[]string{"backup"}, "exactly one destination FILE"},
		{[]string{"backup", "a.db", "b.db"}, "exactly one destination FILE"},
		{[]string{"user", "create", "--email", "a@example.com"}, "--email and --name are required"},
		{[]string{"user", "create", "--email", "a@example.com", "--name", "A", "--role", "root"}, "--role"},
	}
	for _, tt := range tests {
		code, out, errs := runCmd(t, nil, nil, tt.args...)
		if code != 2 {
			t.Errorf(`%v: exit %d, want 2; stderr: %s`, tt.args, code, errs)
			continue
		}
		if !strings.Contains(errs, tt.want) || !strings.Contains(errs, "Usage:") {
			t.Errorf(`%v: stderr lacks %q and the usage: %s`, tt.args, tt.want, errs)
		}
		if out != "" {
			t.Errorf(`%v: wrote to stdout: %q`, tt.args, out)
		}
	}
	if _, err := os.Stat("data"); err == nil {
		t.Fatalf(`a usage error created ./data`)
	}
}

// The flag package stops at the first word that is not a flag; the words
// after it must be refused, not silently dropped with the flags among them.
// PARLEY_LISTEN is invalid so a command that ignored them and went on to
// read its configuration fails with exit 1 instead of 2 (and serve does
// not start on the default address).
func TestLeftoverArguments(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	env := []string{"PARLEY_LISTEN=nowhere"}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "extra", "--listen", "127.0.0.1:0"}, `serve: unexpected argument "extra"`},
		{[]string{"--data-dir", data, "extra"}, `serve: unexpected argument "extra"`},
		{[]string{"migrate", "extra", "--data-dir", data}, `migrate: unexpected argument "extra"`},
		{[]string{"user", "create", "--email", "a@example.com", "--name", "A", "extra", "--role", "admin"}, `user create: unexpected argument "extra"`},
		{[]string{"token", "create", "extra", "--email", "a@example.com"}, `token create: unexpected argument "extra"`},
		{[]string{"healthcheck", "extra", "--listen", "127.0.0.1:1"}, `healthcheck: unexpected argument "extra"`},
		{[]string{"version", "extra"}, `version: unexpected argument "extra"`},
		{[]string{"version", "--bogus"}, "-bogus"},
		{[]string{"backup", "a.db", "--data-dir", data, "b.db"}, `backup: give exactly one destination FILE, not also "b.db"`},
		{[]string{"backup", "a.db", "--bogus"}, "-bogus"},
	}
	for _, tt := range tests {
		code, out, errs := runCmd(t, env, nil, tt.args...)
		if code != 2 || !strings.Contains(errs, tt.want) || !strings.Contains(errs, "Usage:") || out != "" {
			t.Errorf(`%v = exit %d, stdout %q, stderr %q; want exit 2 with %q and the usage`, tt.args, code, out, errs, tt.want)
		}
	}
	if _, err := os.Stat(data); err == nil {
		t.Fatalf(`a usage error created the data directory`)
	}
	// version still accepts the flags every command shares, and help is
	// no error.
	for _, args := range [][]string{{"version", "--data-dir", data}, {"version", "--help"}, {"help"}, {"help", "serve"}} {
		if code, _, errs := runCmd(t, nil, nil, args...); code != 0 {
			t.Errorf(`%v = exit %d, want 0; stderr: %s`, args, code, errs)
		}
	}
}

func TestInvalidConfig(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	badFile := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badFile, []byte("smtp:\n  port: abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		args []string
		key  string
	}{
		{"env log format", []string{"PARLEY_LOG_FORMAT=xml"}, nil, "log.format"},
		{"flag log format", nil, []string{"--log-format", "xml"}, "log.format"},
		{"env listen", []string{"PARLEY_LISTEN=nowhere"}, nil, "listen"},
		{"config file missing", []string{"PARLEY_CONFIG=" + filepath.Join(dir, "missing.yaml")}, nil, "missing.yaml"},
		{"config file value", nil, []string{"--config", badFile}, "smtp.port (line 2)"},
		{"site name too long", []string{"PARLEY_SITE_NAME=" + strings.Repeat("x", 101)}, nil, "site_name"},
	}
	for _, tt := range tests {
		args := append([]string{"serve", "--data-dir", data}, tt.args...)
		code, _, errs := runCmd(t, tt.env, nil, args...)
		if code != 1 {
			t.Errorf(`%s: exit %d, want 1; stderr: %s`, tt.name, code, errs)
			continue
		}
		if lines := strings.Split(strings.TrimRight(errs, "\n"), "\n"); len(lines) != 1 || !strings.Contains(lines[0], tt.key) {
			t.Errorf(`%s: stderr = %q, want one line naming %s`, tt.name, errs, tt.key)
		}
	}
	if _, err := os.Stat(data); err == nil {
		t.Fatalf(`an invalid configuration still created the data directory`)
	}
}

func TestMigrate(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "custom", "data")
	for i := range 2 {
		code, out, errs := runCmd(t, nil, nil, "migrate", "--data-dir", data)
		if code != 0 || !strings.Contains(out, "up to date") {
			t.Fatalf(`migrate run %d = %d %q; stderr: %s`, i+1, code, out, errs)
		}
	}
	conn := openDB(t, filepath.Join(data, "parley.db"))
	var n int
	if err := conn.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'users'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf(`users table after migrate: %d, %v`, n, err)
	}

	// The default data dir is ./data, relative to where parley runs.
	if code, _, errs := runCmd(t, nil, nil, "migrate"); code != 0 {
		t.Fatalf(`migrate with the default data dir = %d: %s`, code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "parley.db")); err != nil {
		t.Fatalf(`./data/parley.db: %v`, err)
	}
}

// TestNewerSchemaRefused: a database a newer release migrated is refused
// by every command that opens it, with both versions named, instead of
// failing request by request.
func TestNewerSchemaRefused(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	if code, _, errs := runCmd(t, nil, nil, "migrate", "--data-dir", data); code != 0 {
		t.Fatalf(`migrate: %d %s`, code, errs)
	}
	conn := openDB(t, filepath.Join(data, "parley.db"))
	var known int64
	if err := conn.QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&known); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)`, known+7); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("schema version %d, newer than this binary knows (%d)", known+7, known)
	for _, args := range [][]string{{"migrate"}, {"serve", "--listen", "127.0.0.1:0"}, {"user", "create", "--email", "a@example.com", "--name", "A", "--password-file", "/dev/null"}} {
		code, out, errs := runCmd(t, nil, nil, append(args, "--data-dir", data)...)
		if code != 1 || !strings.Contains(errs, want) || strings.Contains(out, "running at") {
			t.Errorf(`%s on a newer database = %d, stdout %q, stderr %q; want 1 and %q`, args[0], code, out, errs, want)
		}
	}
}

func TestUnusableDataDir(t *testing.T) {
	dir := workDir(t)
	file := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, dataDir string }{
		{"a file", file},
		{"below a file", filepath.Join(file, "data")},
	}
	if os.Geteuid() == 0 {
		t.Log(`skipping the read-only data dir case: root ignores permissions`)
	} else {
		ro := filepath.Join(dir, "readonly")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(ro, 0o700) })
		cases = append(cases, struct{ name, dataDir string }{"read-only", ro})
	}
	for _, tt := range cases {
		for _, cmd := range []string{"migrate", "serve"} {
			code, _, errs := runCmd(t, nil, nil, cmd, "--data-dir", tt.dataDir)
			if code != 1 {
				t.Errorf(`%s with %s: exit %d, want 1; stderr: %s`, cmd, tt.name, code, errs)
				continue
			}
			if !strings.Contains(errs, "data_dir") || !strings.Contains(errs, tt.dataDir) || strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 {
				t.Errorf(`%s with %s: stderr = %q, want one line naming data_dir and the path`, cmd, tt.name, errs)
			}
		}
	}
}

func TestUserCreate(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	base := []string{"user", "create", "--data-dir", data}
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("from the file 1\nignored second line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	nonTerminal, err := os.Open(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	defer nonTerminal.Close()

	ok := []struct {
		name, email, role, password string
		env                         []string
		extra                       []string
	}{
		{"password file", "admin@example.com", "admin", "from the file 1", nil, []string{"--password-file", pwFile}},
		{"PARLEY_PASSWORD", "ops@example.com", "operator", "from the env 12", []string{"PARLEY_PASSWORD=from the env 12"}, nil},
	}
	for _, tt := range ok {
		args := slices.Concat(base, []string{"--email", tt.email, "--name", "Someone", "--role", tt.role}, tt.extra)
		code, out, errs := runCmd(t, tt.env, nil, args...)
		if code != 0 || !strings.Contains(out, tt.email) {
			t.Fatalf(`%s: exit %d, stdout %q, stderr %s`, tt.name, code, out, errs)
		}
	}

	fail := []struct {
		name  string
		env   []string
		stdin io.Reader
		args  []string
		wants []string
	}{
		{"no password, piped stdin", nil, strings.NewReader("secret\n"), []string{"--email", "x@example.com", "--name", "X"}, []string{"--password-file", "PARLEY_PASSWORD"}},
		{"no password, stdin a plain file", nil, nonTerminal, []string{"--email", "x@example.com", "--name", "X"}, []string{"--password-file", "PARLEY_PASSWORD"}},
		{"missing password file", nil, nil, []string{"--email", "x@example.com", "--name", "X", "--password-file", filepath.Join(dir, "nope")}, []string{"--password-file"}},
		{"short password", []string{"PARLEY_PASSWORD=short"}, nil, []string{"--email", "x@example.com", "--name", "X"}, []string{"--password", "at least 10"}},
		{"bad email", []string{"PARLEY_PASSWORD=long enough 1"}, nil, []string{"--email", "not-an-email", "--name", "X"}, []string{"--email"}},
		{"duplicate email", []string{"PARLEY_PASSWORD=long enough 1"}, nil, []string{"--email", "OPS@example.com", "--name", "X"}, []string{"--email", "already exists"}},
	}
	for _, tt := range fail {
		code, _, errs := runCmd(t, tt.env, tt.stdin, slices.Concat(base, tt.args)...)
		if code != 1 {
			t.Errorf(`%s: exit %d, want 1; stderr: %s`, tt.name, code, errs)
			continue
		}
		for _, w := range tt.wants {
			if !strings.Contains(errs, w) {
				t.Errorf(`%s: stderr %q lacks %q`, tt.name, errs, w)
			}
		}
	}

	st, err := store.Open(context.Background(), filepath.Join(data, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := auth.New(st, auth.Options{})
	for _, tt := range ok {
		_, u, err := a.Login(context.Background(), tt.email, tt.password, "192.0.2.1", "")
		if err != nil || string(u.Role) != tt.role {
			t.Errorf(`%s: login as %s = %v, %v; want a %s`, tt.name, tt.email, u, err, tt.role)
		}
	}
	users, _ := st.Users(context.Background(), "", 0)
	if len(users) != 2 {
		t.Fatalf(`%d users, want 2: failed commands must not create users`, len(users))
	}
	// The first admin made on the command line staffs the default channel.
	channels, err := st.Channels(context.Background())
	if err != nil || len(channels) != 1 {
		t.Fatalf(`channels = %v, %v; want the default channel`, channels, err)
	}
	admin, _ := st.UserByEmail(context.Background(), "admin@example.com")
	if ids, _ := st.ChannelOperatorIDs(context.Background(), channels[0].ID); !slices.Equal(ids, []int64{admin.ID}) {
		t.Fatalf(`default channel operators = %v, want the admin %d`, ids, admin.ID)
	}
}

func TestTokenCreate(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	env := []string{"PARLEY_PASSWORD=long enough 1"}
	if code, _, errs := runCmd(t, env, nil, "user", "create", "--data-dir", data, "--email", "bot@example.com", "--name", "Bot"); code != 0 {
		t.Fatalf(`user create: %d %s`, code, errs)
	}
	code, out, errs := runCmd(t, nil, nil, "token", "create", "--data-dir", data, "--email", "BOT@example.com", "--name", "CI")
	if code != 0 {
		t.Fatalf(`token create: %d %s`, code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	tok := lines[len(lines)-1]
	if !strings.HasPrefix(tok, auth.TokenPrefix) || strings.ContainsAny(tok, " \t") {
		t.Fatalf(`last line %q is not a token alone; stdout: %q`, tok, out)
	}

	st, err := store.Open(context.Background(), filepath.Join(data, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := auth.New(st, auth.Options{}).UserByAPIToken(context.Background(), tok)
	st.Close()
	if err != nil || u.Email != "bot@example.com" {
		t.Fatalf(`UserByAPIToken = %v, %v; want bot@example.com`, u, err)
	}

	code, _, errs = runCmd(t, nil, nil, "token", "create", "--data-dir", data, "--email", "nobody@example.com")
	if code != 1 || !strings.Contains(errs, "--email") {
		t.Fatalf(`token for an unknown email = %d %q, want 1 naming --email`, code, errs)
	}
	code, _, errs = runCmd(t, nil, nil, "token", "create", "--data-dir", data)
	if code != 2 || !strings.Contains(errs, "--email is required") {
		t.Fatalf(`token without --email = %d %q, want 2`, code, errs)
	}
}

func TestBackupCommand(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")

	code, _, errs := runCmd(t, nil, nil, "backup", "--data-dir", data, filepath.Join(dir, "early.db"))
	if code != 1 || !strings.Contains(errs, "no database") {
		t.Fatalf(`backup before any database = %d %q, want 1 saying there is no database`, code, errs)
	}
	if _, err := os.Stat(data); err == nil {
		t.Fatalf(`backup created an empty data directory`)
	}

	for _, e := range []string{"a@example.com", "b@example.com"} {
		if code, _, errs := runCmd(t, []string{"PARLEY_PASSWORD=long enough 1"}, nil, "user", "create", "--data-dir", data, "--email", e, "--name", "N"); code != 0 {
			t.Fatalf(`user create %s: %d %s`, e, code, errs)
		}
	}
	// A relative FILE is relative to where parley runs.
	code, out, errs := runCmd(t, nil, nil, "backup", "--data-dir", data, "backup.db")
	if code != 0 || !strings.Contains(out, "backup.db") {
		t.Fatalf(`backup = %d %q; stderr: %s`, code, out, errs)
	}
	backup := openDB(t, filepath.Join(dir, "backup.db"))
	var check string
	if err := backup.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf(`backup integrity_check = %q, %v`, check, err)
	}
	live := openDB(t, filepath.Join(data, "parley.db"))
	if got, want := emails(t, backup), emails(t, live); len(want) != 2 || !slices.Equal(got, want) {
		t.Fatalf(`backup users = %v, live users = %v`, got, want)
	}

	code, _, errs = runCmd(t, nil, nil, "backup", "--data-dir", data, "backup.db")
	if code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf(`backup over an existing file = %d %q, want 1 saying it exists`, code, errs)
	}
	// Flags may follow FILE as well as precede it.
	code, out, errs = runCmd(t, nil, nil, "backup", "after.db", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "after.db") {
		t.Fatalf(`backup FILE --data-dir = %d %q; stderr: %s`, code, out, errs)
	}
}

// tables lists the tables of the database at path.
func tables(t *testing.T, path string) []string {
	t.Helper()
	rows, err := openDB(t, path).Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatalf(`tables of %s: %v`, path, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// A backup taken before an upgrade, with the new binary, must copy the
// database as it is: migrating it would change the live database of a
// still running older server, and the backup would not be pre-upgrade.
func TestBackupDoesNotMigrate(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(data, "parley.db")
	conn, err := sql.Open("sqlite", live)
	if err != nil {
		t.Fatal(err)
	}
	// An "older" database: one table and none of the migrations.
	if _, err := conn.Exec(`CREATE TABLE old_schema(x); INSERT INTO old_schema VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	code, _, errs := runCmd(t, nil, nil, "backup", "--data-dir", data, "pre-upgrade.db")
	if code != 0 {
		t.Fatalf(`backup = %d; stderr: %s`, code, errs)
	}
	for _, path := range []string{live, filepath.Join(dir, "pre-upgrade.db")} {
		if got := tables(t, path); !slices.Equal(got, []string{"old_schema"}) {
			t.Errorf(`tables of %s after backup = %v, want only old_schema`, filepath.Base(path), got)
		}
	}
}

// Invalid PARLEY_ADMIN_* must stop serve before it says it is running.
func TestServeInvalidAdminEnv(t *testing.T) {
	dir := workDir(t)
	tests := []struct{ name, email, password, want string }{
		{"bad email", "not-an-email", "long enough 1", "PARLEY_ADMIN_EMAIL/PARLEY_ADMIN_PASSWORD"},
		{"short password", "boss@example.com", "short", "PARLEY_ADMIN_EMAIL/PARLEY_ADMIN_PASSWORD"},
		{"email alone", "boss@example.com", "", "must be set together"},
		{"password alone", "", "long enough 1", "must be set together"},
	}
	for _, tt := range tests {
		env := []string{"PARLEY_ADMIN_EMAIL=" + tt.email, "PARLEY_ADMIN_PASSWORD=" + tt.password}
		code, out, errs := runCmd(t, env, nil, "serve", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, tt.name))
		if code != 1 || !strings.Contains(errs, tt.want) {
			t.Errorf(`%s: exit %d, stderr %q; want 1 naming the variables`, tt.name, code, errs)
		}
		if strings.Contains(out, "is running") {
			t.Errorf(`%s: announced the URL before failing: %q`, tt.name, out)
		}
	}
}

// server is one `parley serve` running in a goroutine.
type server struct {
	url    string
	addr   string
	lines  <-chan string // stdout lines after the "running at" line
	stderr *syncBuffer
	cancel context.CancelFunc
	done   <-chan int

	once sync.Once
	code int
}

var runningRe = regexp.MustCompile(`is running at (http://\S+)`)

func startServe(t *testing.T, dataDir string, env []string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	done := make(chan int, 1)
	stderr := &syncBuffer{}
	go func() {
		code := run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, env, strings.NewReader(""), pw, stderr)
		pw.Close()
		done <- code
	}()
	s := &server{lines: lines, stderr: stderr, cancel: cancel, done: done}
	t.Cleanup(func() { s.stop(t) })

	timeout := time.After(guard)
	for s.url == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf(`serve exited before printing its URL; stderr: %s`, stderr)
			}
			if m := runningRe.FindStringSubmatch(line); m != nil {
				s.url = m[1]
			}
		case <-timeout:
			t.Fatalf(`serve printed no URL; stderr: %s`, stderr)
		}
	}
	s.addr = strings.TrimPrefix(s.url, "http://")
	return s
}

// nextLine returns the next stdout line containing want.
func (s *server) nextLine(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(guard)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				t.Fatalf(`stdout ended without a line containing %q`, want)
			}
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			t.Fatalf(`no stdout line containing %q`, want)
		}
	}
}

// stop cancels serve's context and returns its exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.once.Do(func() {
		s.cancel()
		select {
		case s.code = <-s.done:
		case <-time.After(guard):
			s.code = -1
			t.Errorf(`serve did not return after its context was cancelled; stderr: %s`, s.stderr)
		}
	})
	return s.code
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

func TestServeEndToEnd(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	env := []string{"PARLEY_ADMIN_EMAIL=boss@example.com", "PARLEY_ADMIN_PASSWORD=staple grid lantern 9"}
	s := startServe(t, data, env)
	s.nextLine(t, "Administrator boss@example.com created")

	res, err := http.Get(s.url + "/healthz")
	if err != nil {
		t.Fatalf(`healthz: %v`, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf(`healthz = %d`, res.StatusCode)
	}

	// Log in over HTTP like a browser.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: guard, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := client.Get(s.url + path)
		if err != nil {
			t.Fatalf(`GET %s: %v`, path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	_, page := get("/login")
	m := csrfMeta.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf(`login page has no CSRF token`)
	}
	res, err = client.PostForm(s.url+"/login", url.Values{"_csrf": {m[1]}, "email": {"boss@example.com"}, "password": {"staple grid lantern 9"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin" {
		t.Fatalf(`login = %d to %q, want 303 to /admin`, res.StatusCode, res.Header.Get("Location"))
	}
	if res, page := get("/admin"); res.StatusCode != http.StatusOK || !strings.Contains(page, "Welcome, Administrator") {
		t.Fatalf(`dashboard = %d: %.300s`, res.StatusCode, page)
	}

	// An in-flight request: a login whose body is still on its way. The
	// Expect: 100-continue answer tells us the handler is reading it.
	// A fresh anonymous visit gives the CSRF cookie and the token bound to it.
	fresh, err := http.Get(s.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	freshPage, _ := io.ReadAll(fresh.Body)
	fresh.Body.Close()
	var csrf string
	for _, ck := range fresh.Cookies() {
		if ck.Name == "parley_csrf" {
			csrf = ck.Value
		}
	}
	tm := csrfMeta.FindStringSubmatch(string(freshPage))
	if csrf == "" || tm == nil {
		t.Fatalf(`a fresh login page gave no CSRF cookie or token`)
	}
	body := url.Values{"_csrf": {tm[1]}, "email": {"boss@example.com"}, "password": {"staple grid lantern 9"}}.Encode()
	conn, err := net.DialTimeout("tcp", s.addr, guard)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(guard))
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nCookie: parley_csrf=%s\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", s.addr, len(body), csrf)
	br := bufio.NewReader(conn)
	cont, err := http.ReadResponse(br, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf(`waiting for 100 Continue: %v %v`, cont, err)
	}

	s.cancel()
	// Shutdown has begun once the listener refuses new connections.
	for deadline := time.Now().Add(guard); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf(`the listener still accepts connections after cancel`)
		}
	}
	select {
	case code := <-s.done:
		t.Fatalf(`serve returned %d while a request was in flight`, code)
	default:
	}
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatalf(`finishing the in-flight request: %v`, err)
	}
	final, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf(`the in-flight request got no answer: %v`, err)
	}
	final.Body.Close()
	if final.StatusCode != http.StatusSeeOther {
		t.Fatalf(`in-flight login = %d, want 303`, final.StatusCode)
	}

	if code := s.stop(t); code != 0 {
		t.Fatalf(`serve exit code = %d, want 0; stderr: %s`, code, s.stderr)
	}
	for _, w := range []string{"shutting down", "stopped"} {
		if !strings.Contains(s.stderr.String(), w) {
			t.Errorf(`the log lacks %q: %s`, w, s.stderr)
		}
	}

	conn2 := openDB(t, filepath.Join(data, "parley.db"))
	var check string
	if err := conn2.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf(`integrity_check after shutdown = %q, %v`, check, err)
	}
	var sessions int
	if err := conn2.QueryRow(`SELECT count(*) FROM login_sessions`).Scan(&sessions); err != nil || sessions != 2 {
		t.Fatalf(`login sessions after shutdown = %d, %v; want 2 (the in-flight login's was saved)`, sessions, err)
	}
}

func TestServeSetupLinkAndHealthcheck(t *testing.T) {
	dir := workDir(t)
	s := startServe(t, filepath.Join(dir, "data"), nil)
	line := s.nextLine(t, "/setup?token=")
	link := strings.TrimSpace(line)
	if !strings.HasPrefix(link, s.url+"/setup?token=") {
		t.Fatalf(`setup line %q does not hold a link to this server`, line)
	}
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "Set up Parley") {
		t.Fatalf(`setup link = %d: %.300s`, res.StatusCode, page)
	}

	code, out, errs := runCmd(t, nil, nil, "healthcheck", "--listen", s.addr)
	if code != 0 || strings.TrimSpace(out) != "ok" {
		t.Fatalf(`healthcheck while serving = %d %q %s`, code, out, errs)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf(`serve exit code = %d; stderr: %s`, code, s.stderr)
	}
	code, _, errs = runCmd(t, nil, nil, "healthcheck", "--listen", s.addr)
	if code != 1 || !strings.Contains(errs, "healthcheck") {
		t.Fatalf(`healthcheck after stop = %d %q, want 1 with a message`, code, errs)
	}
}

// TestRestoreCommand: a backup restored replaces the database (rows
// compared), the replaced file is kept, and bad backups or a running
// server change nothing.
func TestRestoreCommand(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	create := func(email string) {
		t.Helper()
		if code, _, errs := runCmd(t, []string{"PARLEY_PASSWORD=long enough 1"}, nil, "user", "create", "--data-dir", data, "--email", email, "--name", "N"); code != 0 {
			t.Fatalf(`user create %s: %d %s`, email, code, errs)
		}
	}
	create("a@example.com")
	if code, _, errs := runCmd(t, nil, nil, "backup", "--data-dir", data, "one-user.db"); code != 0 {
		t.Fatalf(`backup: %d %s`, code, errs)
	}
	create("b@example.com")

	// Bad backups: not a file, not a database, damaged, not Parley's.
	if err := os.WriteFile(filepath.Join(dir, "junk.db"), []byte("this is not a database at all, just text"), 0o600); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", filepath.Join(dir, "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	other.Close()
	for _, c := range []struct{ file, want string }{
		{"missing.db", "not a backup file"},
		{"junk.db", "not a readable database"},
		{"other.db", "not a Parley database"},
	} {
		code, _, errs := runCmd(t, nil, nil, "restore", "--data-dir", data, c.file)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf(`restore %s = %d %q, want 1 saying %q`, c.file, code, errs, c.want)
		}
	}
	if got := emails(t, openDB(t, filepath.Join(data, "parley.db"))); len(got) != 2 {
		t.Fatalf(`a refused restore changed the database: %v`, got)
	}

	code, out, errs := runCmd(t, nil, nil, "restore", "one-user.db", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "restored one-user.db") || !strings.Contains(out, "kept at") {
		t.Fatalf(`restore = %d %q; stderr: %s`, code, out, errs)
	}
	if got := emails(t, openDB(t, filepath.Join(data, "parley.db"))); !slices.Equal(got, []string{"a@example.com"}) {
		t.Fatalf(`users after restore = %v, want the backup's`, got)
	}
	kept, _ := filepath.Glob(filepath.Join(data, "parley.db.replaced-*"))
	var replaced []string
	for _, k := range kept {
		if !strings.HasSuffix(k, "-wal") && !strings.HasSuffix(k, "-shm") {
			replaced = append(replaced, k)
		}
	}
	if len(replaced) != 1 || len(emails(t, openDB(t, replaced[0]))) != 2 {
		t.Fatalf(`the replaced database was not kept whole: %v`, kept)
	}
	// The restored database serves: migrate runs on it.
	if code, _, errs := runCmd(t, nil, nil, "migrate", "--data-dir", data); code != 0 {
		t.Fatalf(`migrate after restore: %d %s`, code, errs)
	}
}

// TestRestoreRefusedWhileServing: restoring under a running server would
// pull the file from under it.
func TestRestoreRefusedWhileServing(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	s := startServe(t, data, []string{"PARLEY_ADMIN_EMAIL=boss@example.com", "PARLEY_ADMIN_PASSWORD=staple grid lantern 9"})
	if code, _, errs := runCmd(t, nil, nil, "backup", "--data-dir", data, "b.db"); code != 0 {
		t.Fatalf(`backup: %d %s`, code, errs)
	}
	code, _, errs := runCmd(t, nil, nil, "restore", "b.db", "--data-dir", data, "--config", writeListenConfig(t, dir, s.addr))
	if code != 1 || !strings.Contains(errs, "is running") {
		t.Fatalf(`restore while serving = %d %q`, code, errs)
	}
	s.stop(t)
}

// TestRestoreFromReplica: serve replicates to a directory (replica.url);
// after it stops, restore --from-replica rebuilds a database with the same
// users in an empty data directory, and refuses a time before the replica
// began or a FILE given as well.
func TestRestoreFromReplica(t *testing.T) {
	dir := workDir(t)
	data, rep := filepath.Join(dir, "data"), filepath.Join(dir, "replica")
	s := startServe(t, data, []string{"PARLEY_ADMIN_EMAIL=boss@example.com", "PARLEY_ADMIN_PASSWORD=staple grid lantern 9", "PARLEY_REPLICA_URL=" + rep})
	for _, email := range []string{"a@example.com", "b@example.com"} {
		// Another process writing while the server replicates: the
		// replica follows, and the command does not wait on the server's
		// read transaction to finish.
		start := time.Now()
		if code, _, errs := runCmd(t, []string{"PARLEY_PASSWORD=long enough 1"}, nil, "user", "create", "--data-dir", data, "--email", email, "--name", "N"); code != 0 {
			t.Fatalf(`user create %s: %d %s`, email, code, errs)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf(`user create took %s beside a replicating server`, d)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf(`serve exited %d; stderr: %s`, code, s.stderr)
	}
	want := emails(t, openDB(t, filepath.Join(data, "parley.db")))
	if len(want) != 3 {
		t.Fatalf(`users written = %v`, want)
	}

	if code, _, errs := runCmd(t, nil, nil, "restore", "--from-replica", rep, "x.db", "--data-dir", "other"); code != 2 || !strings.Contains(errs, "exactly one") {
		t.Errorf(`restore with both a file and a replica = %d %q`, code, errs)
	}
	if code, _, errs := runCmd(t, nil, nil, "restore", "--from-replica", rep, "--at", "yesterday", "--data-dir", "other"); code != 2 || !strings.Contains(errs, "is not a time") {
		t.Errorf(`restore --at yesterday = %d %q`, code, errs)
	}
	if code, _, errs := runCmd(t, nil, nil, "restore", "--from-replica", rep, "--at", "2001-01-01T00:00:00Z", "--data-dir", "other"); code != 1 || !strings.Contains(errs, "holds no copy") {
		t.Errorf(`restore before the replica began = %d %q`, code, errs)
	}
	code, out, errs := runCmd(t, nil, nil, "restore", "--from-replica", rep, "--data-dir", "restored")
	if code != 0 || !strings.Contains(out, "restored "+rep) {
		t.Fatalf(`restore --from-replica = %d %q; stderr: %s; serve: %s`, code, out, errs, s.stderr)
	}
	if got := emails(t, openDB(t, filepath.Join(dir, "restored", "parley.db"))); !slices.Equal(got, want) {
		t.Fatalf(`users restored from the replica = %v, want %v`, got, want)
	}
}

// writeListenConfig writes a config file naming addr as the listen address.
func writeListenConfig(t *testing.T, dir, addr string) string {
	t.Helper()
	path := filepath.Join(dir, "listen.yaml")
	if err := os.WriteFile(path, []byte("listen: \""+addr+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBackupBeforeSchemaUpgrade: a database an older release left is
// copied into data/backups before its schema is upgraded; a current one
// is not copied again.
func TestBackupBeforeSchemaUpgrade(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o750); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(data, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.MigrateTo(context.Background(), st.Writer(), 4); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, _, errs := runCmd(t, nil, nil, "migrate", "--data-dir", data)
	if code != 0 || !strings.Contains(errs, "backed up before upgrading") {
		t.Fatalf(`migrate an old database = %d; stderr: %s`, code, errs)
	}
	backups, _ := filepath.Glob(filepath.Join(data, "backups", "parley-schema4-*.db"))
	if len(backups) != 1 {
		t.Fatalf(`backups: %v, want one of schema 4`, backups)
	}
	var v int64
	if err := openDB(t, backups[0]).QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&v); err != nil || v != 4 {
		t.Fatalf(`the backup's schema version = %d %v, want 4`, v, err)
	}
	if code, _, errs := runCmd(t, nil, nil, "migrate", "--data-dir", data); code != 0 || strings.Contains(errs, "backed up") {
		t.Fatalf(`migrate an up-to-date database = %d, stderr %s: no backup wanted`, code, errs)
	}
}

// TestStartWarnings: a mistyped PARLEY_* variable, a public listen address
// with a loopback public URL, and a PARLEY_ADMIN_PASSWORD changed after the
// first start are each said once at start.
func TestStartWarnings(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	env := []string{"PARLEY_ADMIN_EMAIL=boss@example.com", "PARLEY_ADMIN_PASSWORD=staple grid lantern 9"}
	s := startServe(t, data, env)
	s.stop(t)
	s = startServe(t, data, []string{"PARLEY_ADMIN_EMAIL=boss@example.com", "PARLEY_ADMIN_PASSWORD=another grid lantern 7", "PARLEY_LISTEN_ADDR=:9999"})
	s.stop(t)
	for _, want := range []string{"PARLEY_LISTEN_ADDR is not a Parley setting; did you mean PARLEY_LISTEN?", "PARLEY_ADMIN_PASSWORD applies only on the first start"} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, s.stderr.String())
		}
	}
}

// TestVisitorExportAndErase: the CLI hands a visitor their data and erases
// it, with clear errors for a missing id or visitor.
func TestVisitorExportAndErase(t *testing.T) {
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	if code, _, errs := runCmd(t, nil, nil, "migrate", "--data-dir", data); code != 0 {
		t.Fatalf(`migrate: %d %s`, code, errs)
	}
	conn := openDB(t, filepath.Join(data, "parley.db"))
	if _, err := conn.Exec(`INSERT INTO visitors (id, token_hash, name, email, created_at, last_seen_at) VALUES (12, 'h', 'Ada', 'ada@example.com', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`INSERT INTO page_views (visitor_id, url, created_at) VALUES (12, 'https://shop.example/', 0)`); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, nil, nil, "visitor", "export", "--id", "12", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "ada@example.com") || !strings.Contains(out, "https://shop.example/") {
		t.Fatalf(`visitor export = %d %q; stderr %s`, code, out, errs)
	}
	if code, _, errs := runCmd(t, nil, nil, "visitor", "erase", "--data-dir", data); code != 2 || !strings.Contains(errs, "--id") {
		t.Fatalf(`visitor erase without --id = %d %q`, code, errs)
	}
	if code, out, errs := runCmd(t, nil, nil, "visitor", "erase", "--id", "12", "--data-dir", data); code != 0 || !strings.Contains(out, "visitor 12 erased") {
		t.Fatalf(`visitor erase = %d %q %s`, code, out, errs)
	}
	if code, _, errs := runCmd(t, nil, nil, "visitor", "export", "--id", "12", "--data-dir", data); code != 1 || !strings.Contains(errs, "no visitor 12") {
		t.Fatalf(`export an erased visitor = %d %q`, code, errs)
	}
	var n int
	if err := conn.QueryRow(`SELECT count(*) FROM page_views`).Scan(&n); err != nil || n != 0 {
		t.Fatalf(`page views left: %d %v`, n, err)
	}
}

// TestCLISpeaksTheTerminalsLanguage: LANG (or LC_ALL, LC_MESSAGES) picks
// the language of what the CLI says to people; anything unknown is English.
func TestCLISpeaksTheTerminalsLanguage(t *testing.T) {
	workDir(t)
	code, _, errs := runCmd(t, []string{"LANG=es_ES.UTF-8"}, nil, "backup")
	if code != 2 || !strings.Contains(errs, "indique exactamente un ARCHIVO de destino") || !strings.Contains(errs, "Uso:") {
		t.Fatalf(`backup without FILE in Spanish = %d %q`, code, errs)
	}
	if _, out, _ := runCmd(t, []string{"LC_ALL=es_MX"}, nil, "help"); !strings.Contains(out, "chat en vivo autoalojado") {
		t.Fatalf(`help in Spanish: %q`, out)
	}
	for _, env := range [][]string{{"LANG=C.UTF-8"}, {"LANG=fr_FR.UTF-8"}, nil} {
		if _, _, errs := runCmd(t, env, nil, "backup"); !strings.Contains(errs, "give exactly one destination FILE") {
			t.Errorf(`backup without FILE with %v: %q, want English`, env, errs)
		}
	}
}

package apptest

// Browser tests drive a headless Chromium through chromedp. The pattern:
//
//	s := apptest.NewServer(t)
//	ctx := apptest.NewBrowser(t)
//	apptest.Do(t, ctx, chromedp.Navigate(s.URL+"/login"), ...)
//	text := apptest.Run(t, ctx, chromedp.Text(chromedp.CSS("h1")))
//	apptest.Screenshot(t, ctx, "login")
//	apptest.AssertNoConsoleErrors(t, ctx)
//
// NewTab gives a second, independent browser context (own cookies), for
// example a visitor next to an operator. Every tab records its console
// errors, uncaught exceptions and browser log errors (CSP violations, failed
// loads) from its first moment; AssertNoConsoleErrors checks them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// BrowserTimeout bounds each browser test, so a wait for an element that
// never appears fails the test instead of hanging until go test's timeout.
const BrowserTimeout = 60 * time.Second

// ScreenshotsEnv names the environment variable holding the directory that
// Screenshot writes into; unset means Screenshot does nothing.
const ScreenshotsEnv = "PARLEY_SCREENSHOTS"

var errBrowserTimeout = fmt.Errorf("browser test hang guard: over %s", BrowserTimeout)

// NewBrowser starts a headless Chromium for the test (skipping without one,
// failing under CI=true, see Chromium) and returns the context of its first
// tab. The browser stops at cleanup, before the test server closes when the
// server was started first.
func NewBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	exe := Chromium(t)
	profile := t.TempDir() // registered before the browser's cleanup, so removed after Chromium exits

	base, cancelTimeout := context.WithTimeoutCause(context.Background(), BrowserTimeout, errBrowserTimeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		// Every host under .test is this machine, so a test can serve
		// third-party sites under names of their own (shop.acme.test).
		chromedp.Flag("host-resolver-rules", "MAP *.test 127.0.0.1"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(base, opts...)

	logf := newSafeLogf(t)
	cons := &consoleLog{}
	ctx, cancel := chromedp.NewContext(allocCtx,
		chromedp.WithErrorf(logf.errorf),
		chromedp.WithListener(cons.record))
	t.Cleanup(func() {
		// Close the browser gracefully, then make sure everything is gone
		// before t.TempDir removes the profile.
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		_ = chromedp.Cancel(cctx)
		ccancel()
		cancel()
		cancelAlloc()
		cancelTimeout()
		logf.stop()
	})
	// Start the browser now: NewTab needs a running browser, and a browser
	// that cannot start should fail here with a clear message.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf(`start Chromium %s: %v`, exe, err)
	}
	return context.WithValue(ctx, consoleKey{}, cons)
}

// NewTab opens a tab in a new browser context of browser's Chromium: like an
// incognito window, it shares no cookies or storage with other tabs. It
// closes at cleanup.
func NewTab(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	cons := &consoleLog{}
	ctx, cancel := chromedp.NewContext(browser,
		chromedp.WithNewBrowserContext(),
		chromedp.WithListener(cons.record))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf(`open tab: %v`, browserErr(ctx, err))
	}
	return context.WithValue(ctx, consoleKey{}, cons)
}

// Do runs browser actions in order and fails the test at the first error.
func Do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf(`browser: %v`, browserErr(ctx, err))
	}
}

// Run runs one browser action and returns its value, failing the test on error.
func Run[T any](t testing.TB, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf(`browser: %v`, browserErr(ctx, err))
	}
	return v
}

// browserErr names the hang guard when it is the reason an action failed.
func browserErr(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, errBrowserTimeout) {
		return fmt.Errorf("%w (%v; a waited-for element probably never appeared)", err, cause)
	}
	return err
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves a full-page PNG of the tab as <dir>/<test>-<name>.png
// when PARLEY_SCREENSHOTS names a directory; otherwise it does nothing.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		return
	}
	png := Run(t, ctx, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf(`screenshot dir: %v`, err)
	}
	file := filepath.Join(dir, unsafeName.ReplaceAllString(t.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatalf(`screenshot: %v`, err)
	}
	t.Logf(`screenshot: %s`, file)
}

// ConsoleErrors returns what the tab has reported so far as errors: calls of
// console.error, uncaught exceptions and error entries of the browser log,
// which include CSP violations and failed resource loads.
func ConsoleErrors(t testing.TB, ctx context.Context) []string {
	t.Helper()
	cons, ok := ctx.Value(consoleKey{}).(*consoleLog)
	if !ok {
		t.Fatalf(`ConsoleErrors: ctx does not come from NewBrowser or NewTab`)
	}
	// A round trip to the page makes the tab handle the events the browser
	// sent before it.
	_ = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`0`))
	return cons.errors()
}

// AssertNoConsoleErrors fails the test when the tab reported any console
// error (see ConsoleErrors).
func AssertNoConsoleErrors(t testing.TB, ctx context.Context) {
	t.Helper()
	if errs := ConsoleErrors(t, ctx); len(errs) > 0 {
		t.Errorf("browser console errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

type consoleKey struct{}

// consoleLog collects a tab's errors. record runs on chromedp's read loop,
// so it only formats and appends.
type consoleLog struct {
	mu   sync.Mutex
	errs []string
}

func (c *consoleLog) record(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + strings.SplitN(d.Exception.Description, "\n", 2)[0]
		}
		msg = "exception: " + text
		if d.URL != "" {
			msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			var str string
			switch {
			case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &str) == nil:
				parts = append(parts, str)
			case a.Description != "":
				parts = append(parts, a.Description)
			case len(a.Value) > 0:
				parts = append(parts, string(a.Value))
			default:
				parts = append(parts, string(a.Type))
			}
		}
		msg = "console.error: " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError {
			return
		}
		msg = fmt.Sprintf("%s error: %s", e.Source, e.Text)
		if e.URL != "" {
			msg += " (" + e.URL + ")"
		}
	default:
		return
	}
	c.mu.Lock()
	c.errs = append(c.errs, msg)
	c.mu.Unlock()
}

func (c *consoleLog) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.errs...)
}

// safeLogf forwards chromedp's own error messages to the test log until the
// test's cleanup ends; logging after that would panic.
type safeLogf struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func newSafeLogf(t testing.TB) *safeLogf { return &safeLogf{t: t} }

func (l *safeLogf) errorf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Logf("chromedp: "+format, args...)
	}
}

func (l *safeLogf) stop() {
	l.mu.Lock()
	l.done = true
	l.mu.Unlock()
}

// BrowserLogin signs in through the login page as email with Password and
// waits for the dashboard.
func BrowserLogin(t testing.TB, ctx context.Context, baseURL, email string) {
	t.Helper()
	Do(t, ctx,
		chromedp.Navigate(baseURL+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), Password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)),
	)
}

// PressEnter presses Enter as a keyboard does: one keydown carrying the
// text, so that preventDefault() stops the new line (chromedp.KeyEvent
// sends the character as a separate event that nothing can cancel).
func PressEnter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		p := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter",
			WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Text: "\r", UnmodifiedText: "\r"}
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, p); err != nil {
			return err
		}
		p.Type, p.Text, p.UnmodifiedText = input.DispatchKeyEventTypeKeyUp, "", ""
		_, err := chromedp.Call(ctx, input.DispatchKeyEvent, p)
		return err
	})
}

// HoldRequests makes the tab's browser hold every request whose URL
// matches pattern (CDP Fetch wildcards: * any run, ? one character) until
// ReleaseRequests: a slow server, or a page left before its answer came.
func HoldRequests(pattern string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern}}})
		return err
	})
}

// ReleaseRequests lets the held requests go on; one whose page was left
// meanwhile is gone, unless the page sent it to outlive it (keepalive).
func ReleaseRequests() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{})
		return err
	})
}

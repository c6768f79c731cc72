package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"parley/app/apptest"
	"parley/app/model"
)

// typeInto empties an input and types v into it with real key events, so
// the page's input listeners run as they do for a person.
func typeInto(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, sel)),
		chromedp.SendKeys(chromedp.CSS(sel), v),
	)
}

// until waits for a JavaScript expression to turn true.
func until(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

// settled waits for sel to appear in content htmx swapped in, and for htmx
// to have processed that content (it drops htmx-added when done), so the
// next click reaches htmx and not the browser's own form submission.
func settled(sel string) chromedp.Action[chromedp.Void] {
	return until(fmt.Sprintf(`document.querySelector(%q) !== null && document.querySelector('.htmx-added, .htmx-settling, .htmx-request') === null`, sel))
}

// shot scrolls to the top (the sticky top bar would otherwise sit in the
// middle of a full-page capture) and takes a screenshot.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	apptest.Do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	apptest.Screenshot(t, ctx, name)
}

// TestBrowserChannelForm configures a new channel end to end in a real
// browser: create it, style it with a live preview, add a rule and an
// operator through their dialogs, and read the widget snippet.
func TestBrowserChannelForm(t *testing.T) {
	s := apptest.NewServer(t)
	s.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	bob := s.CreateUser(t, "bob@example.com", "Bob Builder", model.RoleOperator)
	b := apptest.NewBrowser(t)

	apptest.Do(t, b,
		chromedp.Navigate(s.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), apptest.Password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)),
		chromedp.Navigate(s.URL+"/admin/channels"),
		chromedp.WaitVisible(chromedp.CSS(`.channel-card`)),
	)
	shot(t, b, "dashboard")

	// NEW → name → the channel form, on the Operators tab, with its creator.
	apptest.Do(t, b,
		chromedp.Click(chromedp.CSS(`.page-head a[href="/admin/channels/new"]`)),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Support"),
		chromedp.Click(chromedp.CSS(`main form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("channel-name")),
	)
	if v := apptest.Run(t, b, chromedp.Value(chromedp.ID("channel-name"))); v != "Support" {
		t.Fatalf(`channel name = %q`, v)
	}
	if ops := apptest.Run(t, b, chromedp.Text(chromedp.ID("channel-operators"))); !strings.Contains(ops, "Ada Lovelace") {
		t.Errorf(`operators = %q, want the creator`, ops)
	}
	loc := apptest.Run(t, b, chromedp.Location())
	var id int64
	if _, err := fmt.Sscanf(strings.TrimPrefix(loc, s.URL), "/admin/channels/%d", &id); err != nil {
		t.Fatalf(`channel URL %q: %v`, loc, err)
	}

	// Options: a colour typed as rgb() moves the picker and the preview at once.
	apptest.Do(t, b,
		chromedp.Click(chromedp.CSS(`.tabs a[data-tab=options]`)),
		chromedp.WaitVisible(chromedp.ID("button_text")),
		typeInto("#button_background_color", "rgb(200, 30, 60)"),
		typeInto("#default_message", "Welcome to Support!"),
		typeInto("#input_placeholder", "Type here"),
		typeInto("#button_text", "Ask us anything"),
	)
	if u := apptest.Run(t, b, chromedp.Location()); !strings.HasSuffix(u, "?tab=options") {
		t.Errorf(`URL after the tab click = %q, want ?tab=options`, u)
	}
	bg := apptest.Run(t, b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('[data-preview=button]')).backgroundColor`))
	if bg != "rgb(200, 30, 60)" {
		t.Errorf(`preview button background = %q, want rgb(200, 30, 60)`, bg)
	}
	if v := apptest.Run(t, b, chromedp.Value(chromedp.CSS(`input[type=color][data-color-for=button_background_color]`))); v != "#c81e3c" {
		t.Errorf(`colour picker = %q, want #c81e3c`, v)
	}
	for sel, want := range map[string]string{
		`[data-preview=welcome]`: "Welcome to Support!", `[data-preview=placeholder]`: "Type here",
		`[data-preview=button_text]`: "Ask us anything", `[data-preview=title]`: "Support",
	} {
		if got := apptest.Run(t, b, chromedp.Text(chromedp.CSS(sel))); got != want {
			t.Errorf(`preview %s = %q, want %q`, sel, got, want)
		}
	}
	// The launcher is the widget's: a round icon button with no label, and
	// the button text in the notification bubble to its left.
	if got := apptest.Run(t, b, chromedp.Evaluate[string](previewShape)); got != "" {
		t.Errorf(`preview launcher and bubble: %s`, got)
	}
	apptest.Do(t, b, typeInto("#button_text", "x"), chromedp.SendKeys(chromedp.ID("button_text"), kb.Backspace))
	if !apptest.Run(t, b, chromedp.Evaluate[bool](`document.querySelector('[data-preview=bubble]').hidden`)) {
		t.Errorf(`the bubble shows with no button text`)
	}
	apptest.Do(t, b, typeInto("#button_text", "Ask us anything"))
	// Reset puts the header colours back to the defaults.
	apptest.Do(t, b,
		typeInto("#header_background_color", "hsl(200, 50%, 40%)"),
		chromedp.Click(chromedp.CSS(`[data-reset-colors="header_background_color title_color"]`)),
	)
	if v := apptest.Run(t, b, chromedp.Value(chromedp.ID("header_background_color"))); v != model.DefaultHeaderBackgroundColor {
		t.Errorf(`header colour after reset = %q`, v)
	}
	shot(t, b, "options")
	apptest.Do(t, b,
		// The page holds the creation flash: drop it to wait for the new one.
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.flash').forEach(f => f.remove())`),
		chromedp.Click(chromedp.CSS(`#channel-form .form-actions button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-ok`)),
	)
	ch, err := s.Store.Channel(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Options.ButtonBackgroundColor != "#C81E3C" || ch.Options.DefaultMessage != "Welcome to Support!" {
		t.Errorf(`saved options = %+v`, ch.Options)
	}
	if msg := apptest.Run(t, b, chromedp.Text(chromedp.CSS(`.flash-ok`))); msg != "Saved" {
		t.Errorf(`flash after save = %q`, msg)
	}
	if !apptest.Run(t, b, chromedp.Evaluate[bool](`!document.getElementById('tab-options').hidden`)) {
		t.Errorf(`after saving, the Options tab is not the one shown`)
	}

	// Channel Rules: the dialog keeps an invalid regex with its message, then saves.
	apptest.Do(t, b,
		chromedp.Click(chromedp.CSS(`.tabs a[data-tab=rules]`)),
		chromedp.WaitVisible(chromedp.CSS(`#channel-rules .rules-empty`)),
	)
	shot(t, b, "rules-empty")
	apptest.Do(t, b,
		chromedp.Click(chromedp.CSS(`#channel-rules .table-foot button`)),
		chromedp.WaitVisible(chromedp.CSS(`#rule-dialog[open] #rule-action`)),
		chromedp.SetValue(chromedp.ID("rule-action"), "auto_popup"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('rule-action').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.ID("rule-timer")),
		typeInto("#rule-regex", "/contact("),
		typeInto("#rule-timer", "3"),
		chromedp.SendKeys(chromedp.ID("rule-country-filter"), "belg"),
		chromedp.Click(chromedp.CSS(`.country input[value=BE]`)),
	)
	shot(t, b, "rule-dialog")
	apptest.Do(t, b,
		chromedp.Click(chromedp.CSS(`#rule-dialog .modal-foot button[type=submit]`)),
		settled(`#rule-dialog .field .error`),
	)
	if msg := apptest.Run(t, b, chromedp.Text(chromedp.CSS(`#rule-dialog .field .error`))); !strings.Contains(msg, "missing closing )") {
		t.Errorf(`regex error = %q`, msg)
	}
	if n := apptest.Run(t, b, chromedp.Evaluate[int](`document.querySelectorAll('#toasts .toast').length`)); n != 0 {
		t.Errorf(`a field error raised %d toasts`, n)
	}
	shot(t, b, "rule-dialog-error")
	apptest.Do(t, b,
		typeInto("#rule-regex", "/contact"),
		chromedp.Click(chromedp.CSS(`#rule-dialog .modal-foot button[type=submit]`)),
		chromedp.WaitNotVisible(chromedp.ID("rule-dialog")),
		until(`document.querySelector('#channel-rules tbody') !== null`),
	)
	row := apptest.Run(t, b, chromedp.Text(chromedp.CSS(`#channel-rules tbody tr`)))
	for _, want := range []string{"Open automatically", "/contact", "3 s", "Belgium"} {
		if !strings.Contains(row, want) {
			t.Errorf(`rule row = %q, want %q`, row, want)
		}
	}
	shot(t, b, "rules")

	// Operators: ADD → search → tick Bob → SELECT.
	bobBox := fmt.Sprintf(`#operator-picker input[value="%d"]`, bob.ID)
	apptest.Do(t, b,
		chromedp.Click(chromedp.CSS(`.tabs a[data-tab=operators]`)),
		chromedp.Click(chromedp.CSS(`[data-open-dialog=operator-dialog]`)),
		chromedp.WaitVisible(chromedp.CSS(`#operator-dialog[open] #operator-search`)),
		chromedp.SendKeys(chromedp.ID("operator-search"), "bob"),
		until(`document.querySelectorAll('#operator-picker .picker-row').length === 1`),
		chromedp.Click(chromedp.CSS(bobBox)),
	)
	shot(t, b, "operator-dialog")
	apptest.Do(t, b,
		chromedp.Click(chromedp.CSS(`#operator-pick-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#channel-operators [data-presence-user="%d"]`, bob.ID))),
		chromedp.WaitNotVisible(chromedp.ID("operator-dialog")),
	)
	ids := operatorIDs(t, s, id)
	if len(ids) != 2 || ids[1] != bob.ID {
		t.Errorf(`operators = %v, want Ada and Bob`, ids)
	}

	// New user: a field error stays in the dialog; Save & Close adds the user.
	apptest.Do(t, b,
		chromedp.Click(chromedp.CSS(`[data-open-dialog=operator-dialog]`)),
		chromedp.Click(chromedp.CSS(`#operator-dialog [data-dialog-tab=new]`)),
		chromedp.WaitVisible(chromedp.ID("new-operator-name")),
		chromedp.SendKeys(chromedp.ID("new-operator-name"), "Cleo Patra"),
		chromedp.SendKeys(chromedp.ID("new-operator-email"), "cleo@example.com"),
		chromedp.SendKeys(chromedp.ID("new-operator-password"), "short"),
		chromedp.Click(chromedp.CSS(`#operator-new-form button[value=close]`)),
		settled(`#operator-new-form .error`),
	)
	if msg := apptest.Run(t, b, chromedp.Text(chromedp.CSS(`#operator-new-form .error`))); !strings.Contains(msg, "10 characters") {
		t.Errorf(`password error = %q`, msg)
	}
	shot(t, b, "new-user-error")
	apptest.Do(t, b,
		chromedp.SendKeys(chromedp.ID("new-operator-password"), "long enough pw"),
		chromedp.Click(chromedp.CSS(`#operator-new-form button[value=close]`)),
		chromedp.WaitNotVisible(chromedp.ID("operator-dialog")),
		until(`document.querySelectorAll('#channel-operators .operator').length === 3`),
	)
	if ops := apptest.Run(t, b, chromedp.Text(chromedp.ID("channel-operators"))); !strings.Contains(ops, "Cleo Patra") {
		t.Errorf(`operators = %q, want Cleo Patra`, ops)
	}
	shot(t, b, "operators")

	// Widget: the snippet points at this server and this channel.
	apptest.Do(t, b,
		chromedp.Click(chromedp.CSS(`.tabs a[data-tab=widget]`)),
		chromedp.WaitVisible(chromedp.ID("widget-snippet")),
	)
	want := fmt.Sprintf(`<link rel="stylesheet" href="%s/im_livechat/external_lib.css"/>`+"\n"+
		`<script type="text/javascript" src="%s/im_livechat/loader/%d"></script>`, s.URL, s.URL, id)
	if got := apptest.Run(t, b, chromedp.TextContent(chromedp.ID("widget-snippet"))); got != want {
		t.Errorf("snippet =\n%s\nwant\n%s", got, want)
	}
	shot(t, b, "widget")

	// The refused rule and user answered 422 on purpose; Chromium logs every 4xx.
	for _, e := range apptest.ConsoleErrors(t, b) {
		if !strings.Contains(e, "status of 422") || !strings.Contains(e, fmt.Sprintf("/admin/channels/%d/", id)) {
			t.Errorf(`browser console error: %s`, e)
		}
	}
}

// previewShape describes what is wrong with the Options tab's launcher
// preview compared with the widget's launcher (widget.css .launcher and
// .bubble), or returns "".
const previewShape = `(function () {
  var b = document.querySelector('[data-preview=button]'), n = document.querySelector('[data-preview=bubble]');
  var cs = getComputedStyle(b), r = b.getBoundingClientRect();
  if (Math.round(r.width) !== 60 || Math.round(r.height) !== 60) return 'launcher is ' + r.width + 'x' + r.height + ', want 60x60';
  if (cs.borderRadius !== '50%') return 'launcher radius ' + cs.borderRadius + ', want 50%';
  if (b.textContent.trim() !== '') return 'launcher has a label: ' + b.textContent.trim();
  var icon = b.querySelector('svg');
  if (!icon || getComputedStyle(icon).fill === 'none') return 'launcher has no filled chat icon';
  if (n.hidden || !n.offsetParent) return 'bubble not shown';
  if (n.textContent.trim() !== 'Ask us anything') return 'bubble says ' + n.textContent.trim();
  var q = n.getBoundingClientRect();
  if (q.right > r.left) return 'bubble is not left of the launcher';
  if (q.bottom < r.top || q.top > r.bottom) return 'bubble is not beside the launcher';
  if (getComputedStyle(n).backgroundColor !== 'rgb(255, 255, 255)') return 'bubble background ' + getComputedStyle(n).backgroundColor;
  return '';
})()`

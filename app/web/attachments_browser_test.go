package web_test

import (
	"encoding/base64"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// jsFile builds, in the page, a File of the given bytes: what a person
// choosing, pasting or dropping a file hands the page.
func jsFile(name, contentType string, b []byte) jsExpr {
	return jsExpr(`(function () { var s = atob('` + base64.StdEncoding.EncodeToString(b) + `'), a = new Uint8Array(s.length);
		for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
		var dt = new DataTransfer(); dt.items.add(new File([a], '` + name + `', { type: '` + contentType + `' })); return dt; })()`)
}

// TestAttachmentsInBrowsers: a visitor sends a picture with the widget's
// paperclip and the operator sees its thumbnail; the operator drops one on
// the chat window, pastes another, and the visitor sees their thumbnails.
func TestAttachmentsInBrowsers(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	site := lcCustomerSite(t, srv, defaultChannel(t, srv).ID)
	browser := apptest.NewBrowser(t)

	op := apptest.NewTab(t, browser)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	waitOnline(t, srv, ada.ID)

	vis := apptest.NewTab(t, browser)
	apptest.Do(t, vis, chromedp.Navigate(site.URL+"/"))
	lcWait(t, vis, "launcher", `!!document.querySelector('#parley-livechat') && !!`+lcShadow+` && !!`+lcShadow+`.querySelector('.launcher')`, `document.body`)
	lcEval[any](t, vis, lcShadow+`.querySelector('.launcher').click()`)
	lcWait(t, vis, "composer", lcShadow+`.querySelector('.composer textarea').offsetParent !== null`, lcShadow+`.querySelector('.pl')`)
	if lbl := lcEval[string](t, vis, lcShadow+`.querySelector('.composer .clip').getAttribute('aria-label')`); lbl != "Attach a file" {
		t.Fatalf(`paperclip label = %q`, lbl)
	}

	// The visitor chooses a picture with the paperclip.
	lcEval[any](t, vis, `(function () { var i = `+lcShadow+`.querySelector('.composer input[type=file]'); i.files = `+jsFile("beans.png", "image/png", pngBytes(t, 640, 480)).String()+`.files; i.dispatchEvent(new Event('change')); })()`)
	lcWait(t, vis, "visitor's own thumbnail", `(function () { var i = `+lcShadow+`.querySelector('.m.me img.thumb'); return i && i.complete && i.naturalWidth === 320; })()`, lcShadow+`.querySelector('.pl')`)

	win := `document.querySelector('.chat-dock .chat-window')`
	lcWait(t, op, "operator sees the thumbnail", `(function () { var w = `+win+`; var i = w && w.querySelector('.msg.visitor img.msg-thumb'); return i && i.complete && i.naturalWidth === 320 && i.alt === 'beans.png'; })()`, `document.querySelector('.chat-dock')`)

	// The operator drops a picture on the window, then pastes another.
	lcEval[any](t, op, win+`.dispatchEvent(new DragEvent('drop', { dataTransfer: `+jsFile("map.png", "image/png", pngBytes(t, 200, 100)).String()+`, bubbles: true, cancelable: true }))`)
	lcWait(t, op, "dropped picture sent", win+`.querySelectorAll('.msg.mine img.msg-thumb').length === 1`, win)
	lcEval[any](t, op, win+`.querySelector('textarea').dispatchEvent(new ClipboardEvent('paste', { clipboardData: `+jsFile("shot.png", "image/png", pngBytes(t, 50, 50)).String()+`, bubbles: true, cancelable: true }))`)
	lcWait(t, op, "pasted picture sent", win+`.querySelectorAll('.msg.mine img.msg-thumb').length === 2`, win)

	lcWait(t, vis, "visitor sees the operator's thumbnails", `(function () { var is = `+lcShadow+`.querySelectorAll('.m.op img.thumb'); return is.length === 2 && is[0].complete && is[0].naturalWidth === 200 && is[1].naturalWidth === 50; })()`, lcShadow+`.querySelector('.pl')`)
	apptest.Screenshot(t, vis, "attachments-widget")
	apptest.AssertNoConsoleErrors(t, vis)
	apptest.AssertNoConsoleErrors(t, op)
}

type jsExpr string

func (e jsExpr) String() string { return string(e) }

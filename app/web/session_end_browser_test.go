package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"parley/app/apptest"
	"parley/app/model"
)

// The operator's end of a conversation, in the browser: the menu of a chat
// window (End, Leave, Transfer), commands typed in the composer, and what the
// visitor sees of each in the widget on a third-party page.

// opWin is the operator's window of a conversation: docked, or full size on
// the Conversations page.
func opWin(sid string) string {
	return `document.querySelector('.chat-window[data-session="` + sid + `"]')`
}

// opWinSel is the CSS selector of an element inside the window of sid.
func opWinSel(sid, sel string) string {
	return `.chat-window[data-session="` + sid + `"] ` + sel
}

// sysNotices lists the texts of the system notices in the widget.
const sysNotices = `Array.from(pl('.log').querySelectorAll('.m.sys .b')).map(function (b) { return b.textContent; })`

// shown says whether an element is rendered (not display: none, nor inside
// something that is).
func shown(expr string) string {
	return `(function (e) { return !!e && e.getClientRects().length > 0; })(` + expr + `)`
}

// onTop says whether every element of the list is on screen, whole, and
// not covered by anything else at its centre.
func onTop(list string) string {
	return `(function (l) {
		return l.length > 0 && Array.prototype.every.call(l, function (e) {
			var r = e.getBoundingClientRect();
			var hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && !!hit && (hit === e || e.contains(hit));
		});
	})(` + list + `)`
}

// opChatWindow logs ada in a tab of browser next to the visitor's, has the
// visitor write first on the site and waits for the operator's docked window
// with that message.
func opChatWindow(t *testing.T, srv *apptest.Server, browser context.Context, siteURL, first string) (context.Context, *model.Session) {
	t.Helper()
	op := apptest.NewTab(t, browser)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	lcWait(t, op, "the operator's socket", `Parley.chat && Parley.chat.connected()`, `document.body`)
	ada, err := srv.Store.UserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	waitOnline(t, srv, ada.ID)
	sess := widgetChat(t, srv, browser, siteURL, first)
	win := opWin(sess.PublicID)
	lcWait(t, op, "the chat window", win+` && `+win+`.closest('.chat-dock') && `+win+`.textContent.includes(`+jsString(first)+`)`, `document.querySelector('.chat-dock')`)
	return op, sess
}

// TestEndConversationBrowser ends a chat from the operator's docked window:
// the menu (by mouse and keyboard), the confirmation, then what both sides
// see.
func TestEndConversationBrowser(t *testing.T) {
	srv := apptest.NewServer(t)
	srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	site := thirdPartySite(t, srv, defaultChannelID(t, srv))
	browser := apptest.NewBrowser(t)
	op, sess := opChatWindow(t, srv, browser, site.URL+"/", "Can I return a tent I slept in once?")
	sid := sess.PublicID
	win := opWin(sid)
	menu := win + `.querySelector('[data-f="menu"]')`
	menuBtn := win + `.querySelector('[data-act="menu"]')`

	// The keyboard: Enter and Space open the menu on its button, with the
	// focus on the first item; the arrows, Home and End move between the
	// items; Escape closes it and gives the focus back.
	focused := func(act string) string {
		return `document.activeElement === ` + menu + `.querySelector('[data-act="` + act + `"]')`
	}
	apptest.Do(t, op, chromedp.Focus(chromedp.CSS(opWinSel(sid, `[data-act="menu"]`))), apptest.PressEnter())
	lcWait(t, op, "the menu opened by Enter", shown(menu)+` && `+menuBtn+`.getAttribute('aria-expanded') === 'true' && `+focused("transfer"), win)
	for _, k := range []struct{ name, key, act string }{{"Down", kb.ArrowDown, "leave"}, {"Down", kb.ArrowDown, "end"}, {"Down", kb.ArrowDown, "transfer"}, {"Up", kb.ArrowUp, "end"}, {"Home", kb.Home, "transfer"}, {"End", kb.End, "end"}} {
		apptest.Do(t, op, chromedp.KeyEvent(k.key))
		lcWait(t, op, "the focus on "+k.act+" after "+k.name, shown(menu)+` && `+focused(k.act), win)
	}
	apptest.Do(t, op, chromedp.KeyEvent(kb.Escape))
	lcWait(t, op, "the menu closed by Escape", `!`+shown(menu)+` && `+menuBtn+`.getAttribute('aria-expanded') === 'false' && document.activeElement === `+menuBtn, win)
	apptest.Do(t, op, chromedp.KeyEvent(" "))
	lcWait(t, op, "the menu opened by Space", shown(menu)+` && document.activeElement === `+menu+`.querySelector('[data-act="transfer"]')`, win)
	apptest.Do(t, op, chromedp.KeyEvent(kb.Escape))
	lcWait(t, op, "the menu closed by Escape", `!`+shown(menu)+` && document.activeElement === `+menuBtn, win)
	if !lcEval[bool](t, op, `!`+win+`.classList.contains('min')`) {
		t.Errorf(`the keys on the menu button minimised the window`)
	}

	// A click elsewhere closes it; a minimised window has no menu.
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-act="menu"]`))))
	lcWait(t, op, "the menu opened by a click", shown(menu), win)
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.page-head h1`)))
	lcWait(t, op, "the menu closed by a click elsewhere", `!`+shown(menu)+` && `+menuBtn+`.getAttribute('aria-expanded') === 'false'`, win)
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-act="min"]`))))
	lcWait(t, op, "the minimised window without its menu button", win+`.classList.contains('min') && !`+shown(menuBtn), win)
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(opWinSel(sid, `.chat-head .title`))))
	lcWait(t, op, "the window restored", `!`+win+`.classList.contains('min') && `+shown(menuBtn), win)

	// The mouse: the menu shows whole, inside the screen, over the messages.
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-act="menu"]`))))
	lcWait(t, op, "the menu opened by a click", shown(menu), win)
	lcWait(t, op, "the menu's items on top", onTop(menu+`.querySelectorAll('[role="menuitem"]')`), menu)
	lcWait(t, op, "the header in place", onTop(win+`.querySelectorAll('.chat-head .title')`), win)
	apptest.Screenshot(t, op, "menu")

	// End: a confirmation first; Cancel keeps the conversation going.
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-act="end"]`))))
	panel := win + `.querySelector('[data-f="panel"]')`
	lcWait(t, op, "the confirmation", shown(panel)+` && !`+shown(menu)+` && `+panel+`.textContent.includes('End this conversation?') && document.activeElement === `+panel+`.querySelector('[data-act="confirm"]')`, win)
	apptest.Screenshot(t, op, "end-confirm")
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-f="panel"] button:not([data-act])`))))
	lcWait(t, op, "the confirmation cancelled", `!`+shown(panel)+` && document.activeElement === `+win+`.querySelector('textarea')`, win)
	apptest.Do(t, op,
		chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-act="menu"]`))),
		chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-act="end"]`))),
		chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-f="panel"] [data-act="confirm"]`))))

	// The visitor reads who ended it, then the closing screen.
	widgetPoll(t, browser, "the notice and the closing screen", sysNotices+`.indexOf('Ada Lovelace ended the conversation.') >= 0 && !pl('.end').hidden && plText('.end').indexOf('The conversation has ended.') >= 0 && pl('.composer').hidden`)
	widgetShot(t, browser, "widget-ended")

	// The operator's window shows the ended state, without the menu; the
	// focus is on the button that closes the window.
	lcWait(t, op, "the ended window", win+`.classList.contains('closed') && `+shown(win+`.querySelector('[data-f="ended"]')`)+` && `+win+`.querySelector('textarea').disabled && !`+shown(menuBtn)+` && !`+shown(panel), win)
	lcWait(t, op, "the focus on the close button", `document.activeElement === `+win+`.querySelector('[data-act="close"]')`, win)
	lcWait(t, op, "the notice in the operator's window", `Array.from(`+win+`.querySelectorAll('.msg.system')).some(function (e) { return e.textContent === 'Ada Lovelace ended the conversation.'; })`, win)
	apptest.Screenshot(t, op, "ended")
	if x, err := srv.Store.SessionByPublicID(context.Background(), sid); err != nil || x.Status != model.SessionClosed {
		t.Errorf(`session after End: %+v, %v`, x, err)
	}
	apptest.AssertNoConsoleErrors(t, op)
	apptest.AssertNoConsoleErrors(t, browser)
}

// TestTransferConversationBrowser hands a chat from Ada to Bob, each in a
// browser of their own: Bob gets a window with the whole history, the chat
// leaves Ada's windows and list, the visitor reads who took over.
func TestTransferConversationBrowser(t *testing.T) {
	srv := apptest.NewServer(t)
	ada := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	chID := defaultChannelID(t, srv)
	// Colleagues listed before Bob, so that his name is at the end of a
	// list longer than the window.
	var others []*model.User
	for _, name := range []string{"Cleo", "Dev", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo", "Kit", "Lou", "Max"} {
		others = append(others, srv.CreateUser(t, strings.ToLower(name)+"@example.com", name+" Colleague", model.RoleOperator))
	}
	bob := srv.CreateUser(t, "bob@example.com", "Bob Marley", model.RoleOperator)
	site := thirdPartySite(t, srv, chID)
	browser := apptest.NewBrowser(t)

	// Ada takes the chat (nobody else is online yet); the visitor writes
	// twice, the second time while Ada's tab is in the background.
	opA, sess := opChatWindow(t, srv, browser, site.URL+"/", "Does the Basecamp 4 fit a family of four?")
	sid := sess.PublicID
	winA := opWin(sid)
	lcEval[bool](t, opA, `(function () { document.hasFocus = function () { return false; }; return true; })()`)
	widgetSend(t, browser, "With two dogs, that is.")
	lcWait(t, opA, "the second message, unread", winA+`.textContent.includes('With two dogs') && /^\(\d+\) /.test(document.title)`, winA)
	widgetPoll(t, browser, "Ada in the widget's header", `plText('.title') === 'Ada Lovelace'`)

	for _, u := range append(others, bob) {
		if err := srv.Livechat.Join(context.Background(), chID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range others {
		srv.Livechat.Presence.Connect(u.ID) // available, without a browser
	}

	opB := apptest.NewTab(t, browser)
	apptest.BrowserLogin(t, opB, srv.URL, "bob@example.com")
	lcWait(t, opB, "Bob's socket", `Parley.chat && Parley.chat.connected()`, `document.body`)
	waitOnline(t, srv, bob.ID)

	// Ada: menu, Transfer…, Bob, Transfer.
	apptest.Do(t, opA,
		chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-act="menu"]`))),
		chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-act="transfer"]`))))
	panel := winA + `.querySelector('[data-f="panel"]')`
	lcWait(t, opA, "the transfer targets", shown(panel)+` && `+panel+`.querySelectorAll('input[type="radio"]').length === 12 && `+panel+`.textContent.includes('Bob Marley')`, winA)
	if !lcEval[bool](t, opA, `document.activeElement === `+panel+`.querySelector('input:checked')`) {
		t.Errorf(`the focus is not on the chosen target`)
	}
	lcWait(t, opA, "the header and the panel's buttons in view", onTop(panel+`.querySelectorAll('button')`)+` && `+onTop(winA+`.querySelectorAll('.chat-head .title')`), winA)
	apptest.Screenshot(t, opA, "transfer")
	// Toasts go away after a few seconds: record them as they come.
	lcEval[bool](t, opA, `(function () {
		window.toastsSeen = [];
		new MutationObserver(function (ms) {
			ms.forEach(function (m) { m.addedNodes.forEach(function (n) { if (n.classList && n.classList.contains('toast')) toastsSeen.push(n.textContent); }); });
		}).observe(document.body, { childList: true, subtree: true });
		return true;
	})()`)
	apptest.Do(t, opA,
		chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-f="panel"] input[value="operator_id:`+itoa(bob.ID)+`"]`))),
		chromedp.Click(chromedp.CSS(opWinSel(sid, `[data-f="panel"] [data-act="confirm"]`))))

	// Ada: the window closes and a toast says where the chat went; the
	// chat's unread messages are no longer hers to read.
	lcWait(t, opA, "Ada's window gone and the toast", `!`+winA+` && toastsSeen.indexOf('The conversation is now with Bob Marley.') >= 0`, `document.body`)
	if title := lcEval[string](t, opA, `document.title`); strings.HasPrefix(title, "(") {
		t.Errorf(`Ada's title still counts unread messages of the chat she handed over: %q`, title)
	}

	// Bob: a window with the whole conversation, the notice last.
	winB := opWin(sid)
	lcWait(t, opB, "Bob's window with the history", winB+` && `+winB+`.closest('.chat-dock') && `+winB+`.querySelectorAll('.msg.visitor[data-id]').length === 2`, `document.querySelector('.chat-dock')`)
	if got := lcEval[string](t, opB, `Array.from(`+winB+`.querySelectorAll('.msg[data-id]')).map(function (e) { return e.querySelector('.msg-text') ? e.querySelector('.msg-text').textContent : e.textContent; }).join('|')`); got != "Does the Basecamp 4 fit a family of four?|With two dogs, that is.|Ada Lovelace transferred the conversation to Bob Marley." {
		t.Errorf(`Bob's window = %q`, got)
	}
	if !lcEval[bool](t, opB, `!`+winB+`.querySelector('textarea').disabled && `+shown(winB+`.querySelector('[data-act="menu"]')`)) {
		t.Errorf(`Bob cannot answer or act in the transferred chat`)
	}
	apptest.Screenshot(t, opB, "received")

	// The visitor: the notice and Bob in the header.
	widgetPoll(t, browser, "the transfer notice and Bob in the header", sysNotices+`.indexOf('Ada Lovelace transferred the conversation to Bob Marley.') >= 0 && plText('.title') === 'Bob Marley'`)
	widgetShot(t, browser, "widget-transferred")

	// Bob answers; the visitor gets it, with Bob's name.
	apptest.Do(t, opB, chromedp.Click(chromedp.CSS(opWinSel(sid, `textarea`))), chromedp.KeyEvent("Hi, Bob here: yes, dogs included."), apptest.PressEnter())
	widgetPoll(t, browser, "Bob's answer", `plText('.log').indexOf('dogs included') >= 0 && Array.from(pl('.log').querySelectorAll('.m.op .who')).some(function (w) { return w.textContent.indexOf('Bob Marley') === 0; })`)

	// Both the answer to Ada's request and the frame telling her socket have
	// come by now (the frame went out before Bob's answer): one toast.
	if got := lcEval[[]string](t, opA, `toastsSeen`); len(got) != 1 {
		t.Errorf(`Ada's toasts: %q, want one`, got)
	}

	// Ada's Conversations list no longer has it; the page does not open it.
	apptest.Do(t, opA, chromedp.Navigate(srv.URL+"/admin/conversations"), chromedp.WaitVisible(chromedp.CSS(`#conv-open`)))
	lcWait(t, opA, "ready", `Parley.chat && Parley.chat.connected()`, `document.body`)
	if n := lcEval[int](t, opA, `document.querySelectorAll('.conv-item[data-session="`+sid+`"]').length`); n != 0 {
		t.Errorf(`Ada's Conversations list shows the transferred chat %d times`, n)
	}
	if x, err := srv.Store.SessionByPublicID(context.Background(), sid); err != nil || x.OperatorID != bob.ID || x.Status != model.SessionOpen {
		t.Errorf(`session after the transfer: %+v, %v`, x, err)
	}

	// Back to Ada, from Bob's Conversations view while hers is on screen:
	// it leaves Bob's list at once and enters hers.
	apptest.Do(t, opB, chromedp.Navigate(srv.URL+"/admin/conversations?session="+sid))
	lcWait(t, opB, "Bob's full view", `Parley.chat.connected() && document.querySelector('.conv-chat .chat-window[data-session="`+sid+`"] .msg[data-id]') && document.querySelector('#conv-open .conv-item[data-session="`+sid+`"]')`, `document.querySelector('#conversations')`)
	apptest.Do(t, opB,
		chromedp.Click(chromedp.CSS(`.conv-chat [data-act="menu"]`)),
		chromedp.Click(chromedp.CSS(`.conv-chat [data-act="transfer"]`)))
	lcWait(t, opB, "the transfer targets", `document.querySelector('.conv-chat [data-f="panel"]') && document.querySelector('.conv-chat [data-f="panel"]').textContent.includes('Ada Lovelace')`, `document.querySelector('.conv-chat')`)
	apptest.Screenshot(t, opB, "transfer-full")
	apptest.Do(t, opB,
		chromedp.Click(chromedp.CSS(`.conv-chat [data-f="panel"] input[value="operator_id:`+itoa(ada.ID)+`"]`)),
		chromedp.Click(chromedp.CSS(`.conv-chat [data-f="panel"] [data-act="confirm"]`)))
	lcWait(t, opB, "the chat gone from Bob's page", `!document.querySelector('.conv-item[data-session="`+sid+`"]') && !document.querySelector('.conv-chat .chat-window') && !document.querySelector('.conv-placeholder').hidden`, `document.querySelector('#conversations')`)
	lcWait(t, opA, "the chat back in Ada's list", `document.querySelector('#conv-open .conv-item[data-session="`+sid+`"]')`, `document.querySelector('#conv-open')`)
	widgetPoll(t, browser, "the second notice", sysNotices+`.indexOf('Bob Marley transferred the conversation to Ada Lovelace.') >= 0 && plText('.title') === 'Ada Lovelace'`)

	apptest.AssertNoConsoleErrors(t, opA)
	apptest.AssertNoConsoleErrors(t, opB)
	apptest.AssertNoConsoleErrors(t, browser)
}

// TestLeaveAndCommandBrowser works in the full-size Conversations view on
// a chat the visitor started earlier: /help answers the operator alone,
// then Leave ends the chat.
func TestLeaveAndCommandBrowser(t *testing.T) {
	srv, _, _, browser, sess := widgetChatFixture(t, "Is the Ridge UL 1 waterproof?")
	sid := sess.PublicID
	op := apptest.NewTab(t, browser)
	apptest.BrowserLogin(t, op, srv.URL, "ada@example.com")
	apptest.Do(t, op, chromedp.Navigate(srv.URL+"/admin/conversations?session="+sid))
	win := `document.querySelector('.conv-chat .chat-window')`
	lcWait(t, op, "the full-size view", `Parley.chat.connected() && `+win+` && `+win+`.getAttribute('data-session') === '`+sid+`' && `+win+`.querySelectorAll('.msg.visitor[data-id]').length === 1`, `document.querySelector('#conversations')`)

	// /help: the answer shows in the operator's window only.
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.conv-chat textarea`)), chromedp.KeyEvent("/help"), apptest.PressEnter())
	lcWait(t, op, "the command's answer", win+`.querySelector('.msg.command') && `+win+`.querySelector('.msg.command').textContent.includes('/leave') && !`+win+`.querySelector('.msg.pending')`, win)
	if n := lcEval[int](t, op, win+`.querySelectorAll('.msg.mine').length`); n != 0 {
		t.Errorf(`the command shows as %d messages of the operator`, n)
	}
	if v := lcEval[string](t, op, win+`.querySelector('textarea').value`); v != "" {
		t.Errorf(`composer after the command = %q`, v)
	}
	apptest.Screenshot(t, op, "help")
	// A message sent after it reaches the visitor; the command never did.
	apptest.Do(t, op, chromedp.KeyEvent("Yes, 3000 mm hydrostatic head."), apptest.PressEnter())
	widgetPoll(t, browser, "the reply after the command", `plText('.log').indexOf('3000 mm') >= 0`)
	if got := widgetEval[string](t, browser, `plText('.log')`); strings.Contains(got, "/help") || strings.Contains(got, "/leave") || strings.Contains(got, "Type /command") {
		t.Errorf(`the visitor sees the command or its answer: %q`, got)
	}
	if n := widgetEval[int](t, browser, `pl('.log').querySelectorAll('.m').length`); n != 3 { // welcome, question, reply
		t.Errorf(`the widget shows %d messages, want 3: %q`, n, widgetEval[string](t, browser, `plText('.log')`))
	}
	msgs, err := srv.Store.Messages(context.Background(), sess.ID, 0, 10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf(`stored messages: %v, %v; want the question and the reply`, msgs, err)
	}

	// Leave, from the full-size view.
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.conv-chat [data-act="menu"]`)))
	lcWait(t, op, "the menu's items on top", onTop(win+`.querySelectorAll('[role="menuitem"]')`), win)
	apptest.Screenshot(t, op, "menu")
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.conv-chat [data-act="leave"]`)))
	lcWait(t, op, "the confirmation", `document.querySelector('.conv-chat [data-f="panel"]').textContent.includes('Leave this conversation?')`, win)
	apptest.Screenshot(t, op, "leave-confirm")
	apptest.Do(t, op, chromedp.Click(chromedp.CSS(`.conv-chat [data-f="panel"] [data-act="confirm"]`)))
	lcWait(t, op, "the ended view", win+`.classList.contains('closed') && `+win+`.querySelector('textarea').disabled && !`+shown(win+`.querySelector('[data-act="menu"]')`)+` && Array.from(`+win+`.querySelectorAll('.msg.system')).some(function (e) { return e.textContent === 'Ada Lovelace has left the conversation.'; })`, win)
	lcWait(t, op, "the chat under Recently closed", `document.querySelector('#conv-closed .conv-item[data-session="`+sid+`"]') && !document.querySelector('#conv-open .conv-item[data-session="`+sid+`"]')`, `document.querySelector('#conversations')`)
	lcWait(t, op, "the focus on the chat's entry in the list", `document.activeElement === document.querySelector('.conv-item[data-session="`+sid+`"] .conv-link')`, `document.querySelector('#conversations')`)
	apptest.Screenshot(t, op, "left")
	widgetPoll(t, browser, "the closing screen", `!pl('.end').hidden && plText('.end').indexOf('The conversation has ended.') >= 0 && pl('.composer').hidden`)
	if got := widgetEval[[]string](t, browser, sysNotices); len(got) != 0 {
		t.Errorf(`the visitor sees notices %q; an operator leaving is not news to them`, got)
	}
	apptest.AssertNoConsoleErrors(t, op)
	apptest.AssertNoConsoleErrors(t, browser)
}

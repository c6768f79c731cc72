package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// TestBrowserUserPagesLayout opens the profile and user pages, whose cards
// hold token lists and checkbox rows, and checks their spacing: no box
// inside a card draws its own border against the card's, and consecutive
// cards and form rows keep a gap.
func TestBrowserUserPagesLayout(t *testing.T) {
	s := apptest.NewServer(t)
	s.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	bob := s.CreateUser(t, "bob@example.com", "Bob Builder", model.RoleOperator)
	b := apptest.NewBrowser(t)
	apptest.BrowserLogin(t, b, s.URL, "ada@example.com")
	for _, p := range []struct{ name, path string }{
		{"profile", "/admin/profile"},
		{"user", fmt.Sprintf("/admin/config/users/%d", bob.ID)},
		{"new-user", "/admin/config/users/new"},
	} {
		apptest.Do(t, b, chromedp.Navigate(s.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)))
		shot(t, b, p.name)
		for _, msg := range apptest.Run(t, b, chromedp.Evaluate[[]string](layoutProblems)) {
			t.Errorf(`%s: %s`, p.path, msg)
		}
	}
}

// layoutProblems lists what makes a page of cards look broken: a framed
// box (a form, an empty list) inside a card's frame, stacked cards that
// touch, and checkbox rows that run into one line.
const layoutProblems = `(function () {
  var out = [];
  function framed(el) {
    var cs = getComputedStyle(el);
    return cs.borderTopStyle !== 'none' && parseFloat(cs.borderTopWidth) > 0;
  }
  document.querySelectorAll('.card form.form, .card .empty').forEach(function (el) {
    if (framed(el)) out.push('a framed ' + el.className + ' inside a card (double border)');
  });
  var cards = Array.prototype.filter.call(document.querySelectorAll('main > .card'), function (c) { return c.offsetParent; });
  for (var i = 1; i < cards.length; i++) {
    var gap = cards[i].getBoundingClientRect().top - cards[i - 1].getBoundingClientRect().bottom;
    if (gap < 8) out.push('cards ' + i + ' and ' + (i + 1) + ' are ' + gap + 'px apart');
  }
  document.querySelectorAll('.card form').forEach(function (f) {
    var boxes = f.querySelectorAll('label.checkbox');
    for (var i = 1; i < boxes.length; i++) {
      if (boxes[i].getBoundingClientRect().top < boxes[i - 1].getBoundingClientRect().bottom) out.push('checkboxes "' + boxes[i - 1].textContent.trim() + '" and "' + boxes[i].textContent.trim() + '" share a line');
    }
  });
  return out;
})()`

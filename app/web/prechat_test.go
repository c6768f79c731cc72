package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/app/apptest"
	"parley/app/model"
)

// askPrechat makes the default channel ask a required name and phone, an
// optional email and consent.
func askPrechat(t *testing.T, srv *apptest.Server) int64 {
	t.Helper()
	ctx := context.Background()
	id := defaultChannelID(t, srv)
	ch, err := srv.Livechat.Channel(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ch.Prechat = model.PrechatForm{Name: model.FieldRequired, Email: model.FieldOptional, Phone: model.FieldRequired,
		Consent: true, PrivacyURL: "https://acme.example/privacy"}
	if err := srv.Livechat.UpdateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestPrechatRefusals: a chat on a channel with a pre-chat form opens only
// with its answers, and each wrong one is a 422 naming the field.
func TestPrechatRefusals(t *testing.T) {
	srv := apptest.NewServer(t)
	op := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(op.ID)
	id := askPrechat(t, srv)

	code, _, body := call(t, srv, "GET", fmt.Sprintf("/im_livechat/init?channel_id=%d", id), "", "")
	pre, _ := body["prechat"].(map[string]any)
	if code != http.StatusOK || pre["name"] != "required" || pre["email"] != "optional" || pre["phone"] != "required" ||
		pre["consent"] != true || pre["privacy_url"] != "https://acme.example/privacy" {
		t.Fatalf(`init: %d %v, want the pre-chat form`, code, body["prechat"])
	}
	good := `"visitor_name":"Bo","visitor_email":"bo@example.com","visitor_phone":"+34 600 12 34 56","consent":true`
	for _, c := range []struct{ body, field string }{
		{`"visitor_email":"bo@example.com","visitor_phone":"+34 600 123 456","consent":true`, "visitor_name"},
		{`"visitor_name":"Bo","visitor_email":"bo@example.com","consent":true`, "visitor_phone"},
		{`"visitor_name":"Bo","visitor_phone":"12","consent":true`, "visitor_phone"},
		{`"visitor_name":"Bo","visitor_phone":"call me maybe","consent":true`, "visitor_phone"},
		{`"visitor_name":"Bo","visitor_email":"bo@","visitor_phone":"600123456","consent":true`, "visitor_email"},
		{`"visitor_name":"Bo","visitor_phone":"600123456"`, "consent"},
	} {
		code, _, res := call(t, srv, "POST", "/im_livechat/sessions", "", fmt.Sprintf(`{"channel_id":%d,%s}`, id, c.body))
		if code != http.StatusUnprocessableEntity || res["field"] != c.field || res["error"] == "" {
			t.Errorf(`start with {%s}: %d %v, want 422 naming %s`, c.body, code, res, c.field)
		}
	}
	code, _, res := call(t, srv, "POST", "/im_livechat/sessions", "", fmt.Sprintf(`{"channel_id":%d,%s}`, id, good))
	if code != http.StatusCreated {
		t.Fatalf(`start with every answer: %d %v`, code, res)
	}
	sid := res["session"].(map[string]any)["id"].(string)
	x, err := srv.Store.SessionByPublicID(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	v, err := srv.Store.Visitor(context.Background(), x.VisitorID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "Bo" || v.Email != "bo@example.com" || v.Phone != "+34 600 12 34 56" {
		t.Errorf(`visitor = %q %q %q, want the answers`, v.Name, v.Email, v.Phone)
	}

	// The channel's form itself is checked when saved.
	ch, err := srv.Livechat.Channel(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []model.PrechatForm{{Name: "sometimes"}, {Consent: true}, {Consent: true, PrivacyURL: "javascript:alert(1)"}} {
		ch.Prechat = f
		var fe *model.FieldError
		if err := srv.Livechat.UpdateChannel(context.Background(), ch); !errors.As(err, &fe) {
			t.Errorf(`saving pre-chat form %+v: %v, want a field error`, f, err)
		}
	}
}

// TestPrechatBrowser: the widget asks the form before the first message,
// refuses it without a required field, and the operator then sees the
// visitor's name, email and phone.
func TestPrechatBrowser(t *testing.T) {
	srv := apptest.NewServer(t)
	op := srv.CreateUser(t, "ada@example.com", "Ada Lovelace", model.RoleAdmin)
	srv.Livechat.Presence.Connect(op.ID)
	id := askPrechat(t, srv)
	site := thirdPartySite(t, srv, id)
	browser := apptest.NewBrowser(t)
	if !waitWidget(t, browser, site.URL+"/") {
		t.Fatal(`widget not available with an operator online`)
	}
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.launcher').click()`))
	widgetPoll(t, browser, "the pre-chat form", widgetIsOpen+` && !pl('.prechat').hidden && pl('.composer').hidden`)
	if href := widgetEval[string](t, browser, `pl('.prechat a').href`); href != "https://acme.example/privacy" {
		t.Errorf(`consent link = %q`, href)
	}
	// Without the phone: refused, the chat does not start.
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('#pl-p-name').value = 'Bo Jensen'; pl('#pl-p-email').value = 'bo@example.com'; pl('#pl-p-consent').checked = true; pl('.prechat .btn').click()`))
	widgetPoll(t, browser, "the refusal", `plText('.prechat .err') === 'Please enter your phone number.' && pl('#pl-p-phone').getAttribute('aria-invalid') === 'true' && pl('.composer').hidden`)

	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('#pl-p-phone').value = '+45 20 30 40 50'; pl('.prechat .btn').click()`))
	widgetPoll(t, browser, "the composer", `pl('.prechat').hidden && !pl('.composer').hidden`)
	apptest.Do(t, browser, chromedp.Evaluate[chromedp.Void](`pl('.composer textarea').value = 'Do you ship to Denmark?'; pl('.composer .send').click()`))
	widgetPoll(t, browser, "the message to be sent", `!!pl('.m.me') && !pl('.m.me.sending')`)
	sid := widgetEval[string](t, browser, `(function () { for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (/\.session$/.test(k)) return localStorage.getItem(k); } return ''; })()`)
	x, err := srv.Store.SessionByPublicID(context.Background(), sid)
	if err != nil {
		t.Fatalf(`session %q: %v`, sid, err)
	}

	ac := cvLogin(t, srv, "ada@example.com")
	body := cvGet(t, ac, "/admin/conversations?session="+sid, 200)
	cvContains(t, "conversation info", body, "Bo Jensen", "mailto:bo@example.com", `href="tel:&#43;45%2020%2030%2040%2050"`, "&#43;45 20 30 40 50")
	body = cvGet(t, ac, fmt.Sprintf("/admin/visitors/%d", x.VisitorID), 200)
	cvContains(t, "visitor page", body, "Bo Jensen", "bo@example.com", "&#43;45 20 30 40 50")
}

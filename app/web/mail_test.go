package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/apptest/mailtest"
	"parley/app/config"
	"parley/app/model"
	"parley/app/store"
)

// mailServer starts Parley with its SMTP settings pointing at an
// in-process mail server.
func mailServer(t *testing.T, more ...func(*config.Config)) (*apptest.Server, *mailtest.Server) {
	t.Helper()
	smtp := mailtest.Start(t)
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) {
		c.SMTP = config.SMTP{Host: smtp.Host(), Port: smtp.Port(), From: "Parley <chat@example.com>", TLS: "none"}
		for _, f := range more {
			f(c)
		}
	}))
	return srv, smtp
}

func setLanguage(t *testing.T, srv *apptest.Server, userID int64, lang string) {
	t.Helper()
	if _, err := srv.Store.Writer().Exec(`UPDATE users SET language = ? WHERE id = ?`, lang, userID); err != nil {
		t.Fatal(err)
	}
}

// byRecipient indexes received mail by their single envelope recipient.
func byRecipient(t *testing.T, got []mailtest.Received) map[string]mailtest.Parsed {
	t.Helper()
	out := map[string]mailtest.Parsed{}
	for _, m := range got {
		if len(m.To) != 1 {
			t.Fatalf(`mail to %v, want one recipient each`, m.To)
		}
		out[m.To[0]] = m.Parse(t)
	}
	return out
}

func TestOfflineMessageMailsTheOperatorsWithReplyTo(t *testing.T) {
	srv, smtp := mailServer(t)
	ctx := context.Background()
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	olga := srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	setLanguage(t, srv, olga.ID, "es")
	ch := defaultChannel(t, srv)
	if err := srv.Store.AddChannelOperators(ctx, ch.ID, olga.ID); err != nil {
		t.Fatal(err)
	}

	code, _, body := call(t, srv, "POST", "/im_livechat/offline_messages", "",
		fmt.Sprintf(`{"channel_id":%d,"name":"Bo <b>","email":"bo@example.com","body":"Call me back <script>x</script>","url":"https://shop.example/pricing"}`, ch.ID))
	if code != http.StatusCreated {
		t.Fatalf(`offline message: %d %v`, code, body)
	}
	mails := byRecipient(t, smtp.Wait(2))
	en, es := mails[admin.Email], mails[olga.Email]
	for who, p := range map[string]mailtest.Parsed{"en": en, "es": es} {
		if p.Get("Reply-To") != "<bo@example.com>" && p.Get("Reply-To") != "bo@example.com" {
			t.Errorf(`%s: Reply-To %q, want the visitor`, who, p.Get("Reply-To"))
		}
		if !strings.Contains(p.Get("From"), "chat@example.com") {
			t.Errorf(`%s: From %q`, who, p.Get("From"))
		}
		if !strings.Contains(p.Text, "Call me back <script>x</script>") || !strings.Contains(p.Text, "https://shop.example/pricing") {
			t.Errorf(`%s: text part lacks the message or the page:\n%s`, who, p.Text)
		}
		if strings.Contains(p.HTML, "<script>x") || !strings.Contains(p.HTML, "Call me back &lt;script&gt;x&lt;/script&gt;") {
			t.Errorf(`%s: HTML part must hold the message, escaped:\n%s`, who, p.HTML)
		}
	}
	if en.Get("Subject") != "Offline message from Bo <b>" || !strings.Contains(en.Text, "Reply to this mail to answer them.") {
		t.Errorf(`English mail: %q\n%s`, en.Get("Subject"), en.Text)
	}
	if es.Get("Subject") != "Mensaje fuera de línea de Bo <b>" || !strings.Contains(es.Text, "Responda a este correo para contestarle.") ||
		!strings.Contains(es.HTML, `lang="es"`) {
		t.Errorf(`Spanish mail: %q\n%s`, es.Get("Subject"), es.Text)
	}

	// A channel's notification address replaces its operators.
	tok := token(t, srv, admin)
	code, _, body = fromPage(t, srv, "", "PATCH", fmt.Sprintf("/api/v1/channels/%d", ch.ID), tok, `{"notify_email":"bad\r\nBcc: eve@example.com"}`)
	if code != http.StatusUnprocessableEntity || body["field"] != "notify_email" {
		t.Fatalf(`header injection in the notification address: %d %v`, code, body)
	}
	code, _, body = fromPage(t, srv, "", "PATCH", fmt.Sprintf("/api/v1/channels/%d", ch.ID), tok, `{"notify_email":"Sales@Example.com"}`)
	if code != http.StatusOK || body["channel"].(map[string]any)["notify_email"] != "sales@example.com" {
		t.Fatalf(`notification address: %d %v`, code, body)
	}
	call(t, srv, "POST", "/im_livechat/offline_messages", "", fmt.Sprintf(`{"channel_id":%d,"email":"cy@example.com","body":"Hello"}`, ch.ID))
	got := smtp.Wait(3)[2]
	if len(got.To) != 1 || got.To[0] != "sales@example.com" {
		t.Fatalf(`with a notification address, mail went to %v`, got.To)
	}
	// The outbox holds every mail ever queued: the third message made one.
	if rows, err := srv.Store.OutboxPage(ctx, store.OutboxFilter{Kind: "mail"}); err != nil || len(rows) != 3 {
		t.Fatalf(`%d mails queued (%v), want only the notification address's for the second message`, len(rows), err)
	}
}

// startChat starts a conversation with an online operator and returns the
// visitor's token and the session id.
func startChat(t *testing.T, srv *apptest.Server, admin *model.User, lang string) (string, string) {
	t.Helper()
	ch := defaultChannel(t, srv)
	dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + token(t, srv, admin)}})
	waitOnline(t, srv, admin.ID)
	req, _ := http.NewRequest("POST", srv.URL+"/im_livechat/sessions", strings.NewReader(fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/"}`, ch.ID)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusCreated {
		t.Fatalf(`start: %d %v`, res.StatusCode, body)
	}
	return body["visitor_token"].(string), body["session"].(map[string]any)["id"].(string)
}

func TestTranscriptMail(t *testing.T) {
	srv, smtp := mailServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	vtok, sid := startChat(t, srv, admin, "es-ES,es;q=0.9")
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/messages", vtok, `{"body":"¿Tienen <envío> gratis?"}`); code != http.StatusCreated {
		t.Fatalf(`post: %d %v`, code, body)
	}
	x, err := srv.Store.SessionByPublicID(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Livechat.PostMessage(context.Background(), x, model.AuthorOperator, admin.ID, "Ada", "Sí, desde 30 €."); err != nil {
		t.Fatal(err)
	}
	other, _ := startChat(t, srv, admin, "en")

	path := "/im_livechat/sessions/" + sid + "/transcript"
	for _, tt := range []struct {
		name, token, body string
		want              int
	}{
		{"no token", "", `{"email":"bo@example.com"}`, http.StatusUnauthorized},
		{"another visitor's session", other, `{"email":"bo@example.com"}`, http.StatusNotFound},
		{"invalid address", vtok, `{"email":"bo@"}`, http.StatusUnprocessableEntity},
		{"header injection", vtok, `{"email":"bo@example.com\r\nBcc: eve@example.com"}`, http.StatusUnprocessableEntity},
	} {
		if code, _, body := call(t, srv, "POST", path, tt.token, tt.body); code != tt.want {
			t.Errorf(`%s: %d %v, want %d`, tt.name, code, body, tt.want)
		}
	}
	code, _, body := call(t, srv, "POST", path, vtok, `{"email":"bo@example.com"}`)
	if code != http.StatusAccepted {
		t.Fatalf(`transcript: %d %v`, code, body)
	}
	got := smtp.Wait(1)[0]
	p := got.Parse(t)
	if got.To[0] != "bo@example.com" || p.Get("Subject") != "Su conversación en YourWebsite.com" {
		t.Fatalf(`transcript mail to %v: %q`, got.To, p.Get("Subject"))
	}
	for _, want := range []string{"¿Tienen <envío> gratis?", "Ada:", "Sí, desde 30 €.", "Las horas están en UTC."} {
		if !strings.Contains(p.Text, want) {
			t.Errorf(`text part lacks %q:\n%s`, want, p.Text)
		}
	}
	if !strings.Contains(p.HTML, "¿Tienen &lt;envío&gt; gratis?") {
		t.Errorf(`HTML part lacks the escaped message:\n%s`, p.HTML)
	}
	// Per visitor, a few transcripts and then a wait (the refused ones count).
	if code, h, _ := call(t, srv, "POST", path, vtok, `{"email":"bo@example.com"}`); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf(`transcripts beyond the limit: %d`, code)
	}
}

func TestMissedConversationMailedOnce(t *testing.T) {
	srv, smtp := mailServer(t, func(c *config.Config) { c.Mail.MissedAfter = time.Millisecond })
	ctx := context.Background()
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	vtok, sid := startChat(t, srv, admin, "en")
	call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/messages", vtok, `{"body":"Anyone there?"}`)
	answered, asid := startChat(t, srv, admin, "en")
	call(t, srv, "POST", "/im_livechat/sessions/"+asid+"/messages", answered, `{"body":"Hi"}`)
	ax, _ := srv.Store.SessionByPublicID(ctx, asid)
	if _, err := srv.Livechat.PostMessage(ctx, ax, model.AuthorOperator, admin.ID, "Ada", "Hello!"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // past missed_after (1ms)

	n, err := srv.App.Mail.MailMissed(ctx)
	if err != nil || n != 1 {
		t.Fatalf(`first check mailed about %d conversations (%v), want the unanswered one`, n, err)
	}
	if n, err := srv.App.Mail.MailMissed(ctx); err != nil || n != 0 {
		t.Fatalf(`second check mailed about %d conversations (%v), want none: once per conversation`, n, err)
	}
	p := smtp.Wait(1)[0].Parse(t)
	if p.Get("Subject") != "Missed conversation on YourWebsite.com" || !strings.Contains(p.Text, "Anyone there?") || !strings.Contains(p.Text, "/admin/sessions/"+sid) {
		t.Fatalf(`missed mail: %q\n%s`, p.Get("Subject"), p.Text)
	}
}

var inviteLinkRe = regexp.MustCompile(`/invite/[A-Za-z0-9_-]+`)

func TestInvitationSetsThePasswordAndLogsIn(t *testing.T) {
	srv, smtp := mailServer(t)
	admin, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	admin.Get("/admin/config/users/new")
	res, body := admin.PostForm("/admin/config/users", url.Values{"name": {"Olga"}, "email": {"olga@example.com"}, "role": {"operator"}, "invite": {"1"}})
	wantStatus(t, "invite", res, body, http.StatusSeeOther)
	p := smtp.Wait(1)[0].Parse(t)
	link := inviteLinkRe.FindString(p.Text)
	if p.Get("Subject") != "You are invited to YourWebsite.com" || link == "" || !strings.Contains(p.HTML, link) {
		t.Fatalf(`invitation: %q\n%s`, p.Get("Subject"), p.Text)
	}
	// No password works before the invitee chooses one.
	if _, _, err := srv.Auth.Login(context.Background(), "olga@example.com", "", "192.0.2.1", "test"); err == nil {
		t.Fatal(`an invited user logged in without a password`)
	}

	olga := srv.NewClient(t)
	res, body = olga.Get(link)
	wantStatus(t, "invite page", res, body, http.StatusOK)
	wantBody(t, "invite page", body, "olga@example.com")
	res, body = olga.PostForm(link, url.Values{"password": {"password"}})
	wantStatus(t, "common password", res, body, http.StatusUnprocessableEntity)
	res, body = olga.PostForm(link, url.Values{"password": {"a long and private phrase"}})
	wantStatus(t, "choose password", res, body, http.StatusSeeOther)
	res, body = olga.Get("/admin")
	wantStatus(t, "logged in", res, body, http.StatusOK)
	wantBody(t, "logged in", body, "Olga")
	// The link works once.
	res, body = srv.NewClient(t).Get(link)
	wantStatus(t, "used link", res, body, http.StatusConflict)

	// An expired link is refused.
	admin.Get("/admin/config/users/new")
	admin.PostForm("/admin/config/users", url.Values{"name": {"Pat"}, "email": {"pat@example.com"}, "role": {"operator"}, "invite": {"1"}})
	link = inviteLinkRe.FindString(smtp.Wait(2)[1].Parse(t).Text)
	if _, err := srv.Store.Writer().Exec(`UPDATE user_invites SET expires_at = 1 WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	pat := srv.NewClient(t)
	res, body = pat.Get(link)
	wantStatus(t, "expired link", res, body, http.StatusConflict)
	wantBody(t, "expired link", body, "This invitation link has expired.")
	res, body = pat.PostForm(link, url.Values{"password": {"a long and private phrase"}})
	wantStatus(t, "expired link post", res, body, http.StatusConflict)
}

func TestMailSettingsPage(t *testing.T) {
	smtp := mailtest.Start(t)
	srv := apptest.NewServer(t) // no SMTP in the file: mail waits
	ctx := context.Background()
	admin, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ch := defaultChannel(t, srv)

	res, body := admin.Get("/admin/conversations")
	wantStatus(t, "page", res, body, http.StatusOK)
	wantBody(t, "banner", body, "data-mail-off", `href="/admin/config/mail"`)
	op, _ := srv.LoggedIn(t, "olga@example.com", model.RoleOperator)
	if _, body := op.Get("/admin/conversations"); strings.Contains(body, "data-mail-off") {
		t.Fatal(`operators cannot configure mail; the banner is for admins`)
	}
	res, body = op.Get("/admin/config/mail")
	wantStatus(t, "operator", res, body, http.StatusForbidden)

	// An offline message while mail is off waits in the outbox.
	call(t, srv, "POST", "/im_livechat/offline_messages", "", fmt.Sprintf(`{"channel_id":%d,"email":"bo@example.com","body":"Hello"}`, ch.ID))
	waitOutbox(t, srv, func(rows []model.OutboxItem) bool {
		return len(rows) == 1 && rows[0].Status == model.OutboxQueued && rows[0].Attempts == 0 && rows[0].LastError != ""
	})
	res, body = admin.Get("/admin/config/mail")
	wantStatus(t, "mail page", res, body, http.StatusOK)
	wantBody(t, "mail page", body, `data-status="queued"`, "bo@example.com", "No default: the configuration file sets no host.")

	for _, tt := range []struct {
		name  string
		form  url.Values
		field string
	}{
		{"bad port", url.Values{"host": {smtp.Host()}, "port": {"25x"}, "from": {"chat@example.com"}}, "port"},
		{"host without sender", url.Values{"host": {smtp.Host()}, "port": {"25"}}, "from"},
		{"header injection", url.Values{"host": {smtp.Host()}, "from": {"chat@example.com\r\nBcc: eve@example.com"}}, "from"},
		{"bad security", url.Values{"host": {smtp.Host()}, "from": {"chat@example.com"}, "tls": {"ssl3"}}, "tls"},
	} {
		res, body := admin.PostForm("/admin/config/mail", tt.form)
		wantStatus(t, tt.name, res, body, http.StatusUnprocessableEntity)
		wantBody(t, tt.name, body, `class="error"`)
	}
	if srv.App.Mail.Configured(ctx) {
		t.Fatal(`refused settings were saved`)
	}

	res, body = admin.PostForm("/admin/config/mail", url.Values{"host": {smtp.Host()}, "port": {fmt.Sprint(smtp.Port())},
		"from": {"Support <chat@example.com>"}, "tls": {"none"}, "username": {""}, "password": {"s3cret-Passw0rd"}})
	wantStatus(t, "save", res, body, http.StatusSeeOther)
	// The waiting mail goes out now that there is a server.
	got := smtp.Wait(1)[0]
	if got.To[0] != "ada@example.com" {
		t.Fatalf(`waiting mail went to %v`, got.To)
	}
	res, body = admin.Get("/admin/config/mail")
	wantBody(t, "saved", body, "The mail settings were saved.", `value="`+smtp.Host()+`"`, "A password is saved here; it is never shown.")
	if strings.Contains(body, "s3cret-Passw0rd") || strings.Contains(body, "data-mail-off") {
		t.Fatal(`the page shows the password back, or still says mail is off`)
	}
	waitOutbox(t, srv, func(rows []model.OutboxItem) bool { return len(rows) == 1 && rows[0].Status == model.OutboxSent })

	// Saving again with the password empty keeps it.
	res, body = admin.PostForm("/admin/config/mail", url.Values{"host": {smtp.Host()}, "port": {fmt.Sprint(smtp.Port())}, "from": {"chat@example.com"}, "tls": {"none"}})
	wantStatus(t, "save again", res, body, http.StatusSeeOther)
	if c, _ := srv.App.Mail.SMTP(ctx); c.Password != "s3cret-Passw0rd" {
		t.Fatalf(`an empty password field replaced the saved password`)
	}

	res, body = admin.PostForm("/admin/config/mail/test", nil)
	wantStatus(t, "test mail", res, body, http.StatusOK)
	wantBody(t, "test mail", body, "data-test-answer", "The server accepted the mail: 2.0.0 OK: queued")
	if p := smtp.Wait(2)[1].Parse(t); p.Get("Subject") != "Test mail from YourWebsite.com" || p.HTML == "" || p.Text == "" {
		t.Fatalf(`test mail: %q`, p.Get("Subject"))
	}
	smtp.Stop()
	res, body = admin.PostForm("/admin/config/mail/test", nil)
	wantStatus(t, "test mail with the server down", res, body, http.StatusBadGateway)
	wantBody(t, "test mail with the server down", body, "data-test-error", "The mail could not be sent: "+smtp.Addr())

	// A mail the server refuses for good is marked failed; Retry now sends
	// it once the cause is fixed.
	smtp.Restart()
	smtp.RejectRecipients(mailtest.Permanent)
	call(t, srv, "POST", "/im_livechat/offline_messages", "", fmt.Sprintf(`{"channel_id":%d,"email":"cy@example.com","body":"Hello again"}`, ch.ID))
	var failed model.OutboxItem
	waitOutbox(t, srv, func(rows []model.OutboxItem) bool {
		failed = rows[0]
		return len(rows) == 2 && rows[0].Status == model.OutboxFailed
	})
	if failed.Attempts != 1 || !strings.Contains(failed.LastError, "550") {
		t.Fatalf(`refused mail: %+v, want failed after one attempt with the server's 550`, failed)
	}
	_, body = admin.Get("/admin/config/mail")
	wantBody(t, "failed row", body, `data-status="failed"`, "No such user", fmt.Sprintf(`/admin/config/mail/outbox/%d/retry`, failed.ID))
	smtp.RejectRecipients(nil)
	res, body = admin.PostForm(fmt.Sprintf("/admin/config/mail/outbox/%d/retry", failed.ID), nil)
	wantStatus(t, "retry now", res, body, http.StatusSeeOther)
	if got := smtp.Wait(3)[2]; got.To[0] != "ada@example.com" {
		t.Fatalf(`retried mail went to %v`, got.To)
	}
	res, body = admin.PostForm(fmt.Sprintf("/admin/config/mail/outbox/%d/retry", failed.ID+100), nil)
	wantStatus(t, "retry unknown", res, body, http.StatusNotFound)
}

func waitOutbox(t *testing.T, srv *apptest.Server, cond func([]model.OutboxItem) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		rows, err := srv.Store.OutboxPage(context.Background(), store.OutboxFilter{Kind: "mail"})
		if err != nil {
			t.Fatal(err)
		}
		if cond(rows) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf(`outbox never reached the expected state: %+v`, rows)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWeeklyDigest mails last week's figures to the admins who keep the
// digest, once per week.
func TestWeeklyDigest(t *testing.T) {
	srv, smtp := mailServer(t)
	ctx := context.Background()
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	quiet := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleAdmin)
	srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	if err := srv.App.Mail.SetDigestMail(ctx, quiet, false); err != nil {
		t.Fatal(err)
	}
	startChat(t, srv, admin, "en") // no message: not counted
	tok2, asid := startChat(t, srv, admin, "en")
	call(t, srv, "POST", "/im_livechat/sessions/"+asid+"/messages", tok2, `{"body":"Hi"}`)
	ax, _ := srv.Store.SessionByPublicID(ctx, asid)
	if _, err := srv.Livechat.PostMessage(ctx, ax, model.AuthorOperator, admin.ID, "Ada", "Hello!"); err != nil {
		t.Fatal(err)
	}
	tok3, msid := startChat(t, srv, admin, "en")
	call(t, srv, "POST", "/im_livechat/sessions/"+msid+"/messages", tok3, `{"body":"Anyone?"}`)
	// Last week, at the same hour.
	if _, err := srv.Store.Writer().Exec(`UPDATE chat_sessions SET created_at = created_at - 7 * 86400000`); err != nil {
		t.Fatal(err)
	}
	n, err := srv.App.Mail.MailDigest(ctx)
	if err != nil || n != 1 {
		t.Fatalf(`digest: %d mails (%v), want one (Bob turned it off, Olga is no admin)`, n, err)
	}
	if n, err := srv.App.Mail.MailDigest(ctx); err != nil || n != 0 {
		t.Fatalf(`second run: %d mails (%v), want none: once per week`, n, err)
	}
	got := smtp.Wait(1)
	p := got[0].Parse(t)
	hour := time.Now().UTC().Hour()
	if got[0].To[0] != "ada@example.com" || !strings.HasPrefix(p.Get("Subject"), "Live chat weekly digest: ") ||
		!strings.Contains(p.Text, "\nSessions: 2") || !strings.Contains(p.Text, "Missed sessions: 1") ||
		!strings.Contains(p.Text, fmt.Sprintf("Busiest hours: %02d:00–%02d:00 (2 sessions)", hour, (hour+1)%24)) {
		t.Fatalf(`digest mail to %v: %q\n%s`, got[0].To, p.Get("Subject"), p.Text)
	}
}

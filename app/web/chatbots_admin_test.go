package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

func TestChatbotsAPI(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	op := srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	at, ot := token(t, srv, admin), token(t, srv, op)
	sc, _ := welcomeBot(t, srv)

	_, _, body := call(t, srv, "GET", "/api/v1/chatbots", at, "")
	list := body["chatbots"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["name"] != "Lead Generation Bot" || list[1].(map[string]any)["steps"].(float64) != 9 {
		t.Fatalf(`first-run chatbots: %v`, list)
	}
	if code, _, _ := call(t, srv, "GET", "/api/v1/chatbots", ot, ""); code != http.StatusForbidden {
		t.Fatalf(`operators may not list chatbots: %d`, code)
	}

	// Export, then import the same file: a second, equal chatbot.
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/chatbots/%d/export", srv.URL, sc.ID), nil)
	req.Header.Set("Authorization", "Bearer "+at)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var yaml bytes.Buffer
	_, _ = yaml.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/yaml") || !strings.Contains(yaml.String(), "only_if: [I have a pricing question]") {
		t.Fatalf(`export: %d %s\n%s`, res.StatusCode, res.Header.Get("Content-Type"), yaml.String())
	}
	code, _, body := call(t, srv, "POST", "/api/v1/chatbots/import", at, strings.Replace(yaml.String(), "name: Welcome Bot", "name: Welcome Bot 2", 1))
	if code != http.StatusCreated || body["chatbot"].(map[string]any)["name"] != "Welcome Bot 2" {
		t.Fatalf(`import: %d %v`, code, body)
	}
	copyID := int64(body["chatbot"].(map[string]any)["id"].(float64))
	copied, err := srv.App.Chatbots.Get(context.Background(), copyID)
	if err != nil || len(copied.Steps) != 9 || len(copied.Steps[2].OnlyIf) != 1 || copied.Steps[2].OnlyIf[0] != copied.Steps[1].Answers[0].ID {
		t.Fatalf(`imported script: %+v, %v`, copied, err)
	}
	// A bad file: 422 with every problem by line, nothing created.
	code, _, body = call(t, srv, "POST", "/api/v1/chatbots/import", at, "name: Broken\nsteps:\n  - type: banana\n    message: hi\n  - type: text\n")
	errs, _ := body["errors"].([]any)
	if code != http.StatusUnprocessableEntity || len(errs) != 2 || errs[0].(map[string]any)["line"].(float64) != 3 || errs[1].(map[string]any)["line"].(float64) != 5 {
		t.Fatalf(`bad import: %d %v`, code, body)
	}

	// Rules name chatbots by id; an unknown one is refused; a deleted one
	// stays on the rule, which works without it.
	ch := defaultChannel(t, srv)
	rules := fmt.Sprintf("/api/v1/channels/%d/rules", ch.ID)
	if code, _, body := call(t, srv, "PUT", rules, at, `[{"action":"display_button","chatbot_id":999}]`); code != http.StatusUnprocessableEntity || body["field"] != "chatbot_id" {
		t.Fatalf(`unknown chatbot: %d %v`, code, body)
	}
	code, _, body = call(t, srv, "PUT", rules, at, fmt.Sprintf(`[{"action":"display_button","chatbot_id":%d,"chatbot_only_if_no_operator":true}]`, copyID))
	if r := body["rules"].([]any)[0].(map[string]any); code != 200 || r["chatbot_id"].(float64) != float64(copyID) || r["chatbot_only_if_no_operator"] != true {
		t.Fatalf(`rule with a chatbot: %d %v`, code, body)
	}
	if err := srv.App.Chatbots.Delete(context.Background(), copyID); err != nil {
		t.Fatal(err)
	}
	code, _, body = call(t, srv, "PUT", rules, at, fmt.Sprintf(`[{"id":%v,"action":"display_button","chatbot_id":%d}]`, body["rules"].([]any)[0].(map[string]any)["id"], copyID))
	if code != 200 {
		t.Fatalf(`a rule keeps its deleted chatbot: %d %v`, code, body)
	}
	c := srv.NewClient(t)
	c.Login("ada@example.com")
	res, page := c.Get(fmt.Sprintf("/admin/channels/%d?tab=rules", ch.ID))
	expect(t, "rules table", res, page, 200, "Deleted chatbot")
}

func TestChatbotsAdminPages(t *testing.T) {
	srv := apptest.NewServer(t)
	c, _ := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ctx := context.Background()

	res, body := c.Get("/admin/config/chatbots")
	expect(t, "list", res, body, 200, "Welcome Bot", "Lead Generation Bot", "Import a YAML file")
	res, _ = c.PostForm("/admin/config/chatbots", url.Values{"name": {"Support Bot"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`create: %d`, res.StatusCode)
	}
	page := res.Header.Get("Location")
	res, body = c.Get(page)
	expect(t, "empty chatbot", res, body, 200, "No step yet", "Support Bot")
	id := strings.TrimPrefix(page, "/admin/config/chatbots/")

	// Add a question, then a step only for one of its answers.
	res, body = hx(t, c, "POST", page+"/steps", url.Values{"_csrf": {c.CSRF}, "type": {"question_selection"}, "message_en": {"Sales or support?"},
		"message_es": {"¿Ventas o soporte?"}, "answer_id": {"", "", ""}, "answer_label_en": {"Sales", "Support", ""}, "answer_label_es": {"Ventas", "", ""},
		"answer_redirect": {"", "/help", ""}})
	if res.StatusCode != http.StatusNoContent || res.Header.Get("HX-Refresh") != "true" {
		t.Fatalf(`add question: %d %s`, res.StatusCode, body)
	}
	var botID int64
	fmt.Sscan(id, &botID)
	sc, err := srv.App.Chatbots.Get(ctx, botID)
	if err != nil || len(sc.Steps) != 1 || len(sc.Steps[0].Answers) != 2 || sc.Steps[0].Answers[1].RedirectLink != "/help" || sc.Steps[0].Answers[0].Label["es"] != "Ventas" {
		t.Fatalf(`saved question: %+v %v`, sc, err)
	}
	support := sc.Steps[0].Answers[1].ID
	res, body = hx(t, c, "POST", page+"/steps", url.Values{"_csrf": {c.CSRF}, "type": {"forward_operator"}, "only_if": {fmt.Sprint(support)}})
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf(`add forward: %d %s`, res.StatusCode, body)
	}
	// A refused step: the dialog comes back with the message.
	res, body = hx(t, c, "POST", page+"/steps", url.Values{"_csrf": {c.CSRF}, "type": {"text"}})
	expect(t, "text without a message", res, body, http.StatusUnprocessableEntity, "Step 3: the message is required.", `name="message_en"`)

	// The checker speaks of the forward with nothing after it, linked.
	res, body = c.Get(page)
	expect(t, "chatbot page", res, body, 200, "Sales or support?", "Forward to Operator", `href="#step-2"`,
		"no step follows for when nobody is available", `after the answer “Sales” no step can play`, "<svg")

	// Moving the forward above the question drops its "Only If", with a notice.
	sc, _ = srv.App.Chatbots.Get(ctx, botID)
	res, _ = c.PostForm(fmt.Sprintf("%s/steps/%d/move", page, sc.Steps[1].ID), url.Values{"dir": {"up"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`move: %d`, res.StatusCode)
	}
	res, body = c.Get(page)
	expect(t, "after the move", res, body, 200, "1 “Only If” answer no longer belonged to an earlier question and was dropped.")
	sc, _ = srv.App.Chatbots.Get(ctx, botID)
	if sc.Steps[0].Type != model.StepForward || len(sc.Steps[0].OnlyIf) != 0 {
		t.Fatalf(`moved script: %+v`, sc.Steps)
	}

	// An uploaded picture is served as the chatbot's avatar; junk is refused.
	upload := func(name string, data []byte) *http.Response {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("_csrf", c.CSRF)
		fw, _ := w.CreateFormFile("image", name)
		_, _ = fw.Write(data)
		w.Close()
		res, _ := c.Do("POST", page+"/image", &b, map[string]string{"Content-Type": w.FormDataContentType()})
		return res
	}
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	if res := upload("bot.gif", gif); res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`upload: %d`, res.StatusCode)
	}
	res, body = c.Get("/im_livechat/chatbot/" + id + "/avatar")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/gif" || body != string(gif) {
		t.Fatalf(`avatar: %d %s`, res.StatusCode, res.Header.Get("Content-Type"))
	}
	upload("bot.png", []byte("not a picture"))
	res, body = c.Get(page)
	expect(t, "junk picture", res, body, 200, "The picture must be a PNG, JPEG or GIF image.")

	// Test mode: a conversation outside any channel, greeted by the bot.
	res, body = c.Get(page + "/test")
	expect(t, "test page", res, body, 200, "Back to edit mode", `data-bot-test="`+id+`"`)
	res, body = c.Do("POST", page+"/test", nil, map[string]string{"X-CSRF-Token": c.CSRF})
	expect(t, "test start", res, body, http.StatusCreated, `"visitor_token"`, `"state":"running"`, "Sales or support?")

	// Archive, then delete.
	res, _ = c.PostForm(page+"/active", url.Values{})
	if a, _ := srv.App.Chatbots.Get(ctx, botID); res.StatusCode != http.StatusSeeOther || a.Active {
		t.Fatalf(`archive: %d`, res.StatusCode)
	}
	res, _ = c.PostForm(page+"/delete", url.Values{})
	if _, err := srv.App.Chatbots.Get(ctx, botID); res.StatusCode != http.StatusSeeOther || err == nil {
		t.Fatalf(`delete: %d %v`, res.StatusCode, err)
	}
}

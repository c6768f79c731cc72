package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// visitorInit calls /im_livechat/init as a browser preferring lang.
func visitorInit(t *testing.T, srv *apptest.Server, channelID int64, lang string) map[string]any {
	t.Helper()
	res, body := srv.NewClient(t).Do("GET", fmt.Sprintf("/im_livechat/init?channel_id=%d&url=%s", channelID, url.QueryEscape("https://example.com/")),
		nil, map[string]string{"Accept-Language": lang})
	if res.StatusCode != http.StatusOK {
		t.Fatalf(`init (%s): %d %s`, lang, res.StatusCode, body)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAPIChannelLanguages(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	at := token(t, srv, admin)
	ch := defaultChannel(t, srv)
	base := "/api/v1/channels/" + itoa(ch.ID)

	code, _, body := call(t, srv, "GET", base, at, "")
	got := body["channel"].(map[string]any)
	if code != 200 || got["default_language"] != "" || len(got["texts"].(map[string]any)) != 0 {
		t.Fatalf(`new channel: %d %v`, code, got)
	}

	code, _, body = call(t, srv, "PATCH", base, at,
		`{"default_language":"es","texts":{"ES":{"button_text":" ¿Preguntas? ","default_message":"¿En qué puedo ayudarle?","input_placeholder":""}}}`)
	if code != 200 {
		t.Fatalf(`patch: %d %v`, code, body)
	}
	code, _, body = call(t, srv, "GET", base, at, "")
	got = body["channel"].(map[string]any)
	es, _ := got["texts"].(map[string]any)["es"].(map[string]any)
	if code != 200 || got["default_language"] != "es" || es["button_text"] != "¿Preguntas?" ||
		es["default_message"] != "¿En qué puedo ayudarle?" || es["input_placeholder"] != "" {
		t.Fatalf(`round trip: %d %v`, code, got)
	}

	// A patch without texts keeps them; null removes a language's texts.
	call(t, srv, "PATCH", base, at, `{"name":"Support"}`)
	if c, _ := srv.Store.Channel(context.Background(), ch.ID); c.Texts["es"].ButtonText != "¿Preguntas?" {
		t.Fatalf(`texts lost by an unrelated patch: %+v`, c.Texts)
	}

	for _, tc := range []struct{ name, body, want string }{
		{"unknown language", `{"default_language":"xx"}`, `"field":"default_language"`},
		{"texts in an unknown language", `{"texts":{"xx":{"button_text":"Hi"}}}`, `"field":"texts"`},
		{"button text too long", `{"texts":{"es":{"button_text":"` + strings.Repeat("b", 121) + `"}}}`, `"field":"texts.es.button_text"`},
		{"welcome too long", `{"texts":{"es":{"default_message":"` + strings.Repeat("m", 501) + `"}}}`, `"field":"texts.es.default_message"`},
	} {
		code, _, body := call(t, srv, "PATCH", base, at, tc.body)
		b, _ := json.Marshal(body)
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(b), tc.want) {
			t.Errorf(`%s: %d %s, want 422 with %s`, tc.name, code, b, tc.want)
		}
	}

	call(t, srv, "PATCH", base, at, `{"default_language":"","texts":{"es":null}}`)
	if c, _ := srv.Store.Channel(context.Background(), ch.ID); c.DefaultLanguage != "" || len(c.Texts) != 0 {
		t.Fatalf(`reset: %q %+v`, c.DefaultLanguage, c.Texts)
	}
}

func TestInitSpeaksTheVisitorsLanguage(t *testing.T) {
	srv := apptest.NewServer(t)
	ctx := context.Background()
	ch := defaultChannel(t, srv)
	ch.Options.InputPlaceholder = "Type here"
	ch.Texts = map[string]model.ChannelTexts{"es": {ButtonText: "¿Preguntas? Hable con nosotros", DefaultMessage: "Hola, ¿en qué puedo ayudarle?"}}
	if err := srv.Livechat.UpdateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	opts := func(r map[string]any) map[string]any { return r["options"].(map[string]any) }

	// From the browser: Spanish texts for Spanish browsers, the empty
	// Spanish placeholder falling back to the main one.
	r := visitorInit(t, srv, ch.ID, "es-ES,es;q=0.9")
	if o := opts(r); r["language"] != "es" || o["button_text"] != "¿Preguntas? Hable con nosotros" ||
		o["default_message"] != "Hola, ¿en qué puedo ayudarle?" || o["input_placeholder"] != "Type here" {
		t.Errorf(`Spanish browser: %v`, r)
	}
	if _, ok := r["strings"]; ok {
		t.Errorf(`strings sent without a channel language: the loader already has them`)
	}
	r = visitorInit(t, srv, ch.ID, "en-US,en;q=0.9")
	if o := opts(r); r["language"] != "en" || o["button_text"] != ch.Options.ButtonText || o["default_message"] != ch.Options.DefaultMessage {
		t.Errorf(`English browser: %v`, r)
	}
	if _, ok := opts(r)["texts"]; ok {
		t.Errorf(`init leaks the other languages' texts: %v`, r)
	}

	// The channel's language wins over the browser's, in init, the loader
	// and the chat page.
	ch.DefaultLanguage = "es"
	if err := srv.Livechat.UpdateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	r = visitorInit(t, srv, ch.ID, "en-US,en;q=0.9")
	strs, _ := r["strings"].(map[string]any)
	if r["language"] != "es" || opts(r)["button_text"] != "¿Preguntas? Hable con nosotros" || strs["Send"] != "Enviar" {
		t.Errorf(`channel in Spanish, English browser: %v`, r)
	}
	c := srv.NewClient(t)
	_, js := c.Do("GET", fmt.Sprintf("/im_livechat/loader/%d", ch.ID), nil, map[string]string{"Accept-Language": "en"})
	if cfg := loaderConfig(t, js); cfg["lang"] != "es" {
		t.Errorf(`loader of a Spanish channel: lang %v`, cfg["lang"])
	}
	_, page := c.Do("GET", fmt.Sprintf("/im_livechat/support/%d", ch.ID), nil, map[string]string{"Accept-Language": "en"})
	if !strings.Contains(page, `lang="es"`) {
		t.Errorf(`chat page of a Spanish channel is not in Spanish:\n%s`, page)
	}

	// Back to English: Spanish texts now only for Spanish browsers.
	ch.DefaultLanguage = "en"
	if err := srv.Livechat.UpdateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	r = visitorInit(t, srv, ch.ID, "es")
	if r["language"] != "en" || opts(r)["button_text"] != ch.Options.ButtonText {
		t.Errorf(`channel in English, Spanish browser: %v`, r)
	}
}

func TestChannelFormLanguages(t *testing.T) {
	s, c, _, ch := channelsSetup(t)
	path := fmt.Sprintf("/admin/channels/%d", ch.ID)

	res, body := c.Get(path + "?tab=options")
	expect(t, "options tab", res, body, http.StatusOK, `name="default_language"`, `<option value="es" lang="es" >Español</option>`,
		"Texts in Español", `name="texts.es.button_text"`, `name="texts.es.default_message"`, `name="texts.es.input_placeholder"`)
	if strings.Contains(body, "Texts in English") {
		t.Errorf(`the form asks for English texts besides the main ones`)
	}

	v := optionsForm(ch)
	v.Set("default_language", "es")
	v.Set("texts.es.button_text", "¿Preguntas?")
	v.Set("texts.es.default_message", "")
	v.Set("texts.es.input_placeholder", "Escriba aquí")
	res, _ = c.PostForm(path, v)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`save: %d`, res.StatusCode)
	}
	got, _ := s.Store.Channel(context.Background(), ch.ID)
	if got.DefaultLanguage != "es" || got.Texts["es"] != (model.ChannelTexts{ButtonText: "¿Preguntas?", InputPlaceholder: "Escriba aquí"}) {
		t.Fatalf(`saved: %q %+v`, got.DefaultLanguage, got.Texts)
	}
	res, body = c.Get(path + "?tab=options")
	expect(t, "after save", res, body, http.StatusOK, `<option value="es" lang="es" selected>Español</option>`, `value="Escriba aquí"`)

	// A too long Spanish text saves nothing and comes back on its field.
	v.Set("default_language", "")
	v.Set("texts.es.default_message", strings.Repeat("m", 501))
	res, body = c.PostForm(path, v)
	expect(t, "too long", res, body, http.StatusUnprocessableEntity, "The welcome message must be at most 500 characters.",
		`name="texts.es.default_message" maxlength="500" value="mmm`)
	if after, _ := s.Store.Channel(context.Background(), ch.ID); after.DefaultLanguage != "es" {
		t.Errorf(`refused save changed the language: %q`, after.DefaultLanguage)
	}

	// Emptying the Spanish texts removes them.
	v = optionsForm(got)
	res, _ = c.PostForm(path, v)
	if got, _ := s.Store.Channel(context.Background(), ch.ID); res.StatusCode != http.StatusSeeOther || got.DefaultLanguage != "" || len(got.Texts) != 0 {
		t.Fatalf(`cleared: %d %q %+v`, res.StatusCode, got.DefaultLanguage, got.Texts)
	}
}

// TestConversationKeepsItsLanguage: once a chat started in the channel's
// language, the visitor's later calls answer in it whatever the browser
// sends (here an error message and a notice).
func TestConversationKeepsItsLanguage(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	srv.Livechat.Presence.Connect(admin.ID)
	ch := defaultChannel(t, srv)
	ch.DefaultLanguage = "es"
	if err := srv.Livechat.UpdateChannel(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	chat := cvStart(t, srv, ch.ID, "https://shop.example/", "Shop")
	// An English browser, an empty message: the refusal is in Spanish.
	code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, `{"body":"   "}`)
	if code != http.StatusUnprocessableEntity || body["error"] == "The message is empty." {
		t.Fatalf("empty message in a Spanish channel: %d %v", code, body)
	}
	tok := token(t, srv, admin)
	if code, _, body := call(t, srv, "POST", "/api/v1/sessions/"+chat.ID+"/close", tok, ""); code != http.StatusOK {
		t.Fatalf("close: %d %v", code, body)
	}
	_, _, body = call(t, srv, "GET", "/im_livechat/sessions/"+chat.ID+"/messages", chat.Token, "")
	ms := body["messages"].([]any)
	if last := ms[len(ms)-1].(map[string]any); last["body"] != "Ada finalizó la conversación." {
		t.Fatalf("the notice in the conversation's language: %v", last["body"])
	}
}

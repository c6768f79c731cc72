package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// startAs opens a chat on a channel from a browser preferring lang and
// returns the session's operator id.
func startAs(t *testing.T, srv *apptest.Server, channelID int64, lang string) int64 {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/im_livechat/sessions", strings.NewReader(fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/"}`, channelID)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Session struct{ ID string } `json:"session"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("start (%s): %d %v", lang, res.StatusCode, err)
	}
	x, err := srv.Store.SessionByPublicID(context.Background(), body.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	return x.OperatorID
}

// The Options tab turns the language preference on; then a visitor whose
// browser asks for Spanish gets the operator who reads Parley in Spanish
// although they are busier, and with it off the least busy one.
func TestChannelPreferLanguage(t *testing.T) {
	s, c, admin, ch := channelsSetup(t)
	ctx := context.Background()
	path := fmt.Sprintf("/admin/channels/%d", ch.ID)
	olga := s.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	olga.Language = "es"
	if err := s.Store.UpdateUserProfile(ctx, olga); err != nil {
		t.Fatal(err)
	}
	if err := s.Livechat.AddOperators(ctx, ch.ID, []int64{olga.ID}); err != nil {
		t.Fatal(err)
	}

	res, body := c.Get(path + "?tab=options")
	expect(t, "options tab", res, body, http.StatusOK, `name="prefer_language"`, "Prefer operators who speak the visitor&#39;s language")
	if strings.Contains(body, `name="prefer_language" value="1" checked`) {
		t.Fatal("the language preference is on for a new channel, want it off")
	}
	v := optionsForm(ch)
	v.Set("prefer_language", "1")
	if res, body := c.PostForm(path, v); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %.500s", res.StatusCode, body)
	}
	res, body = c.Get(path + "?tab=options")
	expect(t, "saved options tab", res, body, http.StatusOK, `name="prefer_language" value="1" checked`)
	code, _, api := call(t, s, "GET", "/api/v1/channels/"+itoa(ch.ID), token(t, s, admin), "")
	if code != http.StatusOK || api["channel"].(map[string]any)["prefer_language"] != true {
		t.Fatalf("API channel: %d %v", code, api)
	}

	for _, u := range []*model.User{admin, olga} {
		dial(t, s, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + token(t, s, u)}})
		waitOnline(t, s, u.ID)
	}
	for i := 0; i < 2; i++ {
		if got := startAs(t, s, ch.ID, "es-AR,es;q=0.9,en;q=0.5"); got != olga.ID {
			t.Fatalf("Spanish visitor %d went to %d, want Olga (%d)", i, got, olga.ID)
		}
	}

	// Off again (the box unticked): Olga is the busier, Ada takes it.
	v.Del("prefer_language")
	if res, body := c.PostForm(path, v); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %.500s", res.StatusCode, body)
	}
	if got := startAs(t, s, ch.ID, "es-AR"); got != admin.ID {
		t.Fatalf("without the preference a Spanish visitor went to %d, want the least busy %d", got, admin.ID)
	}
	code, _, api = call(t, s, "PATCH", "/api/v1/channels/"+itoa(ch.ID), token(t, s, admin), `{"prefer_language":true}`)
	if code != http.StatusOK || api["channel"].(map[string]any)["prefer_language"] != true {
		t.Fatalf("API patch: %d %v", code, api)
	}
}

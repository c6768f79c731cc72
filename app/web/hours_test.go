package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"testing"
)

// The Office hours tab saves the schedule in its canonical form; an
// overlap, an unknown zone or a maximum of 0 is refused under its field
// and saves nothing.
func TestChannelOfficeHoursForm(t *testing.T) {
	s, c, _, ch := channelsSetup(t)
	path := fmt.Sprintf("/admin/channels/%d", ch.ID)
	res, body := c.Get(path + "?tab=availability")
	expect(t, "office hours tab", res, body, http.StatusOK, `id="availability-form"`, `name="hours"`, `name="max_chats"`)

	form := url.Values{"hours_enabled": {"1"}, "timezone": {"Europe/Madrid"}, "hours": {"sat,sun 10:00-14:00\r\nMon-Fri 09:00-17:00"},
		"holidays": {"2025-12-25"}, "away_message": {"See you soon."}, "max_chats": {"3"}}
	res, _ = c.PostForm(path+"/availability", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?tab=availability" {
		t.Fatalf(`save: %d %s`, res.StatusCode, res.Header.Get("Location"))
	}
	got, err := s.Livechat.Routing(context.Background(), ch.ID)
	if err != nil || !got.HoursEnabled || got.Timezone != "Europe/Madrid" || got.MaxChats != 3 || got.AwayMessage != "See you soon." ||
		got.Hours != "Mon 09:00-17:00\nTue 09:00-17:00\nWed 09:00-17:00\nThu 09:00-17:00\nFri 09:00-17:00\nSat 10:00-14:00\nSun 10:00-14:00" {
		t.Fatalf(`saved = %+v, %v`, got, err)
	}

	for field, want := range map[string]string{
		"hours":     "The openings Mon 09:00-17:00 and Mon 16:00-18:00 overlap",
		"timezone":  `Unknown time zone "Mars/Base"`,
		"max_chats": "The maximum of concurrent chats must be between 1 and 100",
	} {
		bad := url.Values{"hours_enabled": {"1"}, "timezone": {"UTC"}, "hours": {"Mon 09:00-17:00"}}
		switch field {
		case "hours":
			bad.Set("hours", "Mon 09:00-17:00\nMon 16:00-18:00")
		case "timezone":
			bad.Set("timezone", "Mars/Base")
		case "max_chats":
			bad.Set("max_chats", "0")
		}
		res, body := c.PostForm(path+"/availability", bad)
		expect(t, field, res, body, http.StatusUnprocessableEntity, html.EscapeString(want))
	}
	if after, _ := s.Livechat.Routing(context.Background(), ch.ID); *after != *got {
		t.Fatalf(`a refused form changed the channel: %+v`, after)
	}
}

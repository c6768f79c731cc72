package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustSchedule(t *testing.T, zone, hours, holidays string) *Schedule {
	t.Helper()
	loc, err := Location(zone)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseRanges(hours)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := ParseHolidays(holidays)
	if err != nil {
		t.Fatal(err)
	}
	return &Schedule{Location: loc, Ranges: rs, Holidays: hs}
}

func TestOpenInTheChannelsZone(t *testing.T) {
	s := mustSchedule(t, "Europe/Madrid", "Mon-Fri 09:00-17:00", "")
	cases := []struct {
		utc  string
		open bool
	}{
		{"2025-01-13T07:59:00Z", false}, // Monday 08:59 in Madrid (UTC+1)
		{"2025-01-13T08:00:00Z", true},  // 09:00
		{"2025-01-13T15:59:59Z", true},  // 16:59:59
		{"2025-01-13T16:00:00Z", false}, // 17:00: the end is exclusive
		{"2025-01-18T10:00:00Z", false}, // Saturday
		{"2025-01-17T23:30:00Z", false}, // Saturday 00:30 in Madrid, Friday in UTC
	}
	for _, c := range cases {
		at, _ := time.Parse(time.RFC3339, c.utc)
		if got := s.Open(at); got != c.open {
			t.Errorf("Open(%s) = %v, want %v", c.utc, got, c.open)
		}
	}
}

func TestOpenFollowsSummerTime(t *testing.T) {
	s := mustSchedule(t, "America/New_York", "Sun 09:00-10:00\nMon 09:00-10:00", "")
	// 2025-03-09 is the day New York moves to EDT (UTC-4) at 02:00; the
	// Monday before is EST (UTC-5). 09:00 local is 14:00Z and then 13:00Z.
	for _, c := range []struct {
		utc  string
		open bool
	}{
		{"2025-03-03T14:00:00Z", true},  // Monday 09:00 EST
		{"2025-03-03T13:00:00Z", false}, // Monday 08:00 EST
		{"2025-03-09T13:00:00Z", true},  // Sunday 09:00 EDT, the day of the change
		{"2025-03-10T13:30:00Z", true},  // Monday 09:30 EDT
		{"2025-03-10T14:00:00Z", false}, // Monday 10:00 EDT
	} {
		at, _ := time.Parse(time.RFC3339, c.utc)
		if got := s.Open(at); got != c.open {
			t.Errorf("Open(%s) = %v, want %v", c.utc, got, c.open)
		}
	}
}

func TestHolidaysAreClosedAllDayInTheZone(t *testing.T) {
	s := mustSchedule(t, "Pacific/Auckland", "Mon-Sun 00:00-24:00", "2025-12-25, 2025-12-26\n2025-12-25")
	if len(s.Holidays) != 2 {
		t.Fatalf("holidays = %v, want two without the repeat", s.Holidays)
	}
	// 2025-12-24T11:30Z is 00:30 on the 25th in Auckland (UTC+13).
	for _, c := range []struct {
		utc  string
		open bool
	}{
		{"2025-12-24T10:59:00Z", true},
		{"2025-12-24T11:30:00Z", false},
		{"2025-12-26T10:59:00Z", false},
		{"2025-12-26T11:00:00Z", true}, // the 27th
	} {
		at, _ := time.Parse(time.RFC3339, c.utc)
		if got := s.Open(at); got != c.open {
			t.Errorf("Open(%s) = %v, want %v", c.utc, got, c.open)
		}
	}
}

func TestNextOpeningSkipsHolidaysAndWeekends(t *testing.T) {
	s := mustSchedule(t, "Europe/Madrid", "Mon-Fri 09:00-13:00\nMon-Fri 15:00-18:00", "2025-01-13")
	from, _ := time.Parse(time.RFC3339, "2025-01-10T17:30:00Z") // Friday 18:30 in Madrid
	next, ok := s.NextOpening(from)
	want, _ := time.Parse(time.RFC3339, "2025-01-14T08:00:00Z") // Tuesday 09:00, Monday is a holiday
	if !ok || !next.Equal(want) {
		t.Fatalf("NextOpening = %v %v, want %v", next, ok, want)
	}
	lunch, _ := time.Parse(time.RFC3339, "2025-01-14T12:30:00Z") // 13:30
	next, _ = s.NextOpening(lunch)
	if want, _ := time.Parse(time.RFC3339, "2025-01-14T14:00:00Z"); !next.Equal(want) {
		t.Fatalf("NextOpening at lunch = %v, want %v", next, want)
	}
	if _, ok := (&Schedule{}).NextOpening(from); ok {
		t.Fatal("an empty schedule never opens")
	}
}

func TestParseRangesRefusesOverlapsAndNonsense(t *testing.T) {
	for in, want := range map[string]string{
		"Mon 09:00-12:00\nMon 11:00-14:00":     "overlap",
		"Mon-Fri 09:00-17:00\nWed 16:00-18:00": "overlap",
		"Fri-Mon 09:00-17:00\nSun 08:00-10:00": "overlap", // a span across the weekend
		"Mon 17:00-09:00":                      "end after it starts",
		"Mon 09:00-09:00":                      "end after it starts",
		"Funday 09:00-17:00":                   "unknown day",
		"Mon 9-17":                             "not a time",
		"Mon 09:60-17:00":                      "not a time",
		"Mon 24:30-25:00":                      "not a time",
		"Mon":                                  "days, a space",
		"Mon 09:00":                            "09:00-17:00",
	} {
		_, err := ParseRanges(in)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRanges(%q) = %v, want an error saying %q", in, err, want)
		}
	}
	// Touching openings do not overlap, and the text comes back sorted.
	rs, err := ParseRanges("tue 13:00-24:00\nMon,Tue 09:00-13:00\n\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatRanges(rs); got != "Mon 09:00-13:00\nTue 09:00-13:00\nTue 13:00-24:00" {
		t.Fatalf("FormatRanges = %q", got)
	}
}

func TestLocationAndHolidayInput(t *testing.T) {
	for _, bad := range []string{"Mars/Olympus", "Local", "../etc/passwd"} {
		if _, err := Location(bad); err == nil {
			t.Errorf("Location(%q) accepted", bad)
		}
	}
	if loc, err := Location(""); err != nil || loc != time.UTC {
		t.Errorf("Location(\"\") = %v, %v; want UTC", loc, err)
	}
	if _, err := ParseHolidays("2025-02-30"); err == nil {
		t.Error("2025-02-30 accepted as a date")
	}
}

// Package schedule owns office hours: a weekly timetable in wall-clock time
// of one time zone, with holidays, and whether a moment falls inside it.
package schedule

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the binary must know every zone without the system's zoneinfo
)

// Range is one opening on a weekday, in minutes after local midnight:
// Start inclusive, End exclusive; End may be 1440 (until midnight).
type Range struct {
	Day        time.Weekday
	Start, End int
}

// Schedule is a channel's office hours. Ranges and holidays are wall-clock
// times in Location, so a change to or from summer time moves nothing.
type Schedule struct {
	Location *time.Location
	Ranges   []Range
	Holidays []string // "2006-01-02", closed all day
}

// Error says which line of the input is wrong, in English with its values
// apart (for translation).
type Error struct {
	Field   string
	Message string
	Args    []any
}

func (e *Error) Error() string { return e.Field + ": " + fmt.Sprintf(e.Message, e.Args...) }

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// DayAbbrev is the English three-letter name of a weekday, as ranges are written.
func DayAbbrev(d time.Weekday) string { return d.String()[:3] }

// Location loads an IANA zone name ("Europe/Madrid"); "" is UTC.
func Location(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || strings.EqualFold(name, "local") {
		return nil, &Error{Field: "timezone", Message: "Unknown time zone %q; use an IANA name such as Europe/Madrid.", Args: []any{name}}
	}
	return loc, nil
}

// ParseRanges reads one opening per line, "Mon 09:00-17:30"; several days
// may share a line ("Mon-Fri 09:00-17:00", "Sat,Sun 10:00-14:00"). Blank
// lines are skipped. Overlapping openings on the same day are refused.
func ParseRanges(text string) ([]Range, error) {
	var out []Range
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		rs, err := parseLine(line)
		if err != nil {
			return nil, &Error{Field: "hours", Message: "Line %d (%s): %s", Args: []any{i + 1, line, err}}
		}
		out = append(out, rs...)
	}
	if err := CheckOverlaps(out); err != nil {
		return nil, err
	}
	Sort(out)
	return out, nil
}

// lineError is a reason inside a line, in English with its values.
type lineError struct {
	Message string
	Args    []any
}

func (e *lineError) Error() string { return fmt.Sprintf(e.Message, e.Args...) }

// I18nFormat lets the caller translate the reason inside "Line %d".
func (e *lineError) I18nFormat() (string, []any) { return e.Message, e.Args }

func parseLine(line string) ([]Range, error) {
	days, hours, ok := strings.Cut(line, " ")
	if !ok {
		return nil, &lineError{Message: "write the days, a space, then the hours, such as Mon-Fri 09:00-17:00."}
	}
	ds, err := parseDays(strings.TrimSpace(days))
	if err != nil {
		return nil, err
	}
	from, to, ok := strings.Cut(strings.ReplaceAll(strings.TrimSpace(hours), " ", ""), "-")
	if !ok {
		return nil, &lineError{Message: "write the hours as 09:00-17:00."}
	}
	start, err := parseClock(from)
	if err != nil {
		return nil, err
	}
	end, err := parseClock(to)
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, &lineError{Message: "the opening must end after it starts (use 24:00 for midnight)."}
	}
	out := make([]Range, len(ds))
	for i, d := range ds {
		out[i] = Range{Day: d, Start: start, End: end}
	}
	return out, nil
}

func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		a, b, span := strings.Cut(part, "-")
		from, ok := dayNames[strings.ToLower(strings.TrimSpace(a))]
		if !ok {
			return nil, &lineError{Message: "unknown day %q; use Mon, Tue, Wed, Thu, Fri, Sat or Sun.", Args: []any{a}}
		}
		to := from
		if span {
			if to, ok = dayNames[strings.ToLower(strings.TrimSpace(b))]; !ok {
				return nil, &lineError{Message: "unknown day %q; use Mon, Tue, Wed, Thu, Fri, Sat or Sun.", Args: []any{b}}
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == to {
				break
			}
		}
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) != 5 || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, &lineError{Message: "%q is not a time; write it as 09:00 (24-hour clock).", Args: []any{s}}
	}
	return h*60 + m, nil
}

// CheckOverlaps refuses two openings on the same day that share a minute.
func CheckOverlaps(rs []Range) error {
	sorted := slices.Clone(rs)
	Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		a, b := sorted[i-1], sorted[i]
		if a.Day == b.Day && b.Start < a.End {
			return &Error{Field: "hours", Message: "The openings %s and %s overlap; make them one opening or separate them.", Args: []any{a, b}}
		}
	}
	return nil
}

// Sort orders ranges by weekday (Monday first) and start.
func Sort(rs []Range) {
	slices.SortFunc(rs, func(a, b Range) int {
		if da, db := (a.Day+6)%7, (b.Day+6)%7; da != db {
			return int(da) - int(db)
		}
		return a.Start - b.Start
	})
}

func (r Range) String() string {
	return fmt.Sprintf("%s %02d:%02d-%02d:%02d", DayAbbrev(r.Day), r.Start/60, r.Start%60, r.End/60, r.End%60)
}

// FormatRanges writes ranges back as ParseRanges reads them, one a line.
func FormatRanges(rs []Range) string {
	lines := make([]string, len(rs))
	for i, r := range rs {
		lines[i] = r.String()
	}
	return strings.Join(lines, "\n")
}

// ParseHolidays reads dates, one a line or separated by commas, as
// 2006-01-02; it returns them sorted without repeats.
func ParseHolidays(text string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' || r == ' ' || r == '\r' }) {
		if _, err := time.Parse(time.DateOnly, f); err != nil {
			return nil, &Error{Field: "holidays", Message: "%q is not a date; write it as 2025-12-25.", Args: []any{f}}
		}
		out = append(out, f)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Open reports whether t falls inside the schedule: on an opening of its
// weekday, in the schedule's zone, and not on a holiday.
func (s *Schedule) Open(t time.Time) bool {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	local := t.In(loc)
	if _, holiday := slices.BinarySearch(s.Holidays, local.Format(time.DateOnly)); holiday {
		return false
	}
	minute := local.Hour()*60 + local.Minute()
	for _, r := range s.Ranges {
		if r.Day == local.Weekday() && minute >= r.Start && minute < r.End {
			return true
		}
	}
	return false
}

// NextOpening is when the schedule next opens after t (t itself when open),
// looking two weeks ahead; ok is false when nothing opens in that time.
func (s *Schedule) NextOpening(t time.Time) (next time.Time, ok bool) {
	if s.Open(t) {
		return t, true
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	local := t.In(loc)
	y, m, d := local.Date()
	for i := 0; i < 15; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
		if _, holiday := slices.BinarySearch(s.Holidays, day.Format(time.DateOnly)); holiday {
			continue
		}
		for _, r := range s.Ranges { // sorted by start within a day
			if r.Day != day.Weekday() {
				continue
			}
			at := time.Date(day.Year(), day.Month(), day.Day(), r.Start/60, r.Start%60, 0, 0, loc)
			if at.After(t) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}

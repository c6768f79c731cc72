package mail

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/app/model"
)

// DigestFigures are what the weekly digest tells admins about one week
// (§7.5), from the same figures as the Reports.
type DigestFigures struct {
	Since, Until time.Time
	Sessions     int // with an operator and a chat message, as in the Reports
	Missed       int // with a chat message and no operator reply
	Rated        int
	AvgRating    float64
	BusiestHours []DigestHour // at most three, busiest first
}

// DigestHour is one hour of the day (UTC) and its sessions over the week.
type DigestHour struct {
	Hour     int
	Sessions int
}

// weekStart is the Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC().Truncate(24 * time.Hour)
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

// Digest computes the figures of the week starting on since.
func (s *Service) Digest(ctx context.Context, since time.Time) (*DigestFigures, error) {
	d := &DigestFigures{Since: since, Until: since.AddDate(0, 0, 7)}
	f := model.ReportFilter{Since: d.Since, Until: d.Until}
	total, err := s.st.GroupSessions(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(total) == 1 {
		d.Sessions, d.Rated, d.AvgRating = total[0].Figures.Sessions, total[0].Figures.Rated, total[0].Figures.AvgRating
	}
	if d.Missed, err = s.st.Unanswered(ctx, d.Since, d.Until); err != nil {
		return nil, err
	}
	f.Only = model.FigSessions
	hours, err := s.st.GroupSessions(ctx, f, "hour")
	if err != nil {
		return nil, err
	}
	for _, h := range hours {
		n, _ := strconv.Atoi(h.Keys[0])
		d.BusiestHours = append(d.BusiestHours, DigestHour{Hour: n, Sessions: h.Figures.Sessions})
	}
	slices.SortFunc(d.BusiestHours, func(a, b DigestHour) int { return cmp.Or(b.Sessions-a.Sessions, a.Hour-b.Hour) })
	d.BusiestHours = d.BusiestHours[:min(3, len(d.BusiestHours))]
	return d, nil
}

// MailDigest mails the previous week's digest to every admin who keeps it,
// once per week: the week is recorded with the mails, so a restart or a
// second run the same week sends nothing. It returns how many mails it
// queued.
func (s *Service) MailDigest(ctx context.Context) (int, error) {
	since := weekStart(s.o.Now()).AddDate(0, 0, -7)
	week := since.Format("2006-01-02")
	last, err := s.st.DigestWeek(ctx)
	if err != nil || last >= week {
		return 0, err
	}
	d, err := s.Digest(ctx, since)
	if err != nil {
		return 0, err
	}
	admins, err := s.st.DigestRecipients(ctx)
	if err != nil {
		return 0, err
	}
	var items []*model.OutboxItem
	for _, u := range admins {
		msg, err := s.digestMessage(u, d)
		if err != nil {
			return 0, err
		}
		it, err := s.item(ctx, "digest:"+week, msg)
		if err != nil {
			return 0, err
		}
		items = append(items, it)
	}
	saved, err := s.st.SaveDigest(ctx, week, items)
	if err != nil || !saved {
		return 0, err
	}
	if len(items) > 0 {
		s.ob.Wake()
	}
	return len(items), nil
}

func (s *Service) digestMessage(u *model.User, d *DigestFigures) (*Message, error) {
	l := s.loc(userLang(u))
	span := d.Since.Format("2006-01-02") + " – " + d.Until.AddDate(0, 0, -1).Format("2006-01-02")
	p := &page{Lang: l.Lang(), Title: l.T("Your live chat week: %s", span), Footer: s.footer(l),
		Intro:  []string{l.T("How the live chat of %s went last week (times in UTC).", s.o.SiteName())},
		Button: button{Label: l.T("Open the reports"), URL: s.o.BaseURL + "/admin/reports?days=7"},
		Outro:  []string{l.T("You get this mail every Monday as an administrator; turn it off in My Profile.")}}
	rating := "—"
	if d.Rated > 0 {
		rating = l.Decimal(d.AvgRating, 1) + " / 5 (" + l.N(d.Rated, "%d rating", "%d ratings") + ")"
	}
	p.Facts = append(p.Facts, fact{l.T("Sessions"), strconv.Itoa(d.Sessions)}, fact{l.T("Missed sessions"), strconv.Itoa(d.Missed)},
		fact{l.T("Average rating"), rating})
	if len(d.BusiestHours) > 0 {
		var hours []string
		for _, h := range d.BusiestHours {
			hours = append(hours, fmt.Sprintf("%02d:00–%02d:00 (%s)", h.Hour, (h.Hour+1)%24, l.N(h.Sessions, "%d session", "%d sessions")))
		}
		p.Facts = append(p.Facts, fact{l.T("Busiest hours"), strings.Join(hours, ", ")})
	}
	return p.message(l.T("Live chat weekly digest: %s", span), u.Email)
}

// DigestMail says whether u keeps the weekly digest (My Profile).
func (s *Service) DigestMail(ctx context.Context, u *model.User) (bool, error) {
	return s.st.DigestMail(ctx, u.ID)
}

// SetDigestMail records u's choice; the digest goes to admins only.
func (s *Service) SetDigestMail(ctx context.Context, u *model.User, on bool) error {
	if !u.IsAdmin() {
		return model.Refuse(model.Forbidden, "forbidden", "Only administrators get the weekly digest.")
	}
	return s.st.SetDigestMail(ctx, u.ID, on)
}

package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/model"
)

type reportData struct {
	Days      int
	Periods   []int
	ChannelID int64
	Channels  []*model.Channel
	Report    *model.Report
	MaxDay    int // the busiest day's sessions, to scale the bars
}

// reportPeriods are the periods the report offers, in days.
var reportPeriods = []int{7, 30, 90, 365}

// reports is Live Chat ▸ Reports: session statistics and operator analysis
// over a period, optionally for one channel.
func (s *Server) reports(c echo.Context) error {
	ctx := c.Request().Context()
	d := reportData{Days: 30, Periods: reportPeriods}
	if v := c.QueryParam("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !containsInt(reportPeriods, n) {
			return userErr(http.StatusBadRequest, "invalid_days", "The period must be one of 7, 30, 90 or 365 days.")
		}
		d.Days = n
	}
	if v := c.QueryParam("channel_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 0 {
			return userErr(http.StatusBadRequest, "invalid_channel_id", "%q is not a channel.", v)
		}
		d.ChannelID = id
	}
	var err error
	if d.Channels, err = s.d.Livechat.Channels(ctx); err != nil {
		return err
	}
	now := time.Now().UTC()
	since := now.Truncate(24*time.Hour).AddDate(0, 0, -(d.Days - 1))
	if d.Report, err = s.d.Livechat.Report(ctx, model.ReportFilter{Since: since, Until: now.Add(time.Second), ChannelID: d.ChannelID}); err != nil {
		return err
	}
	// One bar per day of the period, quiet days included, so the chart's
	// width means time.
	byDay := map[string]model.ReportRow{}
	for _, r := range d.Report.ByDay {
		byDay[r.Key] = r
		d.MaxDay = max(d.MaxDay, r.Figures.Sessions)
	}
	days := make([]model.ReportRow, 0, d.Days)
	for day := since; !day.After(now); day = day.AddDate(0, 0, 1) {
		key := day.Format("2006-01-02")
		row, ok := byDay[key]
		if !ok {
			row = model.ReportRow{Key: key}
		}
		days = append(days, row)
	}
	d.Report.ByDay = days
	p := s.newPage(c, s.localizer(c).T("Reports"), "reports")
	p.Data = d
	return s.render(c, "reports", p)
}

func containsInt(list []int, n int) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

// humanDuration shows a report duration as "4 min 05 s" or "1 h 02 min".
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return "< 1 s"
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
}

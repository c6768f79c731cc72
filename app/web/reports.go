package web

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/auth"
	"parley/app/chart"
	"parley/app/csvout"
	"parley/app/geo"
	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/pivot"
)

// Live Chat ▸ Reports: Session Statistics and Operator Analysis (§7.1,
// §7.2) as a summary, a pivot and a graph, with the same filters in every
// view, each exportable as CSV.

type reportData struct {
	View      string
	Days      int
	Periods   []int
	Filter    model.ReportFilter
	Channels  []*model.Channel
	Operators []pivot.Key
	Countries []pivot.Key
	Languages []pivot.Key
	Query     url.Values // the filters, for links between views and exports
	Report    *model.Report
	MaxDay    int // the busiest day's sessions, to scale the bars
	// Pivot and graph.
	Dims       []string
	Measures   []string
	Rows, Cols string
	Measure    string
	Pivot      *pivot.Table
	By, Kind   string
	Chart      template.HTML
}

// reportPeriods are the periods the report offers, in days.
var reportPeriods = []int{7, 30, 90, 365}

// reportMeasures are what the pivot shows: counts that add up, and the
// queue's average wait in seconds, whose totals are the means of all they
// cover.
var reportMeasures = []string{"sessions", "unanswered", "messages", "rated", "wait"}

// reportMeasureFigures are the figures each measure is computed from.
var reportMeasureFigures = map[string]model.Figures{"sessions": model.FigSessions, "unanswered": model.FigUnanswered,
	"messages": model.FigMessages, "rated": model.FigRating, "wait": model.FigWait}

func measureOf(f model.SessionFigures, m string) float64 {
	switch m {
	case "wait":
		return f.AvgWait.Seconds()
	case "unanswered":
		return float64(f.Unanswered)
	case "messages":
		return f.AvgMessages * float64(f.Sessions)
	case "rated":
		return float64(f.Rated)
	}
	return float64(f.Sessions)
}

func measureLabel(l *i18n.Localizer, m string) string {
	switch m {
	case "unanswered":
		return l.T("Sessions without answer")
	case "messages":
		return l.T("Messages")
	case "rated":
		return l.T("Rated sessions")
	case "wait":
		return l.T("Average wait in the queue (seconds)")
	}
	return l.T("Sessions")
}

// reportFilter reads the filters every view of the report shares.
func reportFilter(c echo.Context, now time.Time) (model.ReportFilter, int, error) {
	var f model.ReportFilter
	days := 30
	if v := c.QueryParam("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !containsInt(reportPeriods, n) {
			return f, 0, userErr(http.StatusBadRequest, "invalid_days", "The period must be one of 7, 30, 90 or 365 days.")
		}
		days = n
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"channel_id", &f.ChannelID}, {"operator_id", &f.OperatorID}} {
		if v := c.QueryParam(p.name); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id < 0 {
				if p.name == "channel_id" {
					return f, 0, userErr(http.StatusBadRequest, "invalid_channel_id", "%q is not a channel.", v)
				}
				return f, 0, userErr(http.StatusBadRequest, "invalid_operator_id", "%q is not an operator.", v)
			}
			*p.dst = id
		}
	}
	if v := c.QueryParam("country"); v != "" {
		code, ok := geo.NormalizeCountry(v)
		if !ok {
			return f, 0, userErr(http.StatusBadRequest, "invalid_country", "%q is not a country code.", v)
		}
		f.Country = code
	}
	if v := c.QueryParam("language"); v != "" {
		if len(v) > 35 || strings.ContainsAny(v, " \t\r\n") {
			return f, 0, userErr(http.StatusBadRequest, "invalid_language", "%q is not a language tag.", v)
		}
		f.Language = v
	}
	f.Since = now.Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	f.Until = now.Add(time.Second)
	return f, days, nil
}

var reportViews = []string{"summary", "pivot", "graph"}

// reports is Live Chat ▸ Reports; ?format=csv exports what the view shows.
func (s *Server) reports(c echo.Context) error {
	ctx := c.Request().Context()
	l := s.localizer(c)
	now := time.Now().UTC()
	f, days, err := reportFilter(c, now)
	if err != nil {
		return err
	}
	d := reportData{View: cmp.Or(c.QueryParam("view"), "summary"), Days: days, Periods: reportPeriods, Filter: f,
		Dims: livechat.ReportDimensions, Measures: reportMeasures}
	if !containsStr(reportViews, d.View) {
		return userErr(http.StatusBadRequest, "invalid_view", "The view must be summary, pivot or graph.")
	}
	csv := c.QueryParam("format") == "csv"
	if v := c.QueryParam("format"); v != "" && !csv {
		return userErr(http.StatusBadRequest, "invalid_format", "The only export format is csv.")
	}
	d.Query = url.Values{}
	for _, k := range []string{"days", "channel_id", "operator_id", "country", "language"} {
		if v := c.QueryParam(k); v != "" {
			d.Query.Set(k, v)
		}
	}
	switch d.View {
	case "summary":
		if d.Report, err = s.d.Livechat.Report(ctx, f); err != nil {
			return err
		}
		if csv {
			return s.reportSummaryCSV(c, l, d)
		}
		d.fillDays(now)
	case "pivot":
		d.Rows, d.Cols, d.Measure = cmp.Or(c.QueryParam("rows"), "operator"), cmp.Or(c.QueryParam("cols"), "none"), cmp.Or(c.QueryParam("measure"), "sessions")
		if !containsStr(d.Dims, d.Rows) || (d.Cols != "none" && !containsStr(d.Dims, d.Cols)) {
			return userErr(http.StatusBadRequest, "invalid_group", "Choose the rows and columns among channel, operator, country, language, day, week, month and hour.")
		}
		if d.Cols == d.Rows {
			return userErr(http.StatusBadRequest, "invalid_cols", "Choose different groupings for the rows and the columns.")
		}
		if !containsStr(reportMeasures, d.Measure) {
			return userErr(http.StatusBadRequest, "invalid_measure", "The measure must be sessions, unanswered, messages, rated or wait.")
		}
		dims := []string{d.Rows}
		if d.Cols != "none" {
			dims = append(dims, d.Cols)
		}
		f.Only = reportMeasureFigures[d.Measure]
		cells, err := s.d.Livechat.GroupSessions(ctx, f, dims...)
		if err != nil {
			return err
		}
		pc := make([]pivot.Cell, 0, len(cells))
		for _, x := range cells {
			cell := pivot.Cell{Row: reportKey(l, d.Rows, x.Keys[0], x.Labels[0]), Col: pivot.Key{ID: "all", Label: measureLabel(l, d.Measure)},
				Value: measureOf(x.Figures, d.Measure), Weight: float64(x.Figures.Queued)}
			if len(x.Keys) > 1 {
				cell.Col = reportKey(l, d.Cols, x.Keys[1], x.Labels[1])
			}
			pc = append(pc, cell)
		}
		if d.Measure == "wait" {
			d.Pivot = pivot.BuildMean(pc, reportOrder(d.Rows), reportOrder(d.Cols))
		} else {
			d.Pivot = pivot.Build(pc, reportOrder(d.Rows), reportOrder(d.Cols))
		}
		if csv {
			return s.pivotCSV(c, "sessions-pivot", dimLabel(l, d.Rows), l, d.Pivot)
		}
	case "graph":
		if d.By, d.Kind, err = graphParams(c); err != nil {
			return err
		}
		f.Only = model.FigUnanswered
		cells, err := s.d.Livechat.GroupSessions(ctx, f, d.By)
		if err != nil {
			return err
		}
		ch := sessionsChart(l, chart.Kind(d.Kind), d.By, f.Since, now, cells)
		if csv {
			rows := [][]string{append([]string{dimLabel(l, d.By)}, seriesNames(ch)...)}
			for i, label := range ch.Labels {
				row := []string{label}
				for _, s := range ch.Series {
					row = append(row, strconv.FormatFloat(s.Values[i], 'f', -1, 64))
				}
				rows = append(rows, row)
			}
			return s.csv(c, "sessions-graph", rows)
		}
		d.Chart = template.HTML(ch.SVG()) // every text in it is escaped
	}
	if err := s.reportChoices(c, &d); err != nil {
		return err
	}
	p := s.newPage(c, l.T("Reports"), "reports")
	p.Data = d
	return s.render(c, "reports", p)
}

// reportChoices fills the filters' lists: channels, every user (deleted
// users' sessions are no one's), every country, and the languages Parley
// speaks with the one filtered on.
func (s *Server) reportChoices(c echo.Context, d *reportData) error {
	ctx := c.Request().Context()
	l := s.localizer(c)
	var err error
	if d.Channels, err = s.d.Livechat.Channels(ctx); err != nil {
		return err
	}
	users, err := s.d.Auth.ListUsers(ctx, "", auth.AllUsers)
	if err != nil {
		return err
	}
	for _, u := range users {
		d.Operators = append(d.Operators, pivot.Key{ID: strconv.FormatInt(u.ID, 10), Label: u.Name})
	}
	for _, ct := range geo.CountriesIn(l.Lang()) {
		d.Countries = append(d.Countries, pivot.Key{ID: ct.Code, Label: ct.Name})
	}
	langs := s.d.I18n.Languages()
	if d.Filter.Language != "" && !containsStr(langs, d.Filter.Language) {
		langs = append(langs, d.Filter.Language)
	}
	for _, tag := range langs {
		d.Languages = append(d.Languages, reportKey(l, "language", tag, tag))
	}
	return nil
}

// fillDays gives every day of the period its bar, quiet days included, so
// the chart's width means time.
func (d *reportData) fillDays(now time.Time) {
	byDay := map[string]model.ReportRow{}
	for _, r := range d.Report.ByDay {
		byDay[r.Key] = r
		d.MaxDay = max(d.MaxDay, r.Figures.Sessions)
	}
	days := make([]model.ReportRow, 0, d.Days)
	for day := d.Filter.Since; !day.After(now); day = day.AddDate(0, 0, 1) {
		key := day.Format("2006-01-02")
		row, ok := byDay[key]
		if !ok {
			row = model.ReportRow{Key: key}
		}
		days = append(days, row)
	}
	d.Report.ByDay = days
}

// reportKey labels a grouping's value for people: countries and languages
// by name, the deleted channel and the unknown said so.
func reportKey(l *i18n.Localizer, dim, id, label string) pivot.Key {
	switch dim {
	case "rating":
		v, _ := strconv.Atoi(id)
		label = faceLabel(l, v)
	case "channel":
		if label == "" {
			label = l.T("Deleted channel")
		}
	case "country":
		if name, ok := geo.CountryNameIn(l.Lang(), id); ok {
			label = name
		} else if id == "" {
			label = l.T("Unknown")
		}
	case "language":
		if id == "" {
			label = l.T("Unknown")
		} else if name := i18n.LanguageName(id); name != "" {
			label = name
		}
	case "hour":
		label = id + ":00"
	}
	return pivot.Key{ID: id, Label: label}
}

// reportOrder puts times in time order and the rest by label.
func reportOrder(dim string) pivot.Order {
	switch dim {
	case "rating": // faces best first
		return func(a, b pivot.Key) int { return cmp.Compare(b.ID, a.ID) }
	case "day", "week", "month", "hour":
		return func(a, b pivot.Key) int { return cmp.Compare(a.ID, b.ID) }
	}
	return nil
}

// graphParams reads a graph view's grouping (day, week or month) and kind
// (bar or line), refusing anything else.
func graphParams(c echo.Context) (by, kind string, err error) {
	by, kind = cmp.Or(c.QueryParam("by"), "day"), cmp.Or(c.QueryParam("kind"), "bar")
	if by != "day" && by != "week" && by != "month" {
		return "", "", userErr(http.StatusBadRequest, "invalid_by", "The graph groups by day, week or month.")
	}
	if kind != string(chart.Bar) && kind != string(chart.Line) {
		return "", "", userErr(http.StatusBadRequest, "invalid_kind", "The graph is a bar or a line chart.")
	}
	return by, kind, nil
}

// sessionsChart is the graph view: sessions and sessions without answer
// per period. By day, every day of the period has its place.
func sessionsChart(l *i18n.Localizer, kind chart.Kind, by string, since, now time.Time, cells []model.ReportCell) chart.Chart {
	var labels []string
	at := map[string]int{}
	if by == "day" {
		for day := since; !day.After(now); day = day.AddDate(0, 0, 1) {
			at[day.Format("2006-01-02")] = len(labels)
			labels = append(labels, day.Format("2006-01-02"))
		}
	}
	var pc []pivot.Cell
	for _, x := range cells {
		pc = append(pc, pivot.Cell{Row: pivot.Key{ID: x.Keys[0], Label: x.Labels[0]}})
	}
	for _, k := range pivot.Build(pc, reportOrder(by), nil).Rows {
		if _, ok := at[k.ID]; !ok {
			at[k.ID] = len(labels)
			labels = append(labels, k.ID)
		}
	}
	title := map[string]string{"day": l.T("Sessions per day"), "week": l.T("Sessions per week"), "month": l.T("Sessions per month")}[by]
	c := chart.Chart{Kind: kind, Title: title, Labels: labels}
	all := chart.Series{Name: l.T("Sessions"), Color: "#2f6fdb", Values: make([]float64, len(labels))}
	missed := chart.Series{Name: l.T("Sessions without answer"), Color: "#dc3545", Values: make([]float64, len(labels))}
	for _, x := range cells {
		all.Values[at[x.Keys[0]]] += float64(x.Figures.Sessions)
		missed.Values[at[x.Keys[0]]] += float64(x.Figures.Unanswered)
	}
	c.Series = []chart.Series{all, missed}
	c.Format = func(f float64) string { return l.Decimal(f, 0) }
	return c
}

func seriesNames(c chart.Chart) []string {
	out := make([]string, len(c.Series))
	for i, s := range c.Series {
		out[i] = s.Name
	}
	return out
}

// reportSummaryCSV exports one of the summary's lists: ?table=operators
// (Operator Analysis, the default), channels or days.
func (s *Server) reportSummaryCSV(c echo.Context, l *i18n.Localizer, d reportData) error {
	table := cmp.Or(c.QueryParam("table"), "operators")
	var list []model.ReportRow
	var first string
	switch table {
	case "operators":
		list, first = d.Report.ByOperator, l.T("Operator")
	case "channels":
		list, first = d.Report.ByChannel, l.T("Channel")
		for i := range list {
			if list[i].Key == "" {
				list[i].Key = l.T("Deleted channel")
			}
		}
	case "days":
		list, first = d.Report.ByDay, l.T("Day")
	default:
		return userErr(http.StatusBadRequest, "invalid_table", "The table must be operators, channels or days.")
	}
	rows := [][]string{{first, l.T("Sessions"), l.T("Average duration (seconds)"), l.T("Average time to answer (seconds)"),
		l.T("Messages per session"), l.T("Without answer"), l.T("Rated sessions"), l.T("Average rating"),
		l.T("Average wait in the queue (seconds)")}}
	for _, r := range list {
		f := r.Figures
		rating, wait := "", ""
		if f.Rated > 0 {
			rating = strconv.FormatFloat(f.AvgRating, 'f', 2, 64)
		}
		if f.Queued > 0 {
			wait = seconds(f.AvgWait)
		}
		rows = append(rows, []string{r.Key, strconv.Itoa(f.Sessions), seconds(f.AvgDuration), seconds(f.AvgTimeToReply),
			strconv.FormatFloat(f.AvgMessages, 'f', 2, 64), strconv.Itoa(f.Unanswered), strconv.Itoa(f.Rated), rating, wait})
	}
	return s.csv(c, "sessions-"+table, rows)
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 0, 64) }

// pivotCSV exports a pivot as laid out: a header of columns, one line per
// row, totals last.
func (s *Server) pivotCSV(c echo.Context, name, rowsLabel string, l *i18n.Localizer, t *pivot.Table) error {
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	head := []string{rowsLabel}
	for _, k := range t.Cols {
		head = append(head, k.Label)
	}
	rows := [][]string{append(head, l.T("Total"))}
	// A mean over nothing is no figure: an empty cell.
	cell := func(r, c int, v float64) string {
		if !t.Has(r, c) {
			return ""
		}
		return num(v)
	}
	for i, k := range t.Rows {
		row := []string{k.Label}
		for j, v := range t.Values[i] {
			row = append(row, cell(i, j, v))
		}
		rows = append(rows, append(row, cell(i, -1, t.RowTotals[i])))
	}
	total := []string{l.T("Total")}
	for j, v := range t.ColTotals {
		total = append(total, cell(-1, j, v))
	}
	rows = append(rows, append(total, cell(-1, -1, t.Total)))
	return s.csv(c, name, rows)
}

// csv sends rows as a CSV download named name-YYYY-MM-DD.csv.
func (s *Server) csv(c echo.Context, name string, rows [][]string) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s.csv"`, name, time.Now().UTC().Format("2006-01-02")))
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	return csvout.Write(c.Response(), rows)
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

package web

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/chart"
	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/pivot"
	"parley/app/rating"
)

// Reports ▸ Customer Ratings (§7.3): kanban, list, pivot and graph of the
// ratings, with the same filters in every view.

// ratingsPageSize is how many ratings the kanban and the list show at once.
const ratingsPageSize = 60

type ratingsReport struct {
	View       string
	Days       int
	Filter     model.RatingFilter
	Channels   []*model.Channel
	Operators  []pivot.Key
	Query      url.Values // the filters, for links between views and pages
	Ratings    []*model.Rating
	Total      int
	Page       int
	Pages      int
	Dims       []string
	Rows, Cols string
	Pivot      *pivot.Table
	By, Kind   string
	Chart      template.HTML
}

var ratingViews = []string{"kanban", "list", "pivot", "graph"}

func (s *Server) ratingsReport(c echo.Context) error {
	ctx := c.Request().Context()
	u, l := userFrom(c), s.localizer(c)
	f, days, err := ratingFilter(c, time.Now().UTC())
	if err != nil {
		return err
	}
	d := ratingsReport{View: cmp.Or(c.QueryParam("view"), "kanban"), Days: days, Filter: f, Dims: rating.Dimensions, Page: 1}
	if !containsStr(ratingViews, d.View) {
		return userErr(http.StatusBadRequest, "invalid_view", "The view must be kanban, list, pivot or graph.")
	}
	d.Query = url.Values{}
	for _, k := range []string{"days", "channel_id", "operator_id", "rating", "q"} {
		if v := c.QueryParam(k); v != "" {
			d.Query.Set(k, v)
		}
	}
	if d.Channels, err = s.d.Livechat.Channels(ctx); err != nil {
		return err
	}
	ops, err := s.d.Ratings.Group(ctx, u, model.RatingFilter{}, "operator")
	if err != nil {
		return err
	}
	for _, o := range ops {
		d.Operators = append(d.Operators, pivot.Key{ID: o.Keys[0], Label: o.Labels[0]})
	}
	csv := c.QueryParam("format") == "csv"
	if v := c.QueryParam("format"); v != "" && (!csv || d.View == "kanban" || d.View == "graph") {
		return userErr(http.StatusBadRequest, "invalid_format", "The list and the pivot export as csv.")
	}
	switch d.View {
	case "kanban", "list":
		if csv {
			return s.ratingsCSV(c, l, f)
		}
		if v := c.QueryParam("page"); v != "" {
			if d.Page, err = strconv.Atoi(v); err != nil || d.Page < 1 {
				return userErr(http.StatusBadRequest, "invalid_page", "The page must be a number from 1.")
			}
		}
		f.Limit, f.Offset = ratingsPageSize, (d.Page-1)*ratingsPageSize
		if d.Ratings, d.Total, err = s.d.Ratings.List(ctx, u, f); err != nil {
			return err
		}
		d.Pages = max(1, (d.Total+ratingsPageSize-1)/ratingsPageSize)
	case "pivot":
		d.Rows, d.Cols = cmp.Or(c.QueryParam("rows"), "operator"), cmp.Or(c.QueryParam("cols"), "rating")
		dims := []string{d.Rows}
		if d.Cols != "none" {
			if d.Cols == d.Rows {
				return userErr(http.StatusBadRequest, "invalid_cols", "Choose different groupings for the rows and the columns.")
			}
			dims = append(dims, d.Cols)
		}
		cells, err := s.d.Ratings.Group(ctx, u, f, dims...)
		if err != nil {
			return err
		}
		pc := make([]pivot.Cell, 0, len(cells))
		for _, x := range cells {
			cell := pivot.Cell{Row: reportKey(l, d.Rows, x.Keys[0], x.Labels[0]), Col: pivot.Key{ID: "all", Label: l.T("Count")}, Value: float64(x.Count)}
			if len(x.Keys) > 1 {
				cell.Col = reportKey(l, d.Cols, x.Keys[1], x.Labels[1])
			}
			pc = append(pc, cell)
		}
		d.Pivot = pivot.Build(pc, reportOrder(d.Rows), reportOrder(d.Cols))
		if csv {
			return s.pivotCSV(c, "ratings-pivot", dimLabel(l, d.Rows), l, d.Pivot)
		}
	case "graph":
		if d.By, d.Kind, err = graphParams(c); err != nil {
			return err
		}
		cells, err := s.d.Ratings.Group(ctx, u, f, d.By, "rating")
		if err != nil {
			return err
		}
		d.Chart = template.HTML(ratingsChart(l, chart.Kind(d.Kind), d.By, f.Since, cells).SVG()) // every text in it is escaped
	}
	p := s.newPage(c, l.T("Customer Ratings"), "reports")
	p.Data = d
	return s.render(c, "ratings_report", p)
}

// ratingsExportMax bounds one export; the filters narrow a larger one.
const ratingsExportMax = 100000

// ratingsCSV exports every rating matching f, newest first.
func (s *Server) ratingsCSV(c echo.Context, l *i18n.Localizer, f model.RatingFilter) error {
	f.Limit, f.Offset = ratingsExportMax, 0
	list, _, err := s.d.Ratings.List(c.Request().Context(), userFrom(c), f)
	if err != nil {
		return err
	}
	rows := [][]string{{l.T("Date"), l.T("Rating"), l.T("Operator"), l.T("Channel"), l.T("Session"), l.T("Customer"), l.T("Reason"), l.T("Visible internally only")}}
	for _, r := range list {
		internal := ""
		if r.Internal {
			internal = l.T("Yes")
		}
		rows = append(rows, []string{r.UpdatedAt.UTC().Format("2006-01-02 15:04:05"), faceLabel(l, r.Value), r.OperatorName, r.ChannelName,
			r.SessionPublicID, livechat.VisitorLabel(l, r.VisitorName, r.VisitorID), r.Reason, internal})
	}
	return s.csv(c, "ratings", rows)
}

func containsStr(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

var faceColors = map[int]string{model.RatingSatisfied: "#28a745", model.RatingNeutral: "#e0a800", model.RatingDissatisfied: "#dc3545"}

// ratingsChart is the graph view: ratings per period, one series per face.
// By day with a period chosen, every day of it has its place.
func ratingsChart(l *i18n.Localizer, kind chart.Kind, by string, since time.Time, cells []model.RatingCell) chart.Chart {
	var labels []string
	at := map[string]int{}
	if by == "day" && !since.IsZero() {
		for day := since.Truncate(24 * time.Hour); !day.After(time.Now().UTC()); day = day.AddDate(0, 0, 1) {
			at[day.Format("2006-01-02")] = len(labels)
			labels = append(labels, day.Format("2006-01-02"))
		}
	}
	keys := pivot.Build(func() []pivot.Cell {
		var pc []pivot.Cell
		for _, x := range cells {
			pc = append(pc, pivot.Cell{Row: pivot.Key{ID: x.Keys[0], Label: x.Labels[0]}})
		}
		return pc
	}(), nil, nil).Rows
	for _, k := range keys {
		if _, ok := at[k.ID]; !ok {
			at[k.ID] = len(labels)
			labels = append(labels, k.ID)
		}
	}
	title := map[string]string{"day": l.T("Ratings per day"), "week": l.T("Ratings per week"), "month": l.T("Ratings per month")}[by]
	c := chart.Chart{Kind: kind, Title: title, Labels: labels}
	for _, v := range model.RatingValues {
		s := chart.Series{Name: faceLabel(l, v), Color: faceColors[v], Values: make([]float64, len(labels))}
		for _, x := range cells {
			if x.Keys[1] == strconv.Itoa(v) {
				s.Values[at[x.Keys[0]]] += float64(x.Count)
			}
		}
		c.Series = append(c.Series, s)
	}
	c.Format = func(f float64) string { return l.Decimal(f, 0) }
	return c
}

type ratingPage struct {
	Rating *model.Rating
}

// ratingDetail is one rating's page, with the "Visible internally only" box.
func (s *Server) ratingDetail(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	r, err := s.d.Ratings.Get(c.Request().Context(), userFrom(c), id)
	if err != nil {
		return err
	}
	p := s.newPage(c, s.localizer(c).T("Rating of %s", r.ChannelName+" / "+r.SessionPublicID), "reports")
	p.Data = ratingPage{Rating: r}
	return s.render(c, "rating", p)
}

// saveRating sets the "Visible internally only" flag.
func (s *Server) saveRating(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	if _, err := s.d.Ratings.SetInternal(c.Request().Context(), userFrom(c), id, c.FormValue("internal") != ""); err != nil {
		return err
	}
	s.setFlash(c, "ok", s.localizer(c).T("Saved."))
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/reports/ratings/%d", id))
}

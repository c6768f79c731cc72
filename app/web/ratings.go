package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/livechat"
	"parley/app/model"
)

type feedbackRequest struct {
	Rating int    `json:"rating"`
	Reason string `json:"reason"`
}

// visitorFeedback is the closing screen's rating of the conversation.
func (s *Server) visitorFeedback(c echo.Context) error {
	x, err := s.visitorSession(c)
	if err != nil {
		return err
	}
	var in feedbackRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if _, err := s.d.Ratings.Submit(c.Request().Context(), x, in.Rating, in.Reason); err != nil {
		return err
	}
	x.Rating = in.Rating
	return c.JSON(http.StatusOK, map[string]any{"session": livechat.NewSessionView(s.localizer(c), x, s.d.Config.PublicURL())})
}

// ratingFilter parses the report's and the API's filters: days (7, 30 or
// 365; none is all time), channel_id, operator_id, rating, q.
func ratingFilter(c echo.Context, now time.Time) (model.RatingFilter, int, error) {
	var f model.RatingFilter
	days := 0
	if v := c.QueryParam("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || (n != 7 && n != 30 && n != 365) {
			return f, 0, userErr(http.StatusBadRequest, "invalid_days", "The period must be 7, 30 or 365 days.")
		}
		days = n
		f.Since = now.AddDate(0, 0, -n)
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"channel_id", &f.ChannelID}, {"operator_id", &f.OperatorID}} {
		if v := c.QueryParam(p.name); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id < 0 {
				return f, 0, userErr(http.StatusBadRequest, "invalid_"+p.name, "%s must be a number.", p.name)
			}
			*p.dst = id
		}
	}
	if v := c.QueryParam("rating"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !model.ValidRating(n) {
			return f, 0, userErr(http.StatusBadRequest, "invalid_rating", "rating must be 5, 3 or 1.")
		}
		f.Value = n
	}
	f.Search = strings.TrimSpace(c.QueryParam("q"))
	if len(f.Search) > 200 {
		return f, 0, userErr(http.StatusBadRequest, "invalid_q", "The search is too long: at most 200 characters.")
	}
	return f, days, nil
}

type apiRating struct {
	ID        int64     `json:"id"`
	SessionID string    `json:"session_id"`
	Channel   apiRef    `json:"channel"`
	Operator  apiRef    `json:"operator"`
	Visitor   string    `json:"visitor_name"`
	Rating    int       `json:"rating"`
	Reason    string    `json:"reason"`
	Internal  bool      `json:"internal"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type apiRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// apiRatings is GET /api/v1/ratings: admins read every rating, operators
// those of their own conversations.
func (s *Server) apiRatings(c echo.Context) error {
	f, _, err := ratingFilter(c, time.Now())
	if err != nil {
		return err
	}
	f.Limit, f.Offset = 100, 0
	if v := c.QueryParam("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return userErr(http.StatusBadRequest, "invalid_limit", "limit must be between 1 and 1000.")
		}
	}
	if v := c.QueryParam("offset"); v != "" {
		if f.Offset, err = strconv.Atoi(v); err != nil || f.Offset < 0 {
			return userErr(http.StatusBadRequest, "invalid_offset", "offset must be 0 or more.")
		}
	}
	list, total, err := s.d.Ratings.List(c.Request().Context(), userFrom(c), f)
	if err != nil {
		return err
	}
	l := s.localizer(c)
	out := make([]apiRating, 0, len(list))
	for _, r := range list {
		out = append(out, apiRating{ID: r.ID, SessionID: r.SessionPublicID, Channel: apiRef{r.ChannelID, r.ChannelName},
			Operator: apiRef{r.OperatorID, r.OperatorName}, Visitor: livechat.VisitorLabel(l, r.VisitorName, r.VisitorID),
			Rating: r.Value, Reason: r.Reason, Internal: r.Internal, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
	}
	return c.JSON(http.StatusOK, map[string]any{"ratings": out, "total": total})
}

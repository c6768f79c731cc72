package model

import (
	"math"
	"time"
)

// The three faces a visitor chooses from, as Odoo stores them (§1.8).
const (
	RatingSatisfied    = 5
	RatingNeutral      = 3
	RatingDissatisfied = 1
)

// RatingValues lists the faces from best to worst.
var RatingValues = []int{RatingSatisfied, RatingNeutral, RatingDissatisfied}

// ValidRating says whether v is one of the three faces.
func ValidRating(v int) bool {
	return v == RatingSatisfied || v == RatingNeutral || v == RatingDissatisfied
}

// Rating is a visitor's rating of one conversation.
type Rating struct {
	ID              int64
	SessionID       int64
	SessionPublicID string
	ChannelID       int64
	ChannelName     string
	OperatorID      int64
	OperatorName    string
	VisitorID       int64
	VisitorName     string // '' means "Website Visitor #<VisitorID>"
	Value           int    // 5, 3 or 1
	Reason          string // only for 3 and 1; never public
	Internal        bool   // "Visible internally only"
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// RatingCounts counts ratings by face.
type RatingCounts struct {
	Satisfied, Neutral, Dissatisfied int
}

// Total is how many ratings were counted.
func (c RatingCounts) Total() int { return c.Satisfied + c.Neutral + c.Dissatisfied }

// Add counts one more rating of value v.
func (c *RatingCounts) Add(v, n int) {
	switch v {
	case RatingSatisfied:
		c.Satisfied += n
	case RatingNeutral:
		c.Neutral += n
	case RatingDissatisfied:
		c.Dissatisfied += n
	}
}

// Percent is the share of value v in percent, rounded to one decimal as
// Odoo's page shows it; 0 when nothing was rated.
func (c RatingCounts) Percent(v int) float64 {
	t := c.Total()
	if t == 0 {
		return 0
	}
	n := 0
	switch v {
	case RatingSatisfied:
		n = c.Satisfied
	case RatingNeutral:
		n = c.Neutral
	case RatingDissatisfied:
		n = c.Dissatisfied
	}
	return math.Round(float64(n)*1000/float64(t)) / 10
}

// Average is the mean rating, 0 when nothing was rated.
func (c RatingCounts) Average() float64 {
	t := c.Total()
	if t == 0 {
		return 0
	}
	return float64(5*c.Satisfied+3*c.Neutral+c.Dissatisfied) / float64(t)
}

// RatingFilter selects ratings for the Customer Ratings report.
type RatingFilter struct {
	Since      time.Time // zero: all time
	ChannelID  int64
	OperatorID int64
	Value      int    // 0: any
	Search     string // in the reason, the channel, operator or visitor name
	Limit      int
	Offset     int
}

// RatingCell is one group of a grouped count: its keys (one per grouping,
// with a label each) and how many ratings fall in it.
type RatingCell struct {
	Keys   []string
	Labels []string
	Count  int
	Sum    int // of the rating values, for averages
}

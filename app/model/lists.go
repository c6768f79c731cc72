package model

import "time"

// Filters and read models of the lists and reports, shared by the store
// that fills them and the pages that show them.

// SessionFilter selects sessions for lists.
type SessionFilter struct {
	OperatorID int64 // 0 = any
	ChannelID  int64 // 0 = any
	VisitorID  int64 // 0 = any
	Status     SessionStatus
	Limit      int
	Offset     int
}

// ReportFilter selects the sessions a report covers: started in
// [Since, Until), optionally on one channel.
type ReportFilter struct {
	Since, Until time.Time
	ChannelID    int64
	OperatorID   int64
	Country      string // ISO code; "" for any
	Language     string // the visitor's language tag; "" for any
	// Only names the figures to compute (Sessions always is); zero for all.
	// A pivot shows one measure, and each figure costs a pass of arithmetic
	// over every session of the period.
	Only Figures
}

// Figures is a set of SessionFigures, for ReportFilter.Only.
type Figures uint8

const (
	FigSessions Figures = 1 << iota // always computed; alone, nothing else
	FigUnanswered
	FigDuration
	FigTimeToReply
	FigMessages
	FigRating
	FigWait
	AllFigures Figures = 1<<iota - 1
)

// SessionFigures are the Session Statistics measures over a set of sessions.
type SessionFigures struct {
	Sessions       int
	Unanswered     int           // no operator message at all
	AvgDuration    time.Duration // first to last message
	AvgTimeToReply time.Duration // first message to the operator's first; answered sessions only
	AvgMessages    float64
	Rated          int           // sessions the visitor rated
	AvgRating      float64       // their mean rating (5, 3 or 1); 0 when none
	Queued         int           // sessions that waited in the queue for an operator
	AvgWait        time.Duration // their mean wait, from joining the queue to an operator taking them
}

// ReportRow is one line of a report grouped by channel, operator or day.
type ReportRow struct {
	Key     string // channel or operator name, or the day as YYYY-MM-DD (UTC)
	ID      int64  // channel or operator id; 0 for days
	Figures SessionFigures
}

// ReportCell is the figures of the sessions sharing one value of each
// grouping asked for: Keys are stable ids, Labels what people read.
type ReportCell struct {
	Keys, Labels []string
	Figures      SessionFigures
}

// Report is Live Chat ▸ Reports: Session Statistics and Operator Analysis.
type Report struct {
	Total      SessionFigures
	ByChannel  []ReportRow
	ByOperator []ReportRow
	ByDay      []ReportRow
}

// VisitorRow is a visitor with the figures of the Visitors list.
type VisitorRow struct {
	Visitor
	SessionCount int
	PageViews    int
	// OpenSession is the public id of the visitor's open conversation ("" if
	// none) and OpenOperator the name of whoever holds it.
	OpenSession  string
	OpenOperator string
}

// Retained counts what a retention pass deleted or anonymised.
type Retained struct {
	Sessions, Visitors, PageViews, OfflineMessages int64
}

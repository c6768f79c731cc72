package livechat

import (
	"strconv"

	"parley/app/model"
)

// Translator renders English source text in a viewer's language;
// *i18n.Localizer satisfies it.
type Translator interface {
	T(msg string, args ...any) string
}

// What the system says in a conversation, stored as codes with arguments
// (model.Notice) and rendered for each viewer by NoticeText.
const (
	NoticeVisitorLeft    = "visitor_left"   // visitor, visitor_id
	NoticeOperatorLeft   = "operator_left"  // operator
	NoticeOperatorEnded  = "operator_ended" // operator
	NoticeTransferred    = "transferred"    // from, to, channel ("" when the channel did not change)
	NoticeAbandoned      = "abandoned"      // visitor, visitor_id, minutes
	NoticeStaleClosed    = "stale_closed"
	NoticeRated          = "rated"           // rating (5, 3 or 1), reason ("" when none)
	NoticeOperatorJoined = "operator_joined" // operator: a chatbot forwarded the visitor to them
	NoticeBotRestarted   = "bot_restarted"
	NoticeVerbatim       = "text" // text: a sentence kept word for word from before notices had codes
)

// VisitorLabel is how people see a visitor: their name, or "Website Visitor
// #12" in the viewer's language when the host page gave none.
func VisitorLabel(t Translator, name string, visitorID int64) string {
	if name != "" {
		return name
	}
	return t.T(model.VisitorLabelFormat, visitorID)
}

func visitorNotice(code string, x *model.Session, more ...string) *model.Notice {
	n := &model.Notice{Code: code, Args: map[string]string{"visitor": x.VisitorName, "visitor_id": strconv.FormatInt(x.VisitorID, 10)}}
	for i := 0; i+1 < len(more); i += 2 {
		n.Args[more[i]] = more[i+1]
	}
	return n
}

// NoticeText renders n for a viewer.
func NoticeText(t Translator, n *model.Notice) string {
	a := n.Args
	visitor := func() string {
		id, _ := strconv.ParseInt(a["visitor_id"], 10, 64)
		return VisitorLabel(t, a["visitor"], id)
	}
	switch n.Code {
	case NoticeVisitorLeft:
		return t.T("%s has left the conversation.", visitor())
	case NoticeOperatorLeft:
		return t.T("%s has left the conversation.", a["operator"])
	case NoticeOperatorEnded:
		return t.T("%s ended the conversation.", a["operator"])
	case NoticeTransferred:
		if a["channel"] != "" {
			return t.T("%s transferred the conversation to %s (%s).", a["from"], a["to"], a["channel"])
		}
		return t.T("%s transferred the conversation to %s.", a["from"], a["to"])
	case NoticeAbandoned:
		m, _ := strconv.Atoi(a["minutes"])
		return t.T("The conversation was closed: %s was away for %d minutes.", visitor(), m)
	case NoticeStaleClosed:
		return t.T("This conversation was closed after a long pause; the visitor started a new one.")
	case NoticeRated:
		v, _ := strconv.Atoi(a["rating"])
		if a["reason"] != "" {
			return t.T("Rating: %s. Rating reason: %s", RatingFace(t, v), a["reason"])
		}
		return t.T("Rating: %s", RatingFace(t, v))
	case NoticeOperatorJoined:
		return t.T("%s has joined the conversation.", a["operator"])
	case NoticeBotRestarted:
		return t.T("Restarting conversation...")
	case NoticeVerbatim:
		return a["text"]
	}
	return n.Code
}

// NoticeForVisitor says whether the visitor sees a notice in their chat.
// What the visitor did themself, or what happened while they were gone,
// is for the operators; who ended the chat and who took it over is news
// to the visitor.
func NoticeForVisitor(n *model.Notice) bool {
	return n != nil && (n.Code == NoticeOperatorEnded || n.Code == NoticeTransferred || n.Code == NoticeOperatorJoined || n.Code == NoticeBotRestarted)
}

// VisibleToVisitor says whether the visitor sees m.
func VisibleToVisitor(m *model.Message) bool {
	if m.Internal {
		return false
	}
	return m.AuthorKind != model.AuthorSystem || NoticeForVisitor(m.Notice)
}

// RatingFace names a rating with its face, as the operator reads it.
func RatingFace(t Translator, v int) string {
	switch v {
	case model.RatingSatisfied:
		return "😊 " + t.T("Satisfied")
	case model.RatingNeutral:
		return "😐 " + t.T("Neutral")
	case model.RatingDissatisfied:
		return "😞 " + t.T("Dissatisfied")
	}
	return "?"
}

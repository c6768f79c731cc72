package livechat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"parley/app/auth"
	"parley/app/events"
	"parley/app/model"
	"parley/app/store"
)

// Publisher pushes frames to connected clients (realtime.Hub satisfies it).
type Publisher interface {
	Publish(topic, typ string, data any)
	// PublishExcept skips the sockets the browser tab named except opened.
	PublishExcept(topic, except, typ string, data any)
	// Listening says whether PublishExcept(topic, except, …) would reach
	// a socket now, so that a frame nobody receives is not even built.
	Listening(topic, except string) bool
}

// Event types pushed to clients.
const (
	EventMessage  = "message"
	EventTyping   = "typing"
	EventSession  = "session"
	EventPresence = "presence"
)

// Topics.
func VisitorTopic(id int64) string  { return topic("visitor:", id) }
func OperatorTopic(id int64) string { return topic("operator:", id) }

// topic is kind+id in one allocation: every message names two topics.
func topic(kind string, id int64) string {
	var b [32]byte
	return string(strconv.AppendInt(append(b[:0], kind...), id, 10))
}

// PresenceTopic carries operators' status changes to every admin tab.
const PresenceTopic = "presence"

// MaxMessageLen is the longest message body, in characters.
const MaxMessageLen = 4000

// ErrNoOperator means nobody can take the chat (409 no_operator_available).
var ErrNoOperator = errors.New("livechat: no operator available")

type nopPublisher struct{}

func (nopPublisher) Publish(string, string, any)               {}
func (nopPublisher) PublishExcept(string, string, string, any) {}
func (nopPublisher) Listening(string, string) bool             { return false }

// Start runs the message writer; Stop commits what is queued and stops it.
func (s *Service) Start() {
	s.writer.start()
	s.queue.start(s.serveQueue)
}

// Stop flushes and stops the message writer, then (when the service made
// its own event bus) delivers the events still queued.
func (s *Service) Stop() {
	s.queue.close()
	s.writer.close()
	if s.ownBus {
		s.bus.Close()
	}
}

// ConnectRealtime connects the service to the realtime hub: typing frames
// go straight to it, and every committed change reaches it as an event.
func (s *Service) ConnectRealtime(p Publisher) {
	s.pub = p
	s.Live.onChange(func(f VisitorFrame) { p.Publish(VisitorsTopic, EventVisitor, f) })
	s.bus.Subscribe("realtime", s.push)
}

// emit hands the bus a copy of what changed, so subscribers on other
// goroutines never share memory with the caller.
func (s *Service) emit(e events.Event) { s.bus.Emit(e) }

func copySession(x *model.Session) *model.Session { c := *x; return &c }

// push turns committed changes into socket frames. It runs on the event
// bus's goroutine, never inside the writer's transaction.
func (s *Service) push(e events.Event) {
	switch e := e.(type) {
	case events.MessageCommitted:
		s.pushMessage(e.Session, e.Message)
	case events.SessionStarted:
		s.pushSessionOf(e.Session, 0, e.Visitor)
		s.pushVisitor(e.Session.VisitorID)
	case events.SessionClosed:
		s.pushSession(e.Session, 0)
		s.pushVisitor(e.Session.VisitorID)
	case events.OperatorLeft:
		s.pushSession(e.Session, e.OperatorID)
	case events.SessionTransferred:
		s.pushSession(e.Session, e.FromOperatorID)
	case events.RatingLeft:
		s.pushSession(e.Session, 0)
	case events.ChatbotChanged:
		s.pushSession(e.Session, 0)
	case events.SessionAssigned:
		s.pushSession(e.Session, 0)
	}
}

// pushVisitor tells operators a visitor's conversations changed, for the
// Visitors list and the visitor's page.
func (s *Service) pushVisitor(id int64) {
	_, online := s.Live.Online(id)
	s.pub.Publish(VisitorsTopic, EventVisitor, VisitorFrame{ID: id, Online: online})
}

func (s *Service) pushMessage(x *model.Session, m *model.Message) {
	// The tab that posted it has it from the post's answer, and is
	// usually the visitor's only one: the view is built only for others.
	if VisibleToVisitor(m) {
		if topic := VisitorTopic(x.VisitorID); s.pub.Listening(topic, m.Tab) {
			s.pub.PublishExcept(topic, m.Tab, EventMessage, NewMessageView(s.textFor(x.VisitorLanguage), x, m))
		}
	}
	if x.OperatorID != 0 {
		s.pub.Publish(OperatorTopic(x.OperatorID), EventMessage, NewMessageView(s.operatorText(x.OperatorID), x, m).At(AdminAPI))
	}
}

// pushSession tells the visitor and the session's operator its new state;
// alsoOperator (the one who left or handed it over) hears it too, and sees
// from the operator field that it is no longer theirs.
func (s *Service) pushSession(x *model.Session, alsoOperator int64) {
	s.pushSessionOf(x, alsoOperator, nil)
}

// pushSessionOf is pushSession with the visitor at hand (nil: read).
func (s *Service) pushSessionOf(x *model.Session, alsoOperator int64, v *model.Visitor) {
	s.pub.Publish(VisitorTopic(x.VisitorID), EventSession, NewSessionView(s.textFor(x.VisitorLanguage), x, s.baseURL))
	if x.OperatorID == 0 && alsoOperator == 0 {
		return
	}
	if v == nil {
		v, _ = s.st.Visitor(context.Background(), x.VisitorID)
	}
	ops := []int64{x.OperatorID}
	if alsoOperator != 0 && alsoOperator != x.OperatorID {
		ops = append(ops, alsoOperator)
	}
	for _, op := range ops {
		if op != 0 {
			s.pub.Publish(OperatorTopic(op), EventSession, NewOperatorSessionView(s.operatorText(op), x, v, s.baseURL))
		}
	}
}

func randomID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("livechat: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// cryptoIntn is the default tie breaker between equally busy operators.
func cryptoIntn(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0
	}
	return int(v.Int64())
}

// VisitorTokenPrefix marks visitor tokens, distinct from API tokens.
const VisitorTokenPrefix = "pv_"

// newVisitorToken is a new visitor's bearer token, shown once.
func newVisitorToken() string { return VisitorTokenPrefix + auth.RandomToken() }

// visitorTokenHash is what the store knows a visitor token by; false for
// what is no visitor token at all (an API token, say).
func visitorTokenHash(token string) (string, bool) {
	if !strings.HasPrefix(token, VisitorTokenPrefix) {
		return "", false
	}
	return auth.HashToken(token), true
}

// NewVisitor creates a visitor and returns its bearer token, shown once.
func (s *Service) NewVisitor(ctx context.Context, country string) (*model.Visitor, string, error) {
	token := newVisitorToken()
	v := &model.Visitor{Country: country}
	if err := s.st.CreateVisitor(ctx, v, auth.HashToken(token)); err != nil {
		return nil, "", err
	}
	return v, token, nil
}

// VisitorByToken returns the visitor behind a bearer token.
func (s *Service) VisitorByToken(ctx context.Context, token string) (*model.Visitor, error) {
	hash, ok := visitorTokenHash(token)
	if !ok {
		return nil, model.ErrNotFound
	}
	return s.st.VisitorByToken(ctx, hash)
}

// VisitorIDByToken is VisitorByToken for who needs only the visitor's id.
func (s *Service) VisitorIDByToken(ctx context.Context, token string) (int64, error) {
	hash, ok := visitorTokenHash(token)
	if !ok {
		return 0, model.ErrNotFound
	}
	return s.st.VisitorIDByToken(ctx, hash)
}

// CleanText trims a visitor- or operator-typed text and drops control
// characters other than newlines and tabs; it stays plain text.
func CleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

func validateBody(body string) (string, error) {
	body = CleanText(body)
	switch {
	case body == "":
		return "", &model.FieldError{Field: "body", Message: "The message is empty."}
	case utf8.RuneCountInString(body) > MaxMessageLen:
		return "", &model.FieldError{Field: "body", Message: "The message is too long: at most %d characters.", Args: []any{MaxMessageLen}}
	}
	return body, nil
}

// StartInput is what a visitor sends to open a chat.
type StartInput struct {
	ChannelID int64
	// VisitorToken continues as a known visitor; empty or forgotten (a
	// restored backup) starts afresh, as does a nil Visitor.
	VisitorToken string
	Visitor      *model.Visitor // set instead of VisitorToken by callers that hold the visitor
	Country      string
	URL, Title   string
	VisitorName  string // from the host page's Parley.setVisitor
	Language     string // the visitor's browser language ("es"), for what is pushed to them
	// BrowserLanguage is the first language the visitor's browser asks
	// for ("es-AR"), which routing may prefer operators by.
	BrowserLanguage string
	VisitorEmail    string
	// VisitorPhone and Consent come from the channel's pre-chat form
	// (with the name and email), checked when a new chat opens.
	VisitorPhone string
	Consent      bool
	// ExternalID and Signature are the signed identity of setVisitor: the
	// host site's user id and hex(HMAC-SHA256(channel secret, id)).
	ExternalID string
	Signature  string
}

// StartResult is the opened (or continued) session.
type StartResult struct {
	Session  *model.Session
	Visitor  *model.Visitor
	Token    string           // set only when a new visitor was created
	Messages []*model.Message // as the visitor sees them
	Created  bool
}

// StartSession opens a chat for a visitor on a channel (§2.4): an open
// session of this visitor on this channel is continued; otherwise an
// operator is chosen (§2.3) and a new session created. ErrNoOperator when
// nobody is available.
func (s *Service) StartSession(ctx context.Context, in StartInput) (*StartResult, error) {
	info, err := s.Info(ctx, in.ChannelID)
	if err != nil {
		return nil, err
	}
	externalID, err := VerifyIdentity(&info.Channel, in.ExternalID, in.Signature)
	if err != nil {
		return nil, err
	}
	if in.Visitor == nil && in.VisitorToken != "" {
		v, err := s.VisitorByToken(ctx, in.VisitorToken)
		switch {
		case err == nil:
			in.Visitor = v
		case !errors.Is(err, model.ErrNotFound):
			return nil, err
		}
	}
	if v := in.Visitor; v != nil && v.Verified() && v.ExternalID != externalID {
		// Someone else on this browser (another account, or nobody signed
		// in): a visitor of their own, never the verified one's history.
		in.Visitor, in.VisitorToken = nil, ""
	}
	if in.Visitor != nil {
		// StartSession updates the visitor it was given (name, page,
		// operator); it works on its own copy, so a caller's value never
		// changes under another request that holds it too.
		cp := *in.Visitor
		in.Visitor = &cp
	}
	res := &StartResult{Visitor: in.Visitor}
	if in.Visitor != nil {
		res.Token = in.VisitorToken
	}
	if v := in.Visitor; v != nil {
		open, err := s.st.OpenSessionsOfVisitor(ctx, v.ID)
		if err != nil {
			return nil, err
		}
		for _, x := range open {
			if x.ChannelID != in.ChannelID {
				continue
			}
			if s.stale(x) {
				// Nobody is there any more: end it, and open a new chat
				// with whoever is available now.
				if _, err := s.closeSession(ctx, x, &model.Notice{Code: NoticeStaleClosed}, model.AuthorSystem, 0); err != nil {
					return nil, err
				}
				continue
			}
			msgs, err := s.VisitorMessages(ctx, x, 0)
			if err != nil {
				return nil, err
			}
			res.Session, res.Messages = x, msgs
			return res, nil
		}
	}
	// A new chat needs the pre-chat form's answers; a continued one had them.
	answers, err := checkPrechat(info.Channel.Prechat, PrechatAnswers{Name: in.VisitorName, Email: in.VisitorEmail,
		Phone: in.VisitorPhone, Consent: in.Consent})
	if err != nil {
		return nil, err
	}
	var prev int64
	if in.Visitor != nil {
		prev = in.Visitor.LastOperatorID
	}
	// The page's rule may bring a chatbot, which then greets the visitor
	// instead of an operator (and forwards to one when its script says).
	closed := info.availability(s.now()).Closed
	online := len(s.Presence.Online(info.OperatorIDs))
	if closed {
		online = 0
	}
	d, botName := s.decide(ctx, info, in.URL, in.Country, online)
	// Without a chatbot, the operator is chosen inside the start's write,
	// from figures read there: nobody else's start can take the chosen
	// operator's last place in between.
	var route func(int, map[int64]store.RoutingFigures) (store.Routed, error)
	var candidates []int64
	if d.Chatbot == 0 {
		if closed {
			return nil, ErrNoOperator
		}
		if candidates = s.Presence.Online(info.OperatorIDs); len(candidates) == 0 {
			return nil, ErrNoOperator
		}
		lang := in.BrowserLanguage
		if lang == "" {
			lang = in.Language
		}
		lang = routingLanguage(in.Visitor, lang)
		route = func(waiting int, figs map[int64]store.RoutingFigures) (store.Routed, error) {
			return s.route(info, candidates, waiting, figs, prev, lang)
		}
	}
	// A new visitor is written once, with everything this chat tells of
	// them; a known one is updated.
	fresh := res.Visitor == nil
	if fresh {
		res.Visitor = &model.Visitor{}
	}
	v := res.Visitor
	if answers.Name != "" {
		v.Name = answers.Name
	}
	if answers.Email != "" {
		v.Email = answers.Email
	}
	if answers.Phone != "" {
		v.Phone = answers.Phone
	}
	if in.Country != "" {
		v.Country = in.Country
	}
	if externalID != "" {
		v.ExternalID, v.VerifiedAt = externalID, s.now().UTC()
	}
	if in.URL != "" {
		v.CurrentURL, v.CurrentTitle = clip(in.URL, MaxPageURL), clip(in.Title, 300)
	}
	x := &model.Session{PublicID: randomID(), ChannelID: in.ChannelID, ChannelName: info.Channel.Name,
		VisitorName: v.Name, Country: v.Country,
		URL: clip(in.URL, MaxPageURL), Title: clip(in.Title, 300), VisitorLanguage: clip(in.Language, 16)}
	if d.Chatbot != 0 {
		x.ChatbotID, x.ChatbotName, x.Chatbot.State = d.Chatbot, botName, model.BotRunning
	}
	start := &store.ChatStart{Visitor: v, Session: x, Route: route, LoadSince: s.loadSince(), QueuedAt: s.now().UTC()}
	var token string
	if fresh {
		token = newVisitorToken()
		start.TokenHash = auth.HashToken(token)
	}
	if err := s.st.StartChat(ctx, start); err != nil {
		if errors.Is(err, store.ErrConflict) {
			// Another tab opened it a moment ago: continue that one.
			return s.StartSession(ctx, in)
		}
		// ErrOperatorFull cannot come from a choice made on the figures
		// of the same transaction; should route disagree with the store,
		// this is the error, not a retry that would choose the same.
		return nil, err
	}
	if fresh {
		res.Token = token
	}
	queued := !x.QueuedAt.IsZero()
	res.Session, res.Created = x, true
	started := *v
	s.emit(events.SessionStarted{Session: copySession(x), Visitor: &started})
	if queued {
		// The answer carries the visitor's place in the line.
		if res.Session, err = s.st.Session(ctx, x.ID); err != nil {
			return nil, err
		}
		return res, nil
	}
	if x.OperatorID != 0 {
		s.emit(events.OperatorJoined{Session: copySession(x), OperatorID: x.OperatorID})
		return res, nil
	}
	// The chatbot's welcome steps are in the answer, so the widget shows
	// them at once.
	if err := s.bot.Greet(ctx, x); err != nil {
		return nil, err
	}
	if res.Session, err = s.st.Session(ctx, x.ID); err != nil {
		return nil, err
	}
	if res.Messages, err = s.VisitorMessages(ctx, res.Session, 0); err != nil {
		return nil, err
	}
	return res, nil
}

// MaxPageURL is the longest page URL kept or matched, in characters.
const MaxPageURL = 2000

// clip keeps the first n characters of s (model.Clip).
func clip(s string, n int) string { return model.Clip(s, n) }

// route is the choice a chat's start makes inside its write (store.
// StartChat), from the channel's queue and the online candidates' figures:
// wait when others already wait (a newcomer never overtakes them), else
// the operator choose picks, else wait (everyone online is at their
// maximum).
func (s *Service) route(info *ChannelInfo, online []int64, waiting int, figs map[int64]store.RoutingFigures, prev int64, lang string) (store.Routed, error) {
	if waiting > 0 {
		return store.Routed{Queued: true}, nil
	}
	id, err := s.choose(info, online, figs, prev, lang)
	if errors.Is(err, ErrNoOperator) {
		return store.Routed{Queued: true}, nil
	}
	if err != nil {
		return store.Routed{}, err
	}
	f := figs[id]
	return store.Routed{OperatorID: id, Name: chatNameOf(f), Limit: chatLimitOf(info, f.Max)}, nil
}

// chatNameOf is the name visitors see of an operator routing read.
func chatNameOf(f store.RoutingFigures) string {
	u := model.User{Name: f.Name, ChatName: f.ChatName}
	return u.DisplayChatName()
}

// pickOperator chooses who takes a new chat (§2.3) among candidates, the
// channel's operators or some of them (see choose), with what routing
// read of them.
func (s *Service) pickOperator(ctx context.Context, info *ChannelInfo, candidates []int64, previous int64, lang string) (int64, store.RoutingFigures, error) {
	online := s.Presence.Online(candidates)
	if len(online) == 0 {
		return 0, store.RoutingFigures{}, ErrNoOperator
	}
	_, figs, err := s.st.OperatorRouting(ctx, info.Channel.ID, s.loadSince())
	if err != nil {
		return 0, store.RoutingFigures{}, err
	}
	id, err := s.choose(info, online, figs, previous, lang)
	return id, figs[id], err
}

// loadSince is where an operator's load starts: their chats still open,
// and those that ended after a message in the last 30 minutes.
func (s *Service) loadSince() time.Time { return s.now().Add(-30 * time.Minute) }

// choose picks among the online operators: the visitor's previous
// operator when available, else the least busy available operator (open
// chats, and those that ended in the last half hour), ties broken at
// random. Operators at their maximum of concurrent chats are not
// available. When the channel prefers the visitor's language and some
// available operator speaks lang, the choice is made among them.
func (s *Service) choose(info *ChannelInfo, online []int64, figs map[int64]store.RoutingFigures, previous int64, lang string) (int64, error) {
	avail := underMaximum(info, online, figs, lang)
	if len(avail) == 0 {
		return 0, ErrNoOperator
	}
	for _, id := range avail {
		if id == previous {
			return id, nil
		}
	}
	best := -1
	var tied []int64
	for _, id := range avail {
		switch n := figs[id].Load; {
		case best < 0 || n < best:
			best, tied = n, []int64{id}
		case n == best:
			tied = append(tied, id)
		}
	}
	return tied[s.intn(len(tied))], nil
}

// underMaximum keeps the operators who may take one more chat: their open
// conversations (in every channel) are fewer than their own maximum, or
// the channel's when they set none. When the channel prefers the visitor's
// language, only those of them who speak lang are kept, if any does. An
// operator routing read nothing of (deleted meanwhile) is not kept.
func underMaximum(info *ChannelInfo, ids []int64, figs map[int64]store.RoutingFigures, lang string) []int64 {
	var out, speakers []int64
	want := primaryLanguage(lang)
	for _, id := range ids {
		f, ok := figs[id]
		if !ok {
			continue
		}
		if limit := chatLimitOf(info, f.Max); limit == 0 || f.Open < limit {
			out = append(out, id)
			if want != "" && primaryLanguage(f.Language) == want {
				speakers = append(speakers, id)
			}
		}
	}
	if info.Channel.PreferLanguage && len(speakers) > 0 {
		return speakers
	}
	return out
}

// primaryLanguage is a language tag's primary subtag in lower case, so
// that "es-AR" and "es" speak the same language.
func primaryLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag)
}

// sessionLanguage is the language an open chat is routed by: its
// visitor's browser language, else the one the chat speaks.
func (s *Service) sessionLanguage(ctx context.Context, x *model.Session) string {
	v, err := s.st.Visitor(ctx, x.VisitorID)
	if err != nil {
		return x.VisitorLanguage // routing still works, by the chat's language
	}
	return routingLanguage(v, x.VisitorLanguage)
}

// routingLanguage is the language a chat is routed by: the one the
// visitor's browser asks for (as the widget reported it), else the one
// their chat speaks.
func routingLanguage(v *model.Visitor, fallback string) string {
	if v != nil && v.Language != "" {
		return v.Language
	}
	return fallback
}

// PostMessage commits a message to a session; it returns only after the
// commit, with the message's id, and the push follows as an event.
func (s *Service) PostMessage(ctx context.Context, x *model.Session, kind model.AuthorKind, authorID int64, authorName, body string) (*model.Message, error) {
	return s.post(ctx, x, &model.Message{AuthorKind: kind, AuthorID: authorID, AuthorName: authorName, Body: body})
}

// MaxClientIDLen bounds the id a client gives its message.
const MaxClientIDLen = 64

// MaxTabLen bounds the name a browser tab gives its socket.
const MaxTabLen = 64

// CheckTab refuses a tab name longer than MaxTabLen or with anything but
// letters, digits, '-' and '_'; an empty name means no tab.
func CheckTab(tab string) error {
	ok := len(tab) <= MaxTabLen
	for i := 0; ok && i < len(tab); i++ {
		c := tab[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	if !ok {
		return &model.FieldError{Field: "tab", Message: "tab must be at most %d letters, digits, '-' or '_'.", Args: []any{MaxTabLen}}
	}
	return nil
}

func (s *Service) post(ctx context.Context, x *model.Session, m *model.Message) (*model.Message, error) {
	return s.postAs(ctx, x, m, false)
}

// postAs is post; shared hands x and m over to the commit's event (see
// writer.write).
func (s *Service) postAs(ctx context.Context, x *model.Session, m *model.Message, shared bool) (*model.Message, error) {
	body, err := validateBody(m.Body)
	if err != nil && !(len(m.Attachments) > 0 && CleanText(m.Body) == "") {
		return nil, err
	}
	if n := utf8.RuneCountInString(m.ClientID); n > MaxClientIDLen || strings.TrimSpace(m.ClientID) != m.ClientID || strings.IndexFunc(m.ClientID, unicode.IsControl) >= 0 {
		return nil, &model.FieldError{Field: "client_id", Message: "client_id must be at most %d characters, without spaces around it or control characters.", Args: []any{MaxClientIDLen}}
	}
	if err := CheckTab(m.Tab); err != nil {
		return nil, err
	}
	if x.Status != model.SessionOpen {
		return nil, ErrSessionClosed
	}
	m.SessionID, m.Body = x.ID, body
	if err := s.writer.write(ctx, x, m, shared); err != nil {
		return nil, err
	}
	return m, nil
}

// postNotice commits what the system says in a conversation; it may land on
// a session that has just been closed.
func (s *Service) postNotice(ctx context.Context, x *model.Session, n *model.Notice) error {
	return s.writer.write(ctx, x, &model.Message{SessionID: x.ID, AuthorKind: model.AuthorSystem, Notice: n}, false)
}

// PostVisitorMessage posts as the session's visitor. A clientID already
// used in this session returns the message stored then (Replayed).
func (s *Service) PostVisitorMessage(ctx context.Context, x *model.Session, body, clientID string) (*model.Message, error) {
	return s.post(ctx, x, &model.Message{AuthorKind: model.AuthorVisitor, AuthorName: x.VisitorName, Body: body, ClientID: clientID})
}

// PostOperatorMessage posts as an operator and counts as their activity;
// the store marks the chat read up to the reply in the same commit. Use
// OperatorInput for what an operator typed: it runs commands first.
func (s *Service) PostOperatorMessage(ctx context.Context, x *model.Session, u *model.User, body, clientID string) (*model.Message, error) {
	if err := s.mayAct(x, u); err != nil {
		return nil, err
	}
	s.Presence.Activity(u.ID)
	return s.post(ctx, x, &model.Message{AuthorKind: model.AuthorOperator, AuthorID: u.ID, AuthorName: u.DisplayChatName(), Body: body, ClientID: clientID})
}

// Typing tells the other side that someone is (or stopped) typing; nothing
// is stored.
func (s *Service) Typing(x *model.Session, kind model.AuthorKind, name string, typing bool) {
	if x.Status != model.SessionOpen {
		return
	}
	if kind == model.AuthorVisitor {
		name = VisitorLabel(s.operatorText(x.OperatorID), x.VisitorName, x.VisitorID)
	}
	v := TypingView{SessionID: x.PublicID, Author: AuthorView{Kind: kind, Name: name}, Typing: typing}
	if kind == model.AuthorVisitor {
		if x.OperatorID != 0 {
			s.pub.Publish(OperatorTopic(x.OperatorID), EventTyping, v)
		}
		return
	}
	s.pub.Publish(VisitorTopic(x.VisitorID), EventTyping, v)
}

// Sessions are continued across reloads and tabs, but not forever: a
// conversation idle this long is over, and so is a shorter pause whose
// operator has gone (a brief absence, such as the operator's tab
// reconnecting after a restart, keeps the conversation).
const (
	idleEnd             = 24 * time.Hour
	idleWithoutOperator = 2 * time.Hour
)

func (s *Service) stale(x *model.Session) bool {
	last := x.LastMessageAt
	if last.IsZero() {
		last = x.CreatedAt
	}
	idle := s.now().Sub(last)
	// A visitor waiting in the queue has no operator yet, and keeps their place.
	return idle > idleEnd || (idle > idleWithoutOperator && !x.Waiting() && s.Presence.Status(x.OperatorID) != Online)
}

// CloseByVisitor ends the session for the visitor and tells the operator
// "<visitor> has left the conversation."; the visitor's closing screen
// follows on their side.
func (s *Service) CloseByVisitor(ctx context.Context, x *model.Session) (*model.Session, error) {
	return s.closeSession(ctx, x, visitorNotice(NoticeVisitorLeft, x), model.AuthorVisitor, 0)
}

// closeSession closes x once, posting notice and emitting SessionClosed.
// Closing a closed session returns it as it is.
func (s *Service) closeSession(ctx context.Context, x *model.Session, n *model.Notice, by model.AuthorKind, byID int64) (*model.Session, error) {
	closed, err := s.st.CloseSession(ctx, x.ID)
	if err != nil {
		return nil, err
	}
	if closed {
		x.Status, x.ClosedAt = model.SessionClosed, s.now().UTC()
		if err := s.postNotice(ctx, x, n); err != nil {
			return nil, err
		}
		s.emit(events.SessionClosed{Session: copySession(x), By: by, ByID: byID})
	}
	return s.st.Session(ctx, x.ID)
}

// RecordPageView stores a page the visitor opened (for /history and the
// Visitors menu) and tells operators where they are now; language is the
// one their browser asks for, when the widget says.
func (s *Service) RecordPageView(ctx context.Context, v *model.Visitor, url, title, language string) error {
	url, title, language, err := cleanPageView(url, title, language)
	if err != nil {
		return err
	}
	if err := s.st.AddPageView(ctx, &model.PageView{VisitorID: v.ID, URL: url, Title: title}, language); err != nil {
		return err
	}
	v.CurrentURL, v.CurrentTitle = url, title
	_, online := s.Live.Online(v.ID)
	s.pub.Publish(VisitorsTopic, EventVisitor, VisitorFrame{ID: v.ID, Online: online, URL: url, Title: title})
	open, err := s.st.OpenSessionsOfVisitor(ctx, v.ID)
	if err != nil {
		return err
	}
	for _, x := range open {
		if x.OperatorID != 0 {
			s.pub.Publish(OperatorTopic(x.OperatorID), EventSession, NewOperatorSessionView(s.operatorText(x.OperatorID), x, v, s.baseURL))
		}
	}
	return nil
}

func cleanPageView(url, title, language string) (string, string, string, error) {
	url, title = clip(CleanText(url), MaxPageURL), clip(CleanText(title), 300)
	if url == "" {
		return "", "", "", &model.FieldError{Field: "url", Message: "The page URL is required."}
	}
	return url, title, clip(CleanText(language), 35), nil // BCP 47 tags in use are far shorter
}

// PageView records a page a visitor opened: the visitor holding token, or
// a new one when the token is empty or unknown (after a restored backup,
// say), returned with its new token. A new visitor and their first page
// are one write, and nobody is told of conversations they cannot have.
func (s *Service) PageView(ctx context.Context, token, country, url, title, language string) (v *model.Visitor, newToken string, err error) {
	if token != "" {
		v, err = s.VisitorByToken(ctx, token)
		if err == nil {
			return v, "", s.RecordPageView(ctx, v, url, title, language)
		}
		if !errors.Is(err, model.ErrNotFound) {
			return nil, "", err
		}
	}
	url, title, language, err = cleanPageView(url, title, language)
	if err != nil {
		return nil, "", err
	}
	newToken = newVisitorToken()
	v = &model.Visitor{Country: country}
	if err := s.st.CreateVisitorWithPageView(ctx, v, auth.HashToken(newToken), &model.PageView{URL: url, Title: title}, language); err != nil {
		return nil, "", err
	}
	_, online := s.Live.Online(v.ID)
	s.pub.Publish(VisitorsTopic, EventVisitor, VisitorFrame{ID: v.ID, Online: online, URL: url, Title: title})
	return v, newToken, nil
}

// OfflineNotifier composes what tells people about an offline message (the
// mail to the channel's operators); it is committed with the message, so a
// message is never kept without its notification nor the reverse.
type OfflineNotifier interface {
	OfflineNotification(ctx context.Context, ch *model.Channel, m *model.OfflineMessage) ([]*model.OutboxItem, error)
}

// NotifyOfflineWith sets who composes offline messages' notifications. Call
// it once, before serving.
func (s *Service) NotifyOfflineWith(n OfflineNotifier) { s.offline = n }

// LeaveOfflineMessage stores a message for the operators when nobody was
// available to chat, with its notification.
func (s *Service) LeaveOfflineMessage(ctx context.Context, m *model.OfflineMessage) error {
	ch, err := s.st.Channel(ctx, m.ChannelID)
	if err != nil {
		return err
	}
	email, err := auth.NormalizeEmail(m.Email)
	if err != nil {
		return &model.FieldError{Field: "email", Message: "Enter a valid email address so we can answer you."}
	}
	body, err := validateBody(m.Body)
	if err != nil {
		return err
	}
	m.Email, m.Body = email, body
	m.Name = clip(CleanText(m.Name), 100)
	m.URL = clip(CleanText(m.URL), MaxPageURL)
	var notify []*model.OutboxItem
	if s.offline != nil {
		if notify, err = s.offline.OfflineNotification(ctx, ch, m); err != nil {
			return err
		}
	}
	if err := s.st.CreateOfflineMessage(ctx, m, notify...); err != nil {
		return err
	}
	c := *m
	s.emit(events.OfflineMessageLeft{Message: &c})
	return nil
}

// SocketTyping handles a typing frame sent on a socket: a visitor types in
// their own conversations, an operator in those they may act on.
func (s *Service) SocketTyping(ctx context.Context, fromVisitor bool, id int64, publicID string, typing bool) {
	x, err := s.st.SessionByPublicID(ctx, publicID)
	if err != nil {
		return
	}
	if fromVisitor {
		if x.VisitorID == id {
			s.Typing(x, model.AuthorVisitor, "", typing)
		}
		return
	}
	u, err := s.st.User(ctx, id)
	if err != nil || !CanSee(u, x) {
		return
	}
	s.Presence.Activity(id)
	s.Typing(x, model.AuthorOperator, u.DisplayChatName(), typing)
}

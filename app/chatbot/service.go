package chatbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"parley/app/livechat"
	"parley/app/model"
	"parley/app/store"
)

// Service stores chatbots and plays them to visitors: it is livechat's
// Bot. Scripts are cached (every page view asks whether a rule's chatbot
// is usable) and dropped on every change made through the service.
type Service struct {
	st        *store.Store
	lc        *livechat.Service
	log       *slog.Logger
	languages []string
	localize  func(lang string) livechat.Translator
	create    map[model.StepType]func(context.Context, Record) error
	now       func() time.Time

	mu    sync.Mutex
	cache map[int64]cached
}

type cached struct {
	sc     *model.Chatbot // nil: deleted
	loaded time.Time
}

// cacheTTL bounds how stale a script may be after changes made behind the
// service's back (a restored backup).
const cacheTTL = 30 * time.Second

// Options tune a Service.
type Options struct {
	Logger *slog.Logger
	// Languages are the tags texts may use ("en", "es").
	Languages []string
	// Localize returns the translator of a language, for what the bot
	// says besides its script (an email that is not an address).
	Localize func(lang string) livechat.Translator
	// CreateLead and CreateTicket make the records of Create Lead and
	// Create Ticket steps (leads and helpdesk), with the conversation as
	// their text; nil: this build cannot, and the step only speaks.
	CreateLead   func(ctx context.Context, r Record) error
	CreateTicket func(ctx context.Context, r Record) error
}

// Record is what a Create Lead or Create Ticket step creates.
type Record struct {
	SessionID    int64
	Title        string
	Email, Phone string
	TeamID       int64
}

// New returns the chatbot service; Connect gives it the live chat service
// it plays through.
func New(st *store.Store, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if len(o.Languages) == 0 {
		o.Languages = []string{"en"}
	}
	return &Service{st: st, log: o.Logger.With("component", "chatbot"), languages: o.Languages, localize: o.Localize,
		create: map[model.StepType]func(context.Context, Record) error{model.StepCreateLead: o.CreateLead, model.StepCreateTicket: o.CreateTicket},
		now:    time.Now, cache: map[int64]cached{}}
}

// Connect sets the live chat service the bot posts and forwards through
// (the two need each other, so the wiring connects them after both exist).
func (s *Service) Connect(lc *livechat.Service) { s.lc = lc }

// Languages are the tags a script's texts may use.
func (s *Service) Languages() []string { return s.languages }

func (s *Service) script(ctx context.Context, id int64) (*model.Chatbot, error) {
	s.mu.Lock()
	c, ok := s.cache[id]
	s.mu.Unlock()
	if ok && s.now().Sub(c.loaded) < cacheTTL {
		return c.sc, nil
	}
	sc, err := s.st.Chatbot(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		sc, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cache[id] = cached{sc: sc, loaded: s.now()}
	s.mu.Unlock()
	return sc, nil
}

func (s *Service) forget(id int64) {
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
}

// Usable implements livechat.Bot: an active chatbot with steps.
func (s *Service) Usable(ctx context.Context, id int64) (string, bool) {
	sc, err := s.script(ctx, id)
	if err != nil {
		s.log.Error("load chatbot", "chatbot_id", id, "error", err)
		return "", false
	}
	if sc == nil || !sc.Active || len(sc.Steps) == 0 {
		return "", false
	}
	return sc.Name, true
}

// Greet implements livechat.Bot: the welcome steps.
func (s *Service) Greet(ctx context.Context, x *model.Session) error {
	return s.start(ctx, x)
}

// Restart implements livechat.Bot: the script again from its first step,
// with the answers forgotten.
func (s *Service) Restart(ctx context.Context, x *model.Session) error {
	x.Chatbot = model.ChatbotPosition{State: model.BotRunning}
	return s.start(ctx, x)
}

func (s *Service) start(ctx context.Context, x *model.Session) error {
	sc, err := s.script(ctx, x.ChatbotID)
	if err != nil {
		return err
	}
	if sc == nil || len(sc.Steps) == 0 {
		return s.lc.SaveBotPosition(ctx, x, model.ChatbotPosition{State: model.BotEnded})
	}
	r := s.runner(ctx, x, sc)
	pos, err := Start(sc, r)
	if serr := s.save(ctx, x, pos); err == nil {
		err = serr
	}
	return err
}

func (s *Service) save(ctx context.Context, x *model.Session, pos Position) error {
	if x.Chatbot.State == model.BotForwarded {
		return nil // the forward stored it with the operator
	}
	return s.lc.SaveBotPosition(ctx, x, model.ChatbotPosition{State: pos.State, StepID: pos.StepID, Answers: pos.Answers, Email: pos.Email, Phone: pos.Phone})
}

// Check implements livechat.Bot: what the visitor sent must fit the step
// waiting for it.
func (s *Service) Check(ctx context.Context, x *model.Session, in livechat.VisitorInput) (string, error) {
	sc, err := s.script(ctx, x.ChatbotID)
	if err != nil {
		return "", err
	}
	if sc == nil {
		if in.AnswerID != 0 {
			return "", model.Refuse(model.Conflict, "no_question", "This conversation has no question to answer.")
		}
		return in.Body, nil
	}
	a, err := Check(sc, position(x), Input{AnswerID: in.AnswerID, Text: in.Body})
	switch {
	case errors.Is(err, ErrNotCurrent):
		return "", model.Refuse(model.Conflict, "answer_not_current", "This answer belongs to an earlier question: choose one of the answers of the last one.")
	case errors.Is(err, ErrUnknownAnswer):
		return "", &model.FieldError{Field: "answer_id", Message: "This answer does not exist."}
	case errors.Is(err, ErrChooseAnswer):
		return "", model.Refuse(model.Conflict, "choose_answer", "Select an option above.")
	case errors.Is(err, ErrTextExpected):
		return "", model.Refuse(model.Conflict, "answer_not_expected", "This question asks you to type your answer.")
	case errors.Is(err, ErrEnded):
		return "", model.Refuse(model.Conflict, "chatbot_ended", "Conversation ended. Restart it to talk again.")
	case err != nil:
		return "", err
	}
	if a != nil {
		return a.Label.In(x.VisitorLanguage, sc.Language), nil
	}
	return in.Body, nil
}

// CheckFile implements livechat.Bot: a file answers only a step that
// takes free input; a choice, an email or a phone number must be given
// first, and an ended script takes nothing, as for typed text.
func (s *Service) CheckFile(ctx context.Context, x *model.Session) error {
	sc, err := s.script(ctx, x.ChatbotID)
	if err != nil || sc == nil {
		return err
	}
	pos := position(x)
	i := stepIndex(sc, pos.StepID)
	if pos.State != model.BotRunning || i < 0 {
		return model.Refuse(model.Conflict, "chatbot_ended", "Conversation ended. Restart it to talk again.")
	}
	switch sc.Steps[i].Type {
	case model.StepQuestion:
		return model.Refuse(model.Conflict, "choose_answer", "Select an option above before sending a file.")
	case model.StepEmail:
		return model.Refuse(model.Conflict, "answer_expected", "Type your email address before sending a file.")
	case model.StepPhone:
		return model.Refuse(model.Conflict, "answer_expected", "Type your phone number before sending a file.")
	}
	return nil
}

// Answer implements livechat.Bot: the visitor's committed message moves
// the script on.
func (s *Service) Answer(ctx context.Context, x *model.Session, m *model.Message) error {
	sc, err := s.script(ctx, x.ChatbotID)
	if err != nil || sc == nil {
		return err
	}
	pos, err := Reply(sc, position(x), Input{AnswerID: m.AnswerID, Text: m.Body}, s.runner(ctx, x, sc))
	if errors.Is(err, ErrNotCurrent) || errors.Is(err, ErrUnknownAnswer) || errors.Is(err, ErrChooseAnswer) ||
		errors.Is(err, ErrTextExpected) || errors.Is(err, ErrEnded) {
		// Two quick posts checked against the same step: the second stays
		// in the conversation and moves nothing.
		return nil
	}
	if serr := s.save(ctx, x, pos); err == nil {
		err = serr
	}
	return err
}

func position(x *model.Session) Position {
	return Position{State: x.Chatbot.State, StepID: x.Chatbot.StepID, Answers: x.Chatbot.Answers, Email: x.Chatbot.Email, Phone: x.Chatbot.Phone}
}

// runner plays steps into one conversation.
type runner struct {
	s    *Service
	ctx  context.Context
	x    *model.Session
	sc   *model.Chatbot
	lang string
}

func (s *Service) runner(ctx context.Context, x *model.Session, sc *model.Chatbot) *runner {
	return &runner{s: s, ctx: ctx, x: x, sc: sc, lang: x.VisitorLanguage}
}

func (r *runner) text(t model.Texts) string { return t.In(r.lang, r.sc.Language) }

// view is what a waiting step asks, for the widget: the answers to click,
// or the kind of input (an email field for an email step).
func (r *runner) view(st *model.ChatbotStep) *model.StepView {
	if !st.Type.Waits() {
		return nil
	}
	v := &model.StepView{Type: st.Type, Answers: []model.AnswerView{}}
	for _, a := range st.Answers {
		v.Answers = append(v.Answers, model.AnswerView{ID: a.ID, Label: r.text(a.Label), RedirectLink: a.RedirectLink})
	}
	return v
}

func (r *runner) Say(st *model.ChatbotStep) error {
	body := r.text(st.Message)
	if body == "" {
		return nil
	}
	_, err := r.s.lc.PostBotMessage(r.ctx, r.x, body, r.view(st))
	return err
}

func (r *runner) Forward(st *model.ChatbotStep) (bool, error) {
	return r.s.lc.ForwardFromBot(r.ctx, r.x, r.text(st.Message))
}

// Create makes the step's lead or ticket. A record that cannot be made
// (its team was deleted, no helpdesk team takes live chats) is logged and
// the script goes on: the visitor has been answered already, and the
// conversation itself keeps what they said.
func (r *runner) Create(st *model.ChatbotStep, pos Position) error {
	fn := r.s.create[st.Type]
	if fn == nil {
		r.s.log.Error("chatbot step cannot create its record in this build", "chatbot_id", r.sc.ID, "step_id", st.ID, "type", st.Type)
		return nil
	}
	rec := Record{SessionID: r.x.ID, Email: pos.Email, Phone: pos.Phone, TeamID: st.TeamID}
	if st.Type == model.StepCreateLead {
		rec.Title = r.sc.Name + "'s New Lead"
	} else {
		name := r.x.VisitorName
		if name == "" {
			name = r.sc.Name
		}
		rec.Title = name + "'s Ticket"
	}
	err := fn(r.ctx, rec)
	if err != nil && rec.TeamID != 0 {
		// The team may be gone: the record matters more than its team.
		rec.TeamID = 0
		err = fn(r.ctx, rec)
	}
	if err != nil {
		r.s.log.Error("chatbot step could not create its record", "chatbot_id", r.sc.ID, "step_id", st.ID, "type", st.Type, "error", err)
	}
	return nil
}

func (r *runner) Retry(st *model.ChatbotStep, input string) error {
	t := livechat.Translator(english{})
	if r.s.localize != nil {
		t = r.s.localize(r.lang)
	}
	_, err := r.s.lc.PostBotMessage(r.ctx, r.x, t.T("'%s' does not look like a valid email. Can you please try again?", input), r.view(st))
	return err
}

type english struct{}

func (english) T(msg string, args ...any) string { return fmt.Sprintf(msg, args...) }

package livechat

import (
	"context"
	"errors"
	"time"

	"parley/app/events"
	"parley/app/model"
)

// A session may have a chatbot that greets its visitor and plays a script
// (package chatbot implements Bot). The rule of the page picks it when the
// session starts; the visitor's input is checked against the script
// before it is stored, and the script plays on after each commit, off the
// request path, posting through the same writer and push as every other
// message.

// Bot plays chatbot scripts to visitors.
type Bot interface {
	// Usable returns the name of chatbot id when it can greet visitors
	// now (active, with steps). Every page view asks: it must be cheap.
	Usable(ctx context.Context, id int64) (name string, ok bool)
	// Greet plays the welcome steps of a new session's chatbot.
	Greet(ctx context.Context, x *model.Session) error
	// Check vets what a visitor sends while the chatbot leads the
	// conversation, before it is stored, and returns the text to store
	// (the label of a clicked answer). Refusals are *model.Refusal.
	Check(ctx context.Context, x *model.Session, in VisitorInput) (string, error)
	// CheckFile vets a file a visitor sends while the chatbot leads the
	// conversation: a step waiting for a choice, an email or a phone
	// number refuses it (*model.Refusal), free input takes it as the
	// answer.
	CheckFile(ctx context.Context, x *model.Session) error
	// Answer plays on after a visitor's message is committed.
	Answer(ctx context.Context, x *model.Session, m *model.Message) error
	// Restart plays the script again from its first step.
	Restart(ctx context.Context, x *model.Session) error
}

// VisitorInput is what a visitor sends in a conversation.
type VisitorInput struct {
	Body     string
	ClientID string
	AnswerID int64  // an answer of the chatbot's question, clicked
	Tab      string // the browser tab posting it (CheckTab), '' for none
}

// botTimeout bounds one bot's answer, so a stuck script cannot hold the
// subscriber forever.
const botTimeout = 10 * time.Second

// botLeads reports whether the chatbot, not a person, answers x now.
func botLeads(x *model.Session) bool {
	return x.ChatbotID != 0 && x.OperatorID == 0 && x.Chatbot.State != model.BotForwarded && x.Chatbot.State != model.BotNone
}

func (s *Service) answerWithBot(e events.Event) {
	mc, ok := e.(events.MessageCommitted)
	if !ok || mc.Message.AuthorKind != model.AuthorVisitor || !botLeads(mc.Session) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), botTimeout)
	defer cancel()
	// The script may have moved since the message was checked: the bot
	// reads the stored position.
	x, err := s.st.Session(ctx, mc.Session.ID)
	if err != nil {
		s.log.Error("bot answer: session", "session_id", mc.Session.ID, "error", err)
		return
	}
	if !botLeads(x) || x.Status != model.SessionOpen {
		return
	}
	if err := s.bot.Answer(ctx, x, mc.Message); err != nil && !errors.Is(err, ErrSessionClosed) {
		s.log.Error("bot answer", "session_id", x.ID, "error", err)
	}
}

// PostBotMessage posts what a session's chatbot says, with the step it
// asks (nil for plain text).
func (s *Service) PostBotMessage(ctx context.Context, x *model.Session, body string, step *model.StepView) (*model.Message, error) {
	return s.post(ctx, x, &model.Message{AuthorKind: model.AuthorBot, AuthorName: x.ChatbotName, Body: body, Step: step})
}

// SaveBotPosition stores where x stands in its script; the visitor hears
// when the state changes (the script ended: the widget offers Restart).
func (s *Service) SaveBotPosition(ctx context.Context, x *model.Session, p model.ChatbotPosition) error {
	changed := x.Chatbot.State != p.State
	if err := s.st.SaveChatbotPosition(ctx, x.ID, p); err != nil {
		return err
	}
	x.Chatbot = p
	if changed {
		s.emit(events.ChatbotChanged{Session: copySession(x)})
	}
	return nil
}

// ForwardFromBot hands a chatbot's conversation to an available operator
// of its channel, who becomes the session's operator (reports and ratings
// credit them), gets the whole conversation and a notification. It
// reports false when nobody is available; the script then goes on.
func (s *Service) ForwardFromBot(ctx context.Context, x *model.Session, stepMessage string) (bool, error) {
	info, err := s.Info(ctx, x.ChannelID)
	if errors.Is(err, model.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var prev int64
	lang := x.VisitorLanguage
	if v, err := s.st.Visitor(ctx, x.VisitorID); err == nil {
		prev, lang = v.LastOperatorID, routingLanguage(v, lang)
	}
	if info.availability(s.now()).Closed {
		return false, nil // outside office hours: the script's step for nobody available
	}
	opID, fig, err := s.pickOperator(ctx, info, info.OperatorIDs, prev, lang)
	if errors.Is(err, ErrNoOperator) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	opName := chatNameOf(fig)
	if stepMessage != "" {
		if _, err := s.PostBotMessage(ctx, x, stepMessage, nil); err != nil {
			return false, err
		}
	}
	took, err := s.st.TakeFromBot(ctx, x.ID, opID, opName)
	if err != nil || !took {
		return false, err
	}
	x.OperatorID, x.OperatorName = opID, opName
	x.Chatbot = model.ChatbotPosition{State: model.BotForwarded, Answers: x.Chatbot.Answers}
	if err := s.postNotice(ctx, x, &model.Notice{Code: NoticeOperatorJoined, Args: map[string]string{"operator": x.OperatorName}}); err != nil {
		return true, err
	}
	s.emit(events.ChatbotChanged{Session: copySession(x)})
	s.emit(events.OperatorJoined{Session: copySession(x), OperatorID: opID})
	return true, nil
}

// RestartBot plays a session's chatbot script again from its first step,
// after "Restarting conversation...": the answers given so far are
// forgotten, the messages stay.
func (s *Service) RestartBot(ctx context.Context, x *model.Session) (*model.Session, error) {
	switch {
	case x.Status != model.SessionOpen:
		return nil, errEnded
	case s.bot == nil || !botLeads(x):
		return nil, model.Refuse(model.Conflict, "no_chatbot", "This conversation has no chatbot to restart.")
	}
	if err := s.postNotice(ctx, x, &model.Notice{Code: NoticeBotRestarted}); err != nil {
		return nil, err
	}
	if err := s.bot.Restart(ctx, x); err != nil {
		return nil, err
	}
	return s.st.Session(ctx, x.ID)
}

// PostVisitorInput posts what a visitor sent: while the chatbot leads, it
// checks it against the script first (an answer's id becomes its label).
// The caller may read x and the message afterwards but must not change
// them: the commit's event shares them with the event bus.
func (s *Service) PostVisitorInput(ctx context.Context, x *model.Session, in VisitorInput) (*model.Message, error) {
	body := in.Body
	if s.bot != nil && botLeads(x) && x.Status == model.SessionOpen {
		var err error
		if body, err = s.bot.Check(ctx, x, in); err != nil {
			return nil, err
		}
	} else if in.AnswerID != 0 {
		return nil, model.Refuse(model.Conflict, "no_question", "This conversation has no question to answer.")
	}
	// x and the message go to the commit's event as they are: copying
	// them was a tenth of what a visitor's message allocated.
	return s.postAs(ctx, x, &model.Message{AuthorKind: model.AuthorVisitor, AuthorName: x.VisitorName, Body: body, ClientID: in.ClientID, AnswerID: in.AnswerID, Tab: in.Tab}, true)
}

// StartTestSession opens a conversation outside any channel in which an
// admin plays a chatbot's script as a visitor would (the script page's
// Test mode). Without a channel a forward never finds an operator, so the
// script goes on as when nobody is available.
func (s *Service) StartTestSession(ctx context.Context, chatbotID int64, chatbotName, lang string) (*StartResult, error) {
	if s.bot == nil {
		return nil, model.Refuse(model.Conflict, "no_chatbot", "This conversation has no chatbot to restart.")
	}
	v, token, err := s.NewVisitor(ctx, "")
	if err != nil {
		return nil, err
	}
	x := &model.Session{PublicID: randomID(), VisitorID: v.ID, VisitorLanguage: clip(lang, 16),
		ChatbotID: chatbotID, ChatbotName: chatbotName, Chatbot: model.ChatbotPosition{State: model.BotRunning}}
	if err := s.st.CreateSession(ctx, x); err != nil {
		return nil, err
	}
	if err := s.bot.Greet(ctx, x); err != nil {
		return nil, err
	}
	res := &StartResult{Visitor: v, Token: token, Created: true}
	if res.Session, err = s.st.Session(ctx, x.ID); err != nil {
		return nil, err
	}
	if res.Messages, err = s.VisitorMessages(ctx, res.Session, 0); err != nil {
		return nil, err
	}
	return res, nil
}

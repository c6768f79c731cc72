package livechat

import (
	"context"
	"errors"
	"time"

	"parley/app/events"
	"parley/app/model"
)

// A session may have a bot that answers its visitor (chatbot scripts
// implement this). The service asks BotFinder after each visitor message
// is committed, off the request path, and posts the replies through the
// same writer and push as every other message.

// Bot answers a visitor's message with zero or more replies.
type Bot interface {
	Answer(ctx context.Context, x *model.Session, m *model.Message) ([]BotReply, error)
}

// BotReply is one message a bot says.
type BotReply struct {
	Name string // the bot's name, as the visitor sees it
	Body string
}

// BotFinder returns the bot of a session, or nil when people answer it.
type BotFinder interface {
	BotFor(ctx context.Context, x *model.Session) (Bot, error)
}

// botTimeout bounds one bot's answer, so a stuck script cannot hold the
// subscriber forever.
const botTimeout = 10 * time.Second

func (s *Service) answerWithBot(e events.Event) {
	mc, ok := e.(events.MessageCommitted)
	if !ok || mc.Message.AuthorKind != model.AuthorVisitor {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), botTimeout)
	defer cancel()
	b, err := s.bots.BotFor(ctx, mc.Session)
	if err != nil || b == nil {
		if err != nil {
			s.log.Error("find bot", "session_id", mc.Session.ID, "error", err)
		}
		return
	}
	replies, err := b.Answer(ctx, mc.Session, mc.Message)
	if err != nil {
		s.log.Error("bot answer", "session_id", mc.Session.ID, "error", err)
		return
	}
	for _, r := range replies {
		_, err := s.PostMessage(ctx, mc.Session, model.AuthorBot, 0, r.Name, r.Body)
		if errors.Is(err, ErrSessionClosed) {
			return
		}
		if err != nil {
			s.log.Error("post bot reply", "session_id", mc.Session.ID, "error", err)
			return
		}
	}
}

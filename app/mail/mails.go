package mail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"parley/app/auth"
	"parley/app/livechat"
	"parley/app/model"
)

// Transcript queues the conversation x, as its visitor saw it, for mail to
// email, in the language the conversation started in. The caller has
// checked that x is the visitor's.
func (s *Service) Transcript(ctx context.Context, x *model.Session, email string) error {
	to, err := NormalizeAddress("email", email)
	if err != nil {
		return err
	}
	msgs, err := s.lc.VisitorMessages(ctx, x, 0)
	if err != nil {
		return err
	}
	l := s.loc(x.VisitorLanguage)
	p := &page{Lang: l.Lang(), Title: l.T("Your conversation on %s", s.o.SiteName()), Footer: s.footer(l)}
	p.Intro = []string{l.T("Here is a copy of your conversation of %s, as you asked.", stamp(x.CreatedAt))}
	for _, m := range msgs {
		v := livechat.NewMessageView(l, x, m)
		ln := line{Time: stamp(m.CreatedAt), Author: v.Author.Name, Body: v.Body, Notice: m.Notice != nil}
		// Files go as signed links: the reader of the mail has no token.
		for _, a := range m.Attachments {
			u, err := s.lc.AttachmentLink(ctx, a)
			if err != nil {
				return err
			}
			ln.Files = append(ln.Files, fileLink{Name: a.Name, URL: u})
		}
		p.Lines = append(p.Lines, ln)
	}
	if len(msgs) == 0 {
		p.Intro = append(p.Intro, l.T("Nothing was said in this conversation."))
	}
	p.Outro = []string{l.T("Times are in UTC.")}
	m, err := p.message(l.T("Your conversation on %s", s.o.SiteName()), to)
	if err != nil {
		return err
	}
	it, err := s.item(ctx, "session:"+x.PublicID, m)
	if err != nil {
		return err
	}
	return s.st.Enqueue(ctx, it)
}

// OfflineNotification composes the mail telling a channel's operators (or
// its notification address) about an offline message; answering it
// answers the visitor. It implements livechat.OfflineNotifier, so the mail
// is committed with the message.
func (s *Service) OfflineNotification(ctx context.Context, ch *model.Channel, m *model.OfflineMessage) ([]*model.OutboxItem, error) {
	rcpts, err := s.channelRecipients(ctx, ch)
	if err != nil {
		return nil, err
	}
	if len(rcpts) == 0 {
		s.log.Warn("offline message has nobody to mail: the channel has no active operator and no notification address", "channel_id", ch.ID)
	}
	var out []*model.OutboxItem
	for _, r := range rcpts {
		l := s.loc(r.lang)
		who := m.Name
		if who == "" {
			who = m.Email
		}
		p := &page{Lang: l.Lang(), Title: l.T("New offline message on %s", ch.Name), Footer: s.footer(l),
			Intro:  []string{l.T("%s left a message while nobody was available to chat. Reply to this mail to answer them.", who)},
			Quote:  m.Body,
			Button: button{Label: l.T("Open offline messages"), URL: s.o.BaseURL + "/admin/offline"}}
		p.Facts = append(p.Facts, fact{l.T("Name"), m.Name}, fact{l.T("Email"), m.Email})
		if m.URL != "" {
			p.Facts = append(p.Facts, fact{l.T("Page"), m.URL})
		}
		msg, err := p.message(l.T("Offline message from %s", clipRunes(who, 100)), r.addr)
		if err != nil {
			return nil, err
		}
		msg.ReplyTo = m.Email
		it, err := s.item(ctx, fmt.Sprintf("channel:%d", ch.ID), msg)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// missedWindow is how far back the missed-conversation check looks beyond
// the delay, so turning it on does not mail about last year's chats.
const missedWindow = 24 * time.Hour

// MailMissed tells the channels' operators about each conversation nobody
// answered within the configured delay, once per conversation. It returns
// how many conversations it mailed about.
func (s *Service) MailMissed(ctx context.Context) (int, error) {
	if s.o.MissedAfter <= 0 {
		return 0, nil
	}
	before := s.o.Now().Add(-s.o.MissedAfter)
	list, err := s.st.MissedSessions(ctx, before.Add(-missedWindow), before, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, x := range list {
		items, err := s.missed(ctx, x)
		if err != nil {
			return n, err
		}
		marked, err := s.st.MarkMissedMailed(ctx, x.ID, items)
		if err != nil {
			return n, err
		}
		if marked && len(items) > 0 {
			n++
		}
	}
	return n, nil
}

func (s *Service) missed(ctx context.Context, x *model.Session) ([]*model.OutboxItem, error) {
	ch, err := s.st.Channel(ctx, x.ChannelID)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rcpts, err := s.channelRecipients(ctx, ch)
	if err != nil {
		return nil, err
	}
	msgs, err := s.lc.Messages(ctx, x, 0)
	if err != nil {
		return nil, err
	}
	var out []*model.OutboxItem
	for _, r := range rcpts {
		l := s.loc(r.lang)
		visitor := livechat.VisitorLabel(l, x.VisitorName, x.VisitorID)
		p := &page{Lang: l.Lang(), Title: l.T("Nobody answered %s", visitor), Footer: s.footer(l),
			Intro: []string{l.N(int(s.o.MissedAfter/time.Minute), "%[2]s started a conversation on %[3]s and no operator has answered it in %[1]d minute.",
				"%[2]s started a conversation on %[3]s and no operator has answered it in %[1]d minutes.", visitor, ch.Name)},
			Button: button{Label: l.T("Open the conversation"), URL: s.o.BaseURL + "/admin/sessions/" + x.PublicID}}
		if x.URL != "" {
			p.Facts = append(p.Facts, fact{l.T("Page"), x.URL})
		}
		for _, m := range msgs {
			v := livechat.NewMessageView(l, x, m)
			p.Lines = append(p.Lines, line{Time: stamp(m.CreatedAt), Author: v.Author.Name, Body: v.Body, Notice: m.Notice != nil})
		}
		msg, err := p.message(l.T("Missed conversation on %s", ch.Name), r.addr)
		if err != nil {
			return nil, err
		}
		it, err := s.item(ctx, "session:"+x.PublicID, msg)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// Invite creates the user n describes without a password and mails them a
// one-time link to choose one, committed together. Admins only.
func (s *Service) Invite(ctx context.Context, actor *model.User, n auth.NewUser) (*model.User, error) {
	return s.auth.InviteUser(ctx, actor, n, func(u *model.User, token string) (*model.OutboxItem, error) {
		l := s.loc(userLang(u))
		p := &page{Lang: l.Lang(), Title: l.T("You are invited to %s", s.o.SiteName()), Footer: s.footer(l),
			Intro:  []string{l.T("%s invited you to answer the live chat of %s. Choose your password to start.", actor.Name, s.o.SiteName())},
			Facts:  []fact{{l.T("Email"), u.Email}},
			Button: button{Label: l.T("Choose my password"), URL: s.o.BaseURL + "/invite/" + token},
			Outro:  []string{l.T("The link works once and expires on %s.", stamp(s.o.Now().Add(auth.InviteTTL)))}}
		m, err := p.message(l.T("You are invited to %s", s.o.SiteName()), u.Email)
		if err != nil {
			return nil, err
		}
		return s.item(ctx, fmt.Sprintf("user:%d", u.ID), m)
	})
}

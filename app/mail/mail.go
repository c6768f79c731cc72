// Package mail sends Parley's mail: it composes each mail in its
// recipient's language (a plain-text and an HTML part), commits it to the
// outbox with what caused it, and delivers it over SMTP (go-mail) from the
// outbox worker, with the server settings of the configuration as
// overridden in Configuration ▸ Mail. Mails: a conversation's transcript
// for the visitor, offline messages and missed conversations for a
// channel's operators, invitations for new users.
package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"parley/app/auth"
	"parley/app/config"
	"parley/app/i18n"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/outbox"
	"parley/app/settings"
	"parley/app/store"
)

// Kind is the outbox kind of mail.
const Kind = "mail"

// Options are what the service needs from the configuration.
type Options struct {
	SMTP        config.SMTP   // the defaults an admin may override
	SiteName    func() string // names Parley in subjects and footers; read at each mail, an admin may rename the site
	BaseURL     string        // the public address, for links
	MissedAfter time.Duration // a conversation without an operator's answer this long is "missed"; 0: never
	Logger      *slog.Logger
	Now         func() time.Time
}

// Service composes, queues and sends mail.
type Service struct {
	st    *store.Store
	ob    *outbox.Worker
	over  *settings.Overrides
	texts *i18n.Bundle
	lc    *livechat.Service
	auth  *auth.Service
	o     Options
	log   *slog.Logger

	// cached holds the effective settings for a while: every widget init
	// asks whether mail is configured, and should not cost a query.
	cached atomic.Pointer[cachedSMTP]
}

type cachedSMTP struct {
	c  SMTP
	at time.Time
}

// cacheFor bounds how stale the cached settings may be; saving them here
// refreshes the cache at once.
const cacheFor = 30 * time.Second

// New returns the mail service and registers its delivery with the outbox.
func New(st *store.Store, ob *outbox.Worker, texts *i18n.Bundle, lc *livechat.Service, au *auth.Service, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SiteName == nil {
		o.SiteName = func() string { return "Parley" }
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	s := &Service{st: st, ob: ob, over: settings.New(st), texts: texts, lc: lc, auth: au, o: o, log: o.Logger.With("component", "mail")}
	ob.Handle(Kind, s.deliver)
	return s
}

// SMTP returns the effective server settings.
func (s *Service) SMTP(ctx context.Context) (SMTP, error) {
	if c := s.cached.Load(); c != nil && time.Since(c.at) < cacheFor {
		return c.c, nil
	}
	snap, err := s.over.Load(ctx, "smtp")
	if err != nil {
		return SMTP{}, err
	}
	c := effective(s.o.SMTP, snap)
	s.cached.Store(&cachedSMTP{c: c, at: time.Now()})
	return c, nil
}

// Configured reports whether mail can go out (an SMTP host is set); while
// not, mail waits in the outbox.
func (s *Service) Configured(ctx context.Context) bool {
	c, err := s.SMTP(ctx)
	return err == nil && c.Host != ""
}

// deliver is the outbox handler of kind "mail".
func (s *Service) deliver(ctx context.Context, it model.OutboxItem) error {
	var m Message
	if err := json.Unmarshal(it.Payload, &m); err != nil {
		return outbox.Permanent(fmt.Errorf("unreadable mail: %w", err))
	}
	c, err := s.SMTP(ctx)
	if err != nil {
		return err
	}
	answer, err := send(ctx, c, &m)
	if err != nil {
		return classify(err)
	}
	s.log.Debug("mail sent", "id", it.ID, "ref", it.Ref, "server", hostPort(c), "answer", answer)
	return nil
}

// item makes the outbox row of m, about ref. The Message-ID is made now,
// on the sender's domain, so every attempt sends the same one.
func (s *Service) item(ctx context.Context, ref string, m *Message) (*model.OutboxItem, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if m.MessageID == "" {
		c, err := s.SMTP(ctx)
		if err != nil {
			return nil, err
		}
		m.MessageID = newMessageID(c.From)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("mail: encode: %w", err)
	}
	return &model.OutboxItem{Kind: Kind, Ref: ref, Payload: b}, nil
}

// loc is the localizer of lang; the default language (Configuration ▸
// Settings) when Parley has no catalogue for it.
func (s *Service) loc(lang string) *i18n.Localizer {
	if l := s.texts.Get(lang); l != nil {
		return l
	}
	return s.texts.Fallback()
}

// userLang is the language a user reads mail in: the one of their profile,
// else the one of the browser they last logged in with.
func userLang(u *model.User) string {
	if u.Language != "" {
		return u.Language
	}
	return u.BrowserLanguage
}

type recipient struct{ addr, lang string }

// channelRecipients are who hears about a channel's offline messages and
// missed conversations: its notification address when set (in the
// channel's language), else its active operators (each in theirs).
func (s *Service) channelRecipients(ctx context.Context, ch *model.Channel) ([]recipient, error) {
	if ch.NotifyEmail != "" {
		return []recipient{{ch.NotifyEmail, ch.DefaultLanguage}}, nil
	}
	ops, err := s.st.ChannelOperators(ctx, ch.ID)
	if err != nil {
		return nil, err
	}
	var out []recipient
	for _, u := range ops {
		if u.Active {
			out = append(out, recipient{u.Email, userLang(u)})
		}
	}
	return out, nil
}

func (s *Service) footer(l *i18n.Localizer) string {
	return l.T("Sent by Parley, the live chat of %s.", s.o.SiteName())
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") + " UTC" }

// Outbox lists the newest mails in the outbox, for Configuration ▸ Mail.
func (s *Service) Outbox(ctx context.Context, limit int) ([]OutboxEntry, error) {
	items, err := s.ob.List(ctx, Kind, "", limit)
	if err != nil {
		return nil, err
	}
	out := make([]OutboxEntry, 0, len(items))
	for _, it := range items {
		e := OutboxEntry{OutboxItem: it}
		var m Message
		if json.Unmarshal(it.Payload, &m) == nil {
			e.To, e.Subject = strings.Join(m.To, ", "), m.Subject
		}
		out = append(out, e)
	}
	return out, nil
}

// OutboxEntry is an outbox row with the mail's recipients and subject.
type OutboxEntry struct {
	model.OutboxItem
	To      string
	Subject string
}

// RetryNow sends a waiting or failed mail at once.
func (s *Service) RetryNow(ctx context.Context, id int64) error {
	it, err := s.st.OutboxItem(ctx, id)
	if errors.Is(err, model.ErrNotFound) || (err == nil && it.Kind != Kind) {
		return model.Refuse(model.NotFound, "not_found", "There is no such mail in the outbox.")
	}
	if err != nil {
		return err
	}
	return s.ob.RetryNow(ctx, id)
}

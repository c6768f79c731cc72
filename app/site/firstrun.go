package site

import (
	"context"
	"errors"
	"strings"

	"parley/app/model"
	"parley/app/settings"
	"parley/app/store"
)

// Settings-table keys of the checklist's own state (not configuration).
const (
	keySnippetCopied = "firstrun:snippet_copied"
	keyDismissed     = "firstrun:checklist_dismissed"
)

// SetupInput is the site part of the first-run setup.
type SetupInput struct {
	SiteName string // the business: names the first channel and the site
	BaseURL  string // the address visitors and operators use
}

// CheckSetup validates the setup's site details, before the admin is
// created, so that a refusal leaves the one-time link usable. A detail
// left empty keeps what the configuration says.
func (s *Service) CheckSetup(in SetupInput) error {
	if name := strings.TrimSpace(in.SiteName); name != "" {
		if err := s.check(KeySiteName, name); err != nil {
			return err
		}
	}
	if u := strings.TrimSpace(in.BaseURL); u != "" {
		return s.check(KeyBaseURL, u)
	}
	return nil
}

// CompleteSetup stores the setup's site details: the site name names the
// first channel (the one Parley made at first start) and the site, the
// public URL is saved for the next start. It reports whether a restart is
// needed to use the public URL.
func (s *Service) CompleteSetup(ctx context.Context, actor *model.User, in SetupInput) (restart bool, err error) {
	if actor == nil || !actor.IsAdmin() {
		return false, forbidden()
	}
	if err := s.CheckSetup(in); err != nil {
		return false, err
	}
	ch := settings.Change{Set: map[string]string{}}
	if u := strings.TrimSpace(in.BaseURL); u != "" {
		ch.Set[KeyBaseURL] = strings.TrimRight(u, "/")
	}
	name := strings.TrimSpace(in.SiteName)
	if name == "" {
		return s.save(ctx, ch)
	}
	ch.Set[KeySiteName] = name
	if first, err := s.firstChannel(ctx); err != nil {
		return false, err
	} else if first != nil && first.Name != name {
		first.Name = name
		if err := s.lc.UpdateChannel(ctx, first); err != nil {
			var fe *model.FieldError
			if errors.As(err, &fe) {
				fe.Field = formField[KeySiteName]
			}
			return false, err
		}
	}
	return s.save(ctx, ch)
}

// firstChannel is the oldest channel, the one first start made; nil when
// an admin deleted every channel.
func (s *Service) firstChannel(ctx context.Context) (*model.Channel, error) {
	chs, err := s.lc.Channels(ctx)
	if err != nil {
		return nil, err
	}
	var first *model.Channel
	for _, c := range chs {
		if first == nil || c.ID < first.ID {
			first = c
		}
	}
	return first, nil
}

// Checklist is the dashboard's first-run checklist: what stands between a
// fresh install and a chat on the real website.
type Checklist struct {
	PublicURL bool // a public URL visitors can reach (not this machine's loopback)
	// PublicURLPending: saved, but Parley uses it only after a restart.
	PublicURLPending bool
	SavedURL         string
	SnippetCopied    bool // someone copied the widget's snippet
	OperatorsInvited bool // another user can log in
	TestChat         bool // a conversation took place
	ChannelID        int64
}

// Done reports whether every step is done.
func (c *Checklist) Done() bool {
	return c.PublicURL && c.SnippetCopied && c.OperatorsInvited && c.TestChat
}

// Checklist returns the checklist for actor, or nil when it is not shown:
// to operators, once every step is done, or after an admin dismissed it.
func (s *Service) Checklist(ctx context.Context, actor *model.User) (*Checklist, error) {
	if actor == nil || !actor.IsAdmin() {
		return nil, nil
	}
	if set, err := s.flag(ctx, keyDismissed); err != nil || set {
		return nil, err
	}
	cur := s.cur.Load()
	c := &Checklist{PublicURL: !cur.PublicURLIsLoopback(), PublicURLPending: s.RestartNeeded(), SavedURL: cur.PublicURL()}
	var err error
	if c.SnippetCopied, err = s.flag(ctx, keySnippetCopied); err != nil {
		return nil, err
	}
	p, err := s.st.SetupProgress(ctx)
	if err != nil {
		return nil, err
	}
	c.OperatorsInvited, c.TestChat = p.ActiveUsers > 1, p.AnySession
	if c.Done() {
		return nil, nil
	}
	if ch, err := s.firstChannel(ctx); err != nil {
		return nil, err
	} else if ch != nil {
		c.ChannelID = ch.ID
	}
	return c, nil
}

func (s *Service) flag(ctx context.Context, key string) (bool, error) {
	_, err := s.st.Setting(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// SnippetCopied records that a user copied a channel's embed snippet, the
// checklist's step that only the browser sees.
func (s *Service) SnippetCopied(ctx context.Context, actor *model.User) error {
	if actor == nil {
		return forbidden()
	}
	if set, err := s.flag(ctx, keySnippetCopied); err != nil || set {
		return err
	}
	return s.st.SetSetting(ctx, keySnippetCopied, "1")
}

// DismissChecklist hides the checklist for good.
func (s *Service) DismissChecklist(ctx context.Context, actor *model.User) error {
	if actor == nil || !actor.IsAdmin() {
		return forbidden()
	}
	return s.st.SetSetting(ctx, keyDismissed, "1")
}

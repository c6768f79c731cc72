package livechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"parley/app/attach"
	"parley/app/face"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"parley/app/auth"
	"parley/app/events"
	"parley/app/geo"
	"parley/app/model"
	"parley/app/schedule"
	"parley/app/store"
)

// Service owns channels, their rules and operators, and operator presence.
type Service struct {
	st      *store.Store
	log     *slog.Logger
	now     func() time.Time
	intn    func(n int) int
	baseURL string
	files   *attach.Files
	faces   *face.Files
	// missingFaces are the picture hashes whose file was found gone,
	// logged once each rather than at every request for them.
	missingFaces sync.Map
	pub          Publisher   // typing and page-view frames, which are not stored
	bus          *events.Bus // committed changes, for realtime, mail, bots…
	ownBus       bool
	text         Translator // renders notices and labels in pushed frames
	localize     func(lang string) Translator
	langs        langCache
	writer       *writer
	commands     *Commands
	bot          Bot
	offline      OfflineNotifier
	abandon      time.Duration
	languages    []string // catalogue languages a channel may speak
	Presence     *Presence
	Live         *LiveVisitors // visitors on the site now

	mentionMailer MentionMailer // nil: mentions are not mailed
	queue         *queue

	mu    sync.RWMutex
	cache map[int64]*ChannelInfo // per channel; dropped on every change to it
}

// ChannelInfo is what a visitor page view needs about a channel, cached so
// /im_livechat/init costs no database round trip while nothing changes.
type ChannelInfo struct {
	Channel     model.Channel
	OperatorIDs []int64 // active operators only
	Rules       *RuleSet
	Routing     model.ChannelRouting
	Schedule    *schedule.Schedule // nil: office hours are off
	loaded      time.Time
}

// infoTTL bounds how stale the cache may be when the database is changed
// behind this process's back (the CLI, a restored backup); changes made
// through the service drop the entry at once.
const infoTTL = 30 * time.Second

// Options tune a Service; zero values take production defaults.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Intn breaks ties between equally busy operators; tests make it
	// deterministic. Defaults to crypto/rand.
	Intn func(n int) int
	// BaseURL is the public URL, for absolute links sent to widgets.
	BaseURL string
	// Events receives every committed change; nil makes a private bus.
	Events *events.Bus
	// Text renders what the system says in pushed frames; nil is English.
	Text Translator
	// Localize returns the translator of a language tag ("es"), for frames
	// pushed to readers whose language is known; nil: Text for everyone.
	Localize func(lang string) Translator
	// Languages are the tags Parley has a catalogue for ("en", "es"): a
	// channel's default language and its texts may use these; nil: English.
	Languages []string
	// Bot plays the chatbot scripts that rules name; nil: no chatbots.
	Bot Bot
	// AbandonAfter ends a conversation whose visitor has had no socket and
	// no activity for this long (0: 30 minutes).
	AbandonAfter time.Duration
	// OnCommit hears each group commit's size and duration, for metrics;
	// it runs on the writer's goroutine and must return at once.
	OnCommit func(messages int, took time.Duration)
	// Files keeps the files sent in conversations; nil refuses uploads.
	Files *attach.Files
	// Faces keeps operators' photos and channels' images; nil refuses
	// them.
	Faces *face.Files
}

// english renders source text as it is.
type english struct{}

func (english) T(msg string, args ...any) string {
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// New returns the live chat service.
func New(st *store.Store, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Intn == nil {
		o.Intn = cryptoIntn
	}
	if o.Text == nil {
		o.Text = english{}
	}
	if o.AbandonAfter <= 0 {
		o.AbandonAfter = DefaultAbandonAfter
	}
	s := &Service{st: st, log: o.Logger.With("component", "livechat"), now: o.Now, intn: o.Intn, baseURL: o.BaseURL,
		pub: nopPublisher{}, bus: o.Events, text: o.Text, localize: o.Localize, bot: o.Bot, abandon: o.AbandonAfter, languages: o.Languages, files: o.Files, faces: o.Faces,
		Presence: NewPresence(o.Now), Live: NewLiveVisitors(), cache: map[int64]*ChannelInfo{}}
	if s.bus == nil {
		s.bus, s.ownBus = events.New(o.Logger), true
	}
	s.commands = newCommands(s)
	s.writer = newWriter(st, s.log, func(x *model.Session, m *model.Message, shared bool) {
		if !shared {
			c := *m
			x, m = copySession(x), &c
		}
		s.emit(events.MessageCommitted{Session: x, Message: m})
	})
	s.writer.onCommit = o.OnCommit
	if s.bot != nil {
		s.bus.Subscribe("bots", s.answerWithBot)
	}
	s.bus.Subscribe("livechat", s.react)
	s.queue = newQueue()
	s.bus.Subscribe("queue", s.queueEvent)
	s.Presence.OnChange(func(_ int64, st Status) {
		if st == Online {
			s.queue.kick()
		}
	})
	return s
}

func fieldErr(field, msg string, args ...any) error {
	return &model.FieldError{Field: field, Message: msg, Args: args}
}

// Text limits, generous for any language but bounded so a form cannot fill
// the database or break the widget's layout.
const (
	maxNameLen        = 100
	maxButtonText     = 120
	maxWelcomeMessage = 500
	maxPlaceholder    = 120
)

// NormalizeChannel trims and validates a channel before it is saved;
// languages are the catalogue tags its default language and texts may use
// (English always may).
func NormalizeChannel(c *model.Channel, languages []string) error {
	c.Name = strings.TrimSpace(c.Name)
	o := &c.Options
	o.ButtonText = strings.TrimSpace(o.ButtonText)
	o.DefaultMessage = strings.TrimSpace(o.DefaultMessage)
	o.InputPlaceholder = strings.TrimSpace(o.InputPlaceholder)
	switch {
	case c.Name == "":
		return fieldErr("name", "The channel name is required.")
	case utf8.RuneCountInString(c.Name) > maxNameLen:
		return fieldErr("name", "The channel name must be at most %d characters.", maxNameLen)
	case o.ButtonText == "":
		return fieldErr("button_text", "The button text is required.")
	case utf8.RuneCountInString(o.ButtonText) > maxButtonText:
		return fieldErr("button_text", "The button text must be at most %d characters.", maxButtonText)
	case utf8.RuneCountInString(o.DefaultMessage) > maxWelcomeMessage:
		return fieldErr("default_message", "The welcome message must be at most %d characters.", maxWelcomeMessage)
	case utf8.RuneCountInString(o.InputPlaceholder) > maxPlaceholder:
		return fieldErr("input_placeholder", "The placeholder must be at most %d characters.", maxPlaceholder)
	case utf8.RuneCountInString(c.WebsiteDescription) > 5000:
		return fieldErr("website_description", "The description must be at most 5000 characters.")
	}
	if c.NotifyEmail = strings.TrimSpace(c.NotifyEmail); c.NotifyEmail != "" {
		e, err := auth.NormalizeEmail(c.NotifyEmail)
		if err != nil {
			return fieldErr("notify_email", "The notification address must be one valid email address.")
		}
		c.NotifyEmail = e
	}
	for _, f := range []struct {
		field string
		v     *string
	}{
		{"button_background_color", &o.ButtonBackgroundColor},
		{"button_text_color", &o.ButtonTextColor},
		{"header_background_color", &o.HeaderBackgroundColor},
		{"title_color", &o.TitleColor},
	} {
		norm, err := NormalizeColor(*f.v)
		if err != nil {
			return fieldErr(f.field, "%q is not a colour; use #RRGGBB, rgb(r, g, b) or hsl(h, s%%, l%%).", *f.v)
		}
		*f.v = norm
	}
	if err := normalizeLanguages(c, languages); err != nil {
		return err
	}
	if err := normalizePrechat(&c.Prechat); err != nil {
		return err
	}
	domains, err := NormalizeDomains(c.AllowedDomains)
	if err != nil {
		return err
	}
	c.AllowedDomains = domains
	if c.IdentityEnforce && c.IdentitySecret == "" {
		return fieldErr("identity_enforce", "Generate the identity secret before requiring signed visitors: without it no visitor could start a chat.")
	}
	return nil
}

// normalizeLanguages checks the default language and the texts by
// language: known tags, the main texts' limits, empty versions dropped.
func normalizeLanguages(c *model.Channel, languages []string) error {
	known := func(tag string) bool { return tag == "en" || slices.Contains(languages, tag) }
	c.DefaultLanguage = strings.ToLower(strings.TrimSpace(c.DefaultLanguage))
	if c.DefaultLanguage != "" && !known(c.DefaultLanguage) {
		return fieldErr("default_language", "Parley does not speak %q; choose one of its languages or the visitor's browser language.", c.DefaultLanguage)
	}
	var texts map[string]model.ChannelTexts
	for tag, t := range c.Texts {
		tag = strings.ToLower(strings.TrimSpace(tag))
		if !known(tag) {
			return fieldErr("texts", "Parley does not speak %q; texts can only be given in its languages.", tag)
		}
		t.ButtonText = strings.TrimSpace(t.ButtonText)
		t.DefaultMessage = strings.TrimSpace(t.DefaultMessage)
		t.InputPlaceholder = strings.TrimSpace(t.InputPlaceholder)
		switch {
		case utf8.RuneCountInString(t.ButtonText) > maxButtonText:
			return fieldErr(TextsField(tag, "button_text"), "The button text must be at most %d characters.", maxButtonText)
		case utf8.RuneCountInString(t.DefaultMessage) > maxWelcomeMessage:
			return fieldErr(TextsField(tag, "default_message"), "The welcome message must be at most %d characters.", maxWelcomeMessage)
		case utf8.RuneCountInString(t.InputPlaceholder) > maxPlaceholder:
			return fieldErr(TextsField(tag, "input_placeholder"), "The placeholder must be at most %d characters.", maxPlaceholder)
		}
		if t.IsZero() {
			continue
		}
		if texts == nil {
			texts = map[string]model.ChannelTexts{}
		}
		texts[tag] = t
	}
	c.Texts = texts
	return nil
}

// TextsField names a text in one language, as field errors and the
// channel form's inputs do: "texts.es.button_text".
func TextsField(lang, field string) string { return "texts." + lang + "." + field }

// VisitorLanguage is the language a channel speaks to a visitor whose
// browser prefers browserLang: the channel's default language when set.
func VisitorLanguage(c *model.Channel, browserLang string) string {
	if c.DefaultLanguage != "" {
		return c.DefaultLanguage
	}
	return browserLang
}

// OptionsIn returns the channel's options with the texts of lang, each
// falling back to the main text when lang has none.
func OptionsIn(c *model.Channel, lang string) model.ChannelOptions {
	o := c.Options
	t, ok := c.Texts[lang]
	if !ok {
		return o
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&o.ButtonText, t.ButtonText},
		{&o.DefaultMessage, t.DefaultMessage},
		{&o.InputPlaceholder, t.InputPlaceholder},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	return o
}

// CreateChannel validates and stores a new channel with its operators.
func (s *Service) CreateChannel(ctx context.Context, c *model.Channel, operatorIDs ...int64) error {
	if err := NormalizeChannel(c, s.languages); err != nil {
		return err
	}
	if err := s.st.CreateChannel(ctx, c, operatorIDs...); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fieldErr("name", "A channel named %q already exists.", c.Name)
		}
		return err
	}
	return nil
}

// UpdateChannel validates and saves a channel's name, options, publication,
// allowed domains and identity enforcement (the secret is
// RegenerateIdentitySecret's).
func (s *Service) UpdateChannel(ctx context.Context, c *model.Channel) error {
	if err := NormalizeChannel(c, s.languages); err != nil {
		return err
	}
	if err := s.st.UpdateChannel(ctx, c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fieldErr("name", "A channel named %q already exists.", c.Name)
		}
		return err
	}
	s.invalidate(c.ID)
	return nil
}

// DeleteChannel removes a channel and forgets its compiled rules.
func (s *Service) DeleteChannel(ctx context.Context, id int64) error {
	if err := s.st.DeleteChannel(ctx, id); err != nil {
		return err
	}
	s.invalidate(id)
	return nil
}

// EnsureDefaultChannel creates the first channel, named after the site, the
// first time Parley starts. It never recreates a channel an admin deleted.
func (s *Service) EnsureDefaultChannel(ctx context.Context, siteName string) (bool, error) {
	const key = "default_channel_created"
	if _, err := s.st.Setting(ctx, key); err == nil {
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	n, err := s.st.CountChannels(ctx)
	if err != nil {
		return false, err
	}
	created := false
	if n == 0 {
		c := &model.Channel{Name: siteName, Options: model.DefaultChannelOptions()}
		c.Options.DefaultMessage = model.DefaultFirstChannelMessage
		if err := s.CreateChannel(ctx, c); err != nil {
			return false, fmt.Errorf("livechat: default channel: %w", err)
		}
		created = true
	}
	return created, s.st.SetSetting(ctx, key, s.now().UTC().Format(time.RFC3339))
}

// Join makes userID an operator of the channel.
func (s *Service) Join(ctx context.Context, channelID, userID int64) error {
	if _, err := s.st.Channel(ctx, channelID); err != nil {
		return err
	}
	if _, err := s.st.User(ctx, userID); err != nil {
		return err
	}
	defer s.invalidate(channelID)
	return s.st.AddChannelOperators(ctx, channelID, userID)
}

// AddOperators joins several users at once (the operator picker).
func (s *Service) AddOperators(ctx context.Context, channelID int64, userIDs []int64) error {
	if _, err := s.st.Channel(ctx, channelID); err != nil {
		return err
	}
	for _, id := range userIDs {
		if _, err := s.st.User(ctx, id); err != nil {
			return err
		}
	}
	defer s.invalidate(channelID)
	return s.st.AddChannelOperators(ctx, channelID, userIDs...)
}

// ErrLastOperator refuses to leave a channel without operators.
var ErrLastOperator = &model.FieldError{Field: "operators", Message: "A channel needs at least one operator: add another operator before removing the last one."}

// Leave removes userID from the channel's operators, unless they are the last.
func (s *Service) Leave(ctx context.Context, channelID, userID int64) error {
	ids, err := s.st.ChannelOperatorIDs(ctx, channelID)
	if err != nil {
		return err
	}
	member := false
	for _, id := range ids {
		member = member || id == userID
	}
	if !member {
		return nil
	}
	defer s.invalidate(channelID)
	removed, err := s.st.RemoveChannelOperator(ctx, channelID, userID)
	if err != nil {
		return err
	}
	if !removed {
		return ErrLastOperator
	}
	return nil
}

// SaveRules validates and replaces a channel's whole rule list; the slice
// order is the matching order. Nothing is saved when any rule is invalid.
func (s *Service) SaveRules(ctx context.Context, channelID int64, rules []model.Rule) ([]model.Rule, error) {
	// A rule may keep naming a chatbot deleted since (it works without it,
	// and its form says so); naming one anew requires that it exists.
	old, err := s.st.Rules(ctx, channelID)
	if err != nil {
		return nil, err
	}
	had := map[int64]int64{}
	for _, r := range old {
		had[r.ID] = r.ChatbotID
	}
	var named []int64
	for _, r := range rules {
		if r.ChatbotID != 0 {
			named = append(named, r.ChatbotID)
		}
	}
	exist, err := s.st.ChatbotNames(ctx, named)
	if err != nil {
		return nil, err
	}
	for i, r := range rules {
		if _, ok := exist[r.ChatbotID]; r.ChatbotID != 0 && !ok && (r.ID == 0 || had[r.ID] != r.ChatbotID) {
			return nil, fieldErr("chatbot_id", "Rule %d: %s", i+1, &model.FieldError{Field: "chatbot_id", Message: "This chatbot does not exist."})
		}
	}
	seenID := map[int64]int{}
	for i := range rules {
		r := &rules[i]
		if r.ID != 0 {
			if j, dup := seenID[r.ID]; dup {
				return nil, fieldErr("rules", "Rule %d repeats the id of rule %d; each existing rule may appear once.", i+1, j+1)
			}
			seenID[r.ID] = i
		}
		r.RegexURL = strings.TrimSpace(r.RegexURL)
		var cs []string
		seen := map[string]bool{}
		for _, c := range r.Countries {
			code, ok := geo.NormalizeCountry(c)
			if !ok {
				return nil, fieldErr("countries", "Rule %d: %s", i+1, &model.FieldError{Field: "countries", Message: "unknown country %q.", Args: []any{c}})
			}
			if !seen[code] {
				seen[code] = true
				cs = append(cs, code)
			}
		}
		r.Countries = cs
		r.Sequence = (i + 1) * 10
		if r.Action == model.ActionHide {
			r.ChatbotID, r.ChatbotOnlyIfNoOperator = 0, false
		}
		if err := ValidateRule(*r); err != nil {
			var fe *model.FieldError
			if errors.As(err, &fe) {
				// The rule's own message is translated inside this one.
				return nil, fieldErr(fe.Field, "Rule %d: %s", i+1, fe)
			}
			return nil, err
		}
	}
	if err := s.st.ReplaceRules(ctx, channelID, rules); err != nil {
		return nil, err
	}
	s.invalidate(channelID)
	return s.st.Rules(ctx, channelID)
}

// Info returns a channel's cached page-view data, loading it on first use.
func (s *Service) Info(ctx context.Context, channelID int64) (*ChannelInfo, error) {
	s.mu.RLock()
	info, ok := s.cache[channelID]
	s.mu.RUnlock()
	if ok && s.now().Sub(info.loaded) < infoTTL {
		return info, nil
	}
	c, err := s.st.Channel(ctx, channelID)
	if err != nil {
		return nil, err
	}
	// Deactivated operators are neither reachable nor assigned chats.
	ids, err := s.st.ActiveChannelOperatorIDs(ctx, channelID)
	if err != nil {
		return nil, err
	}
	rules, err := s.st.Rules(ctx, channelID)
	if err != nil {
		return nil, err
	}
	rs, err := CompileRules(rules)
	if err != nil {
		return nil, err
	}
	routing, err := s.st.ChannelRouting(ctx, channelID)
	if err != nil {
		return nil, err
	}
	sched, err := NormalizeRouting(routing)
	if err != nil {
		// Saved through SaveRouting, it was valid; a zone the embedded
		// database no longer knows leaves the channel always open.
		s.log.Warn("channel office hours unusable", "channel_id", channelID, "error", err)
		sched = nil
	}
	info = &ChannelInfo{Channel: *c, OperatorIDs: ids, Rules: rs, Routing: *routing, Schedule: sched, loaded: s.now()}
	s.mu.Lock()
	s.cache[channelID] = info
	s.mu.Unlock()
	return info, nil
}

// RuleSet returns a channel's compiled rules, compiling once per change:
// the widget asks on every page view of every customer site.
func (s *Service) RuleSet(ctx context.Context, channelID int64) (*RuleSet, error) {
	info, err := s.Info(ctx, channelID)
	if err != nil {
		return nil, err
	}
	return info.Rules, nil
}

// InitResult is the widget's boot decision for one page view.
type InitResult struct {
	Channel         model.Channel
	OperatorsOnline int
	Decision        Decision
	ChatbotName     string // of Decision.Chatbot
	Availability    Availability
}

// Init decides whether and how the widget shows on a page (§2.2): the
// rules matched against the page URL and the visitor's country, and
// whether an operator is online.
func (s *Service) Init(ctx context.Context, channelID int64, url, country string) (*InitResult, error) {
	info, err := s.Info(ctx, channelID)
	if err != nil {
		return nil, err
	}
	online := len(s.Presence.Online(info.OperatorIDs))
	a := info.availability(s.now())
	if a.Closed {
		online = 0 // outside office hours nobody is offered: the away message and the offline form (or a chatbot) instead
	}
	d, name := s.decide(ctx, info, url, country, online)
	return &InitResult{Channel: info.Channel, OperatorsOnline: online, Decision: d, ChatbotName: name, Availability: a}, nil
}

// decide applies the channel's rules with the chatbots usable now, and
// names the chatbot it picks.
func (s *Service) decide(ctx context.Context, info *ChannelInfo, url, country string, online int) (Decision, string) {
	var usable func(int64) bool
	var name string
	if s.bot != nil {
		usable = func(id int64) bool {
			n, ok := s.bot.Usable(ctx, id)
			name = n
			return ok
		}
	}
	d := Decide(info.Rules, url, country, online, usable)
	if d.Chatbot == 0 {
		name = ""
	}
	return d, name
}

// OnlineOperators returns the channel's operators who are online now.
func (s *Service) OnlineOperators(ctx context.Context, channelID int64) ([]int64, error) {
	info, err := s.Info(ctx, channelID)
	if err != nil {
		return nil, err
	}
	return s.Presence.Online(info.OperatorIDs), nil
}

// InvalidateAll forgets every cached channel, after changes made outside
// the service (such as the first admin staffing the default channel).
func (s *Service) InvalidateAll() {
	s.mu.Lock()
	s.cache = map[int64]*ChannelInfo{}
	s.mu.Unlock()
}

// ChannelsRenamed forgets what the service keeps of channels renamed
// outside it (with the site name, in the settings' transaction), so the
// next widget names them anew.
func (s *Service) ChannelsRenamed(ids []int64) {
	for _, id := range ids {
		s.invalidate(id)
	}
}

func (s *Service) invalidate(channelID int64) {
	s.mu.Lock()
	delete(s.cache, channelID)
	s.mu.Unlock()
}

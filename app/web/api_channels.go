package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/model"
)

// apiChannel is a channel as the admin API shows and edits it: the name,
// every option of the Options tab and the publication flag, flat.
type apiChannel struct {
	ID                 int64    `json:"id"`
	Name               string   `json:"name"`
	Published          bool     `json:"published"`
	WebsiteDescription string   `json:"website_description"`
	OperatorIDs        []int64  `json:"operator_ids"`
	AllowedDomains     []string `json:"allowed_domains"`
	IdentityEnforce    bool     `json:"identity_enforce"`
	// HasIdentitySecret says whether a secret exists; the secret itself is
	// shown once, by POST /channels/{id}/identity_secret.
	HasIdentitySecret bool `json:"has_identity_secret"`
	// DefaultLanguage is the language the widget speaks whatever the
	// browser says; "" follows the visitor's browser.
	DefaultLanguage string `json:"default_language"`
	// NotifyEmail receives offline messages and missed conversations by
	// mail; "" sends them to the channel's operators.
	NotifyEmail string `json:"notify_email"`
	// Texts are the button text, welcome message and placeholder by
	// language tag; an empty text falls back to the main one.
	Texts map[string]model.ChannelTexts `json:"texts"`
	// Prechat is the form asked before a visitor's first message.
	Prechat model.PrechatForm `json:"prechat"`
	// PreferLanguage gives a chat to an available operator who speaks the
	// visitor's language first.
	PreferLanguage bool      `json:"prefer_language"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	model.ChannelOptions
}

func (s *Server) toAPIChannel(c echo.Context, ch *model.Channel) (apiChannel, error) {
	ids, err := s.d.Livechat.ChannelOperatorIDs(c.Request().Context(), ch.ID)
	if err != nil {
		return apiChannel{}, err
	}
	if ids == nil {
		ids = []int64{}
	}
	domains := ch.AllowedDomains
	if domains == nil {
		domains = []string{}
	}
	texts := ch.Texts
	if texts == nil {
		texts = map[string]model.ChannelTexts{}
	}
	return apiChannel{ID: ch.ID, Name: ch.Name, Published: ch.Published, WebsiteDescription: ch.WebsiteDescription,
		OperatorIDs: ids, AllowedDomains: domains, IdentityEnforce: ch.IdentityEnforce, HasIdentitySecret: ch.IdentitySecret != "",
		DefaultLanguage: ch.DefaultLanguage, NotifyEmail: ch.NotifyEmail, Texts: texts, Prechat: ch.Prechat, PreferLanguage: ch.PreferLanguage, CreatedAt: ch.CreatedAt, UpdatedAt: ch.UpdatedAt, ChannelOptions: ch.Options}, nil
}

func (s *Server) apiChannels(c echo.Context) error {
	list, err := s.d.Livechat.Channels(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiChannel, 0, len(list))
	for _, ch := range list {
		a, err := s.toAPIChannel(c, ch)
		if err != nil {
			return err
		}
		out = append(out, a)
	}
	return c.JSON(http.StatusOK, map[string]any{"channels": out})
}

func (s *Server) apiChannelParam(c echo.Context) (*model.Channel, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	ch, err := s.d.Livechat.Channel(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	return ch, nil
}

func (s *Server) apiChannel(c echo.Context) error {
	ch, err := s.apiChannelParam(c)
	if err != nil {
		return err
	}
	a, err := s.toAPIChannel(c, ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"channel": a})
}

// channelPatch has a pointer per editable field: absent fields are kept.
type channelPatch struct {
	Name                  *string   `json:"name"`
	Published             *bool     `json:"published"`
	WebsiteDescription    *string   `json:"website_description"`
	ButtonText            *string   `json:"button_text"`
	ButtonBackgroundColor *string   `json:"button_background_color"`
	ButtonTextColor       *string   `json:"button_text_color"`
	HeaderBackgroundColor *string   `json:"header_background_color"`
	TitleColor            *string   `json:"title_color"`
	DefaultMessage        *string   `json:"default_message"`
	InputPlaceholder      *string   `json:"input_placeholder"`
	AllowedDomains        *[]string `json:"allowed_domains"`
	IdentityEnforce       *bool     `json:"identity_enforce"`
	DefaultLanguage       *string   `json:"default_language"`
	NotifyEmail           *string   `json:"notify_email"`
	// Texts replaces the texts of the languages it names; a language
	// with three empty texts (or null) is removed.
	Texts map[string]*model.ChannelTexts `json:"texts"`
	// Prechat replaces the whole pre-chat form.
	Prechat        *model.PrechatForm `json:"prechat"`
	PreferLanguage *bool              `json:"prefer_language"`
}

func (s *Server) apiPatchChannel(c echo.Context) error {
	ch, err := s.apiChannelParam(c)
	if err != nil {
		return err
	}
	var p channelPatch
	if err := decodeJSON(c, &p); err != nil {
		return err
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&ch.Name, p.Name)
	set(&ch.WebsiteDescription, p.WebsiteDescription)
	set(&ch.NotifyEmail, p.NotifyEmail)
	o := &ch.Options
	set(&o.ButtonText, p.ButtonText)
	set(&o.ButtonBackgroundColor, p.ButtonBackgroundColor)
	set(&o.ButtonTextColor, p.ButtonTextColor)
	set(&o.HeaderBackgroundColor, p.HeaderBackgroundColor)
	set(&o.TitleColor, p.TitleColor)
	set(&o.DefaultMessage, p.DefaultMessage)
	set(&o.InputPlaceholder, p.InputPlaceholder)
	if p.Published != nil {
		ch.Published = *p.Published
	}
	if p.Prechat != nil {
		ch.Prechat = *p.Prechat
	}
	if p.PreferLanguage != nil {
		ch.PreferLanguage = *p.PreferLanguage
	}
	if p.AllowedDomains != nil {
		ch.AllowedDomains = *p.AllowedDomains
	}
	if p.IdentityEnforce != nil {
		ch.IdentityEnforce = *p.IdentityEnforce
	}
	set(&ch.DefaultLanguage, p.DefaultLanguage)
	if len(p.Texts) > 0 {
		texts := make(map[string]model.ChannelTexts, len(ch.Texts)+len(p.Texts))
		for lang, t := range ch.Texts {
			texts[lang] = t
		}
		for lang, t := range p.Texts {
			lang = strings.ToLower(strings.TrimSpace(lang))
			if t == nil {
				delete(texts, lang)
				continue
			}
			texts[lang] = *t
		}
		ch.Texts = texts
	}
	if err := s.d.Livechat.UpdateChannel(c.Request().Context(), ch); err != nil {
		return err
	}
	a, err := s.toAPIChannel(c, ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"channel": a})
}

// apiRegenerateIdentitySecret gives the channel a new identity secret and
// answers it, the only time the API shows it.
func (s *Server) apiRegenerateIdentitySecret(c echo.Context) error {
	ch, err := s.apiChannelParam(c)
	if err != nil {
		return err
	}
	secret, err := s.d.Livechat.RegenerateIdentitySecret(c.Request().Context(), ch.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, map[string]any{"identity_secret": secret})
}

// apiRule is a rule in the admin API; the list order is the matching order.
type apiRule struct {
	ID                      int64            `json:"id,omitempty"`
	Action                  model.RuleAction `json:"action"`
	RegexURL                string           `json:"regex_url"`
	AutoPopupTimer          int              `json:"auto_popup_timer"`
	Countries               []string         `json:"countries"`
	ChatbotID               *int64           `json:"chatbot_id"`
	ChatbotOnlyIfNoOperator bool             `json:"chatbot_only_if_no_operator"`
}

func toAPIRules(rules []model.Rule) []apiRule {
	out := make([]apiRule, 0, len(rules))
	for _, r := range rules {
		a := apiRule{ID: r.ID, Action: r.Action, RegexURL: r.RegexURL, AutoPopupTimer: r.AutoPopupTimer,
			Countries: r.Countries, ChatbotOnlyIfNoOperator: r.ChatbotOnlyIfNoOperator}
		if a.Countries == nil {
			a.Countries = []string{}
		}
		if r.ChatbotID != 0 {
			id := r.ChatbotID
			a.ChatbotID = &id
		}
		out = append(out, a)
	}
	return out
}

func (s *Server) apiRules(c echo.Context) error {
	ch, err := s.apiChannelParam(c)
	if err != nil {
		return err
	}
	rules, err := s.d.Livechat.Rules(c.Request().Context(), ch.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"rules": toAPIRules(rules)})
}

// apiPutRules replaces the whole ordered rule list, validated exactly as
// the Channel Rules tab validates it; an invalid rule saves nothing.
// The body is {"rules": [...]} or the bare list.
func (s *Server) apiPutRules(c echo.Context) error {
	ch, err := s.apiChannelParam(c)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := decodeJSON(c, &raw); err != nil {
		return err
	}
	var in []apiRule
	if len(raw) > 0 && raw[0] == '{' {
		var wrapped struct {
			Rules []apiRule `json:"rules"`
		}
		if err := strictDecode(raw, &wrapped); err != nil {
			return err
		}
		in = wrapped.Rules
	} else if err := strictDecode(raw, &in); err != nil {
		return err
	}
	rules := make([]model.Rule, len(in))
	for i, a := range in {
		if a.Action == "" {
			a.Action = model.ActionShow
		}
		rules[i] = model.Rule{ID: a.ID, Action: a.Action, RegexURL: a.RegexURL, AutoPopupTimer: a.AutoPopupTimer,
			Countries: a.Countries, ChatbotOnlyIfNoOperator: a.ChatbotOnlyIfNoOperator}
		if a.ChatbotID != nil {
			rules[i].ChatbotID = *a.ChatbotID
		}
	}
	saved, err := s.d.Livechat.SaveRules(c.Request().Context(), ch.ID, rules)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"rules": toAPIRules(saved)})
}

func (s *Server) apiJoinChannel(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.d.Livechat.Join(c.Request().Context(), id, userFrom(c).ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"channel_id": id, "joined": true})
}

func (s *Server) apiLeaveChannel(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.d.Livechat.Channel(c.Request().Context(), id); err != nil {
		return err
	}
	if err := s.d.Livechat.Leave(c.Request().Context(), id, userFrom(c).ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"channel_id": id, "joined": false})
}

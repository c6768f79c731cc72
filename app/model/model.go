// Package model holds the plain data types shared across Parley's packages.
// Nothing here does I/O.
package model

import (
	"errors"
	"fmt"
	"time"
)

// Role is what a user may do in the admin.
type Role string

// Roles.
const (
	RoleAdmin    Role = "admin"    // everything, including configuration
	RoleOperator Role = "operator" // chats and joins channels
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleOperator }

// User is an admin or an operator.
type User struct {
	ID           int64
	Email        string
	Name         string
	ChatName     string // "Online Chat Name"; empty means Name
	Role         Role
	PasswordHash string
	CreatedAt    time.Time
	LastLoginAt  time.Time // zero when never logged in
	// Active is false once an admin deactivated the user: they cannot log
	// in or take new chats, and their history stays.
	Active        bool
	DeactivatedAt time.Time // zero while active
	// MustChangePassword is set by an admin: until the user chooses a new
	// password, the admin shows them only the password form.
	MustChangePassword bool
	// Language is the admin's language chosen in My Profile ("es"); empty
	// follows the browser.
	Language string
	// BrowserLanguage is the language of the browser they last logged in
	// with, for what is pushed to them live when Language is empty.
	BrowserLanguage string
}

// DisplayChatName is the name visitors see.
func (u *User) DisplayChatName() string {
	if u.ChatName != "" {
		return u.ChatName
	}
	return u.Name
}

// IsAdmin reports whether u has the admin role.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// LoginSession is one signed-in browser.
type LoginSession struct {
	ID         string // SHA-256 of the cookie value
	UserID     int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// APIToken authenticates /api/v1 requests on behalf of a user.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	Hint       string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// ChannelOptions are the texts and colours of a channel's widget ("Options" tab).
type ChannelOptions struct {
	ButtonText            string `json:"button_text"`
	ButtonBackgroundColor string `json:"button_background_color"`
	ButtonTextColor       string `json:"button_text_color"`
	HeaderBackgroundColor string `json:"header_background_color"`
	TitleColor            string `json:"title_color"`
	DefaultMessage        string `json:"default_message"`
	InputPlaceholder      string `json:"input_placeholder"`
}

// Default colours and texts of a new channel (Odoo's field defaults). The
// colour reset in the UI returns to these same values.
const (
	DefaultButtonText            = "Have a Question? Chat with us."
	DefaultMessage               = "How may I help you?"
	DefaultFirstChannelMessage   = "Hello, how may I help you?"
	DefaultHeaderBackgroundColor = "#875A7B"
	DefaultTitleColor            = "#FFFFFF"
	DefaultButtonBackgroundColor = "#875A7B"
	DefaultButtonTextColor       = "#FFFFFF"
)

// DefaultChannelOptions returns the options a new channel starts with.
func DefaultChannelOptions() ChannelOptions {
	return ChannelOptions{
		ButtonText:            DefaultButtonText,
		ButtonBackgroundColor: DefaultButtonBackgroundColor,
		ButtonTextColor:       DefaultButtonTextColor,
		HeaderBackgroundColor: DefaultHeaderBackgroundColor,
		TitleColor:            DefaultTitleColor,
		DefaultMessage:        DefaultMessage,
	}
}

// Channel is a live chat channel: a widget configuration with its operators.
type Channel struct {
	ID                 int64
	Name               string
	Options            ChannelOptions
	Published          bool   // rating statistics shown on /livechat
	WebsiteDescription string // text on the public ratings page
	// AllowedDomains are the sites whose pages may use the widget: host
	// names, "*.example.com" for every subdomain; empty means any site.
	AllowedDomains []string
	// IdentitySecret signs visitor identities (HMAC-SHA256 of the host
	// site's user id); "" until an admin generates one. Never shown
	// outside the channel form and the regenerate call, never logged.
	IdentitySecret string
	// IdentityEnforce refuses chats whose visitor has no valid signature.
	IdentityEnforce bool
	// DefaultLanguage is the language the widget and the chat page speak
	// whatever the visitor's browser says ("es"); "" follows the browser.
	DefaultLanguage string
	// Texts are the button text, welcome message and placeholder in other
	// languages, by language tag; an empty text means the main one.
	Texts map[string]ChannelTexts
	// NotifyEmail receives the channel's offline messages and missed
	// conversations by mail; "" sends them to its operators.
	NotifyEmail string
	// Prechat is the form a visitor fills in before their first message.
	Prechat PrechatForm
	// PreferLanguage gives a new chat to an available operator who speaks
	// the visitor's language first, and to anyone available otherwise.
	PreferLanguage bool
	// ImageHash names the channel's uploaded image ("" when it has none).
	ImageHash string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FieldMode says whether the pre-chat form asks for a field and whether
// the visitor may leave it empty.
type FieldMode string

const (
	FieldOff      FieldMode = ""
	FieldOptional FieldMode = "optional"
	FieldRequired FieldMode = "required"
)

// PrechatForm is what a channel asks before a visitor's first message: a
// name, email and phone each off, optional or required, and a consent box
// (always required when asked) linking to the site's privacy page.
type PrechatForm struct {
	Name       FieldMode `json:"name"`
	Email      FieldMode `json:"email"`
	Phone      FieldMode `json:"phone"`
	Consent    bool      `json:"consent"`
	PrivacyURL string    `json:"privacy_url"`
}

// Enabled says whether the widget shows the form at all.
func (p PrechatForm) Enabled() bool {
	return p.Name != FieldOff || p.Email != FieldOff || p.Phone != FieldOff || p.Consent
}

// ChannelTexts are a channel's visitor-facing texts in one language.
type ChannelTexts struct {
	ButtonText       string `json:"button_text"`
	DefaultMessage   string `json:"default_message"`
	InputPlaceholder string `json:"input_placeholder"`
}

// IsZero says whether no text is set, so the main texts apply.
func (t ChannelTexts) IsZero() bool {
	return t.ButtonText == "" && t.DefaultMessage == "" && t.InputPlaceholder == ""
}

// ChannelSummary is a channel with the counts its dashboard card shows.
type ChannelSummary struct {
	Channel
	OperatorCount int
	SessionCount  int
	IsMember      bool // the viewing user is one of its operators
}

// FieldError says which input is wrong and why. Message is an English
// format string and Args its values, kept apart so the web layer can
// translate the format before filling it in.
type FieldError struct {
	Field   string
	Message string
	Args    []any
}

// Text is the English message with its values.
func (e *FieldError) Text() string {
	if len(e.Args) == 0 {
		return e.Message
	}
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		if fe, ok := a.(*FieldError); ok {
			a = fe.Text() // fmt would call Error, which names the field
		}
		args[i] = a
	}
	return fmt.Sprintf(e.Message, args...)
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Text() }

// I18nFormat gives the message and its values for translation, so a field
// error can be quoted inside another message ("Rule %d: %s").
func (e *FieldError) I18nFormat() (string, []any) { return e.Message, e.Args }

// String is the English text, for %s in an English message.
func (e *FieldError) String() string { return e.Text() }

// Sentinel errors the domain packages return and the web layer maps to
// 404 and 409; the store wraps them with context.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Refusal kinds pick the HTTP status a refusal gets.
type RefusalKind int

// The kinds of refusal.
const (
	Conflict    RefusalKind = iota // the record's state does not allow it (409)
	Forbidden                      // this user may not do it (403)
	NotFound                       // no such record, or not one this user may see (404)
	Unavailable                    // nobody or nothing can take it right now (409 too: the client may try later)
)

// Refusal is a domain rule saying no, in words for people: Message is an
// English format string and Args its values (translated like FieldError),
// Code a stable snake_case identifier for API clients.
type Refusal struct {
	Kind    RefusalKind
	Code    string
	Message string
	Args    []any
}

// Refuse builds a Refusal.
func Refuse(kind RefusalKind, code, msg string, args ...any) *Refusal {
	return &Refusal{Kind: kind, Code: code, Message: msg, Args: args}
}

func (e *Refusal) Error() string {
	if len(e.Args) == 0 {
		return e.Message
	}
	return fmt.Sprintf(e.Message, e.Args...)
}

// ErrStorage marks a failure of the storage itself (disk full, read-only
// or damaged database): the request may succeed later, so clients get 503
// with Retry-After, and /healthz reports it.
var ErrStorage = errors.New("storage unavailable")

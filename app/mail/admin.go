package mail

import (
	"context"
	"strconv"
	"strings"

	"parley/app/model"
	"parley/app/settings"
)

// Configuration ▸ Mail: the server settings an admin may override, each
// shown with the default it replaces, and the test mail.

// Field is one setting as the page shows it.
type Field struct {
	Key        string // the configuration key, "smtp.host"
	Value      string // the effective value; "" for the password
	Default    string // the file's or environment's value; "" for the password
	Overridden bool   // an admin saved a value
	Secret     bool
	HasValue   bool // for the password: one is set (never shown back)
}

// Settings are the mail settings as the page shows them.
type Settings struct {
	Host, Port, Username, Password, From, TLS Field
	Configured                                bool
}

// Settings returns the page's fields.
func (s *Service) Settings(ctx context.Context) (*Settings, error) {
	snap, err := s.over.Load(ctx, "smtp")
	if err != nil {
		return nil, err
	}
	c, d := effective(s.o.SMTP, snap), s.o.SMTP
	f := func(key, v, def string) Field {
		return Field{Key: key, Value: v, Default: def, Overridden: snap.Has(key)}
	}
	return &Settings{
		Host:       f(keyHost, c.Host, d.Host),
		Port:       f(keyPort, strconv.Itoa(c.Port), strconv.Itoa(d.Port)),
		Username:   f(keyUsername, c.Username, d.Username),
		Password:   Field{Key: keyPassword, Secret: true, Overridden: snap.Has(keyPassword), HasValue: c.Password != ""},
		From:       f(keyFrom, c.From, d.From),
		TLS:        f(keyTLS, c.TLS, d.TLS),
		Configured: c.Host != "",
	}, nil
}

// SettingsInput is the form: an empty field means "use the default"; an
// empty password keeps the one saved, unless ResetPassword.
type SettingsInput struct {
	Host, Port, Username, Password, From, TLS string
	ResetPassword                             bool
}

// SaveSettings validates and stores the admin's settings, applied to the
// next mail without a restart; mail waiting because none were set is sent.
func (s *Service) SaveSettings(ctx context.Context, actor *model.User, in SettingsInput) error {
	if actor == nil || !actor.IsAdmin() {
		return model.Refuse(model.Forbidden, "forbidden", "Only admins can change the mail settings.")
	}
	snap, err := s.over.Load(ctx, "smtp")
	if err != nil {
		return err
	}
	ch := settings.Change{Set: map[string]string{}}
	next := settings.Snapshot{}
	put := func(key, v string) {
		v = strings.TrimSpace(v)
		if v == "" {
			ch.Reset = append(ch.Reset, key)
			return
		}
		ch.Set[key], next[key] = v, v
	}
	put(keyHost, in.Host)
	if p := strings.TrimSpace(in.Port); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return &model.FieldError{Field: "port", Message: "The port must be a number between 1 and 65535."}
		}
	}
	put(keyPort, in.Port)
	put(keyUsername, in.Username)
	put(keyFrom, in.From)
	put(keyTLS, in.TLS)
	switch {
	case in.ResetPassword:
		ch.Reset = append(ch.Reset, keyPassword)
	case in.Password != "":
		ch.Set[keyPassword], next[keyPassword] = in.Password, in.Password
	case snap.Has(keyPassword):
		next[keyPassword] = snap[keyPassword]
	}
	if err := checkSMTP(effective(s.o.SMTP, next)); err != nil {
		return err
	}
	if err := s.over.Save(ctx, ch); err != nil {
		return err
	}
	s.cached.Store(nil)
	return s.ob.DueNow(ctx, Kind)
}

// SendTest sends a test mail to the admin now, through the saved settings,
// and returns the server's answer; a failure comes back as the server's
// error, for the admin to read.
func (s *Service) SendTest(ctx context.Context, actor *model.User) (string, error) {
	if actor == nil || !actor.IsAdmin() {
		return "", model.Refuse(model.Forbidden, "forbidden", "Only admins can change the mail settings.")
	}
	c, err := s.SMTP(ctx)
	if err != nil {
		return "", err
	}
	if c.Host == "" {
		return "", model.Refuse(model.Conflict, "mail_not_configured", "Set the SMTP server first: no mail can be sent without one.")
	}
	l := s.loc(userLang(actor))
	p := &page{Lang: l.Lang(), Title: l.T("Test mail from %s", s.o.SiteName()), Footer: s.footer(l),
		Intro: []string{l.T("This mail was sent from Configuration ▸ Mail: Parley can send mail through %s.", hostPort(c))}}
	m, err := p.message(l.T("Test mail from %s", s.o.SiteName()), actor.Email)
	if err != nil {
		return "", err
	}
	answer, err := send(ctx, c, m)
	if err != nil {
		return "", &SendError{Server: hostPort(c), Err: err}
	}
	return answer, nil
}

// SendError is a failed test mail: the server and what went wrong, shown
// to the admin as it is.
type SendError struct {
	Server string
	Err    error
}

func (e *SendError) Error() string { return e.Server + ": " + e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

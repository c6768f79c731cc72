package livechat

import (
	"context"
	"fmt"
	"html"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"parley/app/model"
)

// Operator commands: what an operator types passes OperatorInput, and text
// starting with "/" is a command, never a message: it is not stored, not
// sent to the visitor, and its answer goes to that operator only.

// Command is one operator command. Packages that own a feature (leads,
// helpdesk…) register theirs with Service.RegisterCommand.
type Command struct {
	Name    string   // without the slash: "help"
	Aliases []string // other names that run it: "ayuda"
	Help    string   // one line for the suggestion list, English source text
	Run     func(ctx context.Context, in CommandInput) (*CommandAnswer, error)
}

// CommandInput is one invocation.
type CommandInput struct {
	Session  *model.Session
	Operator *model.User
	Name     string // as typed, lower-cased, without the slash
	Args     string // the rest of the line, trimmed
	Text     Translator
}

// CommandAnswer is what the operator sees: the contract's
// {"command":{"name","ok","text","html"}}. HTML is escaped by whoever
// builds it and shown as is in the operator's window.
type CommandAnswer struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	Text string `json:"text"`
	HTML string `json:"html"`
}

// TextAnswer builds an answer whose HTML is its text, escaped.
func TextAnswer(name string, ok bool, text string) *CommandAnswer {
	return &CommandAnswer{Name: name, OK: ok, Text: text, HTML: html.EscapeString(text)}
}

// MaxCommandArgs bounds what a command takes after its name.
const MaxCommandArgs = 500

// Commands is the registry; safe for concurrent use.
type Commands struct {
	mu     sync.RWMutex
	byName map[string]*Command
	list   []*Command
	tips   []Tip
	expand Expander
}

// Tip is one line of /help about something typed in the composer besides
// commands (":shortcut", "@name"); features that add one register it.
type Tip struct {
	Help string // English source text
}

// Expander rewrites what an operator typed before it is posted (canned
// responses' ":shortcut"), in the operator's language lang.
type Expander func(ctx context.Context, lang, body string) (string, error)

func newCommands(s *Service) *Commands {
	c := &Commands{byName: map[string]*Command{}, tips: []Tip{
		{Help: "Type @name to mention someone: the message becomes an internal note that only operators see, and they are notified."},
		{Help: "Type #channel to link a channel's page."},
	}}
	// The commands that belong to the conversation itself; features add
	// theirs.
	// The seed's Spanish names work whatever the operator's language.
	c.mustRegister(Command{Name: "help", Aliases: []string{"ayuda"}, Help: "Show the commands you can use.", Run: c.help})
	c.mustRegister(Command{Name: "leave", Help: "Leave this conversation.", Run: func(ctx context.Context, in CommandInput) (*CommandAnswer, error) {
		if _, err := s.LeaveSession(ctx, in.Session, in.Operator); err != nil {
			return nil, err
		}
		return TextAnswer("leave", true, in.Text.T("You left the conversation.")), nil
	}})
	return c
}

// RegisterCommand adds a command; a name or alias already taken is an error.
func (s *Service) RegisterCommand(cmd Command) error { return s.commands.register(cmd) }

// RegisterHelpTip adds a line to /help's answer.
func (s *Service) RegisterHelpTip(t Tip) {
	s.commands.mu.Lock()
	defer s.commands.mu.Unlock()
	s.commands.tips = append(s.commands.tips, t)
}

// SetExpander installs what rewrites operators' messages before they are
// posted; call it while building the application, before any request.
func (s *Service) SetExpander(e Expander) { s.commands.expand = e }

// CommandList lists the commands for the "/" suggestion list, by name.
func (s *Service) CommandList() []Command { return s.commands.all() }

func (c *Commands) register(cmd Command) error {
	if cmd.Name == "" || cmd.Run == nil {
		return fmt.Errorf("livechat: command needs a name and a Run function")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	names := append([]string{cmd.Name}, cmd.Aliases...)
	for _, n := range names {
		if _, taken := c.byName[strings.ToLower(n)]; taken {
			return fmt.Errorf("livechat: command /%s is already registered", n)
		}
	}
	p := &cmd
	for _, n := range names {
		c.byName[strings.ToLower(n)] = p
	}
	c.list = append(c.list, p)
	sort.Slice(c.list, func(i, j int) bool { return c.list[i].Name < c.list[j].Name })
	return nil
}

func (c *Commands) mustRegister(cmd Command) {
	if err := c.register(cmd); err != nil {
		panic(err)
	}
}

func (c *Commands) all() []Command {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Command, len(c.list))
	for i, p := range c.list {
		out[i] = *p
	}
	return out
}

func (c *Commands) lookup(name string) *Command {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byName[name]
}

// help says who the operator is talking with, then what they can type:
// the tips features registered and every command with its help line.
func (c *Commands) help(_ context.Context, in CommandInput) (*CommandAnswer, error) {
	var text, h strings.Builder
	who := VisitorLabel(in.Text, in.Session.VisitorName, in.Session.VisitorID)
	line := func(s string) {
		text.WriteString(s + "\n")
		h.WriteString(html.EscapeString(s) + "<br>")
	}
	line(in.Text.T("You are in a private conversation with %s.", who))
	c.mu.RLock()
	tips := append([]Tip(nil), c.tips...)
	c.mu.RUnlock()
	for _, tip := range tips {
		line(translate(in.Text, tip.Help))
	}
	line(in.Text.T("Type /command to run a command:"))
	for _, cmd := range c.all() {
		names := "/" + cmd.Name
		for _, a := range cmd.Aliases {
			names += ", /" + a
		}
		fmt.Fprintf(&text, "%s — %s\n", names, translate(in.Text, cmd.Help))
		fmt.Fprintf(&h, "<b>%s</b> — %s<br>", html.EscapeString(names), html.EscapeString(translate(in.Text, cmd.Help)))
	}
	return &CommandAnswer{Name: "help", OK: true, Text: strings.TrimSuffix(text.String(), "\n"), HTML: h.String()}, nil
}

// translate renders a message held in a variable (vet rightly insists
// that format strings be constants where arguments follow).
func translate(t Translator, msg string) string {
	var none []any
	return t.T(msg, none...)
}

// ParseCommand splits "/name args" into its lower-cased name and trimmed
// arguments; ok is false when text is not a command.
func ParseCommand(text string) (name, args string, ok bool) {
	text = strings.TrimLeftFunc(text, unicode.IsSpace)
	rest, ok := strings.CutPrefix(text, "/")
	if !ok {
		return "", "", false
	}
	name, args, _ = strings.Cut(rest, " ")
	if i := strings.IndexAny(name, "\n\t"); i >= 0 {
		name, args = name[:i], name[i:]+" "+args
	}
	return strings.ToLower(name), strings.TrimSpace(args), true
}

// OperatorInput is what an operator typed in a conversation: a command
// runs and answers the operator alone; anything else is posted as their
// message. Exactly one of the results is non-nil on success.
func (s *Service) OperatorInput(ctx context.Context, x *model.Session, u *model.User, body, clientID string, t Translator) (*model.Message, *CommandAnswer, error) {
	if err := s.mayAct(x, u); err != nil {
		return nil, nil, err
	}
	if t == nil {
		t = s.text
	}
	name, args, ok := ParseCommand(body)
	if !ok {
		if s.commands.expand != nil {
			lang := ""
			if l, ok := t.(interface{ Lang() string }); ok {
				lang = l.Lang()
			}
			var err error
			if body, err = s.commands.expand(ctx, lang, body); err != nil {
				return nil, nil, err
			}
		}
		m, err := s.PostOperatorMessage(ctx, x, u, body, clientID)
		return m, nil, err
	}
	s.Presence.Activity(u.ID)
	cmd := s.commands.lookup(name)
	switch {
	case name == "":
		return nil, TextAnswer("", false, t.T("Type a command after the slash, such as /help.")), nil
	case cmd == nil:
		return nil, TextAnswer(name, false, t.T("Unknown command /%s. Type /help to see the commands you can use.", name)), nil
	case utf8.RuneCountInString(args) > MaxCommandArgs:
		return nil, TextAnswer(cmd.Name, false, t.T("That is too long for /%s: at most %d characters.", cmd.Name, MaxCommandArgs)), nil
	case x.Status != model.SessionOpen && cmd.Name != "help":
		return nil, TextAnswer(cmd.Name, false, t.T("This conversation has ended.")), nil
	}
	a, err := cmd.Run(ctx, CommandInput{Session: x, Operator: u, Name: name, Args: args, Text: t})
	if err != nil {
		return nil, nil, err
	}
	if a.Name == "" {
		a.Name = cmd.Name
	}
	return nil, a, nil
}

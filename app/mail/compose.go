package mail

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strings"
)

// A mail's content is described once (page) and rendered twice: as HTML
// through html/template, which escapes whatever visitors wrote, and as
// plain text.

//go:embed layout.html
var layoutHTML string

var layout = template.Must(template.New("mail").Parse(layoutHTML))

type fact struct{ Label, Value string }

type line struct {
	Time, Author, Body string
	Notice             bool
	Files              []fileLink
}

// fileLink is a file sent in a conversation, linked from a mail.
type fileLink struct{ Name, URL string }

type button struct{ Label, URL string }

type page struct {
	Lang   string
	Title  string
	Intro  []string
	Facts  []fact
	Quote  string
	Lines  []line
	Button button
	Outro  []string
	Footer string
}

func (p *page) html() (string, error) {
	var b bytes.Buffer
	if err := layout.Execute(&b, p); err != nil {
		return "", fmt.Errorf("mail: render: %w", err)
	}
	return b.String(), nil
}

func (p *page) text() string {
	var b strings.Builder
	b.WriteString(p.Title + "\n\n")
	for _, s := range p.Intro {
		b.WriteString(s + "\n\n")
	}
	for _, f := range p.Facts {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	if len(p.Facts) > 0 {
		b.WriteString("\n")
	}
	if p.Quote != "" {
		for _, l := range strings.Split(p.Quote, "\n") {
			b.WriteString("> " + l + "\n")
		}
		b.WriteString("\n")
	}
	for _, l := range p.Lines {
		if l.Notice {
			b.WriteString("[" + l.Time + "] " + l.Body + "\n")
			continue
		}
		b.WriteString("[" + l.Time + "] " + l.Author + ":\n")
		if l.Body != "" {
			for _, s := range strings.Split(l.Body, "\n") {
				b.WriteString("    " + s + "\n")
			}
		}
		for _, f := range l.Files {
			b.WriteString("    " + f.Name + ": " + f.URL + "\n")
		}
	}
	if len(p.Lines) > 0 {
		b.WriteString("\n")
	}
	if p.Button.URL != "" {
		b.WriteString(p.Button.Label + ": " + p.Button.URL + "\n\n")
	}
	for _, s := range p.Outro {
		b.WriteString(s + "\n\n")
	}
	b.WriteString("-- \n" + p.Footer + "\n")
	return b.String()
}

// message renders p to a Message for to.
func (p *page) message(subject string, to ...string) (*Message, error) {
	h, err := p.html()
	if err != nil {
		return nil, err
	}
	m := &Message{To: to, Subject: subject, Text: p.text(), HTML: h}
	return m, m.Validate()
}

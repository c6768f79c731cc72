// Package commands holds the operator commands that reach beyond the
// conversation itself (/history, /lead, /helpdesk, /helpdesk_search) and
// the canned responses operators insert with ":shortcut". The dispatcher
// they plug into is livechat's: a command's answer goes to the operator
// who typed it and never to the visitor.
package commands

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"parley/app/helpdesk"
	"parley/app/leads"
	"parley/app/livechat"
	"parley/app/model"
	"parley/app/store"
)

// HistoryLimit is how many distinct pages /history lists.
const HistoryLimit = 15

// SearchLimit is how many tickets /helpdesk_search lists.
const SearchLimit = 10

// Deps is what the commands work with.
type Deps struct {
	Store    *store.Store
	Livechat *livechat.Service
	Leads    *leads.Service
	Helpdesk *helpdesk.Service
	Canned   *Canned
	BaseURL  string // for the links in answers read outside the admin (API)
}

type cmds struct{ Deps }

// Register adds the commands, their Spanish aliases, the canned-response
// tip of /help and the ":shortcut" expansion to the live chat service.
func Register(d Deps) error {
	c := &cmds{d}
	for _, cmd := range []livechat.Command{
		{Name: "history", Aliases: []string{"historial"}, Help: "See the 15 last pages this visitor viewed.", Run: c.history},
		{Name: "lead", Aliases: []string{"iniciativa"}, Help: "Create a new lead (/lead lead title).", Run: c.lead},
		{Name: "helpdesk", Aliases: []string{"ticket"}, Help: "Create a new helpdesk ticket (/helpdesk ticket title).", Run: c.ticket},
		{Name: "helpdesk_search", Aliases: []string{"search_tickets"}, Help: "Search helpdesk tickets (/helpdesk_search keyword or ticket number).", Run: c.search},
	} {
		if err := d.Livechat.RegisterCommand(cmd); err != nil {
			return err
		}
	}
	d.Livechat.RegisterHelpTip(livechat.Tip{Help: "Type :shortcut to insert a canned response in your message."})
	d.Livechat.SetExpander(d.Canned.Expand)
	return nil
}

// history lists the visitor's latest distinct pages, as recorded by the
// server (so it works with the visitor's tab closed).
func (c *cmds) history(ctx context.Context, in livechat.CommandInput) (*livechat.CommandAnswer, error) {
	pages, err := c.Store.RecentPages(ctx, in.Session.VisitorID, HistoryLimit)
	if err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return livechat.TextAnswer("history", true, in.Text.T("No history found")), nil
	}
	var text, h strings.Builder
	h.WriteString("<ul>")
	for _, p := range pages {
		at := p.CreatedAt.UTC()
		fmt.Fprintf(&text, "%s %s\n", at.Format("15:04"), p.URL)
		label := p.URL
		if p.Title != "" {
			label = p.Title + " (" + p.URL + ")"
		}
		link := html.EscapeString(label)
		if safeURL(p.URL) {
			link = `<a href="` + html.EscapeString(p.URL) + `" target="_blank" rel="noopener noreferrer nofollow">` + link + `</a>`
		}
		fmt.Fprintf(&h, `<li><time datetime="%s" data-format="time">%s UTC</time> %s</li>`, at.Format(time.RFC3339), at.Format("15:04"), link)
	}
	h.WriteString("</ul>")
	return &livechat.CommandAnswer{Name: "history", OK: true, Text: strings.TrimSuffix(text.String(), "\n"), HTML: h.String()}, nil
}

func safeURL(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// lead creates a lead from the conversation, the operator as referrer.
func (c *cmds) lead(ctx context.Context, in livechat.CommandInput) (*livechat.CommandAnswer, error) {
	if in.Args == "" {
		return livechat.TextAnswer("lead", false, in.Text.T("Create a new lead: /lead lead title")), nil
	}
	l, err := c.Leads.CreateLead(ctx, in.Session.ID, in.Args, leads.Contact{}, leads.Options{ReferrerID: in.Operator.ID, Source: leads.SourceLiveChat})
	if err != nil {
		return refused("lead", in.Text, err)
	}
	return c.created("lead", in.Text.T("Created a new lead:"), fmt.Sprintf("/admin/leads/%d", l.ID), l.Title), nil
}

// ticket creates a ticket in the first live-chat helpdesk team.
func (c *cmds) ticket(ctx context.Context, in livechat.CommandInput) (*livechat.CommandAnswer, error) {
	if in.Args == "" {
		return ticketUsage("helpdesk", in), nil
	}
	k, err := c.Helpdesk.CreateTicket(ctx, in.Session.ID, in.Args, helpdesk.Contact{}, helpdesk.Options{CreatedBy: in.Operator.ID})
	if err != nil {
		return refused("helpdesk", in.Text, err)
	}
	return c.created("helpdesk", in.Text.T("Created a new ticket:"), fmt.Sprintf("/admin/helpdesk/tickets/%d", k.ID), k.Ref()+" "+k.Title), nil
}

func ticketUsage(name string, in livechat.CommandInput) *livechat.CommandAnswer {
	var text, h strings.Builder
	for _, s := range []string{
		in.Text.T("You are in a private conversation with %s.", livechat.VisitorLabel(in.Text, in.Session.VisitorName, in.Session.VisitorID)),
		in.Text.T("You can create a new ticket by typing /helpdesk ticket title."),
		in.Text.T("You can search tickets by typing /helpdesk_search keyword or /helpdesk_search ticket number."),
	} {
		text.WriteString(s + "\n")
		h.WriteString(html.EscapeString(s) + "<br>")
	}
	return &livechat.CommandAnswer{Name: name, OK: false, Text: strings.TrimSuffix(text.String(), "\n"), HTML: h.String()}
}

// search lists tickets matching a number or keywords.
func (c *cmds) search(ctx context.Context, in livechat.CommandInput) (*livechat.CommandAnswer, error) {
	if in.Args == "" {
		return ticketUsage("helpdesk_search", in), nil
	}
	found, err := c.Helpdesk.Search(ctx, in.Args, SearchLimit)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return livechat.TextAnswer("helpdesk_search", false, in.Text.T("No tickets found for %s. Make sure you are using the right format: /helpdesk_search keyword or /helpdesk_search ticket number", in.Args)), nil
	}
	intro := in.Text.T("We found some matched tickets related to the search query:")
	text, h := intro, html.EscapeString(intro)+"<br>"
	for _, k := range found {
		status := in.Text.T(helpdesk.StatusLabel(k.Status), []any{}...)
		path := "/admin/helpdesk/tickets/" + strconv.FormatInt(k.ID, 10)
		text += fmt.Sprintf("\n%s %s (%s) %s", k.Ref(), k.Title, status, c.BaseURL+path)
		h += fmt.Sprintf(`<a href="%s" target="_blank">%s %s</a> (%s)<br>`, path, html.EscapeString(k.Ref()), html.EscapeString(k.Title), html.EscapeString(status))
	}
	return &livechat.CommandAnswer{Name: "helpdesk_search", OK: true, Text: text, HTML: h}, nil
}

// created is the answer to a record made: the text with its absolute
// link, the HTML with a link into the admin.
func (c *cmds) created(name, intro, path, label string) *livechat.CommandAnswer {
	return &livechat.CommandAnswer{Name: name, OK: true,
		Text: intro + " " + label + " " + c.BaseURL + path,
		HTML: html.EscapeString(intro) + ` <a href="` + html.EscapeString(path) + `" target="_blank">` + html.EscapeString(label) + `</a>`}
}

// refused turns what a domain refused (a field error, a refusal) into an
// answer for the operator; anything else is a failure.
func refused(name string, t livechat.Translator, err error) (*livechat.CommandAnswer, error) {
	var fe *model.FieldError
	if errors.As(err, &fe) {
		msg, args := fe.I18nFormat()
		return livechat.TextAnswer(name, false, t.T(msg, args...)), nil
	}
	var re *model.Refusal
	if errors.As(err, &re) {
		return livechat.TextAnswer(name, false, t.T(re.Message, re.Args...)), nil
	}
	return nil, err
}

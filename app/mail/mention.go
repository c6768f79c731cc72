package mail

import (
	"context"

	"parley/app/livechat"
	"parley/app/model"
)

// MentionMails composes, for each user in to, the mail saying that author
// mentioned them in conversation x, with the note quoted. It implements
// livechat.MentionMailer: the mails are committed with the inbox entries.
func (s *Service) MentionMails(ctx context.Context, author *model.User, x *model.Session, note *model.Message, to []*model.User) ([]*model.OutboxItem, error) {
	var out []*model.OutboxItem
	for _, u := range to {
		if u.Email == "" || !u.Active {
			continue
		}
		l := s.loc(userLang(u))
		visitor := livechat.VisitorLabel(l, x.VisitorName, x.VisitorID)
		p := &page{Lang: l.Lang(), Title: l.T("%s mentioned you", author.DisplayChatName()), Footer: s.footer(l),
			Intro:  []string{l.T("%s mentioned you in a conversation with %s:", author.DisplayChatName(), visitor)},
			Quote:  note.Body,
			Outro:  []string{l.T("You get this mail because of your choice in My Profile.")},
			Button: button{Label: l.T("Open the conversation"), URL: s.o.BaseURL + "/admin/sessions/" + x.PublicID}}
		msg, err := p.message(l.T("%s mentioned you", clipRunes(author.DisplayChatName(), 100)), u.Email)
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

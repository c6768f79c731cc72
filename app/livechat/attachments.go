package livechat

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"parley/app/model"
)

// ErrNoFiles refuses uploads when no file store is configured.
var ErrNoFiles = model.Refuse(model.Conflict, "attachments_off", "Files cannot be sent here.")

var errNoSuchAttachment = model.Refuse(model.NotFound, "not_found", "This file does not exist.")

// FileInput is a file someone sends, with an optional caption.
type FileInput struct {
	Name     string
	Content  io.Reader
	Caption  string
	ClientID string
}

// storeFile checks and stores the file; the message that names it is
// committed next (a file whose message never commits is swept later).
func (s *Service) storeFile(x *model.Session, in FileInput) (*model.Attachment, error) {
	if s.files == nil {
		return nil, ErrNoFiles
	}
	if x.Status != model.SessionOpen {
		return nil, ErrSessionClosed
	}
	return s.files.Put(in.Name, in.Content)
}

// PostVisitorFile sends a file from the session's visitor.
func (s *Service) PostVisitorFile(ctx context.Context, x *model.Session, in FileInput) (*model.Message, error) {
	if s.bot != nil && botLeads(x) && x.Status == model.SessionOpen {
		// Checked before the file is stored: a refused file leaves nothing.
		if err := s.bot.CheckFile(ctx, x); err != nil {
			return nil, err
		}
	}
	a, err := s.storeFile(x, in)
	if err != nil {
		return nil, err
	}
	return s.post(ctx, x, &model.Message{AuthorKind: model.AuthorVisitor, AuthorName: x.VisitorName, Body: in.Caption, ClientID: in.ClientID, Attachments: []*model.Attachment{a}})
}

// PostOperatorFile sends a file from the conversation's operator (or an
// admin); like a typed reply it counts as activity and marks the chat read.
func (s *Service) PostOperatorFile(ctx context.Context, x *model.Session, u *model.User, in FileInput) (*model.Message, error) {
	if err := s.mayAct(x, u); err != nil {
		return nil, err
	}
	a, err := s.storeFile(x, in)
	if err != nil {
		return nil, err
	}
	s.Presence.Activity(u.ID)
	return s.post(ctx, x, &model.Message{AuthorKind: model.AuthorOperator, AuthorID: u.ID, AuthorName: u.DisplayChatName(), Body: in.Caption, ClientID: in.ClientID, Attachments: []*model.Attachment{a}})
}

// OpenAttachment opens a file of session x (thumb: its thumbnail) for one
// of its participants; the visitor never gets the files of operators'
// notes. Files of other sessions are not found.
func (s *Service) OpenAttachment(ctx context.Context, x *model.Session, id int64, thumb, visitor bool) (*model.Attachment, *os.File, error) {
	if s.files == nil {
		return nil, nil, errNoSuchAttachment
	}
	a, internal, err := s.st.SessionAttachment(ctx, x.ID, id)
	if errors.Is(err, model.ErrNotFound) || (err == nil && ((internal && visitor) || (thumb && !a.Thumbnail))) {
		return nil, nil, errNoSuchAttachment
	}
	if err != nil {
		return nil, nil, err
	}
	f, err := s.files.Open(a.Hash, thumb)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, errNoSuchAttachment
	}
	if err != nil {
		return nil, nil, fmt.Errorf("livechat: open attachment %d: %w", id, err)
	}
	return a, f, nil
}

// sweepFiles deletes the files no message names any more (after retention
// or an erasure); files younger than an hour may belong to an upload whose
// message is still being committed.
func (s *Service) sweepFiles(ctx context.Context) error {
	if s.files == nil {
		return nil
	}
	keep, err := s.st.AttachmentHashes(ctx)
	if err != nil {
		return err
	}
	_, err = s.files.Sweep(keep, time.Hour)
	return err
}

// Links in mail cannot carry the reader's token: they are signed instead
// with a key only the server knows, kept in the settings.
const attachmentKeySetting = "attachment_link_key"

func (s *Service) linkKey(ctx context.Context) ([]byte, error) {
	v, err := s.st.Setting(ctx, attachmentKeySetting)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, err
	}
	if v == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		v = hex.EncodeToString(b)
		if err := s.st.SetSetting(ctx, attachmentKeySetting, v); err != nil {
			return nil, err
		}
	}
	return []byte(v), nil
}

func (s *Service) linkSignature(ctx context.Context, id int64) (string, error) {
	key, err := s.linkKey(ctx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("attachment:" + strconv.FormatInt(id, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18]), nil
}

// AttachmentLink is an absolute link to a file for a mail: whoever has the
// mail may open it, as they may read the transcript in it.
func (s *Service) AttachmentLink(ctx context.Context, a *model.Attachment) (string, error) {
	sig, err := s.linkSignature(ctx, a.ID)
	if err != nil {
		return "", err
	}
	return s.baseURL + "/im_livechat/files/" + strconv.FormatInt(a.ID, 10) + "/" + sig, nil
}

// OpenSignedAttachment opens the file of a mailed link.
func (s *Service) OpenSignedAttachment(ctx context.Context, id int64, sig string) (*model.Attachment, *os.File, error) {
	want, err := s.linkSignature(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if s.files == nil || !hmac.Equal([]byte(sig), []byte(want)) {
		return nil, nil, errNoSuchAttachment
	}
	a, err := s.st.AttachmentByID(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil, errNoSuchAttachment
	}
	if err != nil {
		return nil, nil, err
	}
	f, err := s.files.Open(a.Hash, false)
	if err != nil {
		return nil, nil, errNoSuchAttachment
	}
	return a, f, nil
}

// AttachmentView is a file as clients see it. URL and ThumbnailURL are
// paths on this server under the API the reader uses; ThumbnailURL is
// empty when there is no preview.
type AttachmentView struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Size         int64  `json:"size"`
	ContentType  string `json:"content_type"`
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnail_url,omitempty"`
	Width        int    `json:"width,omitempty"`
	Height       int    `json:"height,omitempty"`
}

// API prefixes of attachment URLs, one per audience.
const (
	VisitorAPI  = "/im_livechat"
	AdminAPI    = "/admin/api"
	OperatorAPI = "/api/v1"
)

func attachmentViews(prefix, sessionID string, as []*model.Attachment) []AttachmentView {
	out := make([]AttachmentView, 0, len(as))
	for _, a := range as {
		u := prefix + "/sessions/" + sessionID + "/attachments/" + strconv.FormatInt(a.ID, 10)
		v := AttachmentView{ID: a.ID, Name: a.Name, Size: a.Size, ContentType: a.ContentType, URL: u, Width: a.Width, Height: a.Height}
		if a.Thumbnail {
			v.ThumbnailURL = u + "/thumbnail"
		}
		out = append(out, v)
	}
	return out
}

// At points the view's attachment URLs at another API (AdminAPI,
// OperatorAPI); views are made for the visitor API.
func (v MessageView) At(prefix string) MessageView {
	if len(v.Attachments) == 0 {
		return v
	}
	as := make([]AttachmentView, len(v.Attachments))
	for i, a := range v.Attachments {
		a.URL = prefix + strings.TrimPrefix(a.URL, VisitorAPI)
		if a.ThumbnailURL != "" {
			a.ThumbnailURL = prefix + strings.TrimPrefix(a.ThumbnailURL, VisitorAPI)
		}
		as[i] = a
	}
	v.Attachments = as
	return v
}

// ViewsAt points a list's attachment URLs at another API.
func ViewsAt(prefix string, vs []MessageView) []MessageView {
	for i := range vs {
		vs[i] = vs[i].At(prefix)
	}
	return vs
}

// FileLimits are what the widget and the composer tell senders.
func (s *Service) FileLimits() (maxBytes int64, ok bool) {
	if s.files == nil {
		return 0, false
	}
	return s.files.MaxBytes(), true
}

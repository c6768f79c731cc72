package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/attach"
	"parley/app/livechat"
	"parley/app/model"
)

// isUpload reports whether a request posts a file to a conversation; its
// body may be as large as an attachment.
func isUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/attachments") && strings.Contains(r.URL.Path, "/sessions/")
}

// fileInput reads the multipart form: the file in "file", an optional
// caption in "body" and the client's id in "client_id".
func fileInput(c echo.Context) (livechat.FileInput, func(), error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return livechat.FileInput{}, nil, userErr(http.StatusBadRequest, "invalid_file", "Choose a file to send.")
	}
	f, err := fh.Open()
	if err != nil {
		return livechat.FileInput{}, nil, err
	}
	return livechat.FileInput{Name: fh.Filename, Content: f, Caption: c.FormValue("body"), ClientID: c.FormValue("client_id")},
		func() { f.Close() }, nil
}

// fileError gives the refusals of a file their HTTP status: too large is
// 413, a type not allowed 415.
func (s *Server) fileError(c echo.Context, err error) error {
	var fe *model.FieldError
	if errors.As(err, &fe) && fe.Field == "file" {
		switch fe.Message {
		case attach.ErrTooLarge.Message:
			return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "file_too_large", Field: "file", Msg: fe.Message, Args: fe.Args}
		case attach.ErrType.Message:
			return &apiError{Status: http.StatusUnsupportedMediaType, Code: "file_type", Field: "file", Msg: fe.Message}
		}
	}
	return s.postError(c, err)
}

// visitorUpload sends a file from the visitor (multipart form).
func (s *Server) visitorUpload(c echo.Context) error {
	if err := check(c, s.limits.messagesPerIP, ipKey(c), s.limits.messagesPerToken, bearer(c)); err != nil {
		return err
	}
	x, err := s.visitorSession(c)
	if err != nil {
		return err
	}
	in, done, err := fileInput(c)
	if err != nil {
		return err
	}
	defer done()
	m, err := s.d.Livechat.PostVisitorFile(c.Request().Context(), x, in)
	if err != nil {
		return s.fileError(c, err)
	}
	return messageAnswer(c, postedStatus(m), livechat.NewMessageView(s.localizer(c), x, m))
}

// visitorAttachment serves a file of the visitor's conversation.
func (s *Server) visitorAttachment(c echo.Context) error {
	x, err := s.visitorSession(c)
	if err != nil {
		return err
	}
	return s.serveAttachment(c, x, true)
}

// opUpload sends a file from the operator (multipart form).
func (s *Server) opUpload(c echo.Context) error {
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	in, done, err := fileInput(c)
	if err != nil {
		return err
	}
	defer done()
	m, err := s.d.Livechat.PostOperatorFile(c.Request().Context(), x, userFrom(c), in)
	if err != nil {
		return s.fileError(c, err)
	}
	return messageAnswer(c, postedStatus(m), livechat.NewMessageView(s.localizer(c), x, m).At(apiPrefix(c)))
}

// opAttachment serves a file of a conversation the user may see.
func (s *Server) opAttachment(c echo.Context) error {
	x, err := s.operatorSession(c)
	if err != nil {
		return err
	}
	return s.serveAttachment(c, x, false)
}

// apiPrefix is the operator API this request came through, for the
// attachment URLs it answers with.
func apiPrefix(c echo.Context) string {
	if strings.HasPrefix(c.Request().URL.Path, livechat.OperatorAPI+"/") {
		return livechat.OperatorAPI
	}
	return livechat.AdminAPI
}

func (s *Server) serveAttachment(c echo.Context, x *model.Session, visitor bool) error {
	id, err := idParam(c, "aid")
	if err != nil {
		return err
	}
	thumb := strings.HasSuffix(c.Path(), "/thumbnail")
	a, f, err := s.d.Livechat.OpenAttachment(c.Request().Context(), x, id, thumb, visitor)
	if err != nil {
		return err
	}
	defer f.Close()
	ct := a.ContentType
	if thumb {
		ct = "image/jpeg"
	}
	return sendFile(c, a, ct, thumb, f)
}

// signedAttachment serves the file of a link in a mail.
func (s *Server) signedAttachment(c echo.Context) error {
	id, err := idParam(c, "aid")
	if err != nil {
		return err
	}
	a, f, err := s.d.Livechat.OpenSignedAttachment(c.Request().Context(), id, c.Param("sig"))
	if err != nil {
		return err
	}
	defer f.Close()
	return sendFile(c, a, a.ContentType, false, f)
}

// sendFile never lets a browser run what was uploaded: the type is the one
// read from the bytes, nosniff forbids guessing another, only raster
// pictures are shown inline, and a sandboxing CSP covers the rest.
func sendFile(c echo.Context, a *model.Attachment, ct string, thumb bool, f io.ReadSeeker) error {
	h := c.Response().Header()
	disp := "attachment"
	if thumb || attach.Inline(a.ContentType) {
		disp = "inline"
	}
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType(disp, map[string]string{"filename": a.Name}))
	h.Set(echo.HeaderContentType, ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	// The content never changes under an id; only participants may cache it.
	h.Set("Cache-Control", "private, max-age=86400")
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, f)
	return nil
}

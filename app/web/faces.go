package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"parley/app/livechat"
	"parley/app/model"
)

// Faces: operators upload a photo in My Profile, admins an image for a
// channel in its Options tab; the widget shows them. Pictures are served
// under their content hash with a year's cache; the stable addresses
// redirect there, so clients never hold a stale face for long.

const (
	immutableCache = "public, max-age=31536000, immutable"
	// faceRedirectCache is how long a browser may reuse the stable
	// address's answer: a new photo shows within this time.
	faceRedirectCache = "public, max-age=300"
)

// readPicture reads the uploaded file field; nil when the form asks to
// remove the picture.
func (s *Server) readPicture(c echo.Context, field string) ([]byte, error) {
	if c.FormValue("remove") != "" {
		return nil, nil
	}
	fh, err := c.FormFile(field)
	if err != nil {
		return nil, &model.FieldError{Field: field, Message: "Choose a picture to upload."}
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, s.d.Config.Limits.PictureBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if raw == nil {
		raw = []byte{} // an empty file is refused as one, not taken for "remove"
	}
	return raw, nil
}

// pictureSaved answers an upload: 204 for API clients, the page again
// with a note for the forms. A bad picture is 422 with the reason, shown
// as the error page (or JSON), and nothing stored.
func (s *Server) pictureSaved(c echo.Context, err error, back string) error {
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.NoContent(http.StatusNoContent)
	}
	s.setFlash(c, "ok", s.localizer(c).T("Saved"))
	return c.Redirect(http.StatusSeeOther, back)
}

// saveProfilePhoto is POST /admin/profile/photo (field "photo", or
// "remove").
func (s *Server) saveProfilePhoto(c echo.Context) error {
	raw, err := s.readPicture(c, "photo")
	if err == nil {
		err = s.d.Livechat.SetOperatorPhoto(c.Request().Context(), userFrom(c).ID, raw, s.d.Config.Limits.PictureBytes)
	}
	return s.pictureSaved(c, err, "/admin/profile")
}

// saveChannelImage is POST /admin/channels/{id}/image (field "image", or
// "remove").
func (s *Server) saveChannelImage(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	raw, err := s.readPicture(c, "image")
	if err == nil {
		err = s.d.Livechat.SetChannelImage(c.Request().Context(), id, raw, s.d.Config.Limits.PictureBytes)
	}
	return s.pictureSaved(c, err, fmt.Sprintf("/admin/channels/%d?tab=options", id))
}

// servePicture answers a picture's hashed address: the bytes when the
// hash is current (cached for a year), else a redirect to the current one.
func servePicture(c echo.Context, img []byte, current, stable string) error {
	if c.Param("hash") != current {
		c.Response().Header().Set(echo.HeaderCacheControl, faceRedirectCache)
		return c.Redirect(http.StatusFound, stable)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, immutableCache)
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, livechat.FaceContentType, img)
}

// operatorPhoto is GET /im_livechat/operator/{id}/avatar/{hash}.
func (s *Server) operatorPhoto(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	img, hash, err := s.d.Livechat.OperatorPhoto(c.Request().Context(), id)
	if errors.Is(err, model.ErrNotFound) {
		img, hash = nil, ""
	} else if err != nil {
		return err
	}
	return servePicture(c, img, hash, fmt.Sprintf("/im_livechat/operator/%d/avatar", id))
}

// channelImage is GET /im_livechat/channel/{id}/image/{hash}.
func (s *Server) channelImage(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	img, hash, err := s.d.Livechat.ChannelImage(c.Request().Context(), id)
	if errors.Is(err, model.ErrNotFound) {
		return userErr(http.StatusNotFound, "not_found", "This channel has no image.")
	}
	if err != nil {
		return err
	}
	return servePicture(c, img, hash, fmt.Sprintf("/im_livechat/channel/%d/image/%s", id, hash))
}

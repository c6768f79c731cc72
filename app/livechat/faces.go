package livechat

import (
	"context"
	"strconv"

	"parley/app/face"
)

// Faces: an operator's photo (My Profile) and a channel's image (Options
// tab), which the widget shows in its header. Uploads are checked and
// made into small squares by package face.

// FaceContentType is the type of every stored photo and channel image.
const FaceContentType = face.ContentType

// SetOperatorPhoto stores userID's photo from an upload of at most
// maxBytes; nil removes it (the initials come back).
func (s *Service) SetOperatorPhoto(ctx context.Context, userID int64, raw []byte, maxBytes int64) error {
	if raw == nil {
		return s.st.SetUserPhoto(ctx, userID, nil, "")
	}
	img, err := face.Make(raw, maxBytes, "photo")
	if err != nil {
		return err
	}
	return s.st.SetUserPhoto(ctx, userID, img.Data, img.Hash)
}

// OperatorPhoto returns an operator's photo and its hash; ErrNotFound when
// they have none.
func (s *Service) OperatorPhoto(ctx context.Context, userID int64) ([]byte, string, error) {
	return s.st.UserPhoto(ctx, userID)
}

// SetChannelImage stores a channel's image from an upload of at most
// maxBytes; nil removes it.
func (s *Service) SetChannelImage(ctx context.Context, channelID int64, raw []byte, maxBytes int64) error {
	var data []byte
	var hash string
	if raw != nil {
		img, err := face.Make(raw, maxBytes, "image")
		if err != nil {
			return err
		}
		data, hash = img.Data, img.Hash
	}
	if err := s.st.SetChannelImage(ctx, channelID, data, hash); err != nil {
		return err
	}
	s.invalidate(channelID) // init names the image
	return nil
}

// ChannelImage returns a channel's image and its hash; ErrNotFound when it
// has none.
func (s *Service) ChannelImage(ctx context.Context, channelID int64) ([]byte, string, error) {
	return s.st.ChannelImage(ctx, channelID)
}

// ChannelImageURL is where a channel's image is served, named by its hash
// so it can be cached for ever; "" when the channel has none.
func ChannelImageURL(baseURL string, channelID int64, hash string) string {
	if hash == "" {
		return ""
	}
	return baseURL + "/im_livechat/channel/" + strconv.FormatInt(channelID, 10) + "/image/" + hash
}

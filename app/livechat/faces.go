package livechat

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"parley/app/face"
	"parley/app/model"
)

// Faces: an operator's photo (My Profile) and a channel's image (Options
// tab), which the widget shows in its header. Uploads are checked and
// made into small squares by package face, and kept as files under the
// data directory named by their hash; the database holds the hash.

// FaceContentType is the type of every stored photo and channel image.
const FaceContentType = face.ContentType

var errNoFaces = errors.New("livechat: no face store configured")

// storeFace makes an upload into a face and stores its file; the hash may
// then be recorded.
func (s *Service) storeFace(raw []byte, maxBytes int64, field string) (string, error) {
	if s.faces == nil {
		return "", errNoFaces
	}
	img, err := face.Make(raw, maxBytes, field)
	if err != nil {
		return "", err
	}
	if err := s.faces.Put(img.Hash, img.Data); err != nil {
		return "", err
	}
	return img.Hash, nil
}

// SetOperatorPhoto stores userID's photo from an upload of at most
// maxBytes; nil removes it (the initials come back).
func (s *Service) SetOperatorPhoto(ctx context.Context, userID int64, raw []byte, maxBytes int64) error {
	var hash string
	if raw != nil {
		var err error
		if hash, err = s.storeFace(raw, maxBytes, "photo"); err != nil {
			return err
		}
	}
	if err := s.st.SetUserPhoto(ctx, userID, hash); err != nil {
		return err
	}
	return s.sweepFaces(ctx)
}

// OperatorPhoto returns an operator's photo and its hash; ErrNotFound when
// they have none.
func (s *Service) OperatorPhoto(ctx context.Context, userID int64) ([]byte, string, error) {
	hash, err := s.st.UserPhoto(ctx, userID)
	if err != nil {
		return nil, "", err
	}
	return s.readFace(hash)
}

// SetChannelImage stores a channel's image from an upload of at most
// maxBytes; nil removes it.
func (s *Service) SetChannelImage(ctx context.Context, channelID int64, raw []byte, maxBytes int64) error {
	var hash string
	if raw != nil {
		var err error
		if hash, err = s.storeFace(raw, maxBytes, "image"); err != nil {
			return err
		}
	}
	if err := s.st.SetChannelImage(ctx, channelID, hash); err != nil {
		return err
	}
	s.invalidate(channelID) // init names the image
	return s.sweepFaces(ctx)
}

// ChannelImage returns a channel's image and its hash; ErrNotFound when it
// has none.
func (s *Service) ChannelImage(ctx context.Context, channelID int64) ([]byte, string, error) {
	hash, err := s.st.ChannelImage(ctx, channelID)
	if err != nil {
		return nil, "", err
	}
	return s.readFace(hash)
}

func (s *Service) readFace(hash string) ([]byte, string, error) {
	if s.faces == nil {
		return nil, "", errNoFaces
	}
	b, err := s.faces.Read(hash)
	if errors.Is(err, fs.ErrNotExist) {
		// The database names a picture whose file is gone (restored
		// without data_dir/faces): the owner shows as having none — the
		// generated avatar stands in — rather than every page asking for
		// it getting an error.
		if _, seen := s.missingFaces.LoadOrStore(hash, true); !seen {
			s.log.Warn("a picture's file is missing; it is left out until uploaded again", "hash", hash)
		}
		return nil, "", fmt.Errorf("livechat: picture %s: %w", hash, model.ErrNotFound)
	}
	if err != nil {
		return nil, "", err
	}
	return b, hash, nil
}

// sweepFaces deletes the face files nothing names any more (a replaced or
// removed photo); files younger than an hour may belong to an upload whose
// hash is being recorded.
func (s *Service) sweepFaces(ctx context.Context) error {
	keep, err := s.st.FaceHashes(ctx)
	if err != nil {
		return err
	}
	_, err = s.faces.Sweep(keep, time.Hour)
	return err
}

// MoveFacesOut writes the faces an older version kept in the database to
// files, then drops their bytes from the database: each is dropped only
// once its file is on disk, so a crash midway loses none and the next
// start goes on. It returns how many moved.
func (s *Service) MoveFacesOut(ctx context.Context) (int, error) {
	if s.faces == nil {
		return 0, errNoFaces
	}
	moved := 0
	for {
		blobs, err := s.st.FaceBlobs(ctx, 50)
		if err != nil || len(blobs) == 0 {
			return moved, err
		}
		progress := false
		for _, b := range blobs {
			hash := face.HashOf(b.Data)
			if err := s.faces.Put(hash, b.Data); err != nil {
				return moved, fmt.Errorf("livechat: move faces out: %w", err)
			}
			cleared, err := s.st.ClearFaceBlob(ctx, b, hash)
			if err != nil {
				return moved, err
			}
			if cleared {
				moved++
				progress = true
			}
		}
		if !progress { // the same faces again: something else keeps writing them
			return moved, errors.New("livechat: move faces out: the database keeps the faces")
		}
	}
}

// ChannelImageURL is where a channel's image is served, named by its hash
// so it can be cached for ever; "" when the channel has none.
func ChannelImageURL(baseURL string, channelID int64, hash string) string {
	if hash == "" {
		return ""
	}
	return baseURL + "/im_livechat/channel/" + strconv.FormatInt(channelID, 10) + "/image/" + hash
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Faces: operators' photos and channels' images, small processed JPEGs.

// SetUserPhoto stores a user's photo and its hash; nil removes it.
func (s *Store) SetUserPhoto(ctx context.Context, userID int64, img []byte, hash string) error {
	return s.setFace(ctx, `UPDATE users SET photo = ?, photo_hash = ? WHERE id = ?`, "user", userID, img, hash)
}

// UserPhoto returns a user's photo and its hash; ErrNotFound when they have none.
func (s *Store) UserPhoto(ctx context.Context, userID int64) ([]byte, string, error) {
	return s.face(ctx, `SELECT photo, photo_hash FROM users WHERE id = ? AND photo IS NOT NULL`, "user", userID)
}

// SetChannelImage stores a channel's image and its hash; nil removes it.
func (s *Store) SetChannelImage(ctx context.Context, channelID int64, img []byte, hash string) error {
	return s.setFace(ctx, `UPDATE channels SET image = ?, image_hash = ? WHERE id = ?`, "channel", channelID, img, hash)
}

// ChannelImage returns a channel's image and its hash; ErrNotFound when it has none.
func (s *Store) ChannelImage(ctx context.Context, channelID int64) ([]byte, string, error) {
	return s.face(ctx, `SELECT image, image_hash FROM channels WHERE id = ? AND image IS NOT NULL`, "channel", channelID)
}

func (s *Store) setFace(ctx context.Context, query, what string, id int64, img []byte, hash string) error {
	var v any
	if img != nil {
		v = img
	} else {
		hash = ""
	}
	res, err := s.exec(ctx, query, v, hash, id)
	if err != nil {
		return fmt.Errorf("store: %s %d picture: %w", what, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: %s %d picture: %w", what, id, ErrNotFound)
	}
	return nil
}

func (s *Store) face(ctx context.Context, query, what string, id int64) ([]byte, string, error) {
	var img []byte
	var hash string
	err := s.r.QueryRowContext(ctx, query, id).Scan(&img, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", fmt.Errorf("store: %s %d picture: %w", what, id, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: %s %d picture: %w", what, id, err)
	}
	return img, hash, nil
}

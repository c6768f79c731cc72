package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Faces: operators' photos and channels' images, small processed JPEGs
// kept as files named by their hash; the database holds the hash. Before,
// the bytes were kept here (migration 00022): FaceBlobs finds those left
// and ClearFaceBlob drops each once its file is written.

// SetUserPhoto records the hash of a user's photo; "" removes it.
func (s *Store) SetUserPhoto(ctx context.Context, userID int64, hash string) error {
	return s.setFace(ctx, `UPDATE users SET photo = NULL, photo_hash = ? WHERE id = ?`, "user", userID, hash)
}

// UserPhoto returns the hash of a user's photo; ErrNotFound when they have
// none.
func (s *Store) UserPhoto(ctx context.Context, userID int64) (string, error) {
	return s.face(ctx, `SELECT photo_hash FROM users WHERE id = ? AND photo_hash <> ''`, "user", userID)
}

// SetChannelImage records the hash of a channel's image; "" removes it.
func (s *Store) SetChannelImage(ctx context.Context, channelID int64, hash string) error {
	return s.setFace(ctx, `UPDATE channels SET image = NULL, image_hash = ? WHERE id = ?`, "channel", channelID, hash)
}

// ChannelImage returns the hash of a channel's image; ErrNotFound when it
// has none.
func (s *Store) ChannelImage(ctx context.Context, channelID int64) (string, error) {
	return s.face(ctx, `SELECT image_hash FROM channels WHERE id = ? AND image_hash <> ''`, "channel", channelID)
}

func (s *Store) setFace(ctx context.Context, query, what string, id int64, hash string) error {
	res, err := s.exec(ctx, query, hash, id)
	if err != nil {
		return fmt.Errorf("store: %s %d picture: %w", what, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: %s %d picture: %w", what, id, ErrNotFound)
	}
	return nil
}

func (s *Store) face(ctx context.Context, query, what string, id int64) (string, error) {
	var hash string
	err := s.r.QueryRowContext(ctx, query, id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: %s %d picture: %w", what, id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: %s %d picture: %w", what, id, err)
	}
	return hash, nil
}

// FaceHashes are the hashes of every photo and channel image in use.
func (s *Store) FaceHashes(ctx context.Context) (map[string]bool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT photo_hash FROM users WHERE photo_hash <> ''
		UNION SELECT image_hash FROM channels WHERE image_hash <> ''`)
	if err != nil {
		return nil, fmt.Errorf("store: face hashes: %w", err)
	}
	defer rows.Close()
	keep := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("store: face hashes: %w", err)
		}
		keep[h] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: face hashes: %w", err)
	}
	return keep, nil
}

// FaceBlob is a photo or channel image still kept in the database.
type FaceBlob struct {
	Channel bool // a channel's image; a user's photo otherwise
	ID      int64
	Data    []byte
}

// FaceBlobs returns the faces still kept in the database, at most limit.
func (s *Store) FaceBlobs(ctx context.Context, limit int) ([]FaceBlob, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT 0, id, photo FROM users WHERE photo IS NOT NULL
		UNION ALL SELECT 1, id, image FROM channels WHERE image IS NOT NULL LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: face blobs: %w", err)
	}
	defer rows.Close()
	var out []FaceBlob
	for rows.Next() {
		var b FaceBlob
		if err := rows.Scan(&b.Channel, &b.ID, &b.Data); err != nil {
			return nil, fmt.Errorf("store: face blobs: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: face blobs: %w", err)
	}
	return out, nil
}

// ClearFaceBlob drops a face's bytes from the database once its file is
// stored under hash, unless the face changed meanwhile; it says whether
// it did.
func (s *Store) ClearFaceBlob(ctx context.Context, b FaceBlob, hash string) (bool, error) {
	q := `UPDATE users SET photo = NULL, photo_hash = ? WHERE id = ? AND photo = ?`
	if b.Channel {
		q = `UPDATE channels SET image = NULL, image_hash = ? WHERE id = ? AND image = ?`
	}
	res, err := s.exec(ctx, q, hash, b.ID, b.Data)
	if err != nil {
		return false, fmt.Errorf("store: clear face blob: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

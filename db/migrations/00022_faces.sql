-- +goose Up
-- Faces: an operator's photo and a channel's image, processed to a small
-- square JPEG on upload; the hash of the bytes goes into their URL, so
-- browsers keep them for a year and fetch a new one when it changes.
ALTER TABLE users ADD COLUMN photo BLOB;
ALTER TABLE users ADD COLUMN photo_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN image BLOB;
ALTER TABLE channels ADD COLUMN image_hash TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE channels DROP COLUMN image_hash;
ALTER TABLE channels DROP COLUMN image;
ALTER TABLE users DROP COLUMN photo_hash;
ALTER TABLE users DROP COLUMN photo;

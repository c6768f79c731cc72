-- +goose Up
-- People who leave are deactivated, never deleted: their chats, messages
-- and ratings keep naming them, while they can no longer log in or take
-- new chats.
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE users ADD COLUMN deactivated_at INTEGER;

-- +goose Down
ALTER TABLE users DROP COLUMN deactivated_at;
ALTER TABLE users DROP COLUMN active;

-- +goose Up
-- Whether a channel gives a new chat to an available operator who speaks
-- the visitor's language before the others.
ALTER TABLE channels ADD COLUMN prefer_language INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE channels DROP COLUMN prefer_language;

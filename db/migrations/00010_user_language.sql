-- +goose Up
-- The language a user reads the admin in ("es"); empty follows the
-- browser's Accept-Language.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN language;

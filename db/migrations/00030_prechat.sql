-- +goose Up
-- A channel's pre-chat form (which fields it asks, which it requires, the
-- privacy page its consent box links to) as JSON; '{}' asks nothing.
ALTER TABLE channels ADD COLUMN prechat TEXT NOT NULL DEFAULT '{}';
-- The phone number a visitor gave in the pre-chat form.
ALTER TABLE visitors ADD COLUMN phone TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE visitors DROP COLUMN phone;
ALTER TABLE channels DROP COLUMN prechat;

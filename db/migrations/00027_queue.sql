-- +goose Up
-- A chat that comes while every operator is at their maximum waits for one:
-- queued_at is when it began waiting, assigned_at when an operator took it
-- (both NULL for a chat assigned at once).
ALTER TABLE chat_sessions ADD COLUMN queued_at INTEGER;
ALTER TABLE chat_sessions ADD COLUMN assigned_at INTEGER;
-- The waiting line of each channel, oldest first: read when an operator
-- frees up and to tell each waiting visitor their place.
CREATE INDEX chat_sessions_waiting ON chat_sessions(channel_id, queued_at, id)
    WHERE status = 'open' AND queued_at IS NOT NULL AND assigned_at IS NULL;

-- +goose Down
DROP INDEX chat_sessions_waiting;
ALTER TABLE chat_sessions DROP COLUMN assigned_at;
ALTER TABLE chat_sessions DROP COLUMN queued_at;

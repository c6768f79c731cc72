-- +goose Up
-- An operator's own maximum of concurrent chats; 0 takes the channel's.
ALTER TABLE users ADD COLUMN max_chats INTEGER NOT NULL DEFAULT 0;

-- A conversation opened while every operator was at their maximum waits
-- without an operator from queued_at; assigned_at is when one took it, so
-- the reports can tell the waiting time.
ALTER TABLE chat_sessions ADD COLUMN queued_at INTEGER;
ALTER TABLE chat_sessions ADD COLUMN assigned_at INTEGER;
CREATE INDEX chat_sessions_queue ON chat_sessions(channel_id, queued_at) WHERE queued_at IS NOT NULL AND assigned_at IS NULL AND status = 'open';
CREATE INDEX chat_sessions_open_operator ON chat_sessions(operator_id) WHERE status = 'open';

-- +goose Down
DROP INDEX chat_sessions_open_operator;
DROP INDEX chat_sessions_queue;
ALTER TABLE chat_sessions DROP COLUMN assigned_at;
ALTER TABLE chat_sessions DROP COLUMN queued_at;
ALTER TABLE users DROP COLUMN max_chats;

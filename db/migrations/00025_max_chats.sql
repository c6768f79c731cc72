-- +goose Up
-- An operator's own maximum of concurrent chats; 0 takes the channel's.
ALTER TABLE users ADD COLUMN max_chats INTEGER NOT NULL DEFAULT 0;
-- Counting an operator's open conversations, on every new chat.
CREATE INDEX chat_sessions_open_operator ON chat_sessions(operator_id) WHERE status = 'open';

-- +goose Down
DROP INDEX chat_sessions_open_operator;
ALTER TABLE users DROP COLUMN max_chats;

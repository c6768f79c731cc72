-- +goose Up
-- One open session per visitor and channel: two tabs starting a chat at the
-- same moment must end up in the same conversation.
CREATE UNIQUE INDEX chat_sessions_one_open ON chat_sessions(visitor_id, channel_id) WHERE status = 'open';

-- +goose Down
DROP INDEX chat_sessions_one_open;

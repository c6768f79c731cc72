-- +goose Up
-- A client may name each message it posts (client_id, unique per session
-- and side): a retried POST whose first answer was lost returns the message
-- already stored instead of storing it twice.
ALTER TABLE messages ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX messages_client_id ON messages(session_id, author_kind, client_id) WHERE client_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_client_id;
ALTER TABLE messages DROP COLUMN client_id;

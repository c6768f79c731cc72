-- +goose Up
-- Files sent in conversations: the bytes live on disk under their content
-- hash; a row links a message to one. Deleting the message (retention,
-- erasure) deletes the row, and the file goes when no row names its hash.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    hash         TEXT NOT NULL,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    thumbnail    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attachments_message ON attachments (message_id);

-- +goose Down
DROP TABLE attachments;

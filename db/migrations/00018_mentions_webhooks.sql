-- +goose Up
-- Internal notes: an operator's message that mentions someone is for
-- operators only; the visitor's reads and pushes leave it out.
ALTER TABLE messages ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;

-- The inbox in the admin header: one row per mention of a user.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    author     TEXT    NOT NULL,   -- the author's name then
    session_id INTEGER REFERENCES chat_sessions(id) ON DELETE CASCADE,
    message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, id);

-- Webhooks: each new lead (ticket) of a team is POSTed to its URL, signed
-- with HMAC-SHA256 under its secret; '' means no webhook.
ALTER TABLE sales_teams ADD COLUMN webhook_url TEXT NOT NULL DEFAULT '';
ALTER TABLE sales_teams ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE helpdesk_teams ADD COLUMN webhook_url TEXT NOT NULL DEFAULT '';
ALTER TABLE helpdesk_teams ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE helpdesk_teams DROP COLUMN webhook_secret;
ALTER TABLE helpdesk_teams DROP COLUMN webhook_url;
ALTER TABLE sales_teams DROP COLUMN webhook_secret;
ALTER TABLE sales_teams DROP COLUMN webhook_url;
DROP TABLE notifications;
ALTER TABLE messages DROP COLUMN internal;

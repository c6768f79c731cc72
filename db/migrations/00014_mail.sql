-- +goose Up
-- One-time links inviting a new user to set their password; only the
-- SHA-256 of the link's token is kept.
CREATE TABLE user_invites (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX user_invites_user ON user_invites(user_id);

-- Where a channel's offline messages and missed conversations are mailed
-- ('' mails the channel's operators).
ALTER TABLE channels ADD COLUMN notify_email TEXT NOT NULL DEFAULT '';

-- When the operators were told nobody answered the conversation, so they
-- are told once.
ALTER TABLE chat_sessions ADD COLUMN missed_mailed_at INTEGER;

-- +goose Down
ALTER TABLE chat_sessions DROP COLUMN missed_mailed_at;
ALTER TABLE channels DROP COLUMN notify_email;
DROP TABLE user_invites;

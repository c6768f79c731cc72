-- +goose Up
-- Times are Unix milliseconds (UTC): compact, sortable, unambiguous.

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT    NOT NULL,
    chat_name      TEXT    NOT NULL DEFAULT '',  -- "Online Chat Name" shown to visitors; falls back to name
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'operator')),
    password_hash  TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    last_login_at  INTEGER
);

-- Server-side login sessions; id is the SHA-256 of the cookie value, so a
-- copy of the database does not hand out live cookies.
CREATE TABLE login_sessions (
    id           TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX login_sessions_user ON login_sessions(user_id);
CREATE INDEX login_sessions_expires ON login_sessions(expires_at);

-- API tokens for /api/v1; stored hashed, shown once at creation.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,           -- last characters, to recognise a token in the list
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE channels (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    button_text             TEXT    NOT NULL,
    default_message         TEXT    NOT NULL,
    input_placeholder       TEXT    NOT NULL DEFAULT '',
    header_background_color TEXT    NOT NULL,
    title_color             TEXT    NOT NULL,
    button_background_color TEXT    NOT NULL,
    button_text_color       TEXT    NOT NULL,
    published               INTEGER NOT NULL DEFAULT 0,
    website_description     TEXT    NOT NULL DEFAULT '',
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);

CREATE TABLE channel_operators (
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_operators_user ON channel_operators(user_id);

-- +goose Down
DROP TABLE channel_operators;
DROP TABLE channels;
DROP TABLE settings;
DROP TABLE api_tokens;
DROP TABLE login_sessions;
DROP TABLE users;

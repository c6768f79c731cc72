-- +goose Up
-- Visitors are the people on the customers' websites; they authenticate
-- with a random bearer token kept in their browser's localStorage.
CREATE TABLE visitors (
    id               INTEGER PRIMARY KEY,
    token_hash       TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL DEFAULT '',   -- set by the host page (Parley.setVisitor); else "Website Visitor #<id>"
    email            TEXT    NOT NULL DEFAULT '',
    country          TEXT    NOT NULL DEFAULT '',   -- ISO code from GeoIP
    last_operator_id INTEGER REFERENCES users(id) ON DELETE SET NULL, -- preferred for the next chat (§2.3)
    current_url      TEXT    NOT NULL DEFAULT '',
    current_title    TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL
);
CREATE INDEX visitors_last_seen ON visitors(last_seen_at);

CREATE TABLE page_views (
    id         INTEGER PRIMARY KEY,
    visitor_id INTEGER NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    url        TEXT    NOT NULL,
    title      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX page_views_visitor ON page_views(visitor_id, id);

-- A live chat session ("conversation"). Ratings, chatbots and leads add
-- their columns in their own migrations.
CREATE TABLE chat_sessions (
    id              INTEGER PRIMARY KEY,
    public_id       TEXT    NOT NULL UNIQUE,  -- opaque id used in URLs
    channel_id      INTEGER REFERENCES channels(id) ON DELETE SET NULL, -- history outlives a deleted channel
    visitor_id      INTEGER NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    operator_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    operator_name   TEXT    NOT NULL DEFAULT '',  -- the chat name visitors saw, kept for history
    visitor_name    TEXT    NOT NULL,
    country         TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    url             TEXT    NOT NULL DEFAULT '',  -- page where the chat started
    title           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    closed_at       INTEGER,
    last_message_at INTEGER,
    message_count   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX chat_sessions_operator ON chat_sessions(operator_id, status, created_at);
CREATE INDEX chat_sessions_visitor ON chat_sessions(visitor_id, status);
CREATE INDEX chat_sessions_channel ON chat_sessions(channel_id, created_at);
CREATE INDEX chat_sessions_created ON chat_sessions(created_at);

-- Messages; the id is the resume cursor clients pass as ?after=.
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    author_kind TEXT    NOT NULL CHECK (author_kind IN ('visitor', 'operator', 'bot', 'system')),
    author_id   INTEGER,   -- the user for operator messages
    author_name TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX messages_session ON messages(session_id, id);

-- How far each operator has read each session, for unread counts.
CREATE TABLE session_reads (
    session_id   INTEGER NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_read_id INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

-- Messages left while no operator was available.
CREATE TABLE offline_messages (
    id         INTEGER PRIMARY KEY,
    channel_id INTEGER REFERENCES channels(id) ON DELETE SET NULL,
    visitor_id INTEGER REFERENCES visitors(id) ON DELETE SET NULL,
    name       TEXT    NOT NULL DEFAULT '',
    email      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    url        TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    handled_at INTEGER,
    handled_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX offline_messages_created ON offline_messages(handled_at, created_at);

-- +goose Down
DROP TABLE offline_messages;
DROP TABLE session_reads;
DROP TABLE messages;
DROP TABLE chat_sessions;
DROP TABLE page_views;
DROP TABLE visitors;

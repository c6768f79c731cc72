-- +goose Up
-- How a channel takes chats beyond its widget's looks: office hours with an
-- away message, and the operators' default maximum of concurrent chats.
-- A channel without a row is always open and sets no maximum.
CREATE TABLE channel_routing (
    channel_id    INTEGER PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    hours_enabled INTEGER NOT NULL DEFAULT 0,
    timezone      TEXT    NOT NULL DEFAULT '',  -- IANA name; '' is UTC
    hours         TEXT    NOT NULL DEFAULT '',  -- one opening a line: "Mon 09:00-17:00"
    holidays      TEXT    NOT NULL DEFAULT '',  -- one date a line: "2025-12-25"
    away_message  TEXT    NOT NULL DEFAULT '',
    max_chats     INTEGER NOT NULL DEFAULT 0,   -- 0: no maximum
    updated_at    INTEGER NOT NULL
);

-- +goose Down
DROP TABLE channel_routing;

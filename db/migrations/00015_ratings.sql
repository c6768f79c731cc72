-- +goose Up
-- The visitor's rating of a conversation: one per session, replaced when
-- the visitor changes their mind on the closing screen (§1.8).
CREATE TABLE ratings (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL UNIQUE REFERENCES chat_sessions(id) ON DELETE CASCADE,
    channel_id  INTEGER REFERENCES channels(id) ON DELETE SET NULL,
    operator_id INTEGER REFERENCES users(id) ON DELETE SET NULL, -- who was rated
    rating      INTEGER NOT NULL CHECK (rating IN (1, 3, 5)),
    reason      TEXT    NOT NULL DEFAULT '',
    internal    INTEGER NOT NULL DEFAULT 0, -- "Visible internally only": never on public pages
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- The public page's last feedbacks, newest first, without the internal ones.
CREATE INDEX ratings_channel_public ON ratings(channel_id, internal, updated_at);
-- The report's periods, with or without a channel or operator.
CREATE INDEX ratings_updated ON ratings(updated_at);
CREATE INDEX ratings_operator ON ratings(operator_id, updated_at);

-- The session's current rating, so session reads need no join.
ALTER TABLE chat_sessions ADD COLUMN rating INTEGER;

-- Public rating counts per channel and operator, kept by the triggers
-- below in the same transaction as the rating, so the public page reads a
-- handful of rows instead of counting every rating (operator_id 0: the
-- session had no operator, or the user was deleted).
CREATE TABLE rating_counts (
    channel_id   INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    operator_id  INTEGER NOT NULL,
    satisfied    INTEGER NOT NULL DEFAULT 0,
    neutral      INTEGER NOT NULL DEFAULT 0,
    dissatisfied INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, operator_id)
) WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER ratings_count_insert AFTER INSERT ON ratings
WHEN NEW.internal = 0 AND NEW.channel_id IS NOT NULL
BEGIN
    INSERT INTO rating_counts (channel_id, operator_id, satisfied, neutral, dissatisfied)
    VALUES (NEW.channel_id, COALESCE(NEW.operator_id, 0), NEW.rating = 5, NEW.rating = 3, NEW.rating = 1)
    ON CONFLICT (channel_id, operator_id) DO UPDATE SET
        satisfied = satisfied + excluded.satisfied,
        neutral = neutral + excluded.neutral,
        dissatisfied = dissatisfied + excluded.dissatisfied;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER ratings_count_delete AFTER DELETE ON ratings
WHEN OLD.internal = 0 AND OLD.channel_id IS NOT NULL
BEGIN
    UPDATE rating_counts SET
        satisfied = satisfied - (OLD.rating = 5),
        neutral = neutral - (OLD.rating = 3),
        dissatisfied = dissatisfied - (OLD.rating = 1)
    WHERE channel_id = OLD.channel_id AND operator_id = COALESCE(OLD.operator_id, 0);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER ratings_count_update AFTER UPDATE OF rating, internal, channel_id, operator_id ON ratings
BEGIN
    UPDATE rating_counts SET
        satisfied = satisfied - (OLD.rating = 5),
        neutral = neutral - (OLD.rating = 3),
        dissatisfied = dissatisfied - (OLD.rating = 1)
    WHERE OLD.internal = 0 AND channel_id = OLD.channel_id AND operator_id = COALESCE(OLD.operator_id, 0);
    INSERT INTO rating_counts (channel_id, operator_id, satisfied, neutral, dissatisfied)
    SELECT NEW.channel_id, COALESCE(NEW.operator_id, 0), NEW.rating = 5, NEW.rating = 3, NEW.rating = 1
    WHERE NEW.internal = 0 AND NEW.channel_id IS NOT NULL
    ON CONFLICT (channel_id, operator_id) DO UPDATE SET
        satisfied = satisfied + excluded.satisfied,
        neutral = neutral + excluded.neutral,
        dissatisfied = dissatisfied + excluded.dissatisfied;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER ratings_count_update;
DROP TRIGGER ratings_count_delete;
DROP TRIGGER ratings_count_insert;
DROP TABLE rating_counts;
ALTER TABLE chat_sessions DROP COLUMN rating;
DROP TABLE ratings;

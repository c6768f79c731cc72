-- +goose Up
-- How many open conversations each operator holds, kept by triggers on
-- every path that opens, assigns, hands over, closes or deletes a session.
-- Routing read it by counting the open sessions of each candidate at every
-- visitor's arrival: with thousands of live chats that count was most of
-- the cost of starting one.
CREATE TABLE operator_open_chats (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    open    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO operator_open_chats (user_id, open)
    SELECT operator_id, count(*) FROM chat_sessions
    WHERE status = 'open' AND operator_id IS NOT NULL GROUP BY operator_id;

-- +goose StatementBegin
CREATE TRIGGER operator_open_insert AFTER INSERT ON chat_sessions
WHEN NEW.status = 'open' AND NEW.operator_id IS NOT NULL
BEGIN
    INSERT INTO operator_open_chats (user_id, open) VALUES (NEW.operator_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET open = open + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER operator_open_update AFTER UPDATE OF status, operator_id ON chat_sessions
WHEN (OLD.status = 'open' AND OLD.operator_id IS NOT NULL) OR (NEW.status = 'open' AND NEW.operator_id IS NOT NULL)
BEGIN
    UPDATE operator_open_chats SET open = open - 1
    WHERE OLD.status = 'open' AND user_id = OLD.operator_id;
    INSERT INTO operator_open_chats (user_id, open)
    SELECT NEW.operator_id, 1 WHERE NEW.status = 'open' AND NEW.operator_id IS NOT NULL
    ON CONFLICT (user_id) DO UPDATE SET open = open + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER operator_open_delete AFTER DELETE ON chat_sessions
WHEN OLD.status = 'open' AND OLD.operator_id IS NOT NULL
BEGIN
    UPDATE operator_open_chats SET open = open - 1 WHERE user_id = OLD.operator_id;
END;
-- +goose StatementEnd

-- The conversations each operator closed lately: with the open ones they
-- make the load that routing balances (closed_at is written once).
CREATE INDEX chat_sessions_closed_operator ON chat_sessions(operator_id, closed_at) WHERE status = 'closed';

-- +goose Down
DROP INDEX chat_sessions_closed_operator;
DROP TRIGGER operator_open_delete;
DROP TRIGGER operator_open_update;
DROP TRIGGER operator_open_insert;
DROP TABLE operator_open_chats;

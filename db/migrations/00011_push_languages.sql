-- +goose Up
-- What the system says in a conversation is pushed live in each reader's
-- language: the visitor's browser language when the chat started, and for
-- operators who follow their browser, the browser language of their last
-- login.
ALTER TABLE chat_sessions ADD COLUMN visitor_language TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN browser_language TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN browser_language;
ALTER TABLE chat_sessions DROP COLUMN visitor_language;

-- +goose Up
-- Reports read one row per session instead of every message: the chat's
-- figures (messages that are part of the chat, when it began and ended,
-- the operator's first reply) are kept on the session as messages arrive.
-- Messages are never edited, only deleted with their session.
ALTER TABLE chat_sessions ADD COLUMN chat_messages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chat_sessions ADD COLUMN chat_first_at INTEGER;
ALTER TABLE chat_sessions ADD COLUMN chat_last_at INTEGER;
ALTER TABLE chat_sessions ADD COLUMN first_reply_at INTEGER;

UPDATE chat_sessions SET
    chat_messages  = (SELECT count(*) FROM messages m WHERE m.session_id = chat_sessions.id AND m.author_kind <> 'system' AND m.internal = 0),
    chat_first_at  = (SELECT min(created_at) FROM messages m WHERE m.session_id = chat_sessions.id AND m.author_kind <> 'system' AND m.internal = 0),
    chat_last_at   = (SELECT max(created_at) FROM messages m WHERE m.session_id = chat_sessions.id AND m.author_kind <> 'system' AND m.internal = 0),
    first_reply_at = (SELECT min(created_at) FROM messages m WHERE m.session_id = chat_sessions.id AND m.author_kind = 'operator' AND m.internal = 0);

-- Notes (internal) and system lines are not part of the chat.
-- +goose StatementBegin
CREATE TRIGGER messages_report AFTER INSERT ON messages
WHEN NEW.author_kind <> 'system' AND NEW.internal = 0
BEGIN
    UPDATE chat_sessions SET
        chat_messages  = chat_messages + 1,
        chat_first_at  = min(COALESCE(chat_first_at, NEW.created_at), NEW.created_at),
        chat_last_at   = max(COALESCE(chat_last_at, NEW.created_at), NEW.created_at),
        first_reply_at = CASE WHEN NEW.author_kind = 'operator'
                              THEN min(COALESCE(first_reply_at, NEW.created_at), NEW.created_at)
                              ELSE first_reply_at END
    WHERE id = NEW.session_id;
END;
-- +goose StatementEnd

-- Every report and the weekly digest filter answered sessions by period;
-- this index holds all they read, so they never touch the table.
CREATE INDEX chat_sessions_report ON chat_sessions(created_at, channel_id, operator_id, country, visitor_language,
    chat_messages, chat_first_at, chat_last_at, first_reply_at, rating)
    WHERE chat_messages > 0 AND operator_id IS NOT NULL;

-- The digest's missed conversations: sessions of the week nobody answered,
-- with or without an operator.
CREATE INDEX chat_sessions_unanswered ON chat_sessions(created_at) WHERE chat_messages > 0 AND first_reply_at IS NULL;

-- My Profile: admins may turn the weekly digest off.
ALTER TABLE users ADD COLUMN digest_mail INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE users DROP COLUMN digest_mail;
DROP INDEX chat_sessions_unanswered;
DROP INDEX chat_sessions_report;
DROP TRIGGER messages_report;
ALTER TABLE chat_sessions DROP COLUMN first_reply_at;
ALTER TABLE chat_sessions DROP COLUMN chat_last_at;
ALTER TABLE chat_sessions DROP COLUMN chat_first_at;
ALTER TABLE chat_sessions DROP COLUMN chat_messages;

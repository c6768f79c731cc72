-- +goose Up
-- Session Statistics show how long visitors waited in the queue: the
-- report index now also holds when a session began waiting and when an
-- operator took it, so the reports still never touch the table.
DROP INDEX chat_sessions_report;
CREATE INDEX chat_sessions_report ON chat_sessions(created_at, channel_id, operator_id, country, visitor_language,
    chat_messages, chat_first_at, chat_last_at, first_reply_at, rating, queued_at, assigned_at)
    WHERE chat_messages > 0 AND operator_id IS NOT NULL;

-- +goose Down
DROP INDEX chat_sessions_report;
CREATE INDEX chat_sessions_report ON chat_sessions(created_at, channel_id, operator_id, country, visitor_language,
    chat_messages, chat_first_at, chat_last_at, first_reply_at, rating)
    WHERE chat_messages > 0 AND operator_id IS NOT NULL;

-- +goose Up
-- Reports group by day, channel and operator (then country and language)
-- in the order of this index, so SQLite aggregates while it walks the index
-- instead of sorting every session of the period first; weeks, months and
-- totals are added up from those groups. It replaces chat_sessions_report,
-- which led with the exact creation time and so made every grouping sort.
-- It holds the queue's times too (00028), for the average wait.
CREATE INDEX chat_sessions_report_day ON chat_sessions(created_at / 86400000, channel_id, operator_id, country, visitor_language,
    created_at, chat_messages, chat_first_at, chat_last_at, first_reply_at, rating, queued_at, assigned_at)
    WHERE chat_messages > 0 AND operator_id IS NOT NULL;
DROP INDEX chat_sessions_report;

-- +goose Down
CREATE INDEX chat_sessions_report ON chat_sessions(created_at, channel_id, operator_id, country, visitor_language,
    chat_messages, chat_first_at, chat_last_at, first_reply_at, rating, queued_at, assigned_at)
    WHERE chat_messages > 0 AND operator_id IS NOT NULL;
DROP INDEX chat_sessions_report_day;

-- +goose Up
-- The report indexes hold closed sessions only. Every chat message
-- updates its session's figures (chat_messages, chat_last_at, …), and an
-- index holding them was rewritten with each message: both report indexes
-- and the unanswered one were a quarter of a message's share of a commit.
-- A closed session's figures no longer change (but for its rating), so it
-- enters the indexes once, when it closes; reports add the open sessions,
-- a few at any time, read through chat_sessions_open_operator. The digest's
-- count of unanswered sessions reads a period's sessions by creation time.
-- The status ends each index only so that a query naming it (as it must,
-- to use a partial index on it) still reads the index alone.
DROP INDEX chat_sessions_report_day;
DROP INDEX chat_sessions_report_hour;
DROP INDEX chat_sessions_unanswered;

CREATE INDEX chat_sessions_report_day ON chat_sessions(created_at / 86400000, channel_id, operator_id, country, visitor_language,
    created_at, chat_messages, chat_first_at, chat_last_at, first_reply_at, rating, queued_at, assigned_at, status)
    WHERE status = 'closed' AND chat_messages > 0 AND operator_id IS NOT NULL;

CREATE INDEX chat_sessions_report_hour ON chat_sessions(created_at / 3600000, channel_id, operator_id, country, visitor_language,
    created_at, chat_messages, chat_first_at, chat_last_at, first_reply_at, rating, queued_at, assigned_at, status)
    WHERE status = 'closed' AND chat_messages > 0 AND operator_id IS NOT NULL;

-- +goose Down
DROP INDEX chat_sessions_report_day;
DROP INDEX chat_sessions_report_hour;

CREATE INDEX chat_sessions_report_day ON chat_sessions(created_at / 86400000, channel_id, operator_id, country, visitor_language,
    created_at, chat_messages, chat_first_at, chat_last_at, first_reply_at, rating, queued_at, assigned_at)
    WHERE chat_messages > 0 AND operator_id IS NOT NULL;

CREATE INDEX chat_sessions_report_hour ON chat_sessions(created_at / 3600000, channel_id, operator_id, country, visitor_language,
    created_at, chat_messages, chat_first_at, chat_last_at, first_reply_at, rating, queued_at, assigned_at)
    WHERE chat_messages > 0 AND operator_id IS NOT NULL;

CREATE INDEX chat_sessions_unanswered ON chat_sessions(created_at) WHERE chat_messages > 0 AND first_reply_at IS NULL;

-- +goose Up
-- Reports by hour of the day (and the weekly digest's busiest hours) group
-- by the hour counted from the epoch in the order of this index, as the
-- others do by day in chat_sessions_report_day, instead of sorting every
-- session of the period by hour; days, weeks, months and hours of the day
-- are added up from those groups.
CREATE INDEX chat_sessions_report_hour ON chat_sessions(created_at / 3600000, channel_id, operator_id, country, visitor_language,
    created_at, chat_messages, chat_first_at, chat_last_at, first_reply_at, rating, queued_at, assigned_at)
    WHERE chat_messages > 0 AND operator_id IS NOT NULL;

-- +goose Down
DROP INDEX chat_sessions_report_hour;

-- +goose Up
-- A message's report counts are kept by the statement that already
-- updates its session for every message (last_message_at, message_count)
-- instead of a trigger updating the same row a second time: the second
-- rewrite of a wide row, and the trigger program around it, were a tenth of
-- a message's share of a commit. Messages are inserted in one place
-- (store.InsertMessages); the rating notice is a system line, which
-- reports never counted.
DROP TRIGGER messages_report;

-- +goose Down
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

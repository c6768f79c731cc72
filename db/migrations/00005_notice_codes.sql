-- +goose Up
-- What the system says in a conversation is stored as a code with
-- arguments, rendered in the viewer's language when shown; so is the label
-- of a visitor without a name ("Website Visitor #<id>"), which is now an
-- empty name rendered from the visitor's id.
ALTER TABLE messages ADD COLUMN notice TEXT; -- JSON {"code": "...", "args": {...}}; NULL for chat messages

UPDATE messages SET body = '', notice = json_object('code', 'stale_closed')
WHERE author_kind = 'system' AND body = 'This conversation was closed after a long pause; the visitor started a new one.';

UPDATE messages SET notice = json_object('code', 'visitor_left', 'args', json_object(
        'visitor', CASE WHEN substr(body, 1, length(body) - 27) = 'Website Visitor #' || x.visitor_id
                        THEN '' ELSE substr(body, 1, length(body) - 27) END,
        'visitor_id', CAST(x.visitor_id AS TEXT))),
    body = ''
FROM chat_sessions x
WHERE x.id = messages.session_id AND messages.author_kind = 'system' AND messages.body LIKE '% has left the conversation.';

-- Anything else a system message said is kept word for word.
UPDATE messages SET notice = json_object('code', 'text', 'args', json_object('text', body)), body = ''
WHERE author_kind = 'system' AND notice IS NULL;

UPDATE messages SET author_name = ''
FROM chat_sessions x
WHERE x.id = messages.session_id AND messages.author_kind = 'visitor' AND messages.author_name = 'Website Visitor #' || x.visitor_id;

UPDATE chat_sessions SET visitor_name = '' WHERE visitor_name = 'Website Visitor #' || visitor_id;

-- +goose Down
UPDATE chat_sessions SET visitor_name = 'Website Visitor #' || visitor_id WHERE visitor_name = '';
UPDATE messages SET author_name = 'Website Visitor #' || x.visitor_id
FROM chat_sessions x
WHERE x.id = messages.session_id AND messages.author_kind = 'visitor' AND messages.author_name = '';
UPDATE messages SET body = CASE json_extract(notice, '$.code')
        WHEN 'stale_closed' THEN 'This conversation was closed after a long pause; the visitor started a new one.'
        WHEN 'visitor_left' THEN COALESCE(NULLIF(json_extract(notice, '$.args.visitor'), ''), 'Website Visitor #' || json_extract(notice, '$.args.visitor_id')) || ' has left the conversation.'
        WHEN 'text' THEN json_extract(notice, '$.args.text')
        ELSE json_extract(notice, '$.code') END
WHERE author_kind = 'system' AND notice IS NOT NULL;
ALTER TABLE messages DROP COLUMN notice;

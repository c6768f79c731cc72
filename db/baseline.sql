-- The schema every migration leaves, for a fresh database (see db.go).
-- Generated from the migrations; do not edit. After adding a migration:
--   go test ./db -run TestBaselineIsTheMigrations -update

CREATE TABLE goose_db_version (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		version_id INTEGER NOT NULL,
		is_applied INTEGER NOT NULL,
		tstamp TIMESTAMP DEFAULT (datetime('now'))
	);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT    NOT NULL,
    chat_name      TEXT    NOT NULL DEFAULT '',  -- "Online Chat Name" shown to visitors; falls back to name
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'operator')),
    password_hash  TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    last_login_at  INTEGER
, active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)), deactivated_at INTEGER, must_change_password INTEGER NOT NULL DEFAULT 0, language TEXT NOT NULL DEFAULT '', browser_language TEXT NOT NULL DEFAULT '', mention_mail INTEGER NOT NULL DEFAULT 1, photo BLOB, photo_hash TEXT NOT NULL DEFAULT '', max_chats INTEGER NOT NULL DEFAULT 0, digest_mail INTEGER NOT NULL DEFAULT 1);

CREATE TABLE login_sessions (
    id           TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX login_sessions_user ON login_sessions(user_id);

CREATE INDEX login_sessions_expires ON login_sessions(expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,           -- last characters, to recognise a token in the list
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE channels (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    button_text             TEXT    NOT NULL,
    default_message         TEXT    NOT NULL,
    input_placeholder       TEXT    NOT NULL DEFAULT '',
    header_background_color TEXT    NOT NULL,
    title_color             TEXT    NOT NULL,
    button_background_color TEXT    NOT NULL,
    button_text_color       TEXT    NOT NULL,
    published               INTEGER NOT NULL DEFAULT 0,
    website_description     TEXT    NOT NULL DEFAULT '',
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
, allowed_domains TEXT NOT NULL DEFAULT '', identity_secret TEXT NOT NULL DEFAULT '', identity_enforce INTEGER NOT NULL DEFAULT 0, default_language TEXT NOT NULL DEFAULT '', texts TEXT NOT NULL DEFAULT '{}', notify_email TEXT NOT NULL DEFAULT '', image BLOB, image_hash TEXT NOT NULL DEFAULT '', prechat TEXT NOT NULL DEFAULT '{}', prefer_language INTEGER NOT NULL DEFAULT 0);

CREATE TABLE channel_operators (
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);

CREATE INDEX channel_operators_user ON channel_operators(user_id);

CREATE TABLE channel_rules (
    id                          INTEGER PRIMARY KEY,
    channel_id                  INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    sequence                    INTEGER NOT NULL DEFAULT 10,
    action                      TEXT    NOT NULL CHECK (action IN ('display_button', 'display_button_and_text', 'auto_popup', 'hide_button')),
    regex_url                   TEXT    NOT NULL DEFAULT '',
    auto_popup_timer            INTEGER NOT NULL DEFAULT 0 CHECK (auto_popup_timer >= 0),
    chatbot_id                  INTEGER,  -- chatbot scripts arrive in a later migration
    chatbot_only_if_no_operator INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX channel_rules_channel ON channel_rules(channel_id, sequence, id);

CREATE TABLE channel_rule_countries (
    rule_id INTEGER NOT NULL REFERENCES channel_rules(id) ON DELETE CASCADE,
    country TEXT    NOT NULL CHECK (length(country) = 2),
    PRIMARY KEY (rule_id, country)
);

CREATE TABLE visitors (
    id               INTEGER PRIMARY KEY,
    token_hash       TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL DEFAULT '',   -- set by the host page (Parley.setVisitor); else "Website Visitor #<id>"
    email            TEXT    NOT NULL DEFAULT '',
    country          TEXT    NOT NULL DEFAULT '',   -- ISO code from GeoIP
    last_operator_id INTEGER REFERENCES users(id) ON DELETE SET NULL, -- preferred for the next chat (§2.3)
    current_url      TEXT    NOT NULL DEFAULT '',
    current_title    TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL
, external_id TEXT NOT NULL DEFAULT '', verified_at INTEGER, language TEXT NOT NULL DEFAULT '', visits INTEGER NOT NULL DEFAULT 1, page_since INTEGER NOT NULL DEFAULT 0, phone TEXT NOT NULL DEFAULT '');

CREATE INDEX visitors_last_seen ON visitors(last_seen_at);

CREATE TABLE page_views (
    id         INTEGER PRIMARY KEY,
    visitor_id INTEGER NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    url        TEXT    NOT NULL,
    title      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE INDEX page_views_visitor ON page_views(visitor_id, id);

CREATE TABLE chat_sessions (
    id              INTEGER PRIMARY KEY,
    public_id       TEXT    NOT NULL UNIQUE,  -- opaque id used in URLs
    channel_id      INTEGER REFERENCES channels(id) ON DELETE SET NULL, -- history outlives a deleted channel
    visitor_id      INTEGER NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
    operator_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    operator_name   TEXT    NOT NULL DEFAULT '',  -- the chat name visitors saw, kept for history
    visitor_name    TEXT    NOT NULL,
    country         TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    url             TEXT    NOT NULL DEFAULT '',  -- page where the chat started
    title           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    closed_at       INTEGER,
    last_message_at INTEGER,
    message_count   INTEGER NOT NULL DEFAULT 0
, visitor_language TEXT NOT NULL DEFAULT '', missed_mailed_at INTEGER, rating INTEGER, chatbot_id INTEGER REFERENCES chatbots(id) ON DELETE SET NULL, chatbot_name TEXT NOT NULL DEFAULT '', chatbot_state TEXT NOT NULL DEFAULT '', chatbot_step_id INTEGER, chatbot_answers TEXT NOT NULL DEFAULT '[]', chatbot_email TEXT NOT NULL DEFAULT '', chatbot_phone TEXT NOT NULL DEFAULT '', chat_messages INTEGER NOT NULL DEFAULT 0, chat_first_at INTEGER, chat_last_at INTEGER, first_reply_at INTEGER, queued_at INTEGER, assigned_at INTEGER);

CREATE INDEX chat_sessions_operator ON chat_sessions(operator_id, status, created_at);

CREATE INDEX chat_sessions_visitor ON chat_sessions(visitor_id, status);

CREATE INDEX chat_sessions_channel ON chat_sessions(channel_id, created_at);

CREATE INDEX chat_sessions_created ON chat_sessions(created_at);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    author_kind TEXT    NOT NULL CHECK (author_kind = 'visitor' OR author_kind = 'operator' OR author_kind = 'bot' OR author_kind = 'system'),
    author_id   INTEGER,   -- the user for operator messages
    author_name TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
, notice TEXT, client_id TEXT, internal INTEGER NOT NULL DEFAULT 0, step TEXT, answer_id INTEGER);

CREATE INDEX messages_session ON messages(session_id, id);

CREATE TABLE session_reads (
    session_id   INTEGER NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_read_id INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

CREATE TABLE offline_messages (
    id         INTEGER PRIMARY KEY,
    channel_id INTEGER REFERENCES channels(id) ON DELETE SET NULL,
    visitor_id INTEGER REFERENCES visitors(id) ON DELETE SET NULL,
    name       TEXT    NOT NULL DEFAULT '',
    email      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    url        TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    handled_at INTEGER,
    handled_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);

CREATE INDEX offline_messages_created ON offline_messages(handled_at, created_at);

CREATE UNIQUE INDEX chat_sessions_one_open ON chat_sessions(visitor_id, channel_id) WHERE status = 'open';

CREATE UNIQUE INDEX messages_client_id ON messages(session_id, author_kind, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,              -- "mail", "webhook", …: which handler delivers it
    ref             TEXT    NOT NULL DEFAULT '',   -- what it is about, for lookups ("session:42")
    payload         TEXT    NOT NULL,              -- JSON the handler understands
    status          TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    done_at         INTEGER
);

CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE INDEX outbox_ref ON outbox(kind, ref);

CREATE TABLE user_invites (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE INDEX user_invites_user ON user_invites(user_id);

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

CREATE INDEX ratings_channel_public ON ratings(channel_id, internal, updated_at);

CREATE INDEX ratings_updated ON ratings(updated_at);

CREATE INDEX ratings_operator ON ratings(operator_id, updated_at);

CREATE TABLE rating_counts (
    channel_id   INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    operator_id  INTEGER NOT NULL,
    satisfied    INTEGER NOT NULL DEFAULT 0,
    neutral      INTEGER NOT NULL DEFAULT 0,
    dissatisfied INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, operator_id)
) WITHOUT ROWID;

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

CREATE TRIGGER ratings_count_delete AFTER DELETE ON ratings
WHEN OLD.internal = 0 AND OLD.channel_id IS NOT NULL
BEGIN
    UPDATE rating_counts SET
        satisfied = satisfied - (OLD.rating = 5),
        neutral = neutral - (OLD.rating = 3),
        dissatisfied = dissatisfied - (OLD.rating = 1)
    WHERE channel_id = OLD.channel_id AND operator_id = COALESCE(OLD.operator_id, 0);
END;

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

CREATE TABLE sales_teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,   -- archived teams keep their leads
    created_at INTEGER NOT NULL
, webhook_url TEXT NOT NULL DEFAULT '', webhook_secret TEXT NOT NULL DEFAULT '');

CREATE TABLE leads (
    id           INTEGER PRIMARY KEY,
    title        TEXT    NOT NULL,
    contact_name TEXT    NOT NULL DEFAULT '',
    email        TEXT    NOT NULL DEFAULT '',
    phone        TEXT    NOT NULL DEFAULT '',
    country      TEXT    NOT NULL DEFAULT '',  -- ISO code
    team_id      INTEGER REFERENCES sales_teams(id) ON DELETE SET NULL,
    stage        TEXT    NOT NULL DEFAULT 'new' CHECK (stage IN ('new', 'qualified', 'won', 'lost')),
    notes        TEXT    NOT NULL DEFAULT '',  -- internal notes; the transcript when created from a chat
    source       TEXT    NOT NULL DEFAULT '',  -- "Live Chat", "Chatbot"
    session_id   INTEGER REFERENCES chat_sessions(id) ON DELETE SET NULL,
    referrer_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- the operator who created it
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE INDEX leads_stage ON leads(stage, id);

CREATE INDEX leads_session ON leads(session_id);

CREATE TABLE helpdesk_teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    sequence   INTEGER NOT NULL DEFAULT 10,  -- priority: the lowest takes /helpdesk tickets first
    live_chat  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
, webhook_url TEXT NOT NULL DEFAULT '', webhook_secret TEXT NOT NULL DEFAULT '');

CREATE TABLE tickets (
    id           INTEGER PRIMARY KEY,
    number       INTEGER NOT NULL UNIQUE,
    title        TEXT    NOT NULL,
    team_id      INTEGER REFERENCES helpdesk_teams(id) ON DELETE SET NULL,
    status       TEXT    NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'in_progress', 'solved', 'cancelled')),
    description  TEXT    NOT NULL DEFAULT '',
    contact_name TEXT    NOT NULL DEFAULT '',
    email        TEXT    NOT NULL DEFAULT '',
    phone        TEXT    NOT NULL DEFAULT '',
    session_id   INTEGER REFERENCES chat_sessions(id) ON DELETE SET NULL,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE INDEX tickets_team ON tickets(team_id, id);

CREATE TABLE canned_responses (
    id           INTEGER PRIMARY KEY,
    shortcut     TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    substitution TEXT    NOT NULL,
    texts        TEXT    NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL
);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    author     TEXT    NOT NULL,   -- the author's name then
    session_id INTEGER REFERENCES chat_sessions(id) ON DELETE CASCADE,
    message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);

CREATE INDEX notifications_user ON notifications(user_id, id);

CREATE TABLE chatbots (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    language   TEXT    NOT NULL DEFAULT 'en',
    image      BLOB,                          -- uploaded picture; NULL: a generated avatar
    image_type TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE chatbot_steps (
    id         INTEGER PRIMARY KEY,
    chatbot_id INTEGER NOT NULL REFERENCES chatbots(id) ON DELETE CASCADE,
    sequence   INTEGER NOT NULL,
    step_type  TEXT    NOT NULL CHECK (step_type IN ('text', 'question_selection', 'question_email', 'question_phone',
                   'forward_operator', 'free_input_single', 'free_input_multi', 'create_lead', 'create_ticket')),
    message    TEXT    NOT NULL DEFAULT '{}',
    team_id    INTEGER                         -- sales or helpdesk team of create steps
);

CREATE INDEX chatbot_steps_chatbot ON chatbot_steps(chatbot_id, sequence, id);

CREATE TABLE chatbot_answers (
    id            INTEGER PRIMARY KEY,
    step_id       INTEGER NOT NULL REFERENCES chatbot_steps(id) ON DELETE CASCADE,
    sequence      INTEGER NOT NULL,
    label         TEXT    NOT NULL DEFAULT '{}',
    redirect_link TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX chatbot_answers_step ON chatbot_answers(step_id, sequence, id);

CREATE TABLE chatbot_step_only_if (
    step_id   INTEGER NOT NULL REFERENCES chatbot_steps(id) ON DELETE CASCADE,
    answer_id INTEGER NOT NULL REFERENCES chatbot_answers(id) ON DELETE CASCADE,
    PRIMARY KEY (step_id, answer_id)
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    hash         TEXT NOT NULL,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    thumbnail    INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE channel_routing (
    channel_id    INTEGER PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    hours_enabled INTEGER NOT NULL DEFAULT 0,
    timezone      TEXT    NOT NULL DEFAULT '',  -- IANA name; '' is UTC
    hours         TEXT    NOT NULL DEFAULT '',  -- one opening a line: "Mon 09:00-17:00"
    holidays      TEXT    NOT NULL DEFAULT '',  -- one date a line: "2025-12-25"
    away_message  TEXT    NOT NULL DEFAULT '',
    max_chats     INTEGER NOT NULL DEFAULT 0,   -- 0: no maximum
    updated_at    INTEGER NOT NULL
);

CREATE INDEX chat_sessions_open_operator ON chat_sessions(operator_id) WHERE status = 'open';

CREATE INDEX chat_sessions_waiting ON chat_sessions(channel_id, queued_at, id)
    WHERE status = 'open' AND queued_at IS NOT NULL AND assigned_at IS NULL;

CREATE TABLE operator_open_chats (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    open    INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER operator_open_insert AFTER INSERT ON chat_sessions
WHEN NEW.status = 'open' AND NEW.operator_id IS NOT NULL
BEGIN
    INSERT INTO operator_open_chats (user_id, open) VALUES (NEW.operator_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET open = open + 1;
END;

CREATE TRIGGER operator_open_update AFTER UPDATE OF status, operator_id ON chat_sessions
WHEN (OLD.status = 'open' AND OLD.operator_id IS NOT NULL) OR (NEW.status = 'open' AND NEW.operator_id IS NOT NULL)
BEGIN
    UPDATE operator_open_chats SET open = open - 1
    WHERE OLD.status = 'open' AND user_id = OLD.operator_id;
    INSERT INTO operator_open_chats (user_id, open)
    SELECT NEW.operator_id, 1 WHERE NEW.status = 'open' AND NEW.operator_id IS NOT NULL
    ON CONFLICT (user_id) DO UPDATE SET open = open + 1;
END;

CREATE TRIGGER operator_open_delete AFTER DELETE ON chat_sessions
WHEN OLD.status = 'open' AND OLD.operator_id IS NOT NULL
BEGIN
    UPDATE operator_open_chats SET open = open - 1 WHERE user_id = OLD.operator_id;
END;

CREATE INDEX chat_sessions_closed_operator ON chat_sessions(operator_id, closed_at) WHERE status = 'closed';

CREATE INDEX chat_sessions_report_day ON chat_sessions(created_at / 86400000, channel_id, operator_id, country, visitor_language,
    created_at, chat_messages, chat_first_at, chat_last_at, first_reply_at, rating, queued_at, assigned_at, status)
    WHERE status = 'closed' AND chat_messages > 0 AND operator_id IS NOT NULL;

CREATE INDEX chat_sessions_report_hour ON chat_sessions(created_at / 3600000, channel_id, operator_id, country, visitor_language,
    created_at, chat_messages, chat_first_at, chat_last_at, first_reply_at, rating, queued_at, assigned_at, status)
    WHERE status = 'closed' AND chat_messages > 0 AND operator_id IS NOT NULL;

INSERT INTO goose_db_version (version_id, is_applied) VALUES
  (0, 1),
  (1, 1),
  (2, 1),
  (3, 1),
  (4, 1),
  (5, 1),
  (6, 1),
  (7, 1),
  (8, 1),
  (9, 1),
  (10, 1),
  (11, 1),
  (12, 1),
  (13, 1),
  (14, 1),
  (15, 1),
  (17, 1),
  (18, 1),
  (19, 1),
  (20, 1),
  (21, 1),
  (22, 1),
  (23, 1),
  (24, 1),
  (25, 1),
  (26, 1),
  (27, 1),
  (28, 1),
  (29, 1),
  (30, 1),
  (31, 1),
  (32, 1),
  (33, 1),
  (34, 1),
  (35, 1),
  (36, 1);

-- +goose Up
-- Built-in leads and helpdesk tickets: the small part of a CRM and a
-- helpdesk that live chat needs, created from conversations (commands,
-- chatbot steps) and handed on to a business's real tools by webhook.
CREATE TABLE sales_teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,   -- archived teams keep their leads
    created_at INTEGER NOT NULL
);

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
);

-- number is the ticket's sequential number shown as #01, #02…: the next
-- one is max+1 inside the creating transaction (one writer).
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

-- Canned responses: ":shortcut" in a composer becomes the substitution, in
-- the operator's language when texts has one ({"es": "…"}).
CREATE TABLE canned_responses (
    id           INTEGER PRIMARY KEY,
    shortcut     TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    substitution TEXT    NOT NULL,
    texts        TEXT    NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL
);

-- +goose Down
DROP TABLE canned_responses;
DROP TABLE tickets;
DROP TABLE helpdesk_teams;
DROP TABLE leads;
DROP TABLE sales_teams;

-- +goose Up
-- Chatbot scripts: ordered steps, the answers of question steps, and each
-- step's "Only If" answers. Texts are JSON objects by language tag
-- ({"en": "…", "es": "…"}); the chatbot's language is the one every text has.
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

-- A conversation's chatbot and where it stands in the script, so a
-- restart resumes mid-script. chatbot_name is kept for history.
-- channel_rules.chatbot_id (00002) stays without a foreign key on purpose:
-- a rule whose chatbot was deleted keeps working without it, and its form
-- says so.
ALTER TABLE chat_sessions ADD COLUMN chatbot_id INTEGER REFERENCES chatbots(id) ON DELETE SET NULL;
ALTER TABLE chat_sessions ADD COLUMN chatbot_name TEXT NOT NULL DEFAULT '';
ALTER TABLE chat_sessions ADD COLUMN chatbot_state TEXT NOT NULL DEFAULT '';
ALTER TABLE chat_sessions ADD COLUMN chatbot_step_id INTEGER;
ALTER TABLE chat_sessions ADD COLUMN chatbot_answers TEXT NOT NULL DEFAULT '[]';
-- What the visitor gave at Email and Phone steps, for Create Lead/Ticket.
ALTER TABLE chat_sessions ADD COLUMN chatbot_email TEXT NOT NULL DEFAULT '';
ALTER TABLE chat_sessions ADD COLUMN chatbot_phone TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE chat_sessions DROP COLUMN chatbot_phone;
ALTER TABLE chat_sessions DROP COLUMN chatbot_email;
ALTER TABLE chat_sessions DROP COLUMN chatbot_answers;
ALTER TABLE chat_sessions DROP COLUMN chatbot_step_id;
ALTER TABLE chat_sessions DROP COLUMN chatbot_state;
ALTER TABLE chat_sessions DROP COLUMN chatbot_name;
ALTER TABLE chat_sessions DROP COLUMN chatbot_id;
DROP TABLE chatbot_step_only_if;
DROP TABLE chatbot_answers;
DROP TABLE chatbot_steps;
DROP TABLE chatbots;

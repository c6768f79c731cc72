-- +goose Up
-- Channel rules decide, per page URL and visitor country, how the chat
-- button behaves. Lowest sequence matches first.
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

-- +goose Down
DROP TABLE channel_rule_countries;
DROP TABLE channel_rules;

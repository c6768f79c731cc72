-- +goose Up
-- A channel may speak one language whatever the visitor's browser says
-- (default_language, a catalogue tag such as "es"; '' follows the browser),
-- and carry its button text, welcome message and input placeholder in
-- other languages: texts is a JSON object by language tag,
-- {"es": {"button_text": "…", "default_message": "…", "input_placeholder": "…"}};
-- an empty text falls back to the channel's main one.
ALTER TABLE channels ADD COLUMN default_language TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN texts TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE channels DROP COLUMN texts;
ALTER TABLE channels DROP COLUMN default_language;

-- +goose Up
-- A bot's message may ask something (step: JSON {"type", "answers"} with
-- the answers' labels in the visitor's language, fixed when said), and a
-- visitor's message may be the answer they clicked (answer_id).
ALTER TABLE messages ADD COLUMN step TEXT;
ALTER TABLE messages ADD COLUMN answer_id INTEGER;

-- +goose Down
ALTER TABLE messages DROP COLUMN answer_id;
ALTER TABLE messages DROP COLUMN step;

-- +goose Up
-- An administrator can require a user to choose a new password: until
-- they do, the admin shows them only the password form.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN must_change_password;

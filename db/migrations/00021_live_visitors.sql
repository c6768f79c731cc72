-- +goose Up
-- Live Chat ▸ Visitors shows who is on the site now: the language their
-- browser asked for, how many visits they made (a new visit after 8 hours
-- without a page view, as Odoo counts them) and since when they are on
-- their current page.
ALTER TABLE visitors ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN visits INTEGER NOT NULL DEFAULT 1;
ALTER TABLE visitors ADD COLUMN page_since INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE visitors DROP COLUMN page_since;
ALTER TABLE visitors DROP COLUMN visits;
ALTER TABLE visitors DROP COLUMN language;

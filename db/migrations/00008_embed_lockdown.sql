-- +goose Up
-- Embed lock-down: a channel may limit the sites that use its widget
-- (allowed_domains, one host name per line, "*.example.com" for every
-- subdomain; empty means any site) and vouch for its visitors with a
-- signed identity: the host page signs its user's id with identity_secret
-- (HMAC-SHA256), and identity_enforce refuses chats without a valid
-- signature.
ALTER TABLE channels ADD COLUMN allowed_domains TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN identity_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN identity_enforce INTEGER NOT NULL DEFAULT 0;

-- A visitor whose host page gave a valid signature is verified: external_id
-- is the user id the site signed, verified_at when it last did.
ALTER TABLE visitors ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE visitors ADD COLUMN verified_at INTEGER;

-- +goose Down
ALTER TABLE visitors DROP COLUMN verified_at;
ALTER TABLE visitors DROP COLUMN external_id;
ALTER TABLE channels DROP COLUMN identity_enforce;
ALTER TABLE channels DROP COLUMN identity_secret;
ALTER TABLE channels DROP COLUMN allowed_domains;

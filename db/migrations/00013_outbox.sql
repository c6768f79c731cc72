-- +goose Up
-- A durable outbox for whatever leaves the building (mail, webhooks): a row
-- is committed in the same transaction as what caused it, and a worker
-- delivers it with retries. status: queued (waiting for next_attempt_at),
-- sending (claimed by a worker; a row left so by a crash is queued again at
-- start), sent, failed (permanently refused or out of attempts).
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

-- +goose Down
DROP TABLE outbox;

-- The outbox: every event subscribers may hear of, written in the transaction that caused
-- it. SQLite has one writer at a time, so ids follow commit order.
CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    nip TEXT,
    -- Per-ASN sequence (1, 2, ...); NULL for agency-wide events.
    seq BIGINT,
    occurred_at TIMESTAMP NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX changes_nip ON changes (nip, seq);
CREATE TRIGGER changes_no_update BEFORE UPDATE ON changes
BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END;
CREATE TRIGGER changes_no_delete BEFORE DELETE ON changes
BEGIN SELECT RAISE(ABORT, 'changes is append-only'); END;

-- What each watched ASN was last told: per purpose its outcome as of `as_of`, the next day
-- it may change without a write (`next_change`), and the last per-ASN sequence number.
CREATE TABLE eligibility_states (
    nip TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL DEFAULT 0,
    as_of DATE,
    outcomes TEXT,
    next_change DATE,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX eligibility_states_next ON eligibility_states (next_change)
    WHERE next_change IS NOT NULL;

CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- The last change before it existed: it hears of later ones only.
    starts_after BIGINT NOT NULL,
    deleted_at TIMESTAMP
);

-- Where fan-out from `changes` to deliveries has got to (one row).
CREATE TABLE webhook_dispatch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_change_id BIGINT NOT NULL
);
INSERT INTO webhook_dispatch (id, last_change_id) VALUES (1, 0);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id),
    change_id BIGINT NOT NULL REFERENCES changes (id),
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Due time while pending; a worker that claims it moves it past its lease.
    next_attempt_at TIMESTAMP,
    -- Set by a manual retry: one attempt, then failed again if it fails.
    manual BOOLEAN NOT NULL DEFAULT FALSE,
    last_attempt_at TIMESTAMP,
    last_response_status INTEGER,
    last_error TEXT,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (subscription_id, change_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, status, id);

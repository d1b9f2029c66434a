-- A BKN block (PerBKN 1/2023): its own entity, ended only by a release.
CREATE TABLE blocks (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    nip TEXT,
    agency_code TEXT,
    reference TEXT,
    reason TEXT,
    ordered_at TIMESTAMP NOT NULL,
    ordered_event_id TEXT NOT NULL,
    released_at TIMESTAMP,
    release_reference TEXT,
    released_event_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX blocks_nip ON blocks (nip);
CREATE INDEX blocks_agency_code ON blocks (agency_code);

-- Every BKN event received, with its outcome: the basis of daily reconciliation.
CREATE TABLE bkn_receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT,
    outcome TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX bkn_receipts_received_at ON bkn_receipts (received_at);
CREATE INDEX bkn_events_received_at ON bkn_events (received_at);

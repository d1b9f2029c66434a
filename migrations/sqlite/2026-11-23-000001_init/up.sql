CREATE TABLE asn (
    nip TEXT PRIMARY KEY,
    name TEXT,
    agency_code TEXT,
    agency_name TEXT,
    unit TEXT,
    rank TEXT,
    position TEXT,
    employment_type TEXT,
    status TEXT NOT NULL DEFAULT 'unknown',
    status_since DATE,
    last_event_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX asn_agency_code ON asn (agency_code);

CREATE TABLE sanctions (
    id TEXT PRIMARY KEY,
    nip TEXT NOT NULL REFERENCES asn (nip),
    type_code TEXT NOT NULL,
    regime TEXT NOT NULL,
    kind TEXT NOT NULL,
    level TEXT,
    decision_number TEXT NOT NULL,
    decision_date DATE NOT NULL,
    received_date DATE,
    issuer TEXT NOT NULL,
    issuer_agency TEXT,
    legal_basis TEXT,
    violation TEXT,
    effective_from DATE NOT NULL,
    effective_until DATE,
    blocked_purposes TEXT NOT NULL,
    document TEXT,
    state TEXT NOT NULL,
    lifted_on DATE,
    lift TEXT,
    annulled_at TIMESTAMP,
    annulment TEXT,
    content_hash TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT sanctions_decision_unique UNIQUE (issuer, decision_number, nip)
);
CREATE INDEX sanctions_nip ON sanctions (nip, effective_from);

CREATE TABLE asn_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nip TEXT NOT NULL REFERENCES asn (nip),
    event_type TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    sanction_id TEXT,
    data TEXT NOT NULL
);
CREATE INDEX asn_events_nip ON asn_events (nip, id);

CREATE TABLE bkn_events (
    event_id TEXT PRIMARY KEY,
    nip TEXT NOT NULL,
    event_type TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    outcome TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);

CREATE TABLE eligibility_decisions (
    id TEXT PRIMARY KEY,
    nip TEXT NOT NULL,
    purpose TEXT NOT NULL,
    as_of DATE NOT NULL,
    outcome TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    evaluated_at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX eligibility_decisions_nip ON eligibility_decisions (nip, evaluated_at);

CREATE TABLE idempotency_keys (
    actor TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    route TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    location TEXT,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (actor, idem_key)
);

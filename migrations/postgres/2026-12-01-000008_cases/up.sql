-- Neutrality cases (domain.md §3.4): the process that ends in a sanction. Nothing here names
-- the reporter: a case keeps the source's own reference only.
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    nip TEXT NOT NULL,
    -- The ASN's agency when the case was reported: what the statistics group by.
    agency_code TEXT,
    source TEXT NOT NULL,
    source_reference TEXT NOT NULL,
    reported_on DATE NOT NULL,
    election_kind TEXT,
    election_year INTEGER,
    election_region TEXT,
    conduct TEXT NOT NULL,
    stage TEXT NOT NULL,
    description TEXT,
    -- JSON: [{url, sha256}]
    evidence TEXT NOT NULL,
    -- SHA-256 of the report as first sent: the same source reference with other content is
    -- a duplicate_case.
    content_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    -- The day of the step that put the case in its state.
    state_since DATE NOT NULL,
    -- The day the current step is due (recommended: the PPK's follow-up; escalated: the
    -- escalation's), NULL when nothing is due.
    deadline DATE,
    -- The deadline for which case.overdue was recorded: once per missed deadline.
    overdue_recorded DATE,
    recommended_on DATE,
    -- The PPK's first deadline, kept through escalation: "followed up within the deadline".
    followup_due DATE,
    recommendation TEXT,
    recommendation_issuer TEXT,
    sanctioned_on DATE,
    sanction_id TEXT,
    block_requested_on DATE,
    closed_on DATE,
    policy_version TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (source, source_reference)
);
CREATE INDEX cases_nip ON cases (nip);
CREATE INDEX cases_due ON cases (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX cases_reported ON cases (reported_on);

-- A case's own timeline: every step, in order, with who took it.
CREATE TABLE case_steps (
    case_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    step TEXT NOT NULL,
    on_day DATE NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    -- JSON: reference, note, reason, category, issuer, sanction_id, deadline
    data TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- A BKN block ordered because of a case.
ALTER TABLE blocks ADD COLUMN case_id TEXT;
CREATE INDEX blocks_case ON blocks (case_id) WHERE case_id IS NOT NULL;

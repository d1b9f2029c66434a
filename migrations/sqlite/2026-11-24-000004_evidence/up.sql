-- The audit trail: append-only, hash-chained. A row's hash is
-- SHA-256(previous row's hash, as 64 hex characters ‖ canonical JSON of the row); the chain
-- order is `seq`, assigned while the write transaction holds SQLite's single write lock.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_sub TEXT NOT NULL,
    actor_client_id TEXT,
    action TEXT NOT NULL,
    nip TEXT,
    subject_id TEXT,
    request_id TEXT,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_nip ON audit_events (nip, seq);
CREATE INDEX audit_events_at ON audit_events (at);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

-- Earlier versions of registry rows, for "as known at": a row's current version is known
-- from its `updated_at`; each earlier one from `known_from` to `known_until`. Written by
-- triggers, so no code path (nor a hand edit that moves `updated_at`) can skip it.
-- The column lists below must name every column (a test compares them with the rows).
CREATE TABLE record_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    nip TEXT,
    agency_code TEXT,
    known_from TIMESTAMP NOT NULL,
    known_until TIMESTAMP NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX record_history_nip ON record_history (nip, entity, known_until);
CREATE INDEX record_history_agency ON record_history (agency_code, entity, known_until);
CREATE TRIGGER record_history_no_update BEFORE UPDATE ON record_history
BEGIN SELECT RAISE(ABORT, 'record_history is append-only'); END;
CREATE TRIGGER record_history_no_delete BEFORE DELETE ON record_history
BEGIN SELECT RAISE(ABORT, 'record_history is append-only'); END;

CREATE TRIGGER asn_history BEFORE UPDATE ON asn
FOR EACH ROW WHEN OLD.updated_at IS NOT NEW.updated_at
BEGIN
    INSERT INTO record_history (entity, entity_id, nip, agency_code, known_from, known_until, body)
    VALUES ('asn', OLD.nip, OLD.nip, OLD.agency_code, OLD.updated_at, NEW.updated_at, json_object(
        'nip', OLD.nip,
        'name', OLD.name,
        'agency_code', OLD.agency_code,
        'agency_name', OLD.agency_name,
        'unit', OLD.unit,
        'rank', OLD.rank,
        'position', OLD.position,
        'employment_type', OLD.employment_type,
        'status', OLD.status,
        'status_since', OLD.status_since,
        'last_event_at', OLD.last_event_at,
        'created_at', OLD.created_at,
        'updated_at', OLD.updated_at));
END;

CREATE TRIGGER sanctions_history BEFORE UPDATE ON sanctions
FOR EACH ROW WHEN OLD.updated_at IS NOT NEW.updated_at
BEGIN
    INSERT INTO record_history (entity, entity_id, nip, agency_code, known_from, known_until, body)
    VALUES ('sanction', OLD.id, OLD.nip, NULL, OLD.updated_at, NEW.updated_at, json_object(
        'id', OLD.id,
        'nip', OLD.nip,
        'type_code', OLD.type_code,
        'regime', OLD.regime,
        'kind', OLD.kind,
        'level', OLD.level,
        'decision_number', OLD.decision_number,
        'decision_date', OLD.decision_date,
        'received_date', OLD.received_date,
        'issuer', OLD.issuer,
        'issuer_agency', OLD.issuer_agency,
        'legal_basis', OLD.legal_basis,
        'violation', OLD.violation,
        'effective_from', OLD.effective_from,
        'effective_until', OLD.effective_until,
        'blocked_purposes', OLD.blocked_purposes,
        'document', OLD.document,
        'state', OLD.state,
        'lifted_on', OLD.lifted_on,
        'lift', OLD.lift,
        'annulled_at', OLD.annulled_at,
        'annulment', OLD.annulment,
        'content_hash', OLD.content_hash,
        'recorded_at', OLD.recorded_at,
        'recorded_by', OLD.recorded_by,
        'updated_at', OLD.updated_at,
        'appeal', OLD.appeal,
        'appeal_filed_on', OLD.appeal_filed_on,
        'supersedes', OLD.supersedes,
        'superseded_by', OLD.superseded_by,
        'activated_at', OLD.activated_at,
        'expired_at', OLD.expired_at));
END;

CREATE TRIGGER blocks_history BEFORE UPDATE ON blocks
FOR EACH ROW WHEN OLD.updated_at IS NOT NEW.updated_at
BEGIN
    INSERT INTO record_history (entity, entity_id, nip, agency_code, known_from, known_until, body)
    VALUES ('block', OLD.id, OLD.nip, OLD.agency_code, OLD.updated_at, NEW.updated_at, json_object(
        'id', OLD.id,
        'scope', OLD.scope,
        'nip', OLD.nip,
        'agency_code', OLD.agency_code,
        'reference', OLD.reference,
        'reason', OLD.reason,
        'ordered_at', OLD.ordered_at,
        'ordered_event_id', OLD.ordered_event_id,
        'released_at', OLD.released_at,
        'release_reference', OLD.release_reference,
        'released_event_id', OLD.released_event_id,
        'created_at', OLD.created_at,
        'updated_at', OLD.updated_at));
END;

-- Every policy version that decided something, so a decision can be replayed with it.
CREATE TABLE policies (
    version TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    first_used_at TIMESTAMP NOT NULL
);

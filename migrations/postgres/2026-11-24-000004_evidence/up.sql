-- The audit trail: append-only, hash-chained. A row's hash is
-- SHA-256(previous row's hash, as 64 hex characters ‖ canonical JSON of the row); the chain
-- order is `seq`, assigned under the lock of the single `audit_head` row, so several
-- instances append one after another and the chain never forks.
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

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Earlier versions of registry rows, for "as known at": a row's current version is known
-- from its `updated_at`; each earlier one from `known_from` to `known_until`. Written by
-- triggers, so no code path (nor a hand edit that moves `updated_at`) can skip it.
CREATE TABLE record_history (
    id BIGSERIAL PRIMARY KEY,
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
CREATE TRIGGER record_history_append_only BEFORE UPDATE OR DELETE ON record_history
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- TG_ARGV: the entity name and its key column.
CREATE FUNCTION keep_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := to_jsonb(OLD);
BEGIN
    IF OLD.updated_at IS DISTINCT FROM NEW.updated_at THEN
        INSERT INTO record_history (entity, entity_id, nip, agency_code, known_from, known_until, body)
        VALUES (TG_ARGV[0], old_row ->> TG_ARGV[1], old_row ->> 'nip', old_row ->> 'agency_code',
                OLD.updated_at, NEW.updated_at, old_row::text);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER asn_history BEFORE UPDATE ON asn
    FOR EACH ROW EXECUTE FUNCTION keep_history('asn', 'nip');
CREATE TRIGGER sanctions_history BEFORE UPDATE ON sanctions
    FOR EACH ROW EXECUTE FUNCTION keep_history('sanction', 'id');
CREATE TRIGGER blocks_history BEFORE UPDATE ON blocks
    FOR EACH ROW EXECUTE FUNCTION keep_history('block', 'id');

-- Every policy version that decided something, so a decision can be replayed with it.
CREATE TABLE policies (
    version TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    first_used_at TIMESTAMP NOT NULL
);

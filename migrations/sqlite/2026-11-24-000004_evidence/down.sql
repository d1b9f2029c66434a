DROP TABLE policies;
DROP TRIGGER blocks_history;
DROP TRIGGER sanctions_history;
DROP TRIGGER asn_history;
DROP TABLE record_history;
DROP TABLE audit_head;
DROP TABLE audit_events;

DROP TABLE policies;
DROP TRIGGER blocks_history ON blocks;
DROP TRIGGER sanctions_history ON sanctions;
DROP TRIGGER asn_history ON asn;
DROP FUNCTION keep_history();
DROP TABLE record_history;
DROP TABLE audit_head;
DROP TABLE audit_events;
DROP FUNCTION refuse_change();

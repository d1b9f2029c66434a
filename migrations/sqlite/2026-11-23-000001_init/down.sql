DROP TABLE idempotency_keys;
DROP TABLE eligibility_decisions;
DROP TABLE bkn_events;
DROP TABLE asn_events;
DROP TABLE sanctions;
DROP TABLE asn;

-- No query reads decisions by NIP: a decision is read back by its id, and a NIP's decisions
-- are found through the audit trail (audit_events_nip, each `eligibility.decided` entry names
-- its decision). The index cost every decision a write at a random place: on SQLite a batch
-- of 1000 dirtied some 1000 index pages more (its p50 fell 20-30 % without them).
DROP INDEX eligibility_decisions_nip;

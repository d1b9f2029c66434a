DROP INDEX bkn_events_received_at;
DROP TABLE bkn_receipts;
DROP TABLE blocks;

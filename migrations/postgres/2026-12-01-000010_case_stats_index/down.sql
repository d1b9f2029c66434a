DROP INDEX cases_stats;
CREATE INDEX cases_reported ON cases (reported_on);
ALTER TABLE cases RESET (fillfactor);

DROP INDEX cases_due;
CREATE INDEX cases_due ON cases (deadline) WHERE deadline IS NOT NULL;

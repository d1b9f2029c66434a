DROP TABLE job_runs;
DROP INDEX sanctions_due_to_activate;
DROP INDEX sanctions_due_to_expire;
ALTER TABLE sanctions DROP COLUMN expired_at;
ALTER TABLE sanctions DROP COLUMN activated_at;
ALTER TABLE sanctions DROP COLUMN superseded_by;
ALTER TABLE sanctions DROP COLUMN supersedes;
ALTER TABLE sanctions DROP COLUMN appeal_filed_on;
ALTER TABLE sanctions DROP COLUMN appeal;

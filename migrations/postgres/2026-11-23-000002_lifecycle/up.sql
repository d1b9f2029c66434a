ALTER TABLE sanctions ADD COLUMN appeal TEXT;
ALTER TABLE sanctions ADD COLUMN appeal_filed_on DATE;
ALTER TABLE sanctions ADD COLUMN supersedes TEXT;
ALTER TABLE sanctions ADD COLUMN superseded_by TEXT;
-- When the activation / the end was recorded (once: the jobs only touch NULLs).
ALTER TABLE sanctions ADD COLUMN activated_at TIMESTAMP;
ALTER TABLE sanctions ADD COLUMN expired_at TIMESTAMP;
CREATE INDEX sanctions_due_to_expire ON sanctions (effective_until, id) WHERE expired_at IS NULL AND state = 'recorded';
CREATE INDEX sanctions_due_to_activate ON sanctions (effective_from, id) WHERE activated_at IS NULL AND state = 'recorded';

CREATE TABLE job_runs (
    id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    trigger TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome TEXT NOT NULL,
    processed BIGINT NOT NULL,
    error TEXT
);
CREATE INDEX job_runs_job ON job_runs (job, started_at);

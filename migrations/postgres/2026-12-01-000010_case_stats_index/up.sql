-- The follow-up statistics read every case reported in a period: with the narrow columns they
-- count and group by in one index, the scan never visits the wide case rows (description,
-- evidence). It leads with reported_on, so it serves the period filter cases_reported did.
DROP INDEX cases_reported;
CREATE INDEX cases_stats ON cases (reported_on, state, agency_code, recommendation_issuer,
    conduct, election_kind, election_year, recommended_on, sanctioned_on, followup_due,
    deadline, block_requested_on);
-- Steps and the deadline job update a case in place (its state, overdue_recorded): room on
-- each page lets PostgreSQL keep the new version beside the old (a HOT update) instead of
-- adding it to all five indexes of the wide rows.
ALTER TABLE cases SET (fillfactor = 80);

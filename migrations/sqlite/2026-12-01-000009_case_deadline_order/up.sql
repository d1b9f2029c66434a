-- case_deadlines reads the missed deadlines in (deadline, id) order with a cursor on both:
-- one pass over the index, however many batches.
DROP INDEX cases_due;
CREATE INDEX cases_due ON cases (deadline, id) WHERE deadline IS NOT NULL;

DROP INDEX blocks_case;
ALTER TABLE blocks DROP COLUMN case_id;
DROP TABLE case_steps;
DROP TABLE cases;

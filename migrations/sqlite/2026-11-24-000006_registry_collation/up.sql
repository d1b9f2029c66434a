-- SQLite compares TEXT bytewise (BINARY) already; PostgreSQL's migration of the same
-- version gives its registry columns the same order.
SELECT 1;

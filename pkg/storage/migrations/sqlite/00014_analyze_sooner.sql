-- +goose Up
-- PostgreSQL's autovacuum thresholds (see the PostgreSQL migration); SQLite has no autovacuum
-- statistics to tune, and keeps the migration numbers in step.
SELECT 1;

-- +goose Down
SELECT 1;

-- +goose Up
-- PostgreSQL leaves room on customer pages for in-place updates of the figures; SQLite has no
-- such setting. Kept so both dialects share version numbers.
SELECT 1;

-- +goose Down
SELECT 1;

-- +goose Up
-- A reward may be kept for customers of a tier and above.
ALTER TABLE loyalty_rewards ADD COLUMN min_tier TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE loyalty_rewards DROP COLUMN min_tier;

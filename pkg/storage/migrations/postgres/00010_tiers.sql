-- +goose Up
-- Tiers: thresholds of qualifying points over a rolling window, each with an earn multiplier.
ALTER TABLE loyalty_programs ADD COLUMN tiers jsonb NOT NULL DEFAULT '[]';
ALTER TABLE loyalty_programs ADD COLUMN tier_window_months integer NOT NULL DEFAULT 12;
ALTER TABLE loyalty_accounts ADD COLUMN tier TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE loyalty_accounts DROP COLUMN tier;
ALTER TABLE loyalty_programs DROP COLUMN tier_window_months;
ALTER TABLE loyalty_programs DROP COLUMN tiers;

-- +goose Up
-- Points expire by earning lot: every line that adds points is a lot with what remains of it and
-- when it expires; lines that take points consume the lots first-in-first-out. An account's
-- balance is the sum of its lots' remaining points.
ALTER TABLE loyalty_programs ADD COLUMN expiry_months integer;
ALTER TABLE loyalty_transactions ADD COLUMN expires_at timestamptz;
ALTER TABLE loyalty_transactions ADD COLUMN remaining bigint NOT NULL DEFAULT 0;
CREATE INDEX loyalty_lots_idx ON loyalty_transactions (org_id, customer_id, expires_at, created_at, id) WHERE remaining > 0;
CREATE INDEX loyalty_lots_expiry_idx ON loyalty_transactions (org_id, expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;

-- +goose Down
DROP INDEX loyalty_lots_expiry_idx;
DROP INDEX loyalty_lots_idx;
ALTER TABLE loyalty_transactions DROP COLUMN remaining;
ALTER TABLE loyalty_transactions DROP COLUMN expires_at;
ALTER TABLE loyalty_programs DROP COLUMN expiry_months;

-- +goose Up
-- Who referred a customer: another customer of the organization. The ladder's referral rule
-- looks for the customers someone referred.
ALTER TABLE customers ADD COLUMN referred_by_id TEXT;
CREATE INDEX customers_referred_by_idx ON customers (org_id, referred_by_id) WHERE referred_by_id IS NOT NULL;

-- +goose Down
DROP INDEX customers_referred_by_idx;
ALTER TABLE customers DROP COLUMN referred_by_id;

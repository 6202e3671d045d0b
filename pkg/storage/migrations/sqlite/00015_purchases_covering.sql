-- +goose Up
-- As on PostgreSQL: the per-customer index also carries what the analyses sum. SQLite has no
-- INCLUDE, so the columns follow the key (its order, and so the keyset lists, stays the same).
CREATE INDEX purchases_customer_cover_idx ON purchases (org_id, customer_id, occurred_at, id, amount, refunded_amount, currency, status);
DROP INDEX purchases_customer_idx;

-- +goose Down
CREATE INDEX purchases_customer_idx ON purchases (org_id, customer_id, occurred_at, id);
DROP INDEX purchases_customer_cover_idx;

-- +goose NO TRANSACTION
-- +goose Up
-- The per-customer index of purchases also carries what the analyses sum, so that they read the
-- index alone (an index-only scan, once vacuum has marked the pages visible): RFM for an
-- organization of 50,000 customers went from 0.54 s to 0.31 s. It replaces the narrower index
-- rather than adding one, so writes maintain no more indexes than before. CONCURRENTLY: building
-- it does not block writes to a live table.
CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_customer_cover_idx ON purchases (org_id, customer_id, occurred_at, id)
    INCLUDE (amount, refunded_amount, currency, status);
DROP INDEX CONCURRENTLY IF EXISTS purchases_customer_idx;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_customer_idx ON purchases (org_id, customer_id, occurred_at, id);
DROP INDEX CONCURRENTLY IF EXISTS purchases_customer_cover_idx;

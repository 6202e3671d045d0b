-- What the database alone does with a purchase batch's three large writes (1,000 purchases,
-- their events, their customers' figures), without the service, its lookups and its stage moves:
-- the ceiling for POST /v1/purchases/batch on the same machine. Needs a table of sampled customers:
--   CREATE UNLOGGED TABLE pool AS SELECT row_number() OVER () AS n, id FROM (SELECT id FROM customers
--     WHERE org_id = '<org>' ORDER BY random() LIMIT 100000) x; CREATE INDEX ON pool (n); ANALYZE pool;
-- Run: pgbench -n -c 2 -j 2 -T 15 -D org=<org> -f purchase-batch.sql <db>   (tps × 1,000 = rows/s)
BEGIN;
CREATE TEMP TABLE IF NOT EXISTS b (id uuid, customer_id uuid) ON COMMIT DELETE ROWS;
INSERT INTO b SELECT gen_random_uuid(), p.id FROM generate_series(1, 1000) g JOIN pool p ON p.n = 1 + floor(random() * 100000)::int;
INSERT INTO purchases (org_id, id, customer_id, external_id, amount, refunded_amount, currency, occurred_at, channel, items, status, version, created_at, updated_at)
  SELECT ':org', b.id, b.customer_id, 'pgbench-' || b.id::text, 10, 0, 'EUR', now(), 'online', '[]', 'completed', 1, now(), now() FROM b;
INSERT INTO events (org_id, id, type, subject_type, subject_id, customer_id, actor_type, actor_id, changes, data, occurred_at)
  SELECT ':org', gen_random_uuid(), 'purchase.created', 'purchase', b.id, b.customer_id, 'user', ':org', NULL,
    '{"amount":"10.00","currency":"EUR","channel":"online","external_id":"x"}', now() FROM b;
UPDATE customers c SET purchase_count = c.purchase_count + v.n, total_spent = c.total_spent + v.n * 10, total_spent_currency = 'EUR',
    first_purchase_at = LEAST(c.first_purchase_at, now()), last_purchase_at = GREATEST(c.last_purchase_at, now())
  FROM (SELECT customer_id AS id, count(*) AS n FROM b GROUP BY 1 ORDER BY 1) v WHERE c.org_id = ':org' AND c.id = v.id;
COMMIT;

-- +goose Up
-- Bulk imports through the batch endpoints add rows far faster than the default autovacuum
-- thresholds (20% of a table) refresh the planner's statistics. Measured on 5 million purchases:
-- with statistics from before an import, the external-id lookup of every batch read all of the
-- organization's imported orders instead of probing the index, and an import slowed as it grew.
-- Analyzing after 1% (and at least 10,000 rows) keeps the estimates close. (Not observed on the
-- development machine, whose PostgreSQL runs with autovacuum off; there, run ANALYZE after loads.)
ALTER TABLE customers SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 10000);
ALTER TABLE purchases SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 10000);
ALTER TABLE events SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 10000);
ALTER TABLE contacts SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 10000);
ALTER TABLE loyalty_transactions SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 10000);

-- +goose Down
ALTER TABLE loyalty_transactions RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold);
ALTER TABLE contacts RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold);
ALTER TABLE events RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold);
ALTER TABLE purchases RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold);
ALTER TABLE customers RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold);

-- +goose Up
-- Segment lists (lifecycle_stage=…, newest first) read one tenant's stage in order instead of
-- filtering its whole newest-first index.
CREATE INDEX customers_stage_created_idx ON customers (org_id, lifecycle_stage, created_at, id) WHERE deleted_at IS NULL;

-- +goose Down
DROP INDEX customers_stage_created_idx;

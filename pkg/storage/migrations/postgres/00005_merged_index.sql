-- +goose Up
-- A timeline includes the history of the duplicates merged into its customer: find them directly.
CREATE INDEX customers_merged_into_idx ON customers (org_id, merged_into_id) WHERE merged_into_id IS NOT NULL;

-- +goose Down
DROP INDEX customers_merged_into_idx;

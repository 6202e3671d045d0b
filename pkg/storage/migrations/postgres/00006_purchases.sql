-- +goose Up
-- What customers bought. The organization's currency is the default of a purchase's, and the one
-- its customers' total_spent is kept in.
ALTER TABLE organizations ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR';
ALTER TABLE customers ADD COLUMN purchase_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN first_purchase_at timestamptz;
ALTER TABLE customers ADD COLUMN last_purchase_at timestamptz;
ALTER TABLE customers ADD COLUMN total_spent_currency TEXT;
ALTER TABLE customers ADD COLUMN total_spent numeric(19, 4) NOT NULL DEFAULT 0;

CREATE TABLE purchases (
    org_id          uuid NOT NULL REFERENCES organizations (id),
    id              uuid NOT NULL,
    customer_id     uuid NOT NULL,
    external_id     TEXT,
    amount          numeric(19, 4) NOT NULL,
    refunded_amount numeric(19, 4) NOT NULL,
    currency        TEXT NOT NULL,
    occurred_at     timestamptz NOT NULL,
    channel         TEXT NOT NULL,
    items           jsonb NOT NULL,
    status          TEXT NOT NULL,
    version         bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
);
CREATE UNIQUE INDEX purchases_external_id_uq ON purchases (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX purchases_occurred_idx ON purchases (org_id, occurred_at, id);
CREATE INDEX purchases_customer_idx ON purchases (org_id, customer_id, occurred_at, id);

-- +goose Down
DROP TABLE purchases;
ALTER TABLE customers DROP COLUMN total_spent_currency;
ALTER TABLE customers DROP COLUMN total_spent;
ALTER TABLE customers DROP COLUMN last_purchase_at;
ALTER TABLE customers DROP COLUMN first_purchase_at;
ALTER TABLE customers DROP COLUMN purchase_count;
ALTER TABLE organizations DROP COLUMN currency;

-- +goose Up
-- The loyalty program, one per organization, and its points ledger: an account per customer
-- whose balance only moves together with an appended transaction.
CREATE TABLE loyalty_programs (
    org_id           TEXT PRIMARY KEY REFERENCES organizations (id),
    active           BOOLEAN NOT NULL,
    points_per_unit  TEXT NOT NULL,
    rounding         TEXT NOT NULL,
    min_redemption   INTEGER NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

CREATE TABLE loyalty_accounts (
    org_id            TEXT NOT NULL,
    customer_id       TEXT NOT NULL,
    balance           INTEGER NOT NULL CHECK (balance >= 0),
    lifetime_earned   INTEGER NOT NULL,
    lifetime_redeemed INTEGER NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, customer_id),
    FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
);

CREATE TABLE loyalty_transactions (
    org_id        TEXT NOT NULL,
    id            TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    type          TEXT NOT NULL,
    points        INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    external_id   TEXT,
    reverses_id   TEXT,
    actor_type    TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
);
CREATE INDEX loyalty_transactions_customer_idx ON loyalty_transactions (org_id, customer_id, created_at, id);
CREATE UNIQUE INDEX loyalty_transactions_external_id_uq ON loyalty_transactions (org_id, external_id) WHERE external_id IS NOT NULL;
-- A transaction is reversed at most once.
CREATE UNIQUE INDEX loyalty_transactions_reverses_uq ON loyalty_transactions (org_id, reverses_id) WHERE reverses_id IS NOT NULL;

-- +goose Down
DROP TABLE loyalty_transactions;
DROP TABLE loyalty_accounts;
DROP TABLE loyalty_programs;

-- +goose Up
-- The rewards catalogue and what customers redeemed from it.
CREATE TABLE loyalty_rewards (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    cost_points INTEGER NOT NULL,
    stock       INTEGER CHECK (stock >= 0),
    active      BOOLEAN NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX loyalty_rewards_created_idx ON loyalty_rewards (org_id, created_at, id);

CREATE TABLE loyalty_redemptions (
    org_id                 TEXT NOT NULL,
    id                     TEXT NOT NULL,
    customer_id            TEXT NOT NULL,
    reward_id              TEXT NOT NULL,
    code                   TEXT NOT NULL,
    points                 INTEGER NOT NULL,
    status                 TEXT NOT NULL,
    transaction_id         TEXT NOT NULL,
    cancel_transaction_id  TEXT,
    created_at             TIMESTAMP NOT NULL,
    cancelled_at           TIMESTAMP,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id),
    FOREIGN KEY (org_id, reward_id) REFERENCES loyalty_rewards (org_id, id)
);
CREATE UNIQUE INDEX loyalty_redemptions_code_uq ON loyalty_redemptions (org_id, code);
CREATE INDEX loyalty_redemptions_customer_idx ON loyalty_redemptions (org_id, customer_id, created_at, id);

-- +goose Down
DROP TABLE loyalty_redemptions;
DROP TABLE loyalty_rewards;

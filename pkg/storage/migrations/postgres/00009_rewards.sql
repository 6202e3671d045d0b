-- +goose Up
-- The rewards catalogue and what customers redeemed from it.
CREATE TABLE loyalty_rewards (
    org_id      uuid NOT NULL REFERENCES organizations (id),
    id          uuid NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    cost_points bigint NOT NULL,
    stock       bigint CHECK (stock >= 0),
    active      BOOLEAN NOT NULL,
    version     bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX loyalty_rewards_created_idx ON loyalty_rewards (org_id, created_at, id);

CREATE TABLE loyalty_redemptions (
    org_id                 uuid NOT NULL,
    id                     uuid NOT NULL,
    customer_id            uuid NOT NULL,
    reward_id              uuid NOT NULL,
    code                   TEXT NOT NULL,
    points                 bigint NOT NULL,
    status                 TEXT NOT NULL,
    transaction_id         uuid NOT NULL,
    cancel_transaction_id  uuid,
    created_at             timestamptz NOT NULL,
    cancelled_at           timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id),
    FOREIGN KEY (org_id, reward_id) REFERENCES loyalty_rewards (org_id, id)
);
CREATE UNIQUE INDEX loyalty_redemptions_code_uq ON loyalty_redemptions (org_id, code);
CREATE INDEX loyalty_redemptions_customer_idx ON loyalty_redemptions (org_id, customer_id, created_at, id);

-- +goose Down
DROP TABLE loyalty_redemptions;
DROP TABLE loyalty_rewards;

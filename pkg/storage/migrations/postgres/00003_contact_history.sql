-- +goose Up
-- Every interaction with a customer, and what the customer record keeps of them.
ALTER TABLE customers ADD COLUMN last_contacted_at timestamptz;
ALTER TABLE customers ADD COLUMN contact_count integer NOT NULL DEFAULT 0;

CREATE TABLE contacts (
    org_id           uuid NOT NULL REFERENCES organizations (id),
    id               uuid NOT NULL,
    customer_id      uuid NOT NULL,
    channel          text NOT NULL,
    direction        text NOT NULL,
    subject          text NOT NULL,
    notes            text NOT NULL,
    occurred_at      timestamptz NOT NULL,
    duration_seconds integer,
    agent_id         uuid,
    outcome          text NOT NULL,
    follow_up_at     timestamptz,
    tags             jsonb NOT NULL,
    external_ref     text,
    search_text      text NOT NULL,
    version          bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
);
CREATE UNIQUE INDEX contacts_external_ref_uq ON contacts (org_id, external_ref) WHERE deleted_at IS NULL AND external_ref IS NOT NULL;
CREATE INDEX contacts_occurred_idx ON contacts (org_id, occurred_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_customer_idx ON contacts (org_id, customer_id, occurred_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_agent_idx ON contacts (org_id, agent_id, occurred_at) WHERE deleted_at IS NULL;
CREATE INDEX contacts_follow_up_idx ON contacts (org_id, follow_up_at) WHERE deleted_at IS NULL AND follow_up_at IS NOT NULL;
CREATE INDEX contacts_search_idx ON contacts USING gin (org_id, search_text gin_trgm_ops) WHERE deleted_at IS NULL;

-- Events name the customer whose timeline shows them; earlier customer events are their own.
ALTER TABLE events ADD COLUMN customer_id uuid;
ALTER TABLE events DISABLE TRIGGER events_no_update;
UPDATE events SET customer_id = subject_id WHERE subject_type = 'customer';
ALTER TABLE events ENABLE TRIGGER events_no_update;
CREATE INDEX events_customer_idx ON events (org_id, customer_id, occurred_at, id) WHERE customer_id IS NOT NULL;

-- +goose Down
DROP INDEX events_customer_idx;
ALTER TABLE events DROP COLUMN customer_id;
DROP TABLE contacts;
ALTER TABLE customers DROP COLUMN contact_count;
ALTER TABLE customers DROP COLUMN last_contacted_at;

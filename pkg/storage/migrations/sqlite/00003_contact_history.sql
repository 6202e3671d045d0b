-- +goose Up
ALTER TABLE customers ADD COLUMN last_contacted_at TIMESTAMP;
ALTER TABLE customers ADD COLUMN contact_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE contacts (
    org_id           TEXT NOT NULL REFERENCES organizations (id),
    id               TEXT NOT NULL,
    customer_id      TEXT NOT NULL,
    channel          TEXT NOT NULL,
    direction        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    notes            TEXT NOT NULL,
    occurred_at      TIMESTAMP NOT NULL,
    duration_seconds INTEGER,
    agent_id         TEXT,
    outcome          TEXT NOT NULL,
    follow_up_at     TIMESTAMP,
    tags             TEXT NOT NULL,
    external_ref     TEXT,
    search_text      TEXT NOT NULL,
    version          INTEGER NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    deleted_at       TIMESTAMP,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
);
CREATE UNIQUE INDEX contacts_external_ref_uq ON contacts (org_id, external_ref) WHERE deleted_at IS NULL AND external_ref IS NOT NULL;
CREATE INDEX contacts_occurred_idx ON contacts (org_id, occurred_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_customer_idx ON contacts (org_id, customer_id, occurred_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_agent_idx ON contacts (org_id, agent_id, occurred_at) WHERE deleted_at IS NULL;
CREATE INDEX contacts_follow_up_idx ON contacts (org_id, follow_up_at) WHERE deleted_at IS NULL AND follow_up_at IS NOT NULL;

ALTER TABLE events ADD COLUMN customer_id TEXT;
DROP TRIGGER events_no_update;
UPDATE events SET customer_id = subject_id WHERE subject_type = 'customer';
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE INDEX events_customer_idx ON events (org_id, customer_id, occurred_at, id) WHERE customer_id IS NOT NULL;

-- +goose Down
DROP INDEX events_customer_idx;
ALTER TABLE events DROP COLUMN customer_id;
DROP TABLE contacts;
ALTER TABLE customers DROP COLUMN contact_count;
ALTER TABLE customers DROP COLUMN last_contacted_at;

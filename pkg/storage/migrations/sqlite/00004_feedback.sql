-- +goose Up
-- Survey answers, complaints, suggestions and compliments. A complaint's moves are events
-- (feedback.status_changed), so they share the change log's guarantees.
CREATE TABLE feedback (
    org_id                TEXT NOT NULL REFERENCES organizations (id),
    id                    TEXT NOT NULL,
    customer_id           TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    score                 INTEGER,
    comment               TEXT NOT NULL,
    channel               TEXT NOT NULL,
    survey                TEXT NOT NULL,
    contact_id            TEXT,
    subject               TEXT NOT NULL,
    description           TEXT NOT NULL,
    priority              TEXT NOT NULL,
    assignee_id           TEXT,
    resolution            TEXT NOT NULL,
    response              TEXT NOT NULL,
    status                TEXT NOT NULL,
    first_response_at     TIMESTAMP,
    resolved_at           TIMESTAMP,
    first_response_due_at TIMESTAMP,
    resolution_due_at     TIMESTAMP,
    version               INTEGER NOT NULL,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    deleted_at            TIMESTAMP,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
);
CREATE INDEX feedback_created_idx ON feedback (org_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_kind_created_idx ON feedback (org_id, kind, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_customer_idx ON feedback (org_id, customer_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_open_complaints_idx ON feedback (org_id, status, created_at) WHERE deleted_at IS NULL AND kind = 'complaint';

CREATE TABLE feedback_sla (
    org_id                 TEXT NOT NULL REFERENCES organizations (id),
    priority               TEXT NOT NULL,
    first_response_minutes INTEGER NOT NULL,
    resolution_minutes     INTEGER NOT NULL,
    PRIMARY KEY (org_id, priority)
);

-- +goose Down
DROP TABLE feedback_sla;
DROP TABLE feedback;

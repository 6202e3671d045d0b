-- +goose Up
-- Survey answers, complaints, suggestions and compliments. A complaint's moves are events
-- (feedback.status_changed), so they share the change log's guarantees.
CREATE TABLE feedback (
    org_id                uuid NOT NULL REFERENCES organizations (id),
    id                    uuid NOT NULL,
    customer_id           uuid NOT NULL,
    kind                  text NOT NULL,
    score                 integer,
    comment               text NOT NULL,
    channel               text NOT NULL,
    survey                text NOT NULL,
    contact_id            uuid,
    subject               text NOT NULL,
    description           text NOT NULL,
    priority              text NOT NULL,
    assignee_id           uuid,
    resolution            text NOT NULL,
    response              text NOT NULL,
    status                text NOT NULL,
    first_response_at     timestamptz,
    resolved_at           timestamptz,
    first_response_due_at timestamptz,
    resolution_due_at     timestamptz,
    version               bigint NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    deleted_at            timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id)
);
CREATE INDEX feedback_created_idx ON feedback (org_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_kind_created_idx ON feedback (org_id, kind, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_customer_idx ON feedback (org_id, customer_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX feedback_open_complaints_idx ON feedback (org_id, status, created_at) WHERE deleted_at IS NULL AND kind = 'complaint';

CREATE TABLE feedback_sla (
    org_id                 uuid NOT NULL REFERENCES organizations (id),
    priority               text NOT NULL,
    first_response_minutes integer NOT NULL,
    resolution_minutes     integer NOT NULL,
    PRIMARY KEY (org_id, priority)
);

-- +goose Down
DROP TABLE feedback_sla;
DROP TABLE feedback;

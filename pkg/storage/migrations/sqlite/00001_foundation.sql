-- +goose Up
-- SQLite keeps uuids, json and times as text; times are always written in UTC in the driver's
-- one format, so that they sort in time order.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    id            TEXT NOT NULL,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX users_email_uq ON users (lower(email));
CREATE INDEX users_org_created_idx ON users (org_id, created_at, id);

CREATE TABLE refresh_tokens (
    org_id     TEXT NOT NULL,
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    family_id  TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE UNIQUE INDEX refresh_tokens_hash_uq ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (org_id, user_id);

CREATE TABLE api_keys (
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX api_keys_prefix_uq ON api_keys (prefix);
CREATE INDEX api_keys_org_created_idx ON api_keys (org_id, created_at, id);

CREATE TABLE customers (
    org_id                    TEXT NOT NULL REFERENCES organizations (id),
    id                        TEXT NOT NULL,
    external_id               TEXT,
    first_name                TEXT NOT NULL,
    last_name                 TEXT NOT NULL,
    email                     TEXT,
    phone                     TEXT NOT NULL,
    company                   TEXT NOT NULL,
    job_title                 TEXT NOT NULL,
    address                   TEXT,
    birthday                  DATE,
    tags                      TEXT NOT NULL,
    custom_fields             TEXT NOT NULL,
    owner_id                  TEXT,
    lifecycle_stage           TEXT NOT NULL,
    status                    TEXT NOT NULL,
    source                    TEXT NOT NULL,
    acquisition_cost_amount   TEXT,
    acquisition_cost_currency TEXT,
    marketing_consent         BOOLEAN NOT NULL,
    marketing_consent_at      TIMESTAMP,
    preferred_channel         TEXT NOT NULL,
    interests                 TEXT NOT NULL,
    search_text               TEXT NOT NULL,
    version                   INTEGER NOT NULL,
    created_at                TIMESTAMP NOT NULL,
    updated_at                TIMESTAMP NOT NULL,
    deleted_at                TIMESTAMP,
    merged_into_id            TEXT,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX customers_external_id_uq ON customers (org_id, external_id) WHERE deleted_at IS NULL AND external_id IS NOT NULL;
CREATE UNIQUE INDEX customers_email_uq ON customers (org_id, lower(email)) WHERE deleted_at IS NULL AND email IS NOT NULL;
CREATE INDEX customers_created_idx ON customers (org_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_updated_idx ON customers (org_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_last_name_idx ON customers (org_id, last_name, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_owner_idx ON customers (org_id, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX customers_deleted_idx ON customers (org_id, deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE events (
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    id           TEXT NOT NULL,
    type         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    actor_type   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    changes      TEXT,
    data         TEXT,
    occurred_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX events_subject_idx ON events (org_id, subject_id, id);
CREATE INDEX events_type_idx ON events (org_id, type, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE idempotency_keys (
    org_id           TEXT NOT NULL,
    credential_id    TEXT NOT NULL,
    key              TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    done             BOOLEAN NOT NULL,
    status_code      INTEGER NOT NULL,
    response_headers TEXT,
    response_body    BLOB,
    created_at       TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, credential_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE events;
DROP TABLE customers;
DROP TABLE api_keys;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE organizations;
DROP TABLE settings;

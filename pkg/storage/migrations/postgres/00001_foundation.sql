-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE organizations (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Sign-in is by email alone, so user emails are unique across organizations.
CREATE TABLE users (
    org_id        uuid NOT NULL REFERENCES organizations (id),
    id            uuid NOT NULL,
    email         text NOT NULL,
    name          text NOT NULL,
    role          text NOT NULL,
    active        boolean NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX users_email_uq ON users (lower(email));
CREATE INDEX users_org_created_idx ON users (org_id, created_at, id);

CREATE TABLE refresh_tokens (
    org_id     uuid NOT NULL,
    id         uuid NOT NULL,
    user_id    uuid NOT NULL,
    family_id  uuid NOT NULL,
    token_hash text NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE UNIQUE INDEX refresh_tokens_hash_uq ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (org_id, user_id);

CREATE TABLE api_keys (
    org_id       uuid NOT NULL REFERENCES organizations (id),
    id           uuid NOT NULL,
    name         text NOT NULL,
    prefix       text NOT NULL,
    key_hash     text NOT NULL,
    scopes       jsonb NOT NULL,
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX api_keys_prefix_uq ON api_keys (prefix);
CREATE INDEX api_keys_org_created_idx ON api_keys (org_id, created_at, id);

CREATE TABLE customers (
    org_id                    uuid NOT NULL REFERENCES organizations (id),
    id                        uuid NOT NULL,
    external_id               text,
    first_name                text NOT NULL,
    last_name                 text NOT NULL,
    email                     text,
    phone                     text NOT NULL,
    company                   text NOT NULL,
    job_title                 text NOT NULL,
    address                   jsonb,
    birthday                  date,
    tags                      jsonb NOT NULL,
    custom_fields             jsonb NOT NULL,
    owner_id                  uuid,
    lifecycle_stage           text NOT NULL,
    status                    text NOT NULL,
    source                    text NOT NULL,
    acquisition_cost_amount   numeric(19, 4),
    acquisition_cost_currency text,
    marketing_consent         boolean NOT NULL,
    marketing_consent_at      timestamptz,
    preferred_channel         text NOT NULL,
    interests                 jsonb NOT NULL,
    search_text               text NOT NULL,
    version                   bigint NOT NULL,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    deleted_at                timestamptz,
    merged_into_id            uuid,
    PRIMARY KEY (org_id, id)
);
-- Live customers only: a deleted customer frees its email and external_id (restore checks again).
CREATE UNIQUE INDEX customers_external_id_uq ON customers (org_id, external_id) WHERE deleted_at IS NULL AND external_id IS NOT NULL;
CREATE UNIQUE INDEX customers_email_uq ON customers (org_id, lower(email)) WHERE deleted_at IS NULL AND email IS NOT NULL;
-- Keyset pagination for every sort field.
CREATE INDEX customers_created_idx ON customers (org_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_updated_idx ON customers (org_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_last_name_idx ON customers (org_id, last_name, id) WHERE deleted_at IS NULL;
-- Free-text search and tag filters, with org_id inside the GIN index so one tenant's search
-- does not visit every tenant's matches.
CREATE INDEX customers_search_idx ON customers USING gin (org_id, search_text gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX customers_tags_idx ON customers USING gin (org_id, tags jsonb_path_ops) WHERE deleted_at IS NULL;
CREATE INDEX customers_owner_idx ON customers (org_id, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX customers_deleted_idx ON customers (org_id, deleted_at) WHERE deleted_at IS NOT NULL;

-- The append-only change log: every write adds one row in the same transaction.
CREATE TABLE events (
    org_id       uuid NOT NULL REFERENCES organizations (id),
    id           uuid NOT NULL,
    type         text NOT NULL,
    subject_type text NOT NULL,
    subject_id   uuid NOT NULL,
    actor_type   text NOT NULL,
    actor_id     uuid NOT NULL,
    changes      jsonb,
    data         jsonb,
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX events_subject_idx ON events (org_id, subject_id, id);
CREATE INDEX events_type_idx ON events (org_id, type, id);

-- +goose StatementBegin
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE TABLE idempotency_keys (
    org_id           uuid NOT NULL,
    credential_id    uuid NOT NULL,
    key              text NOT NULL,
    request_hash     text NOT NULL,
    done             boolean NOT NULL,
    status_code      integer NOT NULL,
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (org_id, credential_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE events;
DROP FUNCTION events_append_only;
DROP TABLE customers;
DROP TABLE api_keys;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE organizations;
DROP TABLE settings;

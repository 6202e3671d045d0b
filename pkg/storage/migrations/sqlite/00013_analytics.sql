-- +goose Up
-- SQLite keeps uuids, json, times and decimals as text, as in the earlier migrations.
-- Jobs: long work that answers 202 and runs on whichever instance claims it first. A claim is a
-- lease that the runner renews while it works; a lease that runs out (the instance died) lets
-- another instance take the job again, up to three attempts.
CREATE TABLE jobs (
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    id          TEXT NOT NULL,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    params      TEXT NOT NULL,
    progress    REAL NOT NULL,
    result      TEXT,
    error       text,
    attempts    INTEGER NOT NULL,
    lease_until TIMESTAMP,
    created_by  TEXT,
    created_at  TIMESTAMP NOT NULL,
    started_at  TIMESTAMP,
    finished_at TIMESTAMP,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX jobs_pending_idx ON jobs (created_at, id) WHERE status IN ('queued', 'running');

-- The summary of each analytics run, by kind and as-of date.
CREATE TABLE analytics_runs (
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    kind       TEXT NOT NULL,
    as_of      TIMESTAMP NOT NULL,
    job_id     TEXT NOT NULL,
    summary    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, kind, as_of)
);
CREATE INDEX analytics_runs_latest_idx ON analytics_runs (org_id, kind, created_at);

-- Per-customer results of the latest segmentation run (RFM and value tier).
CREATE TABLE rfm_scores (
    org_id           TEXT NOT NULL,
    customer_id      TEXT NOT NULL,
    as_of            TIMESTAMP NOT NULL,
    last_purchase_at TIMESTAMP NOT NULL,
    frequency        INTEGER NOT NULL,
    monetary         TEXT NOT NULL,
    r_score          INTEGER NOT NULL,
    f_score          INTEGER NOT NULL,
    m_score          INTEGER NOT NULL,
    segment          TEXT NOT NULL,
    revenue_12m      TEXT NOT NULL,
    key_account      BOOLEAN NOT NULL,
    PRIMARY KEY (org_id, customer_id)
);
CREATE INDEX rfm_scores_segment_idx ON rfm_scores (org_id, segment, customer_id);

-- Per-customer results of the latest lifetime-value fit.
CREATE TABLE clv_scores (
    org_id                TEXT NOT NULL,
    customer_id           TEXT NOT NULL,
    as_of                 TIMESTAMP NOT NULL,
    repeat_purchases      INTEGER NOT NULL,
    tenure_weeks          REAL NOT NULL,
    p_alive               REAL NOT NULL,
    churn_risk            REAL NOT NULL,
    expected_purchases_90  REAL NOT NULL,
    expected_purchases_365 REAL NOT NULL,
    expected_order_value  REAL NOT NULL,
    clv                   REAL NOT NULL,
    revenue               REAL NOT NULL,
    last_purchase_day     TIMESTAMP NOT NULL,
    quadrant              TEXT NOT NULL,
    PRIMARY KEY (org_id, customer_id)
);
CREATE INDEX clv_scores_clv_idx ON clv_scores (org_id, clv, customer_id);
CREATE INDEX clv_scores_risk_idx ON clv_scores (org_id, churn_risk);

-- +goose Down
DROP TABLE clv_scores;
DROP TABLE rfm_scores;
DROP TABLE analytics_runs;
DROP TABLE jobs;

-- +goose Up
-- Jobs: long work that answers 202 and runs on whichever instance claims it first. A claim is a
-- lease that the runner renews while it works; a lease that runs out (the instance died) lets
-- another instance take the job again, up to three attempts.
CREATE TABLE jobs (
    org_id      uuid NOT NULL REFERENCES organizations (id),
    id          uuid NOT NULL,
    type        text NOT NULL,
    status      text NOT NULL,
    params      jsonb NOT NULL,
    progress    double precision NOT NULL,
    result      jsonb,
    error       text,
    attempts    integer NOT NULL,
    lease_until timestamptz,
    created_by  uuid,
    created_at  timestamptz NOT NULL,
    started_at  timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX jobs_pending_idx ON jobs (created_at, id) WHERE status IN ('queued', 'running');

-- The summary of each analytics run, by kind and as-of date.
CREATE TABLE analytics_runs (
    org_id     uuid NOT NULL REFERENCES organizations (id),
    kind       text NOT NULL,
    as_of      timestamptz NOT NULL,
    job_id     uuid NOT NULL,
    summary    jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, kind, as_of)
);
CREATE INDEX analytics_runs_latest_idx ON analytics_runs (org_id, kind, created_at);

-- Per-customer results of the latest segmentation run (RFM and value tier).
CREATE TABLE rfm_scores (
    org_id           uuid NOT NULL,
    customer_id      uuid NOT NULL,
    as_of            timestamptz NOT NULL,
    last_purchase_at timestamptz NOT NULL,
    frequency        integer NOT NULL,
    monetary         numeric(19, 4) NOT NULL,
    r_score          smallint NOT NULL,
    f_score          smallint NOT NULL,
    m_score          smallint NOT NULL,
    segment          text NOT NULL,
    revenue_12m      numeric(19, 4) NOT NULL,
    key_account      boolean NOT NULL,
    PRIMARY KEY (org_id, customer_id)
);
CREATE INDEX rfm_scores_segment_idx ON rfm_scores (org_id, segment, customer_id);

-- Per-customer results of the latest lifetime-value fit.
CREATE TABLE clv_scores (
    org_id                uuid NOT NULL,
    customer_id           uuid NOT NULL,
    as_of                 timestamptz NOT NULL,
    repeat_purchases      integer NOT NULL,
    tenure_weeks          double precision NOT NULL,
    p_alive               double precision NOT NULL,
    churn_risk            double precision NOT NULL,
    expected_purchases_90  double precision NOT NULL,
    expected_purchases_365 double precision NOT NULL,
    expected_order_value  double precision NOT NULL,
    clv                   double precision NOT NULL,
    revenue               double precision NOT NULL,
    last_purchase_day     timestamptz NOT NULL,
    quadrant              text NOT NULL,
    PRIMARY KEY (org_id, customer_id)
);
CREATE INDEX clv_scores_clv_idx ON clv_scores (org_id, clv, customer_id);
CREATE INDEX clv_scores_risk_idx ON clv_scores (org_id, churn_risk);

-- +goose Down
DROP TABLE clv_scores;
DROP TABLE rfm_scores;
DROP TABLE analytics_runs;
DROP TABLE jobs;

-- +goose Up
-- The organization's lifetime-value backtests, newest first: their parameters and summary (what
-- GET /v1/analytics/clv/backtests/{id} answers). id is the job's.
CREATE TABLE clv_backtests (
    org_id     uuid NOT NULL REFERENCES organizations (id),
    id         uuid NOT NULL,
    summary    jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX clv_backtests_created_idx ON clv_backtests (org_id, created_at, id);

-- Per-customer results of the organization's latest lifetime-value backtest: what the models,
-- fitted on the purchases to calibration_end, and the baselines predicted for the holdout to
-- holdout_end, beside what happened (the rows of older backtests are dropped).
CREATE TABLE clv_backtest_scores (
    org_id              uuid NOT NULL,
    customer_id              uuid NOT NULL,
    backtest_id              uuid NOT NULL,
    calibration_end          timestamptz NOT NULL,
    holdout_end              timestamptz NOT NULL,
    repeat_purchases         integer NOT NULL,
    days_since_last_purchase integer NOT NULL,
    p_alive                  double precision NOT NULL,
    p_return                 double precision NOT NULL,
    predicted_purchases      double precision NOT NULL,
    baseline_purchases       double precision NOT NULL,
    actual_purchases         integer NOT NULL,
    predicted_spend          double precision NOT NULL,
    baseline_spend           double precision NOT NULL,
    actual_spend             double precision NOT NULL,
    PRIMARY KEY (org_id, customer_id)
);

-- +goose Down
DROP TABLE clv_backtest_scores;
DROP TABLE clv_backtests;

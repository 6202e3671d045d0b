-- +goose Up
-- The organization's lifetime-value backtests, newest first: their parameters and summary (what
-- GET /v1/analytics/clv/backtests/{id} answers). id is the job's.
CREATE TABLE clv_backtests (
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    id         TEXT NOT NULL,
    summary    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX clv_backtests_created_idx ON clv_backtests (org_id, created_at, id);

-- Per-customer results of the organization's latest lifetime-value backtest: what the models,
-- fitted on the purchases to calibration_end, and the baselines predicted for the holdout to
-- holdout_end, beside what happened (the rows of older backtests are dropped).
CREATE TABLE clv_backtest_scores (
    org_id              TEXT NOT NULL,
    customer_id              TEXT NOT NULL,
    backtest_id              TEXT NOT NULL,
    calibration_end          TIMESTAMP NOT NULL,
    holdout_end              TIMESTAMP NOT NULL,
    repeat_purchases         INTEGER NOT NULL,
    days_since_last_purchase INTEGER NOT NULL,
    p_alive                  REAL NOT NULL,
    p_return                 REAL NOT NULL,
    predicted_purchases      REAL NOT NULL,
    baseline_purchases       REAL NOT NULL,
    actual_purchases         INTEGER NOT NULL,
    predicted_spend          REAL NOT NULL,
    baseline_spend           REAL NOT NULL,
    actual_spend             REAL NOT NULL,
    PRIMARY KEY (org_id, customer_id)
);

-- +goose Down
DROP TABLE clv_backtest_scores;
DROP TABLE clv_backtests;

-- +goose Up
-- Per-customer results of the organization's latest lifetime-value backtest: what the models,
-- fitted on the purchases to calibration_end, and the baselines predicted for the holdout to
-- holdout_end, beside what happened. The run's summary is in analytics_runs (kind clv_backtest).
CREATE TABLE clv_backtest_scores (
    org_id                   uuid NOT NULL,
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

package analyticsapi

import (
	"encoding/json"
	"time"

	"github.com/rapportcrm/rapport/api/feedbackapi"
	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/job"
)

// Job is a background job.
type Job struct {
	ID     string `json:"id" format:"uuid"`
	Type   string `json:"type" enums:"analytics.segmentation,analytics.clv_fit,analytics.clv_backtest"`
	Status string `json:"status" enums:"queued,running,succeeded,failed"`
	// From 0 to 1.
	Progress float64 `json:"progress"`
	// What the job answered once succeeded (the run's summary); null before.
	Result any `json:"result" swaggertype:"object" extensions:"x-nullable"`
	// Why the job failed; null unless it did.
	Error      *string    `json:"error" extensions:"x-nullable"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at" extensions:"x-nullable"`
} // @name Job

func toJob(j job.Job) Job {
	out := Job{ID: j.ID.String(), Type: j.Type, Status: string(j.Status), Progress: j.Progress, CreatedAt: j.CreatedAt,
		FinishedAt: j.FinishedAt}
	if len(j.Result) > 0 && string(j.Result) != "null" {
		out.Result = json.RawMessage(j.Result)
	}
	if j.Error != "" {
		out.Error = &j.Error
	}
	return out
}

// RunRequest starts a segmentation run.
type RunRequest struct {
	// The moment the analysis looks from (RFC 3339); default now. Purchases after it are ignored.
	AsOf *time.Time `json:"as_of,omitempty" extensions:"x-nullable"`
} // @name AnalyticsRunRequest

// FitRequest starts a lifetime-value fit.
type FitRequest struct {
	// The moment the models look from (RFC 3339); default now.
	AsOf *time.Time `json:"as_of,omitempty" extensions:"x-nullable"`
	// The CLV horizon in months, 1 to 120; default 12.
	HorizonMonths *int `json:"horizon_months,omitempty" extensions:"x-nullable" example:"12"`
	// The monthly discount rate, from 0 to below 1; default 0.01.
	MonthlyDiscountRate *float64 `json:"monthly_discount_rate,omitempty" extensions:"x-nullable" example:"0.01"`
	// Loyalty-matrix cut-offs: loyal means P(alive) ≥ loyal_p_alive (default 0.5) and a tenure of at
	// least loyal_min_tenure_weeks (default 26) since the first purchase.
	LoyalPAlive         *float64 `json:"loyal_p_alive,omitempty" extensions:"x-nullable" example:"0.5"`
	LoyalMinTenureWeeks *float64 `json:"loyal_min_tenure_weeks,omitempty" extensions:"x-nullable" example:"26"`
	// Profitable means a CLV of at least this; default the median CLV of the scored customers.
	ProfitableCLV *float64 `json:"profitable_clv,omitempty" extensions:"x-nullable"`
} // @name CLVFitRequest

// BacktestRequest starts a lifetime-value backtest.
type BacktestRequest struct {
	// The models are fitted on the purchases up to this moment (RFC 3339). The models count whole
	// UTC days: end a day at 23:59:59, e.g. 1997-09-30T23:59:59Z.
	CalibrationEnd time.Time `json:"calibration_end" validate:"required" example:"1997-09-30T23:59:59Z"`
	// The holdout ends at this moment, on a later UTC day than calibration_end and not in the
	// future: the predictions are judged on the purchases in between.
	HoldoutEnd time.Time `json:"holdout_end" validate:"required" example:"1998-06-30T23:59:59Z"`
	// A customer is flagged at risk when P(alive) at calibration_end is below this, above 0 and
	// below 1; default 0.5.
	AtRiskPAlive *float64 `json:"at_risk_p_alive,omitempty" validate:"omitempty,gt=0,lt=1" extensions:"x-nullable" example:"0.5"`
} // @name BacktestRequest

// Matrix is the loyalty/profitability matrix of a fit.
type Matrix struct {
	AsOf                time.Time                   `json:"as_of"`
	LoyalPAlive         float64                     `json:"loyal_p_alive"`
	LoyalMinTenureWeeks float64                     `json:"loyal_min_tenure_weeks"`
	ProfitableCLV       float64                     `json:"profitable_clv"`
	Quadrants           []analytics.QuadrantFigures `json:"quadrants"`
} // @name LoyaltyMatrix

// AtRisk is a customer worth winning back.
type AtRisk struct {
	CustomerID           string    `json:"customer_id" format:"uuid"`
	ChurnRisk            float64   `json:"churn_risk"`
	Revenue              float64   `json:"revenue"`
	CLV                  float64   `json:"clv"`
	LastPurchaseDay      time.Time `json:"last_purchase_day"`
	ExpectedPurchases365 float64   `json:"expected_purchases_365d"`
} // @name AtRiskCustomer

// ChurnReport answers GET /v1/analytics/churn.
type ChurnReport struct {
	AsOf      time.Time `json:"as_of"`
	ModelAsOf time.Time `json:"model_as_of"`
	// Customers with churn_risk ≥ min_risk and past net revenue ≥ min_revenue (the 80th percentile of
	// the scored customers'), the most recently lapsed first (at most limit).
	AtRisk      []AtRisk `json:"at_risk"`
	AtRiskTotal int      `json:"at_risk_total"`
	MinRevenue  float64  `json:"min_revenue"`
	// Per month: of the customers who bought in the month before, the share who bought again.
	Retention []analytics.PeriodRetention `json:"retention"`
	// Per first-purchase month: the share of its customers buying in each month since.
	Cohorts []analytics.Cohort `json:"cohorts"`
	// Active customers whose churn_risk ≥ churned_risk: the rule to mark them churned
	// (POST /v1/analytics/churn/apply). A churned customer who buys again becomes won_back.
	ShouldChurn      []string `json:"should_churn" format:"uuid"`
	ShouldChurnTotal int      `json:"should_churn_total"`
} // @name ChurnReport

// ApplyRequest applies the ladder or churn rules.
type ApplyRequest struct {
	// Only list what would change; default true.
	DryRun *bool `json:"dry_run,omitempty" extensions:"x-nullable"`
	// Change at most this many customers (1 to 1000); default 1000.
	Limit *int `json:"limit,omitempty" extensions:"x-nullable" validate:"omitempty,min=1,max=1000"`
	// Ladder: the moment the rules look from; default now.
	AsOf *time.Time `json:"as_of,omitempty" extensions:"x-nullable"`
	// Churn: the churn-risk threshold, 0 to 1; default 0.9.
	MinRisk *float64 `json:"min_risk,omitempty" extensions:"x-nullable" validate:"omitempty,min=0,max=1"`
} // @name RuleApplyRequest

// ApplyResult lists the changes made (or, in a dry run, that would be made).
type ApplyResult struct {
	DryRun  bool               `json:"dry_run"`
	Changes []analytics.Change `json:"changes"`
	// How many customers qualify in all (more than changes when limit cut the list).
	Total int `json:"total"`
} // @name RuleApplyResult

// SourceCAC is the acquisition cost of one source's new customers.
type SourceCAC struct {
	NewCustomers int `json:"new_customers"`
	// Of them, those with an acquisition cost in the organization's currency.
	WithCost int      `json:"with_cost"`
	Cost     float64  `json:"cost"`
	CAC      *float64 `json:"cac" extensions:"x-nullable"`
} // @name SourceCAC

// KPIs answers GET /v1/analytics/kpis. Ratios are null when their denominator is 0.
type KPIs struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Currency string    `json:"currency"`
	// Live customers created before to.
	CustomersTotal int `json:"customers_total"`
	// Created in the period.
	NewCustomers int `json:"new_customers"`
	// Bought in the period.
	ActiveCustomers int `json:"active_customers"`
	// Status changes to churned and to won_back recorded in the period.
	Churned int `json:"churned"`
	WonBack int `json:"won_back"`
	// Of the customers who bought in the equally long period before, the share who bought in this one.
	RetentionRate *float64 `json:"retention_rate" extensions:"x-nullable"`
	ChurnRate     *float64 `json:"churn_rate" extensions:"x-nullable"`
	// Buyers of the period who bought 2+ times in it / buyers.
	RepeatPurchaseRate *float64 `json:"repeat_purchase_rate" extensions:"x-nullable"`
	Orders             int      `json:"orders"`
	// Net revenue of the period's purchases.
	Revenue           float64  `json:"revenue"`
	AverageOrderValue *float64 `json:"average_order_value" extensions:"x-nullable"`
	// Orders per buyer.
	PurchaseFrequency *float64 `json:"purchase_frequency" extensions:"x-nullable"`
	// Acquisition costs of the period's new customers / those of them with a cost.
	CAC         *float64             `json:"cac" extensions:"x-nullable"`
	CACBySource map[string]SourceCAC `json:"cac_by_source"`
	// The mean CLV of the latest fit / CAC; null without a fit or a CAC.
	CLVToCAC *float64 `json:"clv_to_cac" extensions:"x-nullable"`
	// Feedback created in the period: NPS, CSAT, CES and complaint handling (as /v1/feedback/stats).
	Feedback feedbackapi.FeedbackStats `json:"feedback"`
} // @name KPIs

// Package analytics turns purchases and the event log into decisions: RFM segments and
// value tiers, lifetime value and churn risk from the BG/NBD and Gamma-Gamma models, the loyalty
// matrix, the loyalty ladder and the KPIs, and the backtests that judge the lifetime-value models
// on a holdout period. The long computations run as jobs and store their results: a run's
// summary for the reports, per-customer scores for the customer lists.
package analytics

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/job"
)

// Kinds of stored runs, and the job types that produce them.
const (
	KindSegmentation = "segmentation"
	KindCLV          = "clv"
	JobSegmentation  = "analytics.segmentation"
	JobCLV           = "analytics.clv_fit"
	JobBacktest      = "analytics.clv_backtest"
)

// Run is the stored summary of one computation as of a date.
type Run struct {
	OrgID     uuid.UUID
	Kind      string
	AsOf      time.Time
	JobID     uuid.UUID
	Summary   json.RawMessage
	CreatedAt time.Time
}

// ErrNoRun is answered when a report is read before its job has run.
var ErrNoRun = apperr.New(apperr.KindNotFound, "no run of this analysis yet (for this as_of): start one with the POST endpoint")

// Purchase facts read by the analyses: purchases that are completed (a partial refund keeps a
// purchase completed; its value is net of the refund), in the organization's currency, by live
// customers, at or before the as-of time.

// CustomerHistory is one customer's purchases summed by day (UTC days since 1970-01-01).
type CustomerHistory struct {
	CustomerID     uuid.UUID
	FirstDay       int
	LastDay        int
	Days           int     // distinct purchase days
	Total          float64 // net value of all purchases
	FirstDayTotal  float64
	LastPurchaseAt time.Time
}

// CLVScore is one customer's result of a lifetime-value fit.
type CLVScore struct {
	CustomerID           uuid.UUID
	RepeatPurchases      int
	TenureWeeks          float64
	PAlive               float64
	ExpectedPurchases90  float64
	ExpectedPurchases365 float64
	ExpectedOrderValue   float64
	CLV                  float64
	Revenue              float64
	LastPurchaseAt       time.Time
	Quadrant             string
}

// Store is what the analyses need from storage. The heavy aggregation happens there, in SQL.
type Store interface {
	OrgCurrency(ctx context.Context, orgID uuid.UUID) (string, error)
	// ScoreSegments replaces the organization's RFM scores with those as of asOf and answers
	// the run's figures (everything but the as-of date and currency).
	ScoreSegments(ctx context.Context, orgID uuid.UUID, asOf time.Time, currency string) (Segmentation, error)
	// Histories answers every customer's purchase history as of asOf.
	Histories(ctx context.Context, orgID uuid.UUID, asOf time.Time, currency string) ([]CustomerHistory, error)
	// ReplaceCLVScores replaces the organization's lifetime-value scores.
	ReplaceCLVScores(ctx context.Context, orgID uuid.UUID, asOf time.Time, scores []CLVScore) error
	SaveRun(ctx context.Context, r Run) error
	// LatestRun answers the run of that kind as of asOf, or the latest when asOf is nil.
	LatestRun(ctx context.Context, orgID uuid.UUID, kind string, asOf *time.Time) (Run, error)
	// WinBack answers the scored customers with at least minRisk churn risk and minRevenue
	// revenue, the most recently lapsed first.
	WinBack(ctx context.Context, orgID uuid.UUID, minRisk, minRevenue float64, limit int) ([]CLVScore, int, error)
	// Retention answers per month (year*12 + month-1) the customers who bought in it and how
	// many of them bought in the next month, and the monthly cohort table, from firstMonth on.
	Retention(ctx context.Context, orgID uuid.UUID, firstMonth int, asOf time.Time, currency string) ([]MonthActivity, []CohortCell, error)
	// ChurnCandidates answers the active customers whose churn risk is at least minRisk.
	ChurnCandidates(ctx context.Context, orgID uuid.UUID, minRisk float64, limit int) ([]uuid.UUID, int, error)
	// StageCounts answers the live customers per lifecycle stage, now or as of asOf; StageMoves
	// the stage changes recorded in [from, to).
	StageCounts(ctx context.Context, orgID uuid.UUID, asOf *time.Time) (map[string]int, error)
	StageMoves(ctx context.Context, orgID uuid.UUID, from, to time.Time) ([]StageMove, error)
	// LadderCandidates answers the live customers that a promotion rule applies to.
	LadderCandidates(ctx context.Context, orgID uuid.UUID, rule LadderRule, asOf time.Time, currency string, limit int) ([]uuid.UUID, int, error)
	// PeriodFacts sums the purchase and customer figures of [from, to).
	PeriodFacts(ctx context.Context, orgID uuid.UUID, from, to time.Time, currency string) (PeriodFacts, error)
	BacktestStore
}

// Customers changes customers' stage or status as the ladder and churn rules say, through the
// customer service so that every change has its events.
type Customers interface {
	SetStageOrStatus(ctx context.Context, actor event.Actor, id uuid.UUID, stage, status string) error
}

// Jobs runs the analyses in the background. Enqueue answers the job already queued or running
// for an identical run, and job.ErrTooMany when the organization has too many.
type Jobs interface {
	Handle(typ string, h job.Handler)
	Enqueue(ctx context.Context, s job.Spec) (job.Job, error)
}

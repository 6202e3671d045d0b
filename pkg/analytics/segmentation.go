package analytics

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/job"
)

// SegmentationParams are a segmentation job's parameters.
type SegmentationParams struct {
	AsOf time.Time `json:"as_of"`
}

// SegmentFigures are one RFM segment's customers and revenue.
type SegmentFigures struct {
	Segment      string          `json:"segment"`
	Customers    int             `json:"customers"`
	Revenue      decimal.Decimal `json:"revenue" swaggertype:"string" example:"1234.50"`
	RevenueShare float64         `json:"revenue_share"`
} // @name RFMSegmentFigures

// ScoreRange is the range of values that received a score.
type ScoreRange struct {
	Score int     `json:"score"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
} // @name RFMScoreRange

// Cutoffs are the value ranges of each score: recency in days since the last purchase,
// frequency in purchases, monetary in the organization's currency.
type Cutoffs struct {
	Recency   []ScoreRange `json:"recency"`
	Frequency []ScoreRange `json:"frequency"`
	Monetary  []ScoreRange `json:"monetary"`
} // @name RFMCutoffs

// LorenzPoint is the share of revenue brought by the poorest Percentile percent of customers.
type LorenzPoint struct {
	Percentile   int     `json:"percentile"`
	RevenueShare float64 `json:"revenue_share"`
} // @name LorenzPoint

// Pareto is the concentration of trailing-12-month revenue.
type Pareto struct {
	Customers     int             `json:"customers"`
	Revenue       decimal.Decimal `json:"revenue" swaggertype:"string" example:"1234.50"`
	TopShare      float64         `json:"top_20_percent_share"`
	KeyAccounts   int             `json:"key_accounts"`
	Gini          float64         `json:"gini"`
	Lorenz        []LorenzPoint   `json:"lorenz"`
	WindowStartAt time.Time       `json:"window_start_at"`
} // @name ParetoReport

// Segmentation is the stored summary of a segmentation run.
type Segmentation struct {
	AsOf      time.Time        `json:"as_of"`
	Currency  string           `json:"currency"`
	Customers int              `json:"customers"`
	Revenue   decimal.Decimal  `json:"revenue" swaggertype:"string" example:"1234.50"`
	Segments  []SegmentFigures `json:"segments"`
	Cutoffs   Cutoffs          `json:"cutoffs"`
	Pareto    Pareto           `json:"pareto"`
	// The last RetentionMonths months up to as_of: monthly retention and first-purchase cohorts.
	Retention []PeriodRetention `json:"retention"`
	Cohorts   []Cohort          `json:"cohorts"`
	// Seconds spent scoring (with the segment and Pareto figures) and on retention and cohorts.
	ScoreSeconds     float64 `json:"score_seconds"`
	RetentionSeconds float64 `json:"retention_seconds"`
	JobID            string  `json:"job_id"`
} // @name RFMReport

// StartSegmentation enqueues a segmentation job as of asOf (nil: now). Two runs are the same when
// they ask for the same as-of time (or both for now).
func (s *Service) StartSegmentation(ctx context.Context, actor event.Actor, asOf *time.Time) (job.Job, error) {
	at, err := s.asOf(asOf)
	if err != nil {
		return job.Job{}, err
	}
	p := SegmentationParams{AsOf: at}
	identity := p
	if asOf == nil {
		identity.AsOf = time.Time{} // now, whenever it runs
	}
	return s.jobs.Enqueue(ctx, job.Spec{OrgID: actor.OrgID, CreatedBy: actorUser(actor), Type: JobSegmentation, Params: p, Identity: identity})
}

func (s *Service) runSegmentation(ctx context.Context, j job.Job, progress func(float64)) (any, error) {
	p, currency, err := jobInput[SegmentationParams](ctx, s, j)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	seg, err := s.store.ScoreSegments(ctx, j.OrgID, p.AsOf, currency)
	if err != nil {
		return nil, err
	}
	seg.ScoreSeconds = time.Since(start).Seconds()
	progress(0.6)
	start = time.Now()
	if seg.Retention, seg.Cohorts, err = s.retention(ctx, j.OrgID, p.AsOf, currency, RetentionMonths); err != nil {
		return nil, err
	}
	seg.RetentionSeconds = time.Since(start).Seconds()
	seg.AsOf, seg.Currency, seg.JobID = p.AsOf, currency, j.ID.String()
	if err := s.saveRun(ctx, j, KindSegmentation, p.AsOf, seg); err != nil {
		return nil, err
	}
	return seg, nil
}

// Segmentation answers the stored segmentation as of asOf, or the latest.
func (s *Service) Segmentation(ctx context.Context, actor event.Actor, asOf *time.Time) (Segmentation, error) {
	var seg Segmentation
	return seg, s.latest(ctx, actor.OrgID, KindSegmentation, asOf, &seg)
}

func actorUser(a event.Actor) *uuid.UUID {
	id := a.ID
	return &id
}

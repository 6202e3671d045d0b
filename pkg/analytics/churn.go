package analytics

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/event"
)

// ChurnQuery asks for the churn report: customers at risk (churn risk of at least MinRisk) worth
// winning back (past revenue of at least the 80th percentile of the scored customers'), the
// monthly retention of the last Months months (at most RetentionMonths) of the segmentation run
// as of AsOf, and the customers that the churn rule would mark.
type ChurnQuery struct {
	AsOf        *time.Time
	MinRisk     float64
	ChurnedRisk float64
	Months      int
	Limit       int
}

// Defaults of the churn report.
const (
	DefaultMinRisk     = 0.5
	DefaultChurnedRisk = 0.9
	DefaultMonths      = 12
)

// MonthActivity is one month's buyers and how many of them bought again the next month.
type MonthActivity struct {
	Month, Active, RetainedNext int
}

// CohortCell is how many customers of a first-purchase month bought in a later month.
type CohortCell struct {
	Cohort, Month, Customers int
}

// PeriodRetention is one month's retention: of the customers who bought in the month before,
// the share who bought again in this one; churn is the rest.
type PeriodRetention struct {
	Month         string   `json:"month"`
	Base          int      `json:"base"`
	Retained      int      `json:"retained"`
	RetentionRate *float64 `json:"retention_rate" extensions:"x-nullable"`
	ChurnRate     *float64 `json:"churn_rate" extensions:"x-nullable"`
} // @name PeriodRetention

// Cohort is the customers whose first purchase fell in a month, and the share of them buying
// in each month since (index 0: the first month, always 1).
type Cohort struct {
	Month     string    `json:"month"`
	Customers int       `json:"customers"`
	Retention []float64 `json:"retention"`
} // @name Cohort

// ChurnReport is the churn analysis.
type ChurnReport struct {
	AsOf         time.Time         `json:"as_of"`
	ModelAsOf    time.Time         `json:"model_as_of"`
	MinRevenue   float64           `json:"min_revenue"`
	AtRisk       []CLVScore        `json:"-"`
	AtRiskTotal  int               `json:"at_risk_total"`
	Retention    []PeriodRetention `json:"retention"`
	Cohorts      []Cohort          `json:"cohorts"`
	ShouldChurn  []uuid.UUID       `json:"should_churn"`
	ChurnedTotal int               `json:"should_churn_total"`
}

func monthIndex(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }

func monthName(i int) string {
	return time.Date(i/12, time.Month(i%12+1), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
}

// share is part/whole as ratio rounds it; nil when whole is 0.
func share(part, whole int) *float64 { return ratio(float64(part), float64(whole)) }

// RetentionMonths is how many months of retention and cohorts a segmentation run stores.
const RetentionMonths = 24

// Churn answers the churn report. The at-risk and should-churn lists come from the latest
// lifetime-value fit; the retention figures from the segmentation run as of q.AsOf (or the latest).
func (s *Service) Churn(ctx context.Context, actor event.Actor, q ChurnQuery) (ChurnReport, error) {
	fit, err := s.CLVFit(ctx, actor, nil)
	if err != nil {
		return ChurnReport{}, err
	}
	seg, err := s.Segmentation(ctx, actor, q.AsOf)
	if err != nil {
		return ChurnReport{}, err
	}
	rep := ChurnReport{AsOf: seg.AsOf, ModelAsOf: fit.AsOf, MinRevenue: fit.WinBackRevenue, Retention: seg.Retention, Cohorts: []Cohort{}}
	if rep.AtRisk, rep.AtRiskTotal, err = s.store.WinBack(ctx, actor.OrgID, q.MinRisk, rep.MinRevenue, q.Limit); err != nil {
		return ChurnReport{}, err
	}
	if rep.ShouldChurn, rep.ChurnedTotal, err = s.store.ChurnCandidates(ctx, actor.OrgID, q.ChurnedRisk, q.Limit); err != nil {
		return ChurnReport{}, err
	}
	rep.Retention = rep.Retention[max(0, len(rep.Retention)-q.Months):]
	if len(rep.Retention) > 0 {
		for _, c := range seg.Cohorts {
			if c.Month >= rep.Retention[0].Month {
				rep.Cohorts = append(rep.Cohorts, c)
			}
		}
	}
	return rep, nil
}

// retention computes the monthly retention and the cohort table of the months months up to asOf.
func (s *Service) retention(ctx context.Context, orgID uuid.UUID, asOf time.Time, currency string, months int) ([]PeriodRetention, []Cohort, error) {
	last := monthIndex(asOf)
	first := last - months + 1
	active, cells, err := s.store.Retention(ctx, orgID, first-1, asOf, currency)
	if err != nil {
		return nil, nil, err
	}
	byMonth := map[int]MonthActivity{}
	for _, m := range active {
		byMonth[m.Month] = m
	}
	var retention []PeriodRetention
	for m := first; m <= last; m++ {
		prev := byMonth[m-1]
		retention = append(retention, PeriodRetention{Month: monthName(m), Base: prev.Active, Retained: prev.RetainedNext,
			RetentionRate: share(prev.RetainedNext, prev.Active), ChurnRate: share(prev.Active-prev.RetainedNext, prev.Active)})
	}
	cohorts := map[int]*Cohort{}
	for _, c := range cells {
		if c.Cohort < first {
			continue
		}
		co := cohorts[c.Cohort]
		if co == nil {
			co = &Cohort{Month: monthName(c.Cohort), Retention: make([]float64, last-c.Cohort+1)}
			cohorts[c.Cohort] = co
		}
		if c.Month == c.Cohort {
			co.Customers = c.Customers
		}
	}
	for _, c := range cells {
		if co := cohorts[c.Cohort]; co != nil && co.Customers > 0 {
			co.Retention[c.Month-c.Cohort] = *share(c.Customers, co.Customers)
		}
	}
	out := []Cohort{}
	for m := first; m <= last; m++ {
		if co := cohorts[m]; co != nil {
			out = append(out, *co)
		}
	}
	return retention, out, nil
}

// ApplyChurn marks the customers that the churn rule names as churned (with dry run, only lists
// them). It changes at most limit customers a call.
func (s *Service) ApplyChurn(ctx context.Context, actor event.Actor, minRisk float64, limit int, dryRun bool) ([]Change, int, error) {
	if _, err := s.CLVFit(ctx, actor, nil); err != nil {
		return nil, 0, err
	}
	ids, total, err := s.store.ChurnCandidates(ctx, actor.OrgID, minRisk, limit)
	if err != nil {
		return nil, 0, err
	}
	changes := make([]Change, len(ids))
	for i, id := range ids {
		changes[i] = Change{CustomerID: id, Field: "status", From: "active", To: "churned", Rule: "churn_risk"}
	}
	changes, err = s.apply(ctx, actor, changes, dryRun)
	return changes, total, err
}

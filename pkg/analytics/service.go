package analytics

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/job"
)

// Service runs and reads the analyses.
type Service struct {
	store     Store
	jobs      Jobs
	customers Customers
	now       func() time.Time
}

// NewService returns the service and registers its job handlers with jobs.
func NewService(store Store, jobs Jobs, customers Customers, now func() time.Time) *Service {
	s := &Service{store: store, jobs: jobs, customers: customers, now: now}
	jobs.Handle(JobSegmentation, s.runSegmentation)
	jobs.Handle(JobCLV, s.runCLV)
	jobs.Handle(JobBacktest, s.runBacktest)
	return s
}

// Epoch is the earliest as-of time an analysis takes: the runs reach back two years from it.
var Epoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// ErrAsOfTooEarly is answered for an as-of time before Epoch.
var ErrAsOfTooEarly = apperr.Invalid(apperr.FieldError{Field: "as_of", Message: "must not be before " + Epoch.Format(time.RFC3339)})

// asOf answers the as-of time of a request: the given time, or now.
func (s *Service) asOf(t *time.Time) (time.Time, error) {
	if t == nil {
		return s.now().UTC().Truncate(time.Microsecond), nil
	}
	if t.Before(Epoch) {
		return time.Time{}, ErrAsOfTooEarly
	}
	return t.UTC(), nil
}

// jobInput decodes a job's parameters and reads the organization's currency.
func jobInput[P any](ctx context.Context, s *Service, j job.Job) (P, string, error) {
	var p P
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return p, "", err
	}
	currency, err := s.store.OrgCurrency(ctx, j.OrgID)
	return p, currency, err
}

func (s *Service) saveRun(ctx context.Context, j job.Job, kind string, asOf time.Time, summary any) error {
	raw, err := json.Marshal(summary)
	if err != nil {
		return err
	}
	return s.store.SaveRun(ctx, Run{OrgID: j.OrgID, Kind: kind, AsOf: asOf, JobID: j.ID, Summary: raw,
		CreatedAt: s.now().UTC().Truncate(time.Microsecond)})
}

// latest decodes the stored summary of a run into v.
func (s *Service) latest(ctx context.Context, orgID uuid.UUID, kind string, asOf *time.Time, v any) error {
	r, err := s.store.LatestRun(ctx, orgID, kind, asOf)
	if err != nil {
		return err
	}
	return json.Unmarshal(r.Summary, v)
}

package feedback

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Fakes of the interfaces the service consumes, after benbjohnson/wtf's mock package: a field
// per method, which the method calls. A test sets the fields it expects to be called; calling
// one it left nil panics, which fails the test at the unexpected call.

var (
	_ Store      = (*fakeStore)(nil)
	_ Customers  = (*fakeCustomers)(nil)
	_ Users      = (*fakeUsers)(nil)
	_ Transactor = fakeTx{}
)

// fakeTx runs fn in no transaction: the fakes have nothing to roll back.
type fakeTx struct{}

func (fakeTx) InTx(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

type fakeCustomers struct {
	CheckLiveFn func(ctx context.Context, orgID, id uuid.UUID) error
}

func (f *fakeCustomers) CheckLive(ctx context.Context, orgID, id uuid.UUID) error {
	return f.CheckLiveFn(ctx, orgID, id)
}

type fakeUsers struct {
	ActiveUserExistsFn func(ctx context.Context, orgID, userID uuid.UUID) (bool, error)
}

func (f *fakeUsers) ActiveUserExists(ctx context.Context, orgID, userID uuid.UUID) (bool, error) {
	return f.ActiveUserExistsFn(ctx, orgID, userID)
}

type fakeStore struct {
	RecordEventFn    func(ctx context.Context, e event.Event) error
	InsertFn         func(ctx context.Context, f Feedback) error
	UpdateFn         func(ctx context.Context, f Feedback, prev int64) error
	GetFn            func(ctx context.Context, orgID, id uuid.UUID) (Feedback, error)
	ListFn           func(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Feedback], error)
	ContactOfFn      func(ctx context.Context, orgID, contactID, customerID uuid.UUID) (bool, error)
	SLAsFn           func(ctx context.Context, orgID uuid.UUID) ([]SLA, error)
	SetSLAsFn        func(ctx context.Context, orgID uuid.UUID, slas []SLA) error
	TransitionsFn    func(ctx context.Context, orgID, feedbackID uuid.UUID) ([]Transition, error)
	SurveyCountsFn   func(ctx context.Context, orgID uuid.UUID, q StatsQuery) ([]SurveyCounts, error)
	ComplaintFactsFn func(ctx context.Context, orgID uuid.UUID, q StatsQuery) ([]ComplaintFacts, error)
	OpenComplaintsFn func(ctx context.Context, orgID uuid.UUID) ([]time.Time, error)
}

func (s *fakeStore) RecordEvent(ctx context.Context, e event.Event) error {
	return s.RecordEventFn(ctx, e)
}

func (s *fakeStore) Insert(ctx context.Context, f Feedback) error { return s.InsertFn(ctx, f) }

func (s *fakeStore) Update(ctx context.Context, f Feedback, prev int64) error {
	return s.UpdateFn(ctx, f, prev)
}

func (s *fakeStore) Get(ctx context.Context, orgID, id uuid.UUID) (Feedback, error) {
	return s.GetFn(ctx, orgID, id)
}

func (s *fakeStore) List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Feedback], error) {
	return s.ListFn(ctx, orgID, f, p)
}

func (s *fakeStore) ContactOf(ctx context.Context, orgID, contactID, customerID uuid.UUID) (bool, error) {
	return s.ContactOfFn(ctx, orgID, contactID, customerID)
}

func (s *fakeStore) SLAs(ctx context.Context, orgID uuid.UUID) ([]SLA, error) {
	return s.SLAsFn(ctx, orgID)
}

func (s *fakeStore) SetSLAs(ctx context.Context, orgID uuid.UUID, slas []SLA) error {
	return s.SetSLAsFn(ctx, orgID, slas)
}

func (s *fakeStore) Transitions(ctx context.Context, orgID, feedbackID uuid.UUID) ([]Transition, error) {
	return s.TransitionsFn(ctx, orgID, feedbackID)
}

func (s *fakeStore) SurveyCounts(ctx context.Context, orgID uuid.UUID, q StatsQuery) ([]SurveyCounts, error) {
	return s.SurveyCountsFn(ctx, orgID, q)
}

func (s *fakeStore) ComplaintFacts(ctx context.Context, orgID uuid.UUID, q StatsQuery) ([]ComplaintFacts, error) {
	return s.ComplaintFactsFn(ctx, orgID, q)
}

func (s *fakeStore) OpenComplaints(ctx context.Context, orgID uuid.UUID) ([]time.Time, error) {
	return s.OpenComplaintsFn(ctx, orgID)
}

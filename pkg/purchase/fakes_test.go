package purchase

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Fakes of the interfaces the service consumes, after benbjohnson/wtf's mock package: a field
// per method, which the method calls. A test sets the fields it expects to be called; calling
// one it left nil panics, which fails the test at the unexpected call.

var (
	_ Store      = (*fakeStore)(nil)
	_ Customers  = (*fakeCustomers)(nil)
	_ Points     = (*fakePoints)(nil)
	_ Transactor = fakeTx{}
)

// fakeTx runs fn in no transaction: the fakes have nothing to roll back.
type fakeTx struct{}

func (fakeTx) InTx(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

type fakeCustomers struct {
	CheckLiveFn func(ctx context.Context, orgID, id uuid.UUID) error
	LiveFn      func(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error)
	ResourcesFn func(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]map[string]any, error)
}

func (f *fakeCustomers) CheckLive(ctx context.Context, orgID, id uuid.UUID) error {
	return f.CheckLiveFn(ctx, orgID, id)
}

func (f *fakeCustomers) Live(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	return f.LiveFn(ctx, orgID, ids)
}

func (f *fakeCustomers) Resources(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]map[string]any, error) {
	return f.ResourcesFn(ctx, orgID, ids)
}

type fakePoints struct {
	EarnForPurchasesFn  func(ctx context.Context, actor event.Actor, earnings []Earning) ([]Earned, error)
	TakeBackForRefundFn func(ctx context.Context, actor event.Actor, customerID, purchaseID uuid.UUID, amount, refundedBefore, refundedAfter decimal.Decimal) error
}

func (f *fakePoints) EarnForPurchases(ctx context.Context, actor event.Actor, earnings []Earning) ([]Earned, error) {
	return f.EarnForPurchasesFn(ctx, actor, earnings)
}

func (f *fakePoints) TakeBackForRefund(ctx context.Context, actor event.Actor, customerID, purchaseID uuid.UUID, amount, refundedBefore, refundedAfter decimal.Decimal) error {
	return f.TakeBackForRefundFn(ctx, actor, customerID, purchaseID, amount, refundedBefore, refundedAfter)
}

type fakeStore struct {
	RecordEventFn      func(ctx context.Context, e event.Event) error
	RecordEventsFn     func(ctx context.Context, events []event.Event) error
	InsertFn           func(ctx context.Context, p Purchase) error
	InsertManyFn       func(ctx context.Context, ps []Purchase, created []event.Event) error
	ByExternalIDsFn    func(ctx context.Context, orgID uuid.UUID, externalIDs []string) ([]Purchase, error)
	RefundFn           func(ctx context.Context, p Purchase, prev int64) error
	GetFn              func(ctx context.Context, orgID, id uuid.UUID) (Purchase, error)
	ByExternalIDFn     func(ctx context.Context, orgID uuid.UUID, externalID string) (Purchase, error)
	ListFn             func(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Purchase], error)
	OrgCurrencyFn      func(ctx context.Context, orgID uuid.UUID) (string, error)
	RefreshCustomersFn func(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, currency string) error
	AddToCustomersFn   func(ctx context.Context, orgID uuid.UUID, fresh []Purchase, currency string) error
	MoveCustomersFn    func(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, field, from, to string, at time.Time) ([]uuid.UUID, error)
}

func (s *fakeStore) RecordEvent(ctx context.Context, e event.Event) error {
	return s.RecordEventFn(ctx, e)
}

func (s *fakeStore) RecordEvents(ctx context.Context, events []event.Event) error {
	return s.RecordEventsFn(ctx, events)
}

func (s *fakeStore) Insert(ctx context.Context, p Purchase) error { return s.InsertFn(ctx, p) }

func (s *fakeStore) InsertMany(ctx context.Context, ps []Purchase, created []event.Event) error {
	return s.InsertManyFn(ctx, ps, created)
}

func (s *fakeStore) ByExternalIDs(ctx context.Context, orgID uuid.UUID, externalIDs []string) ([]Purchase, error) {
	return s.ByExternalIDsFn(ctx, orgID, externalIDs)
}

func (s *fakeStore) Refund(ctx context.Context, p Purchase, prev int64) error {
	return s.RefundFn(ctx, p, prev)
}

func (s *fakeStore) Get(ctx context.Context, orgID, id uuid.UUID) (Purchase, error) {
	return s.GetFn(ctx, orgID, id)
}

func (s *fakeStore) ByExternalID(ctx context.Context, orgID uuid.UUID, externalID string) (Purchase, error) {
	return s.ByExternalIDFn(ctx, orgID, externalID)
}

func (s *fakeStore) List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Purchase], error) {
	return s.ListFn(ctx, orgID, f, p)
}

func (s *fakeStore) OrgCurrency(ctx context.Context, orgID uuid.UUID) (string, error) {
	return s.OrgCurrencyFn(ctx, orgID)
}

func (s *fakeStore) RefreshCustomers(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, currency string) error {
	return s.RefreshCustomersFn(ctx, orgID, ids, currency)
}

func (s *fakeStore) AddToCustomers(ctx context.Context, orgID uuid.UUID, fresh []Purchase, currency string) error {
	return s.AddToCustomersFn(ctx, orgID, fresh, currency)
}

func (s *fakeStore) MoveCustomers(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, field, from, to string, at time.Time) ([]uuid.UUID, error) {
	return s.MoveCustomersFn(ctx, orgID, ids, field, from, to, at)
}

package loyalty

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
	_ ProgramStore = (*fakePrograms)(nil)
	_ LedgerStore  = (*fakeLedger)(nil)
	_ Customers    = (*fakeCustomers)(nil)
	_ Transactor   = fakeTx{}
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

type fakePrograms struct {
	RecordEventFn    func(ctx context.Context, e event.Event) error
	ProgramFn        func(ctx context.Context, orgID uuid.UUID) (Program, error)
	SaveProgramFn    func(ctx context.Context, p Program) error
	TieredProgramsFn func(ctx context.Context) ([]Program, error)
}

func (f *fakePrograms) RecordEvent(ctx context.Context, e event.Event) error {
	return f.RecordEventFn(ctx, e)
}

func (f *fakePrograms) Program(ctx context.Context, orgID uuid.UUID) (Program, error) {
	return f.ProgramFn(ctx, orgID)
}

func (f *fakePrograms) SaveProgram(ctx context.Context, p Program) error {
	return f.SaveProgramFn(ctx, p)
}

func (f *fakePrograms) TieredPrograms(ctx context.Context) ([]Program, error) {
	return f.TieredProgramsFn(ctx)
}

type fakeLedger struct {
	RecordEventFn         func(ctx context.Context, e event.Event) error
	RecordEventsFn        func(ctx context.Context, events []event.Event) error
	AccountFn             func(ctx context.Context, orgID, customerID uuid.UUID) (Account, error)
	ApplyFn               func(ctx context.Context, orgID, customerID uuid.UUID, delta, earned, redeemed int64, at time.Time) (int64, error)
	SetTierFn             func(ctx context.Context, orgID, customerID uuid.UUID, tier string) error
	InsertFn              func(ctx context.Context, t Transaction) error
	TransactionFn         func(ctx context.Context, orgID, id uuid.UUID) (Transaction, error)
	ByExternalIDFn        func(ctx context.Context, orgID uuid.UUID, externalID string) (Transaction, error)
	TransactionsFn        func(ctx context.Context, orgID, customerID uuid.UUID, p page.Request) (page.Result[Transaction], error)
	QualifyingPointsFn    func(ctx context.Context, orgID uuid.UUID, customerIDs []uuid.UUID, since time.Time) (map[uuid.UUID]int64, error)
	LockAccountsFn        func(ctx context.Context, orgID uuid.UUID, customerIDs []uuid.UUID, at time.Time) (map[uuid.UUID]Account, error)
	AppendEarningsFn      func(ctx context.Context, orgID uuid.UUID, lines []Transaction, accounts []Account) error
	ConsumeLotsFn         func(ctx context.Context, orgID, customerID uuid.UUID, points int64, prefer *uuid.UUID) error
	ExpiringByFn          func(ctx context.Context, orgID, customerID uuid.UUID, by []time.Time) ([]int64, error)
	ExpiredLotsFn         func(ctx context.Context, orgID uuid.UUID, asOf time.Time) (map[uuid.UUID]int64, error)
	OrgsWithExpiredLotsFn func(ctx context.Context, asOf time.Time) ([]uuid.UUID, error)
	EarnedBetweenFn       func(ctx context.Context, orgID uuid.UUID, from, to time.Time) ([]uuid.UUID, error)
}

func (f *fakeLedger) RecordEvent(ctx context.Context, e event.Event) error {
	return f.RecordEventFn(ctx, e)
}

func (f *fakeLedger) RecordEvents(ctx context.Context, events []event.Event) error {
	return f.RecordEventsFn(ctx, events)
}

func (f *fakeLedger) Account(ctx context.Context, orgID, customerID uuid.UUID) (Account, error) {
	return f.AccountFn(ctx, orgID, customerID)
}

func (f *fakeLedger) Apply(ctx context.Context, orgID, customerID uuid.UUID, delta, earned, redeemed int64, at time.Time) (int64, error) {
	return f.ApplyFn(ctx, orgID, customerID, delta, earned, redeemed, at)
}

func (f *fakeLedger) SetTier(ctx context.Context, orgID, customerID uuid.UUID, tier string) error {
	return f.SetTierFn(ctx, orgID, customerID, tier)
}

func (f *fakeLedger) Insert(ctx context.Context, t Transaction) error { return f.InsertFn(ctx, t) }

func (f *fakeLedger) Transaction(ctx context.Context, orgID, id uuid.UUID) (Transaction, error) {
	return f.TransactionFn(ctx, orgID, id)
}

func (f *fakeLedger) ByExternalID(ctx context.Context, orgID uuid.UUID, externalID string) (Transaction, error) {
	return f.ByExternalIDFn(ctx, orgID, externalID)
}

func (f *fakeLedger) Transactions(ctx context.Context, orgID, customerID uuid.UUID, p page.Request) (page.Result[Transaction], error) {
	return f.TransactionsFn(ctx, orgID, customerID, p)
}

func (f *fakeLedger) QualifyingPoints(ctx context.Context, orgID uuid.UUID, customerIDs []uuid.UUID, since time.Time) (map[uuid.UUID]int64, error) {
	return f.QualifyingPointsFn(ctx, orgID, customerIDs, since)
}

func (f *fakeLedger) LockAccounts(ctx context.Context, orgID uuid.UUID, customerIDs []uuid.UUID, at time.Time) (map[uuid.UUID]Account, error) {
	return f.LockAccountsFn(ctx, orgID, customerIDs, at)
}

func (f *fakeLedger) AppendEarnings(ctx context.Context, orgID uuid.UUID, lines []Transaction, accounts []Account) error {
	return f.AppendEarningsFn(ctx, orgID, lines, accounts)
}

func (f *fakeLedger) ConsumeLots(ctx context.Context, orgID, customerID uuid.UUID, points int64, prefer *uuid.UUID) error {
	return f.ConsumeLotsFn(ctx, orgID, customerID, points, prefer)
}

func (f *fakeLedger) ExpiringBy(ctx context.Context, orgID, customerID uuid.UUID, by []time.Time) ([]int64, error) {
	return f.ExpiringByFn(ctx, orgID, customerID, by)
}

func (f *fakeLedger) ExpiredLots(ctx context.Context, orgID uuid.UUID, asOf time.Time) (map[uuid.UUID]int64, error) {
	return f.ExpiredLotsFn(ctx, orgID, asOf)
}

func (f *fakeLedger) OrgsWithExpiredLots(ctx context.Context, asOf time.Time) ([]uuid.UUID, error) {
	return f.OrgsWithExpiredLotsFn(ctx, asOf)
}

func (f *fakeLedger) EarnedBetween(ctx context.Context, orgID uuid.UUID, from, to time.Time) ([]uuid.UUID, error) {
	return f.EarnedBetweenFn(ctx, orgID, from, to)
}

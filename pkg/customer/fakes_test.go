package customer

import (
	"context"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Fakes of the interfaces the service consumes, after benbjohnson/wtf's mock package: a field
// per method, which the method calls. A test sets the fields it expects to be called; calling
// one it left nil panics, which fails the test at the unexpected call.

var (
	_ Store      = (*fakeStore)(nil)
	_ Users      = (*fakeUsers)(nil)
	_ Transactor = fakeTx{}
)

// fakeTx runs fn in no transaction: the fakes have nothing to roll back.
type fakeTx struct{}

func (fakeTx) InTx(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

type fakeUsers struct {
	ActiveUserExistsFn func(ctx context.Context, orgID, userID uuid.UUID) (bool, error)
}

func (f *fakeUsers) ActiveUserExists(ctx context.Context, orgID, userID uuid.UUID) (bool, error) {
	return f.ActiveUserExistsFn(ctx, orgID, userID)
}

type fakeStore struct {
	RecordEventFn  func(ctx context.Context, e event.Event) error
	InsertFn       func(ctx context.Context, c Customer, created event.Event) error
	InsertManyFn   func(ctx context.Context, cs []Customer, created []event.Event) (map[uuid.UUID]bool, error)
	UpdateFn       func(ctx context.Context, c Customer, prev int64) error
	GetFn          func(ctx context.Context, orgID, id uuid.UUID) (Customer, error)
	GetManyFn      func(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) ([]Customer, error)
	GetDeletedFn   func(ctx context.Context, orgID, id uuid.UUID) (Customer, error)
	ByExternalIDFn func(ctx context.Context, orgID uuid.UUID, externalID string) (Customer, error)
	ByEmailFn      func(ctx context.Context, orgID uuid.UUID, email string) (Customer, error)
	MatchingFn     func(ctx context.Context, orgID uuid.UUID, externalIDs, emails []string) ([]Customer, error)
	ListFn         func(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Customer], error)
	LiveFn         func(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error)
	MoveRecordsFn  func(ctx context.Context, orgID, fromID, toID uuid.UUID) error
}

func (s *fakeStore) RecordEvent(ctx context.Context, e event.Event) error {
	return s.RecordEventFn(ctx, e)
}

func (s *fakeStore) Insert(ctx context.Context, c Customer, created event.Event) error {
	return s.InsertFn(ctx, c, created)
}

func (s *fakeStore) InsertMany(ctx context.Context, cs []Customer, created []event.Event) (map[uuid.UUID]bool, error) {
	return s.InsertManyFn(ctx, cs, created)
}

func (s *fakeStore) Update(ctx context.Context, c Customer, prev int64) error {
	return s.UpdateFn(ctx, c, prev)
}

func (s *fakeStore) Get(ctx context.Context, orgID, id uuid.UUID) (Customer, error) {
	return s.GetFn(ctx, orgID, id)
}

func (s *fakeStore) GetMany(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) ([]Customer, error) {
	return s.GetManyFn(ctx, orgID, ids)
}

func (s *fakeStore) GetDeleted(ctx context.Context, orgID, id uuid.UUID) (Customer, error) {
	return s.GetDeletedFn(ctx, orgID, id)
}

func (s *fakeStore) ByExternalID(ctx context.Context, orgID uuid.UUID, externalID string) (Customer, error) {
	return s.ByExternalIDFn(ctx, orgID, externalID)
}

func (s *fakeStore) ByEmail(ctx context.Context, orgID uuid.UUID, email string) (Customer, error) {
	return s.ByEmailFn(ctx, orgID, email)
}

func (s *fakeStore) Matching(ctx context.Context, orgID uuid.UUID, externalIDs, emails []string) ([]Customer, error) {
	return s.MatchingFn(ctx, orgID, externalIDs, emails)
}

func (s *fakeStore) List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Customer], error) {
	return s.ListFn(ctx, orgID, f, p)
}

func (s *fakeStore) Live(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	return s.LiveFn(ctx, orgID, ids)
}

func (s *fakeStore) MoveRecords(ctx context.Context, orgID, fromID, toID uuid.UUID) error {
	return s.MoveRecordsFn(ctx, orgID, fromID, toID)
}

package storage_test

// The store contract: every exported method of every store, checked against what its
// interface's doc comments promise, on whichever database storagetest gives (SQLite by default,
// PostgreSQL when RAPPORT_TEST_DATABASE_URL is set). The same tests on both dialects are what
// keep the dialect branches of pkg/storage honest: each subtest names a promise, and the
// batches cross the dialect's chunk size and columnWise's one-row threshold.
//
// One fresh database per top-level test (one per store); its subtests share it and stay
// independent by seeding their own rows, each through the stores themselves. Every test has
// two organizations: org, whose rows it checks, and other, which holds look-alike rows (same
// emails, external ids, even the same customer ids) that must never be returned or changed.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/contact"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/loyalty"
	"github.com/rapportcrm/rapport/pkg/money"
	"github.com/rapportcrm/rapport/pkg/page"
	"github.com/rapportcrm/rapport/pkg/purchase"
	"github.com/rapportcrm/rapport/pkg/storage"
	"github.com/rapportcrm/rapport/pkg/storage/storagetest"
)

// contract is one promise of a store, a subtest of the store's top-level test.
type contract struct {
	name string
	test func(t *testing.T)
}

// run runs the contracts in order, each as a named subtest.
func run(t *testing.T, contracts []contract) {
	t.Helper()
	for _, c := range contracts {
		t.Run(c.name, c.test)
	}
}

// fixture is a fresh database with two organizations.
type fixture struct {
	db         *storage.DB
	ctx        context.Context
	org, other uuid.UUID
	// now is the time the seeded rows are written at, as the stores keep it (UTC, microseconds).
	now time.Time
	// chunk is the dialect's multi-row statement size.
	chunk int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := storagetest.New(t)
	f := &fixture{db: db, ctx: context.Background(), now: event.Now(), chunk: storage.Chunk(db)}
	f.org, f.other = f.organization(t, "EUR"), f.organization(t, "EUR")
	return f
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// pg tells whether the test runs on PostgreSQL.
func (f *fixture) pg() bool { return f.db.Dialect() == storage.Postgres }

// organization creates an organization keeping its figures in currency.
func (f *fixture) organization(t *testing.T, currency string) uuid.UUID {
	t.Helper()
	id := newID()
	err := f.db.AuthStore().CreateOrganization(f.ctx, auth.Organization{ID: id, Name: "Org " + id.String()[:8], Currency: currency,
		CreatedAt: f.now, UpdatedAt: f.now})
	must(t, err)
	return id
}

// actor is the system acting in org.
func actor(org uuid.UUID) event.Actor {
	return event.Actor{OrgID: org, Kind: event.ActorSystem, ID: uuid.Nil}
}

// newCustomer is an unsaved customer of org with a unique email, edited by edits.
func (f *fixture) newCustomer(org uuid.UUID, edits ...func(*customer.Customer)) customer.Customer {
	id := newID()
	c := customer.Customer{ID: id, OrgID: org, FirstName: "Ada", LastName: "Lovelace", Email: id.String() + "@example.com",
		Tags: []string{}, Interests: []string{}, CustomFields: map[string]any{}, LifecycleStage: customer.StageProspect,
		Status: customer.StatusActive, Source: "web", Version: 1, CreatedAt: f.now, UpdatedAt: f.now}
	for _, edit := range edits {
		edit(&c)
	}
	return c
}

// created is the creation event of a customer.
func created(c customer.Customer) event.Event {
	return event.New(actor(c.OrgID), "customer.created", "customer", c.ID)
}

// customer stores a new customer of org through CustomerStore.Insert.
func (f *fixture) customer(t *testing.T, org uuid.UUID, edits ...func(*customer.Customer)) customer.Customer {
	t.Helper()
	c := f.newCustomer(org, edits...)
	must(t, f.db.CustomerStore().Insert(f.ctx, c, created(c)))
	return c
}

// customers stores n new customers of org through CustomerStore.InsertMany.
func (f *fixture) customers(t *testing.T, org uuid.UUID, n int) []customer.Customer {
	t.Helper()
	cs, events := make([]customer.Customer, n), make([]event.Event, n)
	for i := range cs {
		cs[i] = f.newCustomer(org)
		events[i] = created(cs[i])
	}
	inserted, err := f.db.CustomerStore().InsertMany(f.ctx, cs, events)
	must(t, err)
	if len(inserted) != n {
		t.Fatalf("seeded %d of %d customers", len(inserted), n)
	}
	return cs
}

// softDelete marks a stored customer deleted and answers it as stored.
func (f *fixture) softDelete(t *testing.T, c customer.Customer) customer.Customer {
	t.Helper()
	at := f.now
	c.DeletedAt, c.Version = &at, c.Version+1
	s := f.db.CustomerStore()
	must(t, s.Update(f.ctx, c, c.Version-1))
	stored, err := s.GetDeleted(f.ctx, c.OrgID, c.ID)
	must(t, err)
	return stored
}

// twins stores a customer of org and one of other with the same id: the second must never be
// returned or changed through the first's organization.
func (f *fixture) twins(t *testing.T) (customer.Customer, customer.Customer) {
	t.Helper()
	c := f.customer(t, f.org)
	return c, f.customer(t, f.other, func(twin *customer.Customer) { twin.ID = c.ID })
}

// newPurchase is an unsaved completed purchase of a customer.
func newPurchase(c customer.Customer, amount string, currency string, at time.Time) purchase.Purchase {
	return purchase.Purchase{ID: newID(), OrgID: c.OrgID, CustomerID: c.ID, Amount: money.Money{Amount: decimal.RequireFromString(amount), Currency: currency},
		RefundedAmount: decimal.Zero, OccurredAt: at, Channel: "online", Items: []purchase.Item{}, Status: "completed",
		Version: 1, CreatedAt: at, UpdatedAt: at}
}

// purchase stores a purchase through PurchaseStore.Insert and refreshes its customer's figures.
func (f *fixture) purchase(t *testing.T, c customer.Customer, amount string, at time.Time, edits ...func(*purchase.Purchase)) purchase.Purchase {
	t.Helper()
	p := newPurchase(c, amount, "EUR", at)
	for _, edit := range edits {
		edit(&p)
	}
	s := f.db.PurchaseStore()
	must(t, s.Insert(f.ctx, p))
	must(t, s.RefreshCustomers(f.ctx, c.OrgID, []uuid.UUID{c.ID}, "EUR"))
	return p
}

// get reads a live customer.
func (f *fixture) get(t *testing.T, c customer.Customer) customer.Customer {
	t.Helper()
	got, err := f.db.CustomerStore().Get(f.ctx, c.OrgID, c.ID)
	must(t, err)
	return got
}

// record appends an event about a customer with data, at a time.
func (f *fixture) record(t *testing.T, c customer.Customer, typ string, at time.Time, data map[string]any) event.Event {
	t.Helper()
	e := event.New(actor(c.OrgID), typ, "customer", c.ID)
	e.OccurredAt, e.Data = at, data
	must(t, f.db.CustomerStore().RecordEvent(f.ctx, e))
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails unless err is want (errors.Is); want nil asks for no error.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// wantSet fails unless got holds exactly the ids of want, in any order.
func wantSet(t *testing.T, what string, got []uuid.UUID, want ...uuid.UUID) {
	t.Helper()
	sorted := func(ids []uuid.UUID) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = id.String()
		}
		slices.Sort(out)
		return out
	}
	if g, w := sorted(got), sorted(want); !slices.Equal(g, w) {
		t.Fatalf("%s: got %v, want %v", what, g, w)
	}
}

// wantOrder fails unless got is want, in order.
func wantOrder(t *testing.T, what string, got []uuid.UUID, want ...uuid.UUID) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// wantEqual fails unless got equals want.
func wantEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// ids maps items to their ids.
func ids[T any](items []T, id func(T) uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

// The ids of the records the lists answer.
func customerID(c customer.Customer) uuid.UUID  { return c.ID }
func contactID(c contact.Contact) uuid.UUID     { return c.ID }
func feedbackID(fb feedback.Feedback) uuid.UUID { return fb.ID }
func purchaseID(p purchase.Purchase) uuid.UUID  { return p.ID }
func eventID(e event.Event) uuid.UUID           { return e.ID }

// trueKeys are the keys of a set.
func trueKeys(set map[uuid.UUID]bool) []uuid.UUID {
	var out []uuid.UUID
	for id, ok := range set {
		if ok {
			out = append(out, id)
		}
	}
	return out
}

// walk reads every page of a keyset list, limit items at a time, and answers the ids in order;
// every page but the last must be full and carry a cursor.
func walk[T any](t *testing.T, list func(page.Request) (page.Result[T], error), sort string, desc bool, limit int, id func(T) uuid.UUID) []uuid.UUID {
	t.Helper()
	var out []uuid.UUID
	p := page.Request{Limit: limit, Sort: sort, Desc: desc}
	for range 100 {
		res, err := list(p)
		must(t, err)
		out = append(out, ids(res.Items, id)...)
		if res.Next == nil {
			return out
		}
		if len(res.Items) != limit {
			t.Fatalf("a page of %d items, not the last, holds %d", limit, len(res.Items))
		}
		p.After = res.Next
	}
	t.Fatal("the pages do not end")
	return nil
}

// filterCase is a list filter and the ids it must select.
type filterCase[F any] struct {
	name   string
	filter F
	want   []uuid.UUID
}

// wantFiltered checks that each filter selects exactly its ids, in any order, in one page.
func wantFiltered[F, T any](t *testing.T, cases []filterCase[F], list func(F, page.Request) (page.Result[T], error), sort string, id func(T) uuid.UUID) {
	t.Helper()
	for _, c := range cases {
		res, err := list(c.filter, page.Request{Limit: 100, Sort: sort})
		must(t, err)
		wantSet(t, c.name, ids(res.Items, id), c.want...)
	}
}

// order is a sort of a list and the ids it must answer, in that order.
type order struct {
	sort string
	desc bool
	want []uuid.UUID
}

// wantOrders walks every page of a list in each order, one item a page so that every cursor is
// used, and checks that the list refuses a cursor it cannot read and an unknown sort.
func wantOrders[T any](t *testing.T, list func(page.Request) (page.Result[T], error), id func(T) uuid.UUID, orders ...order) {
	t.Helper()
	for _, o := range orders {
		wantOrder(t, fmt.Sprintf("by %s, descending %v", o.sort, o.desc), walk(t, list, o.sort, o.desc, 1, id), o.want...)
	}
	badCursor(t, list, orders[0].sort)
}

// badCursor checks that a list refuses a cursor whose position cannot be read, and an unknown sort.
func badCursor[T any](t *testing.T, list func(page.Request) (page.Result[T], error), sort string) {
	t.Helper()
	if _, err := list(page.Request{Limit: 1, Sort: sort, After: &page.Key{Sort: sort, Value: "not a time", ID: newID()}}); err == nil {
		t.Fatal("a cursor that is not a time was accepted")
	}
	if _, err := list(page.Request{Limit: 1, Sort: "no_such_column"}); err == nil {
		t.Fatal("an unknown sort was accepted")
	}
}

func ptr[T any](v T) *T { return &v }

// sameJSON fails unless got and want hold the same JSON value (PostgreSQL's jsonb respaces it).
func sameJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %q", what, err, got)
	}
	must(t, json.Unmarshal(want, &w))
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: got %s, want %s", what, got, want)
	}
}

// stored is the updated_at a read answered.
func stored(t *testing.T, at time.Time, err error) time.Time {
	t.Helper()
	must(t, err)
	return at
}

// TestUpdateKeepsUpdatedAt: a write stores the updated_at it is given, so that what a service
// answers after a write is what a later read returns (event.Now), whatever clock the service runs on.
func TestUpdateKeepsUpdatedAt(t *testing.T) {
	f := newFixture(t)
	at := f.now.Add(time.Hour)
	writes := []struct {
		name  string
		write func(t *testing.T) time.Time // answers the updated_at stored
	}{
		{"CustomerStore.Update", func(t *testing.T) time.Time {
			c := f.customer(t, f.org)
			c.Version, c.UpdatedAt = 2, at
			must(t, f.db.CustomerStore().Update(f.ctx, c, 1))
			return f.get(t, c).UpdatedAt
		}},
		{"ContactStore.Update", func(t *testing.T) time.Time {
			ct := f.contact(t, f.customer(t, f.org), f.now)
			ct.Version, ct.UpdatedAt = 2, at
			must(t, f.db.ContactStore().Update(f.ctx, ct, 1))
			got, err := f.db.ContactStore().Get(f.ctx, f.org, ct.ID)
			return stored(t, got.UpdatedAt, err)
		}},
		{"FeedbackStore.Update", func(t *testing.T) time.Time {
			fb := f.feedback(t, f.customer(t, f.org), "nps")
			fb.Version, fb.UpdatedAt = 2, at
			must(t, f.db.FeedbackStore().Update(f.ctx, fb, 1))
			got, err := f.db.FeedbackStore().Get(f.ctx, f.org, fb.ID)
			return stored(t, got.UpdatedAt, err)
		}},
		{"RewardStore.UpdateReward", func(t *testing.T) time.Time {
			r := loyalty.Reward{ID: newID(), OrgID: f.org, Name: "Mug", CostPoints: 1, Active: true, Version: 1, CreatedAt: f.now, UpdatedAt: f.now}
			must(t, f.db.RewardStore().InsertReward(f.ctx, r))
			r.Version, r.UpdatedAt = 2, at
			must(t, f.db.RewardStore().UpdateReward(f.ctx, r, 1))
			got, err := f.db.RewardStore().Reward(f.ctx, f.org, r.ID)
			return stored(t, got.UpdatedAt, err)
		}},
		{"LoyaltyProgramStore.SaveProgram, saved again", func(t *testing.T) time.Time {
			p := loyalty.DefaultProgram(f.organization(t, "EUR"))
			p.UpdatedAt = f.now
			s := f.db.LoyaltyProgramStore()
			must(t, s.SaveProgram(f.ctx, p))
			p.UpdatedAt = at
			must(t, s.SaveProgram(f.ctx, p))
			got, err := s.Program(f.ctx, p.OrgID)
			return stored(t, got.UpdatedAt, err)
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			if got := w.write(t); !got.Equal(at) {
				t.Fatalf("updated_at stored %v, want %v", got, at)
			}
		})
	}
}

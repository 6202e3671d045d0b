package purchase

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/apperr/apperrtest"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/money"
)

// The shop the specs run in: its currency is EUR and order ord-1 is recorded. Alice is a
// prospect, Bob a churned customer, Carol an active customer; Gone was deleted.
var (
	org      = uuid.MustParse("00000000-0000-7000-8000-0000000000a0")
	alice    = uuid.MustParse("00000000-0000-7000-8000-0000000000a1")
	bob      = uuid.MustParse("00000000-0000-7000-8000-0000000000b0")
	carol    = uuid.MustParse("00000000-0000-7000-8000-0000000000c0")
	gone     = uuid.MustParse("00000000-0000-7000-8000-0000000000d0")
	ord1     = Purchase{ID: uuid.MustParse("00000000-0000-7000-8000-000000000001"), OrgID: org, CustomerID: carol, ExternalID: "ord-1"}
	names    = map[uuid.UUID]string{alice: "alice", bob: "bob", carol: "carol", gone: "gone"}
	stage    = map[uuid.UUID]string{alice: "prospect", bob: "customer", carol: "customer"}
	status   = map[uuid.UUID]string{alice: "active", bob: "churned", carol: "active"}
	actor    = event.Actor{OrgID: org, Kind: event.ActorAPIKey, ID: uuid.New()}
	refusedA = apperr.Invalid(apperr.FieldError{Field: "amount", Message: "is not a number"})
)

// shop records what the batch asked the fakes to write.
type shop struct {
	insertErr error // what InsertMany answers
	inserted  []Purchase
	created   []string // the events inserted with the purchases
	earned    []Earning
	added     []Purchase // the purchases added to their customers' figures
	addedIn   string     // the currency they were added in
	moved     []string   // the events of customers moved
}

func (s *shop) service() *Service {
	store := &fakeStore{
		OrgCurrencyFn: func(context.Context, uuid.UUID) (string, error) { return "EUR", nil },
		ByExternalIDsFn: func(_ context.Context, _ uuid.UUID, ids []string) ([]Purchase, error) {
			if slices.Contains(ids, ord1.ExternalID) {
				return []Purchase{ord1}, nil
			}
			return nil, nil
		},
		InsertManyFn: func(_ context.Context, ps []Purchase, created []event.Event) error {
			if s.insertErr != nil {
				return s.insertErr
			}
			s.inserted = append(s.inserted, ps...)
			for _, e := range created {
				s.created = append(s.created, e.Type+" "+s.label(e.SubjectID))
			}
			return nil
		},
		AddToCustomersFn: func(_ context.Context, _ uuid.UUID, fresh []Purchase, currency string) error {
			s.added, s.addedIn = fresh, currency
			return nil
		},
		MoveCustomersFn: func(_ context.Context, _ uuid.UUID, ids []uuid.UUID, field, from, _ string, _ time.Time) ([]uuid.UUID, error) {
			now := map[string]map[uuid.UUID]string{"lifecycle_stage": stage, "status": status}[field]
			var moved []uuid.UUID
			for _, id := range ids {
				if now[id] == from {
					moved = append(moved, id)
				}
			}
			return moved, nil
		},
		RecordEventsFn: func(_ context.Context, events []event.Event) error {
			for _, e := range events {
				if e.Data["id"] != e.SubjectID.String() || e.Data["from"] == nil || e.Data["to"] == nil {
					return fmt.Errorf("%s: the data %v is not the customer with its move", e.Type, e.Data)
				}
				s.moved = append(s.moved, e.Type+" "+names[e.SubjectID])
			}
			return nil
		},
	}
	customers := &fakeCustomers{LiveFn: func(_ context.Context, _ uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
		live := map[uuid.UUID]bool{}
		for _, id := range ids {
			live[id] = stage[id] != ""
		}
		return live, nil
	}, ResourcesFn: func(_ context.Context, _ uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]map[string]any, error) {
		out := map[uuid.UUID]map[string]any{}
		for _, id := range ids {
			out[id] = map[string]any{"id": id.String(), "lifecycle_stage": stage[id], "status": status[id]}
		}
		return out, nil
	}}
	points := &fakePoints{EarnForPurchasesFn: func(_ context.Context, _ event.Actor, earnings []Earning) ([]Earned, error) {
		s.earned = append(s.earned, earnings...)
		earned := make([]Earned, len(earnings))
		for i, e := range earnings { // a point per unit
			earned[i] = Earned{Points: e.Amount.IntPart()}
		}
		return earned, nil
	}}
	return NewService(store, fakeTx{}, customers, points)
}

// label names a purchase id: #n for the n-th purchase inserted, db:<external id> for one recorded
// before, "unwritten" for an id that reached no store.
func (s *shop) label(id uuid.UUID) string {
	if i := slices.IndexFunc(s.inserted, func(p Purchase) bool { return p.ID == id }); i >= 0 {
		return fmt.Sprint("#", i)
	}
	if id == ord1.ID {
		return "db:" + ord1.ExternalID
	}
	return "unwritten"
}

// buy is an order of amount (in currency, "" for the shop's) by a customer, at the store, an hour ago.
func buy(customer uuid.UUID, amount, currency, externalID string, change ...func(*Purchase)) BatchItem {
	p := Purchase{CustomerID: customer, ExternalID: externalID, Channel: "store", OccurredAt: time.Now().Add(-time.Hour),
		Amount: money.Money{Amount: decimal.RequireFromString(amount), Currency: currency}}
	for _, c := range change {
		c(&p)
	}
	return BatchItem{Purchase: p}
}

func TestBatch(t *testing.T) {
	invalid := BatchItem{Err: refusedA}
	tests := []struct {
		name   string
		items  []BatchItem
		atomic bool
		given  func(*shop)
		err    *apperrtest.Want
		// results are the items' outcomes: "created #n" or "unchanged #n" for the n-th purchase
		// inserted, "unchanged db:<external id>" for one recorded before, "error [fields]".
		results []string
		// inserted are the purchases written: customer, amount, currency, channel, external id.
		inserted []string
		// earned are the purchases that earn points, and moved the events of customers moved.
		earned, moved []string
	}{
		{name: "new purchases are created in order, completed, in the shop's currency unless one is given",
			items:    []BatchItem{buy(carol, "19.90", "", "ord-2"), buy(carol, "5", "eur", "", func(p *Purchase) { p.Channel = "online" })},
			results:  []string{"created #0", "created #1"},
			inserted: []string{"carol 19.90 EUR store ord-2", "carol 5.00 EUR online -"},
			earned:   []string{"#0 carol 19.9", "#1 carol 5"}},
		{name: "only purchases in the shop's currency earn points",
			items:    []BatchItem{buy(carol, "10", "usd", ""), buy(carol, "10", "EUR", "")},
			results:  []string{"created #0", "created #1"},
			inserted: []string{"carol 10.00 USD store -", "carol 10.00 EUR store -"},
			earned:   []string{"#1 carol 10"}},
		{name: "a blank channel is other, and an order without a time happened now",
			items:    []BatchItem{buy(carol, "1", "", "", func(p *Purchase) { p.Channel, p.OccurredAt = " ", time.Time{} })},
			results:  []string{"created #0"},
			inserted: []string{"carol 1.00 EUR other -"}, earned: []string{"#0 carol 1"}},

		// Refused items.
		{name: "an item whose input was refused stays refused; a batch that is not atomic writes the others",
			items:    []BatchItem{invalid, buy(carol, "3", "", "")},
			results:  []string{"error [amount]", "created #0"},
			inserted: []string{"carol 3.00 EUR store -"}, earned: []string{"#0 carol 3"}},
		{name: "an atomic batch with a refused item writes nothing, and says what it would have done",
			items: []BatchItem{invalid, buy(carol, "3", "", "")}, atomic: true, err: apperrtest.Is(ErrBatchFailed),
			results: []string{"error [amount]", "created unwritten"}},
		{name: "an atomic batch whose items all pass is written",
			items: []BatchItem{buy(carol, "3", "", "")}, atomic: true,
			results: []string{"created #0"}, inserted: []string{"carol 3.00 EUR store -"}, earned: []string{"#0 carol 3"}},
		{name: "an unknown or deleted customer is an item error naming customer_id",
			items:   []BatchItem{buy(gone, "3", "", ""), buy(uuid.New(), "3", "", "")},
			results: []string{"error [customer_id]", "error [customer_id]"}},
		{name: "an item reports all its bad fields",
			items: []BatchItem{buy(gone, "-1", "", "", func(p *Purchase) {
				p.Channel, p.OccurredAt = "fax", time.Now().Add(time.Hour)
				p.Items = []Item{{SKU: "a", Quantity: 0, UnitPrice: decimal.NewFromInt(-1)}}
			})},
			results: []string{"error [amount channel customer_id items[0].quantity items[0].unit_price occurred_at]"}},
		{name: "an amount has no more decimals than its currency, and a currency is ISO 4217",
			items:   []BatchItem{buy(carol, "1.001", "", ""), buy(carol, "1", "EURO", "")},
			results: []string{"error [amount]", "error [currency]"}},
		{name: "occurred_at may be up to five minutes ahead of the clock",
			items: []BatchItem{
				buy(carol, "1", "", "", func(p *Purchase) { p.OccurredAt = time.Now().Add(4 * time.Minute) }),
				buy(carol, "1", "", "", func(p *Purchase) { p.OccurredAt = time.Now().Add(6 * time.Minute) }),
			},
			results:  []string{"created #0", "error [occurred_at]"},
			inserted: []string{"carol 1.00 EUR store -"}, earned: []string{"#0 carol 1"}},

		// External ids.
		{name: "an order recorded before is unchanged and answers the recorded purchase",
			items:   []BatchItem{buy(carol, "9", "", "ord-1")},
			results: []string{"unchanged db:ord-1"}},
		{name: "external ids are compared trimmed",
			items:    []BatchItem{buy(carol, "9", "", " ord-1 "), buy(carol, "9", "", " ord-2 ")},
			results:  []string{"unchanged db:ord-1", "created #0"},
			inserted: []string{"carol 9.00 EUR store ord-2"}, earned: []string{"#0 carol 9"}},
		{name: "an order sent twice in a batch is created once; the repeat answers the first",
			items:    []BatchItem{buy(carol, "9", "", "ord-2"), buy(carol, "9", "", "ord-2")},
			results:  []string{"created #0", "unchanged #0"},
			inserted: []string{"carol 9.00 EUR store ord-2"}, earned: []string{"#0 carol 9"}},
		{name: "the repeat of a refused order is not a repeat",
			items:    []BatchItem{buy(gone, "9", "", "ord-2"), buy(carol, "9", "", "ord-2")},
			results:  []string{"error [customer_id]", "created #0"},
			inserted: []string{"carol 9.00 EUR store ord-2"}, earned: []string{"#0 carol 9"}},
		{name: "an order another request recorded meanwhile makes the batch a conflict",
			given: func(s *shop) { s.insertErr = ErrDuplicate },
			items: []BatchItem{buy(carol, "9", "", "ord-2")}, err: apperrtest.Is(ErrConcurrentWrite)},

		// Customers.
		{name: "a first purchase makes a prospect a customer, and a purchase wins back a churned customer, once each",
			items:    []BatchItem{buy(alice, "1", "", ""), buy(bob, "2", "", ""), buy(alice, "3", "", ""), buy(carol, "4", "", "")},
			results:  []string{"created #0", "created #1", "created #2", "created #3"},
			inserted: []string{"alice 1.00 EUR store -", "bob 2.00 EUR store -", "alice 3.00 EUR store -", "carol 4.00 EUR store -"},
			earned:   []string{"#0 alice 1", "#1 bob 2", "#2 alice 3", "#3 carol 4"},
			moved:    []string{"customer.lifecycle_stage_changed alice", "customer.status_changed bob"}},
		{name: "refused and unchanged orders move no one",
			items:   []BatchItem{buy(alice, "1", "", "", func(p *Purchase) { p.Channel = "fax" }), buy(bob, "1", "", "ord-1")},
			results: []string{"error [channel]", "unchanged db:ord-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &shop{}
			if tc.given != nil {
				tc.given(s)
			}
			started := event.Now()
			results, err := s.service().Batch(context.Background(), actor, tc.items, tc.atomic)
			apperrtest.Check(t, err, tc.err)
			var got struct{ results, inserted, earned, moved []string }
			for i, r := range results {
				switch {
				case r.Status == BatchError && r.ID == uuid.Nil && r.Err != nil:
					got.results = append(got.results, fmt.Sprintf("error %v", apperrtest.Fields(r.Err)))
				case r.Err == nil && r.ID != uuid.Nil:
					got.results = append(got.results, r.Status+" "+s.label(r.ID))
				default:
					t.Errorf("result %d is %+v", i, r)
				}
			}
			for _, p := range s.inserted {
				ext := p.ExternalID
				if ext == "" {
					ext = "-"
				}
				got.inserted = append(got.inserted, strings.Join([]string{names[p.CustomerID], p.Amount.String(), p.Amount.Currency, p.Channel, ext}, " "))
				if p.OrgID != org || p.Status != "completed" || p.Version != 1 || !p.RefundedAmount.IsZero() || p.CreatedAt.Before(started) ||
					p.UpdatedAt != p.CreatedAt || p.OccurredAt.IsZero() || p.OccurredAt.After(p.CreatedAt.Add(ClockSkew)) {
					t.Errorf("inserted %+v: want a completed purchase of the organization, version 1, nothing refunded, created now, occurred by then", p)
				}
			}
			for _, e := range s.earned {
				got.earned = append(got.earned, s.label(e.PurchaseID)+" "+names[e.CustomerID]+" "+e.Amount.String())
			}
			got.moved = s.moved
			want := struct{ results, inserted, earned, moved []string }{tc.results, tc.inserted, tc.earned, tc.moved}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
			// Every purchase inserted is announced, and added to its customer's figures in the shop's currency.
			var announced []string
			for i := range s.inserted {
				announced = append(announced, fmt.Sprint("purchase.created #", i))
			}
			ids := func(ps []Purchase) []uuid.UUID {
				out := make([]uuid.UUID, len(ps))
				for i, p := range ps {
					out[i] = p.ID
				}
				return out
			}
			if !reflect.DeepEqual(s.created, announced) || !reflect.DeepEqual(ids(s.added), ids(s.inserted)) || len(s.added) > 0 && s.addedIn != "EUR" {
				t.Errorf("events %q, figures of %d purchases in %q; want one purchase.created each, all added in EUR", s.created, len(s.added), s.addedIn)
			}
		})
	}
}

// TestBatchSaysWhatEachPurchaseEarned: each created purchase's result carries the points it
// earned, or why none: one in another currency than the shop's never reaches the program.
func TestBatchSaysWhatEachPurchaseEarned(t *testing.T) {
	s := &shop{}
	actor := event.Actor{OrgID: uuid.New(), Kind: event.ActorUser, ID: uuid.New()}
	results, err := s.service().Batch(context.Background(), actor, []BatchItem{buy(carol, "10", "usd", ""), buy(carol, "19.90", "", "")}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Earned{{Reason: NoPointsOtherCurrency}, {Points: 19}}
	for i, r := range results {
		if r.Earned == nil || *r.Earned != want[i] {
			t.Errorf("item %d earned %+v, want %+v", i, r.Earned, want[i])
		}
	}
}

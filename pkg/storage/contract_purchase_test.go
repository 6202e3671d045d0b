package storage_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
	"github.com/rapportcrm/rapport/pkg/purchase"
)

// samePurchase fails unless got is want as stored: decimals compare by value (PostgreSQL pads them).
func samePurchase(t *testing.T, got, want purchase.Purchase) {
	t.Helper()
	if !got.Amount.Amount.Equal(want.Amount.Amount) || !got.RefundedAmount.Equal(want.RefundedAmount) {
		t.Fatalf("amounts: got %v refunded %v, want %v refunded %v", got.Amount, got.RefundedAmount, want.Amount, want.RefundedAmount)
	}
	got.Amount.Amount, want.Amount.Amount, got.RefundedAmount, want.RefundedAmount = decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	got.Items, want.Items = slices.Clone(got.Items), slices.Clone(want.Items)
	for i := range min(len(got.Items), len(want.Items)) {
		if !got.Items[i].UnitPrice.Equal(want.Items[i].UnitPrice) {
			t.Fatalf("item %d: unit price %v, want %v", i, got.Items[i].UnitPrice, want.Items[i].UnitPrice)
		}
		got.Items[i].UnitPrice, want.Items[i].UnitPrice = decimal.Zero, decimal.Zero
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("purchase:\n got %+v\nwant %+v", got, want)
	}
}

// purchaseEvents are the creation events of purchases, on their customers' timelines.
func purchaseEvents(ps []purchase.Purchase) []event.Event {
	events := make([]event.Event, len(ps))
	for i, p := range ps {
		events[i] = event.New(actor(p.OrgID), "purchase.created", "purchase", p.ID)
		events[i].CustomerID = &p.CustomerID
	}
	return events
}

// eventsOf reads the ids of a customer's events of one type.
func (f *fixture) eventsOf(t *testing.T, c customer.Customer, typ string) []uuid.UUID {
	t.Helper()
	list := func(p page.Request) (page.Result[event.Event], error) {
		return f.db.TimelineStore().Timeline(f.ctx, c.OrgID, c.ID, []string{typ}, p)
	}
	return walk(t, list, "occurred_at", false, 1000, eventID)
}

// figures are a customer's purchase figures, comparable.
type figures struct {
	count       int
	first, last string
	total       string
}

func (f *fixture) figures(t *testing.T, c customer.Customer) figures {
	t.Helper()
	got := f.get(t, c)
	fig := figures{count: got.PurchaseCount}
	if got.FirstPurchaseAt != nil {
		fig.first, fig.last = got.FirstPurchaseAt.String(), got.LastPurchaseAt.String()
	}
	if got.TotalSpent != nil {
		fig.total = got.TotalSpent.Amount.StringFixed(4) + " " + got.TotalSpent.Currency
	}
	return fig
}

func TestPurchaseStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.PurchaseStore()
	c, twin := f.twins(t)
	run(t, []contract{
		{"Insert, Get and ByExternalID keep every field; a taken external id is ErrDuplicate and the transaction goes on", func(t *testing.T) {
			p := newPurchase(c, "19.90", "EUR", f.now.Add(-time.Hour))
			p.ExternalID, p.Items = "order-1", []purchase.Item{{SKU: "A-1", Name: "Gear", Quantity: 2, UnitPrice: decimal.RequireFromString("9.95")}}
			dup := newPurchase(c, "5", "EUR", f.now)
			dup.ExternalID = "order-1"
			next := newPurchase(c, "7", "EUR", f.now)
			must(t, f.db.InTx(f.ctx, func(ctx context.Context) error {
				must(t, s.Insert(ctx, p))
				wantErr(t, "a taken external id", s.Insert(ctx, dup), purchase.ErrDuplicate)
				return s.Insert(ctx, next)
			}))
			got, err := s.Get(f.ctx, f.org, p.ID)
			must(t, err)
			samePurchase(t, got, p)
			got, err = s.ByExternalID(f.ctx, f.org, "order-1")
			must(t, err)
			samePurchase(t, got, p)
			_, err = s.Get(f.ctx, f.org, next.ID)
			must(t, err)
			wantErr(t, "the refused duplicate", getErr(s.Get(f.ctx, f.org, dup.ID)), purchase.ErrNotFound)
			wantErr(t, "another organization's", getErr(s.Get(f.ctx, f.other, p.ID)), purchase.ErrNotFound)
			wantErr(t, "another organization's, by external id", getErr(s.ByExternalID(f.ctx, f.other, "order-1")), purchase.ErrNotFound)
			theirs := newPurchase(twin, "1", "EUR", f.now)
			theirs.ExternalID = "order-1"
			must(t, s.Insert(f.ctx, theirs))
		}},
		{"Refund writes on the stored version only", func(t *testing.T) {
			p := newPurchase(c, "30", "EUR", f.now)
			must(t, s.Insert(f.ctx, p))
			p.RefundedAmount, p.Status, p.Version, p.UpdatedAt = decimal.RequireFromString("30"), "refunded", 2, f.now.Add(time.Minute)
			must(t, s.Refund(f.ctx, p, 1))
			got, err := s.Get(f.ctx, f.org, p.ID)
			must(t, err)
			samePurchase(t, got, p)
			wantErr(t, "a stale version", s.Refund(f.ctx, p, 1), purchase.ErrConcurrentWrite)
			p.OrgID = f.other
			wantErr(t, "another organization's", s.Refund(f.ctx, p, 2), purchase.ErrConcurrentWrite)
		}},
		{"List filters and pages the organization's purchases", func(t *testing.T) {
			who := f.customer(t, f.org)
			a := f.purchase(t, who, "1", f.now.Add(-3*time.Hour), func(p *purchase.Purchase) { p.Channel = "store" })
			b := f.purchase(t, who, "2", f.now.Add(-2*time.Hour), func(p *purchase.Purchase) { p.Status = "refunded" })
			cc := f.purchase(t, who, "3", f.now.Add(-time.Hour))
			f.purchase(t, twin, "4", f.now)
			from := f.now.Add(-2 * time.Hour)
			wantFiltered(t, []filterCase[purchase.Filter]{
				{"customer", purchase.Filter{CustomerID: &who.ID}, []uuid.UUID{a.ID, b.ID, cc.ID}},
				{"channel", purchase.Filter{CustomerID: &who.ID, Channel: "store"}, []uuid.UUID{a.ID}},
				{"status", purchase.Filter{CustomerID: &who.ID, Status: "refunded"}, []uuid.UUID{b.ID}},
				{"occurred after, inclusive", purchase.Filter{CustomerID: &who.ID, OccurredAfter: &from}, []uuid.UUID{b.ID, cc.ID}},
				{"occurred before, exclusive", purchase.Filter{CustomerID: &who.ID, OccurredBefore: &from}, []uuid.UUID{a.ID}},
			}, func(fl purchase.Filter, p page.Request) (page.Result[purchase.Purchase], error) {
				return s.List(f.ctx, f.org, fl, p)
			}, "occurred_at", purchaseID)
			list := func(p page.Request) (page.Result[purchase.Purchase], error) {
				return s.List(f.ctx, f.org, purchase.Filter{CustomerID: &who.ID}, p)
			}
			wantOrders(t, list, purchaseID, order{"occurred_at", true, []uuid.UUID{cc.ID, b.ID, a.ID}}, order{"created_at", false, []uuid.UUID{a.ID, b.ID, cc.ID}})
		}},
		{"InsertMany stores one purchase, or more than a chunk, with their events", func(t *testing.T) {
			for _, n := range []int{1, f.chunk + 1} {
				who := f.customer(t, f.org)
				ps := make([]purchase.Purchase, n)
				for i := range ps {
					ps[i] = newPurchase(who, "2.50", "EUR", f.now.Add(-time.Duration(i)*time.Minute))
					ps[i].ExternalID = "many-" + ps[i].ID.String()
				}
				ps[0].Items = []purchase.Item{{SKU: "B-2", Quantity: 1, UnitPrice: decimal.RequireFromString("2.50")}}
				events := purchaseEvents(ps)
				must(t, s.InsertMany(f.ctx, ps, events))
				got, err := s.Get(f.ctx, f.org, ps[0].ID)
				must(t, err)
				samePurchase(t, got, ps[0])
				res, err := s.List(f.ctx, f.org, purchase.Filter{CustomerID: &who.ID}, page.Request{Limit: 1000, Sort: "occurred_at"})
				must(t, err)
				wantSet(t, "stored", ids(res.Items, purchaseID), ids(ps, purchaseID)...)
				wantSet(t, "events", f.eventsOf(t, who, "purchase.created"), ids(events, eventID)...)
			}
			must(t, s.InsertMany(f.ctx, nil, nil))
		}},
		{"InsertMany with a taken external id answers ErrDuplicate, and a transaction that handles it goes on", func(t *testing.T) {
			for _, n := range []int{1, 3} {
				who := f.customer(t, f.org)
				taken := f.purchase(t, who, "1", f.now, func(p *purchase.Purchase) { p.ExternalID = "taken-" + p.ID.String() })
				ps := make([]purchase.Purchase, n)
				for i := range ps {
					ps[i] = newPurchase(who, "2", "EUR", f.now)
				}
				ps[n-1].ExternalID = taken.ExternalID
				after := newPurchase(who, "3", "EUR", f.now)
				must(t, f.db.InTx(f.ctx, func(ctx context.Context) error {
					wantErr(t, "a batch with a taken external id", s.InsertMany(ctx, ps, purchaseEvents(ps)), purchase.ErrDuplicate)
					return s.Insert(ctx, after)
				}))
				_, err := s.Get(f.ctx, f.org, after.ID)
				must(t, err)
				wantEqual(t, "events of the refused batch", len(f.eventsOf(t, who, "purchase.created")), 0)
			}
		}},
		{"InsertMany stores all or none", func(t *testing.T) {
			who := f.customer(t, f.org)
			taken := f.purchase(t, who, "1", f.now, func(p *purchase.Purchase) { p.ExternalID = "all-or-none-" + p.ID.String() })
			ps := []purchase.Purchase{newPurchase(who, "2", "EUR", f.now), newPurchase(who, "3", "EUR", f.now)}
			ps[1].ExternalID = taken.ExternalID
			wantErr(t, "a batch with a taken external id", s.InsertMany(f.ctx, ps, purchaseEvents(ps)), purchase.ErrDuplicate)
			wantErr(t, "the batch's other purchase", getErr(s.Get(f.ctx, f.org, ps[0].ID)), purchase.ErrNotFound)
		}},
		{"ByExternalIDs finds the organization's purchases, past 500 ids", func(t *testing.T) {
			mine := []purchase.Purchase{
				f.purchase(t, c, "1", f.now, func(p *purchase.Purchase) { p.ExternalID = "by-ids-1" }),
				f.purchase(t, c, "1", f.now, func(p *purchase.Purchase) { p.ExternalID = "by-ids-2" }),
			}
			f.purchase(t, twin, "1", f.now, func(p *purchase.Purchase) { p.ExternalID = "by-ids-1" })
			f.purchase(t, twin, "1", f.now, func(p *purchase.Purchase) { p.ExternalID = "by-ids-theirs" })
			keys := []string{"by-ids-1", "by-ids-theirs"}
			for range 500 {
				keys = append(keys, "unknown-"+newID().String())
			}
			got, err := s.ByExternalIDs(f.ctx, f.org, append(keys, "by-ids-2"))
			must(t, err)
			wantSet(t, "found", ids(got, purchaseID), ids(mine, purchaseID)...)
			got, err = s.ByExternalIDs(f.ctx, f.org, nil)
			must(t, err)
			wantEqual(t, "no ids", len(got), 0)
		}},
		{"OrgCurrency answers the organization's currency", func(t *testing.T) {
			org := f.organization(t, "USD")
			cur, err := s.OrgCurrency(f.ctx, org)
			must(t, err)
			wantEqual(t, "currency", cur, "USD")
		}},
		{"RefreshCustomers recomputes count, first, last and the total in the currency net of refunds", func(t *testing.T) {
			who, none := f.customer(t, f.org), f.customer(t, f.org)
			first, last := f.now.Add(-48*time.Hour), f.now.Add(-time.Hour)
			refunded := newPurchase(who, "10", "EUR", first)
			refunded.RefundedAmount = decimal.RequireFromString("2.5")
			for _, p := range []purchase.Purchase{refunded, newPurchase(who, "5.25", "EUR", last), newPurchase(who, "100", "USD", f.now.Add(-2*time.Hour))} {
				must(t, s.Insert(f.ctx, p))
			}
			twinFigures := f.figures(t, twin)
			asked := []uuid.UUID{who.ID}
			for range 500 { // SQLite reads the purchases of 500 customers at a time
				asked = append(asked, newID())
			}
			must(t, s.RefreshCustomers(f.ctx, f.org, append(asked, none.ID), "EUR"))
			wantEqual(t, "figures", f.figures(t, who), figures{count: 3, first: first.String(), last: last.String(), total: "12.7500 EUR"})
			wantEqual(t, "a customer without purchases", f.figures(t, none), figures{})
			wantEqual(t, "the other organization's customer", f.figures(t, twin), twinFigures)
		}},
		{"AddToCustomers adds new purchases as RefreshCustomers would count them", func(t *testing.T) {
			before, fresh := f.customer(t, f.org), f.customer(t, f.org)
			f.purchase(t, before, "4", f.now.Add(-24*time.Hour))
			ps := []purchase.Purchase{
				newPurchase(before, "1.10", "EUR", f.now.Add(-48*time.Hour)),
				newPurchase(before, "2.20", "EUR", f.now),
				newPurchase(fresh, "3.30", "EUR", f.now.Add(-time.Hour)),
				newPurchase(fresh, "50", "USD", f.now.Add(-3*time.Hour)),
			}
			ps[2].RefundedAmount = decimal.RequireFromString("0.30")
			must(t, s.InsertMany(f.ctx, ps, purchaseEvents(ps)))
			for _, batch := range [][]purchase.Purchase{ps[:1], ps[1:]} { // one purchase, then several
				must(t, s.AddToCustomers(f.ctx, f.org, batch, "EUR"))
			}
			added := []figures{f.figures(t, before), f.figures(t, fresh)}
			must(t, s.RefreshCustomers(f.ctx, f.org, []uuid.UUID{before.ID, fresh.ID}, "EUR"))
			wantEqual(t, "added to a customer with purchases", added[0], f.figures(t, before))
			wantEqual(t, "added to a customer without", added[1], f.figures(t, fresh))
			wantEqual(t, "total", added[0].total, "7.3000 EUR")
		}},
		{"MoveCustomers moves only the organization's live customers whose field is from", func(t *testing.T) {
			prospect, client := f.customer(t, f.org), f.customer(t, f.org, func(c *customer.Customer) { c.LifecycleStage = customer.StageClient })
			gone := f.softDelete(t, f.customer(t, f.org))
			foreign := f.customer(t, f.other, func(c *customer.Customer) { c.ID = prospect.ID })
			at := f.now.Add(time.Hour)
			moved, err := s.MoveCustomers(f.ctx, f.org, []uuid.UUID{prospect.ID, client.ID, gone.ID}, "lifecycle_stage", "prospect", "customer", at)
			must(t, err)
			wantSet(t, "moved", moved, prospect.ID)
			got := f.get(t, prospect)
			if got.LifecycleStage != customer.StageCustomer || got.Version != prospect.Version+1 || !got.UpdatedAt.Equal(at) {
				t.Fatalf("moved customer: stage %s, version %d, updated at %v", got.LifecycleStage, got.Version, got.UpdatedAt)
			}
			wantEqual(t, "the other customer's stage", f.get(t, client).LifecycleStage, customer.StageClient)
			wantEqual(t, "the other organization's customer", f.get(t, foreign).LifecycleStage, customer.StageProspect)
			moved, err = s.MoveCustomers(f.ctx, f.org, []uuid.UUID{client.ID}, "status", "active", "churned", at)
			must(t, err)
			wantSet(t, "moved by status", moved, client.ID)
			wantEqual(t, "status", f.get(t, client).Status, customer.StatusChurned)
			if _, err := s.MoveCustomers(f.ctx, f.org, []uuid.UUID{client.ID}, "email", "a", "b", at); err == nil {
				t.Fatal("moved customers by a field that is not a stage or status")
			}
		}},
		{"RecordEvents appends one event, or more than a chunk", func(t *testing.T) {
			for _, n := range []int{1, f.chunk + 1} {
				who := f.customer(t, f.org)
				events := make([]event.Event, n)
				for i := range events {
					events[i] = event.New(actor(f.org), "customer.noted", "customer", who.ID)
					events[i].Data = map[string]any{"i": float64(i)}
				}
				must(t, s.RecordEvents(f.ctx, events))
				wantSet(t, "recorded", f.eventsOf(t, who, "customer.noted"), ids(events, eventID)...)
			}
			must(t, s.RecordEvents(f.ctx, nil))
		}},
	})
}

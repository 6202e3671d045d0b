package storage_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/money"
	"github.com/rapportcrm/rapport/pkg/page"
)

// sameCustomer fails unless got is want as stored: decimals compare by value (PostgreSQL pads them).
func sameCustomer(t *testing.T, got, want customer.Customer) {
	t.Helper()
	for _, m := range []struct{ got, want **money.Money }{{&got.AcquisitionCost, &want.AcquisitionCost}, {&got.TotalSpent, &want.TotalSpent}} {
		if (*m.got == nil) != (*m.want == nil) || *m.got != nil && (!(*m.got).Amount.Equal((*m.want).Amount) || (*m.got).Currency != (*m.want).Currency) {
			t.Fatalf("money: got %v, want %v", *m.got, *m.want)
		}
		*m.got, *m.want = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("customer:\n got %+v\nwant %+v", got, want)
	}
}

// timeline reads a customer's whole timeline, newest first.
func (f *fixture) timeline(t *testing.T, org, customerID uuid.UUID) []event.Event {
	t.Helper()
	res, err := f.db.TimelineStore().Timeline(f.ctx, org, customerID, nil, page.Request{Limit: 100, Sort: "occurred_at", Desc: true})
	must(t, err)
	return res.Items
}

func TestCustomerStore(t *testing.T) {
	f := newFixture(t)
	s := f.db.CustomerStore()
	run(t, []contract{
		{"Insert stores every field and the creation event", func(t *testing.T) {
			owner, birthday, consent := newID(), time.Date(1990, 12, 10, 0, 0, 0, 0, time.UTC), f.now.Add(-time.Hour)
			c := f.newCustomer(f.org, func(c *customer.Customer) {
				c.ExternalID, c.Phone, c.Company, c.JobTitle = "crm-1", "+4930123456", "Analytical Engines", "Countess"
				c.Address = &customer.Address{Line1: "1 St James's Square", City: "London", PostalCode: "SW1", Country: "GB"}
				c.Birthday, c.OwnerID, c.Tags, c.Interests = &birthday, &owner, []string{"vip", "math"}, []string{"poetry"}
				c.CustomFields = map[string]any{"plan": "gold"}
				c.AcquisitionCost = &money.Money{Amount: decimal.RequireFromString("12.50"), Currency: "EUR"}
				c.MarketingConsent, c.MarketingConsentAt, c.PreferredChannel = true, &consent, "email"
			})
			e := created(c)
			must(t, s.Insert(f.ctx, c, e))
			sameCustomer(t, f.get(t, c), c)
			got := f.timeline(t, f.org, c.ID)
			if len(got) != 1 || got[0].ID != e.ID || got[0].Type != "customer.created" {
				t.Fatalf("timeline %+v, want the creation event", got)
			}
		}},
		{"Insert answers ErrDuplicate for a taken email or external id and the transaction goes on", func(t *testing.T) {
			taken := f.customer(t, f.org, func(c *customer.Customer) { c.ExternalID = "crm-taken" })
			email := f.newCustomer(f.org, func(c *customer.Customer) { c.Email = strings.ToUpper(taken.Email) })
			external := f.newCustomer(f.org, func(c *customer.Customer) { c.ExternalID = taken.ExternalID })
			fresh := f.newCustomer(f.org)
			err := f.db.InTx(f.ctx, func(ctx context.Context) error {
				wantErr(t, "taken email", s.Insert(ctx, email, created(email)), customer.ErrDuplicate)
				wantErr(t, "taken external id", s.Insert(ctx, external, created(external)), customer.ErrDuplicate)
				return s.Insert(ctx, fresh, created(fresh))
			})
			must(t, err)
			f.get(t, fresh)
			for _, c := range []customer.Customer{email, external} {
				if _, err := s.Get(f.ctx, f.org, c.ID); err != customer.ErrNotFound {
					t.Fatalf("a refused duplicate was stored: %v", err)
				}
				if ev := f.timeline(t, f.org, c.ID); len(ev) != 0 {
					t.Fatalf("a refused duplicate has events: %+v", ev)
				}
			}
			// Keys are unique within an organization only.
			f.customer(t, f.other, func(c *customer.Customer) { c.Email, c.ExternalID = taken.Email, taken.ExternalID })
		}},
		{"Insert stores the customer and its event both or neither", func(t *testing.T) {
			first := f.customer(t, f.org)
			c := f.newCustomer(f.org)
			e := created(c)
			e.ID = f.timeline(t, f.org, first.ID)[0].ID // an event id that is taken
			if err := s.Insert(f.ctx, c, e); err == nil {
				t.Fatal("an event with a taken id was stored")
			}
			wantErr(t, "the customer whose event failed", getErr(s.Get(f.ctx, f.org, c.ID)), customer.ErrNotFound)
		}},
		{"InsertMany stores more than a chunk, skips taken keys and records only the inserted customers' events", func(t *testing.T) {
			taken := f.customer(t, f.org)
			cs, events := make([]customer.Customer, f.chunk+1), make([]event.Event, f.chunk+1)
			for i := range cs {
				cs[i] = f.newCustomer(f.org)
			}
			cs[0].Email = strings.ToUpper(taken.Email)
			cs[1].ExternalID, cs[2].ExternalID = "batch-dup", "batch-dup" // the second of a pair within the batch is skipped
			for i := range cs {
				events[i] = created(cs[i])
			}
			inserted, err := s.InsertMany(f.ctx, cs, events)
			must(t, err)
			want := ids(cs[3:], customerID)
			wantSet(t, "inserted", trueKeys(inserted), append(want, cs[1].ID)...)
			for _, i := range []int{0, 2} {
				wantErr(t, "a skipped customer", getErr(s.Get(f.ctx, f.org, cs[i].ID)), customer.ErrNotFound)
				wantEqual(t, "events of a skipped customer", len(f.timeline(t, f.org, cs[i].ID)), 0)
			}
			for _, i := range []int{1, f.chunk} {
				wantEqual(t, "events of an inserted customer", len(f.timeline(t, f.org, cs[i].ID)), 1)
			}
		}},
		{"Update writes on the stored version only and keeps the derived figures", func(t *testing.T) {
			c := f.customer(t, f.org)
			f.purchase(t, c, "10", f.now)
			c.FirstName, c.Version, c.UpdatedAt = "Augusta", 2, f.now.Add(time.Minute)
			c.PurchaseCount, c.ContactCount = 99, 99 // kept by purchases and contacts, never by an update
			must(t, s.Update(f.ctx, c, 1))
			got := f.get(t, c)
			wantEqual(t, "first name", got.FirstName, "Augusta")
			wantEqual(t, "version", got.Version, int64(2))
			wantEqual(t, "purchase count", got.PurchaseCount, 1)
			wantEqual(t, "contact count", got.ContactCount, 0)
			c.Version = 3
			wantErr(t, "a stale version", s.Update(f.ctx, c, 1), customer.ErrConcurrentWrite)
			wrongOrg := c
			wrongOrg.OrgID = f.other
			wantErr(t, "another organization's customer", s.Update(f.ctx, wrongOrg, 2), customer.ErrConcurrentWrite)
		}},
		{"Update answers ErrEmailTaken and ErrExternalIDTaken for another live customer's keys", func(t *testing.T) {
			taken := f.customer(t, f.org, func(c *customer.Customer) { c.ExternalID = "crm-update-taken" })
			c := f.customer(t, f.org)
			byEmail := c
			byEmail.Email, byEmail.Version = strings.ToUpper(taken.Email), 2
			wantErr(t, "taken email", s.Update(f.ctx, byEmail, 1), customer.ErrEmailTaken)
			byExternal := c
			byExternal.ExternalID, byExternal.Version = taken.ExternalID, 2
			wantErr(t, "taken external id", s.Update(f.ctx, byExternal, 1), customer.ErrExternalIDTaken)
			// A deleted customer frees its keys.
			f.softDelete(t, taken)
			must(t, s.Update(f.ctx, byEmail, 1))
		}},
		{"Get, GetDeleted, ByExternalID and ByEmail read live or deleted customers of the organization", func(t *testing.T) {
			live := f.customer(t, f.org, func(c *customer.Customer) { c.ExternalID, c.Email = "crm-live", "Live.Reader@Example.com" })
			gone := f.softDelete(t, f.customer(t, f.org, func(c *customer.Customer) { c.ExternalID = "crm-gone" }))
			twin := f.customer(t, f.other, func(c *customer.Customer) { c.ID, c.ExternalID, c.Email = live.ID, live.ExternalID, live.Email })
			reads := []struct {
				name string
				read func() (customer.Customer, error)
				want *customer.Customer
			}{
				{"Get live", func() (customer.Customer, error) { return s.Get(f.ctx, f.org, live.ID) }, &live},
				{"Get deleted", func() (customer.Customer, error) { return s.Get(f.ctx, f.org, gone.ID) }, nil},
				{"Get in the other organization", func() (customer.Customer, error) { return s.Get(f.ctx, f.other, live.ID) }, &twin},
				{"GetDeleted deleted", func() (customer.Customer, error) { return s.GetDeleted(f.ctx, f.org, gone.ID) }, &gone},
				{"GetDeleted live", func() (customer.Customer, error) { return s.GetDeleted(f.ctx, f.org, live.ID) }, nil},
				{"GetDeleted in the other organization", func() (customer.Customer, error) { return s.GetDeleted(f.ctx, f.other, gone.ID) }, nil},
				{"ByExternalID live", func() (customer.Customer, error) { return s.ByExternalID(f.ctx, f.org, "crm-live") }, &live},
				{"ByExternalID deleted", func() (customer.Customer, error) { return s.ByExternalID(f.ctx, f.org, "crm-gone") }, nil},
				{"ByEmail in another case", func() (customer.Customer, error) { return s.ByEmail(f.ctx, f.org, "LIVE.reader@example.COM") }, &live},
				{"ByEmail deleted", func() (customer.Customer, error) { return s.ByEmail(f.ctx, f.org, gone.Email) }, nil},
				{"ByEmail unknown", func() (customer.Customer, error) { return s.ByEmail(f.ctx, f.org, "nobody@example.com") }, nil},
			}
			for _, r := range reads {
				got, err := r.read()
				if r.want == nil {
					wantErr(t, r.name, err, customer.ErrNotFound)
					continue
				}
				must(t, err)
				wantEqual(t, r.name+": organization", got.OrgID, r.want.OrgID)
				sameCustomer(t, got, *r.want)
			}
		}},
		{"Matching finds live customers by external id and by lower-cased email, in the organization only", func(t *testing.T) {
			byExternal := f.customer(t, f.org, func(c *customer.Customer) { c.ExternalID = "match-1" })
			byEmail := f.customer(t, f.org, func(c *customer.Customer) { c.Email = "Match.Me@Example.com" })
			f.softDelete(t, f.customer(t, f.org, func(c *customer.Customer) { c.ExternalID = "match-gone" }))
			f.customer(t, f.other, func(c *customer.Customer) { c.ExternalID, c.Email = "match-1", "match.me@example.com" })
			f.customer(t, f.other, func(c *customer.Customer) { c.ExternalID = "match-other" })
			got, err := s.Matching(f.ctx, f.org, []string{"match-1", "match-gone", "match-other", "match-none"}, []string{"match.me@example.com"})
			must(t, err)
			wantSet(t, "matching", ids(got, customerID), byExternal.ID, byEmail.ID)
			for _, c := range got {
				wantEqual(t, "organization", c.OrgID, f.org)
			}
			got, err = s.Matching(f.ctx, f.org, []string{"match-1"}, nil)
			must(t, err)
			wantSet(t, "by external id alone", ids(got, customerID), byExternal.ID)
			got, err = s.Matching(f.ctx, f.org, nil, nil)
			must(t, err)
			wantEqual(t, "matching nothing", len(got), 0)
		}},
		{"List filters, searches, sorts and pages the organization's live customers", func(t *testing.T) {
			org := f.organization(t, "EUR")
			owner := newID()
			a := f.customer(t, org, func(c *customer.Customer) {
				c.LastName, c.Email, c.Tags, c.LifecycleStage, c.OwnerID = "Ames", "Ames@Example.com", []string{"vip", "eu"}, customer.StageCustomer, &owner
				c.CreatedAt = f.now.Add(-72 * time.Hour)
			})
			b := f.customer(t, org, func(c *customer.Customer) {
				c.LastName, c.Company, c.Tags, c.Status, c.Source = "Baker", "100% Pure_Co", []string{"vip"}, customer.StatusChurned, "shop"
				c.CreatedAt = f.now.Add(-48 * time.Hour)
			})
			c := f.customer(t, org, func(c *customer.Customer) {
				c.LastName, c.LifecycleStage, c.CreatedAt, c.UpdatedAt = "Cole", customer.StageCustomer, f.now.Add(-24*time.Hour), f.now.Add(time.Hour)
			})
			f.softDelete(t, f.customer(t, org, func(c *customer.Customer) { c.LastName, c.Tags = "Dell", []string{"vip"} }))
			f.customer(t, f.other, func(c *customer.Customer) {
				c.LastName, c.Email, c.Tags = "Ames", "ames@example.com", []string{"vip", "eu"}
			})
			must(t, f.db.AnalyticsStore().ReplaceCLVScores(f.ctx, org, f.now, []analytics.CLVScore{
				{CustomerID: a.ID, PAlive: 0.2, CLV: 50, LastPurchaseAt: f.now}, {CustomerID: b.ID, PAlive: 0.9, CLV: 10, LastPurchaseAt: f.now}}))
			twoDaysAgo, later := f.now.Add(-48*time.Hour), f.now.Add(time.Minute)
			wantFiltered(t, []filterCase[customer.Filter]{
				{"no filter", customer.Filter{}, []uuid.UUID{a.ID, b.ID, c.ID}},
				{"q, in any case", customer.Filter{Q: "BAKER"}, []uuid.UUID{b.ID}},
				{"q's % and _ are literal", customer.Filter{Q: "0% pure_"}, []uuid.UUID{b.ID}},
				{"q's % alone", customer.Filter{Q: "%"}, []uuid.UUID{b.ID}},
				{"email, in any case", customer.Filter{Email: "AMES@example.com"}, []uuid.UUID{a.ID}},
				{"every tag, in any case", customer.Filter{Tags: []string{"VIP", "eu"}}, []uuid.UUID{a.ID}},
				{"one tag", customer.Filter{Tags: []string{"vip"}}, []uuid.UUID{a.ID, b.ID}},
				{"stage", customer.Filter{LifecycleStage: customer.StageCustomer}, []uuid.UUID{a.ID, c.ID}},
				{"status", customer.Filter{Status: customer.StatusChurned}, []uuid.UUID{b.ID}},
				{"source", customer.Filter{Source: "shop"}, []uuid.UUID{b.ID}},
				{"owner", customer.Filter{OwnerID: &owner}, []uuid.UUID{a.ID}},
				{"created after, inclusive", customer.Filter{CreatedAfter: &twoDaysAgo}, []uuid.UUID{b.ID, c.ID}},
				{"created before, exclusive", customer.Filter{CreatedBefore: &twoDaysAgo}, []uuid.UUID{a.ID}},
				{"updated after", customer.Filter{UpdatedAfter: &later}, []uuid.UUID{c.ID}},
				{"churn risk above", customer.Filter{ChurnRiskAbove: ptr(0.5)}, []uuid.UUID{a.ID}},
			}, func(fl customer.Filter, p page.Request) (page.Result[customer.Customer], error) {
				return s.List(f.ctx, org, fl, p)
			}, "created_at", customerID)
			list := func(p page.Request) (page.Result[customer.Customer], error) {
				return s.List(f.ctx, org, customer.Filter{}, p)
			}
			wantOrders(t, list, customerID,
				order{"created_at", false, []uuid.UUID{a.ID, b.ID, c.ID}},
				order{"created_at", true, []uuid.UUID{c.ID, b.ID, a.ID}},
				order{"last_name", false, []uuid.UUID{a.ID, b.ID, c.ID}},
				order{"updated_at", true, []uuid.UUID{c.ID, b.ID, a.ID}},
				order{"clv", true, []uuid.UUID{a.ID, b.ID}}, // only the scored customers
			)
			if _, err := list(page.Request{Limit: 1, Sort: "clv", After: &page.Key{Sort: "clv", Value: "not a number"}}); err == nil {
				t.Fatal("a clv cursor that is not a number was accepted")
			}
		}},
		{"Live answers which ids are live customers of the organization, past a thousand ids", func(t *testing.T) {
			live := f.customer(t, f.org)
			gone := f.softDelete(t, f.customer(t, f.org))
			foreign := f.customer(t, f.other)
			asked := []uuid.UUID{gone.ID, foreign.ID}
			for range 1000 {
				asked = append(asked, newID())
			}
			got, err := s.Live(f.ctx, f.org, append(asked, live.ID))
			must(t, err)
			wantSet(t, "live", trueKeys(got), live.ID)
			got, err = s.Live(f.ctx, f.org, []uuid.UUID{live.ID})
			must(t, err)
			wantSet(t, "one id", trueKeys(got), live.ID)
		}},
		{"GetMany returns the live customers of the organization among the ids, past a thousand ids", func(t *testing.T) {
			live, other := f.customer(t, f.org), f.customer(t, f.org, func(c *customer.Customer) { c.Tags = []string{"vip"} })
			gone := f.softDelete(t, f.customer(t, f.org))
			foreign := f.customer(t, f.other)
			asked := []uuid.UUID{gone.ID, foreign.ID, live.ID}
			for range 1000 {
				asked = append(asked, newID())
			}
			got, err := s.GetMany(f.ctx, f.org, append(asked, other.ID))
			must(t, err)
			wantSet(t, "live", ids(got, customerID), live.ID, other.ID)
			for _, c := range got {
				sameCustomer(t, c, f.get(t, c))
			}
			got, err = s.GetMany(f.ctx, f.org, nil)
			must(t, err)
			wantEqual(t, "no ids", len(got), 0)
		}},
		{"MoveRecords re-points every record of the duplicate to the survivor and recomputes both", func(t *testing.T) {
			from := f.customer(t, f.org)
			// The survivor's own referrer is the merge's to settle: MoveRecords leaves it.
			to := f.customer(t, f.org, func(c *customer.Customer) { c.ReferredByID = &from.ID })
			f.purchase(t, to, "5", f.now.Add(-time.Hour))
			bought := f.purchase(t, from, "20", f.now.Add(-2*time.Hour))
			met := f.contact(t, from, f.now.Add(-time.Hour))
			said := f.feedback(t, from, "nps")
			referred := f.customer(t, f.org, func(c *customer.Customer) { c.ReferredByID = &from.ID })
			// The same customer id in another organization, with a purchase: never moved.
			twin := f.customer(t, f.other, func(c *customer.Customer) { c.ID = from.ID })
			twinBought := f.purchase(t, twin, "7", f.now)
			must(t, f.db.InTx(f.ctx, func(ctx context.Context) error { return s.MoveRecords(ctx, f.org, from.ID, to.ID) }))
			p, err := f.db.PurchaseStore().Get(f.ctx, f.org, bought.ID)
			must(t, err)
			wantEqual(t, "purchase's customer", p.CustomerID, to.ID)
			ct, err := f.db.ContactStore().Get(f.ctx, f.org, met.ID)
			must(t, err)
			wantEqual(t, "contact's customer", ct.CustomerID, to.ID)
			fb, err := f.db.FeedbackStore().Get(f.ctx, f.org, said.ID)
			must(t, err)
			wantEqual(t, "feedback's customer", fb.CustomerID, to.ID)
			r := f.get(t, referred)
			if r.ReferredByID == nil || *r.ReferredByID != to.ID || r.Version != referred.Version+1 {
				t.Fatalf("the referred customer: referred by %v, version %d", r.ReferredByID, r.Version)
			}
			survivor, duplicate := f.get(t, to), f.get(t, from)
			if survivor.ReferredByID == nil || *survivor.ReferredByID != from.ID {
				t.Fatalf("the survivor's referrer changed to %v", survivor.ReferredByID)
			}
			wantEqual(t, "survivor's purchases", survivor.PurchaseCount, 2)
			wantEqual(t, "survivor's total", survivor.TotalSpent.Amount.String(), "25")
			wantEqual(t, "survivor's contacts", survivor.ContactCount, 1)
			wantEqual(t, "duplicate's purchases", duplicate.PurchaseCount, 0)
			wantEqual(t, "duplicate's contacts", duplicate.ContactCount, 0)
			if duplicate.TotalSpent != nil || duplicate.LastPurchaseAt != nil || duplicate.LastContactedAt != nil {
				t.Fatalf("the duplicate keeps figures: %+v", duplicate)
			}
			tp, err := f.db.PurchaseStore().Get(f.ctx, f.other, twinBought.ID)
			must(t, err)
			wantEqual(t, "the other organization's purchase", tp.CustomerID, twin.ID)
			wantEqual(t, "the other organization's figures", f.get(t, twin).PurchaseCount, 1)
		}},
	})
}

// getErr keeps the error of a read.
func getErr[T any](_ T, err error) error { return err }

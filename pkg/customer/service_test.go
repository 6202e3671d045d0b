package customer

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/apperr/apperrtest"
	"github.com/rapportcrm/rapport/pkg/event"
)

// The organization the specs run in: Grace is a customer with the email grace@example.com,
// Agent an active user, Former a user who left; Nobody is the id of no one.
var (
	org    = uuid.MustParse("00000000-0000-7000-8000-0000000000a0")
	grace  = uuid.MustParse("00000000-0000-7000-8000-0000000000a1")
	agent  = uuid.MustParse("00000000-0000-7000-8000-0000000000e1")
	former = uuid.MustParse("00000000-0000-7000-8000-0000000000e2")
	nobody = uuid.MustParse("00000000-0000-7000-8000-0000000000f0")
	actor  = event.Actor{OrgID: org, Kind: event.ActorUser, ID: agent}
)

// book is what the fakes answer from, and what the service wrote.
type book struct {
	stored   Customer // the customer Get answers besides Grace
	inserted []Customer
	updated  []Customer
}

func (b *book) service() *Service {
	store := &fakeStore{
		GetFn: func(_ context.Context, _, id uuid.UUID) (Customer, error) {
			switch id {
			case grace:
				return Customer{ID: grace, OrgID: org, Email: "grace@example.com"}, nil
			case b.stored.ID:
				return b.stored, nil
			}
			return Customer{}, ErrNotFound
		},
		InsertFn: func(_ context.Context, c Customer, _ event.Event) error {
			if c.Email == "grace@example.com" {
				return ErrDuplicate
			}
			b.inserted = append(b.inserted, c)
			return nil
		},
		UpdateFn:       func(_ context.Context, c Customer, _ int64) error { b.updated = append(b.updated, c); return nil },
		ByExternalIDFn: func(context.Context, uuid.UUID, string) (Customer, error) { return Customer{}, ErrNotFound },
		ByEmailFn: func(_ context.Context, _ uuid.UUID, email string) (Customer, error) {
			if email == "grace@example.com" {
				return Customer{ID: grace}, nil
			}
			return Customer{}, ErrNotFound
		},
		RecordEventFn: func(context.Context, event.Event) error { return nil },
	}
	users := &fakeUsers{ActiveUserExistsFn: func(_ context.Context, _, id uuid.UUID) (bool, error) { return id == agent, nil }}
	return NewService(store, fakeTx{}, users, "DE")
}

// Create runs normalize, then checks whom the customer names and stamps the consent.
func TestCreate(t *testing.T) {
	earlier := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   func(*Customer)
		err  *apperrtest.Want
		// stored is what is inserted, besides the id, organization, version and times of a new
		// customer; nil: nothing.
		stored func(*Customer)
	}{
		{name: "what is inserted is the normalized customer",
			in:     func(c *Customer) { c.FirstName, c.Phone, c.Tags = " Ada ", "030 12345678", []string{"VIP", "vip"} },
			stored: func(c *Customer) { c.FirstName, c.Phone, c.Tags = "Ada", "+493012345678", []string{"vip"} }},
		{name: "the owner must be an active user of the organization",
			in: func(c *Customer) { c.OwnerID = &former }, err: apperrtest.Invalid("owner_id")},
		{name: "an active owner is kept",
			in: func(c *Customer) { c.OwnerID = &agent }, stored: func(c *Customer) { c.OwnerID = &agent }},
		{name: "the referrer must be a customer of the organization",
			in: func(c *Customer) { c.ReferredByID = &nobody }, err: apperrtest.Invalid("referred_by_id")},
		{name: "a customer of the organization can be the referrer",
			in: func(c *Customer) { c.ReferredByID = &grace }, stored: func(c *Customer) { c.ReferredByID = &grace }},
		{name: "marketing consent is stamped with the moment the customer is created",
			in:     func(c *Customer) { c.MarketingConsent, c.MarketingConsentAt = true, &earlier },
			stored: func(c *Customer) { c.MarketingConsent, c.MarketingConsentAt = true, &c.CreatedAt }},
		{name: "without consent there is no consent time",
			in: func(c *Customer) { c.MarketingConsentAt = &earlier }, stored: func(*Customer) {}},
		{name: "normalize's fields and the owner and referrer are reported together",
			in:  func(c *Customer) { c.Phone, c.OwnerID, c.ReferredByID = "12", &former, &nobody },
			err: apperrtest.Invalid("phone", "owner_id", "referred_by_id")},
		{name: "a taken email is a conflict that names the customer who has it",
			in: func(c *Customer) { c.Email = "grace@example.com" }, err: apperrtest.Is(ErrEmailTaken)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &book{}
			in := ada()
			tc.in(&in)
			got, err := b.service().Create(context.Background(), actor, in)
			apperrtest.Check(t, err, tc.err)
			var inserted []Customer
			if tc.stored != nil {
				want := ada()
				want.ID, want.OrgID, want.Version, want.CreatedAt, want.UpdatedAt = got.ID, org, 1, got.CreatedAt, got.CreatedAt
				tc.stored(&want)
				inserted = []Customer{want}
			}
			if !reflect.DeepEqual(b.inserted, inserted) {
				t.Errorf("inserted\n%+v\nwant\n%+v", b.inserted, inserted)
			}
			if e, ok := apperr.As(err); ok && errors.Is(err, ErrEmailTaken) && e.Extra["existing_id"] != grace.String() {
				t.Errorf("conflict names %v, want Grace", e.Extra)
			}
		})
	}
}

// An update keeps the moment consent was first given, stamps consent given now, and forgets
// withdrawn consent.
func TestUpdateConsent(t *testing.T) {
	given := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		before, now bool
		want        func(updatedAt time.Time) *time.Time
	}{
		{"consent given before keeps its time", true, true, func(time.Time) *time.Time { return &given }},
		{"consent given now is stamped now", false, true, func(at time.Time) *time.Time { return &at }},
		{"withdrawn consent has no time", true, false, func(time.Time) *time.Time { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stored := ada()
			stored.ID, stored.OrgID, stored.Version, stored.MarketingConsent = uuid.New(), org, 4, tc.before
			if tc.before {
				stored.MarketingConsentAt = &given
			}
			b := &book{stored: stored}
			_, err := b.service().Update(context.Background(), actor, stored.ID, nil, func(c Customer) (Customer, error) {
				c.MarketingConsent, c.JobTitle = tc.now, "Countess"
				return c, nil
			})
			apperrtest.Check(t, err, nil)
			if len(b.updated) != 1 {
				t.Fatalf("updated %d times", len(b.updated))
			}
			u := b.updated[0]
			if want := tc.want(u.UpdatedAt); !reflect.DeepEqual(u.MarketingConsentAt, want) || u.MarketingConsent != tc.now {
				t.Fatalf("consent %v at %v, want %v at %v", u.MarketingConsent, u.MarketingConsentAt, tc.now, want)
			}
		})
	}
}

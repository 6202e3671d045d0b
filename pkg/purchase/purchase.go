// Package purchase owns what customers bought: amounts, currencies, line items and refunds, and
// the purchase figures kept on the customer (first and last purchase, count, total spent).
package purchase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/money"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Values of the enumerated fields.
var (
	Channels   = []string{"store", "online", "phone", "partner", "other"}
	Statuses   = []string{"completed", "refunded"}
	SortFields = []string{"occurred_at", "created_at"}
)

// ClockSkew is how far in the future occurred_at may lie.
const ClockSkew = 5 * time.Minute

// Item is one line of a purchase.
type Item struct {
	SKU, Name string
	Quantity  int
	UnitPrice decimal.Decimal
}

// Purchase is one order of a customer.
type Purchase struct {
	ID             uuid.UUID
	OrgID          uuid.UUID
	CustomerID     uuid.UUID
	ExternalID     string
	Amount         money.Money
	RefundedAmount decimal.Decimal
	OccurredAt     time.Time
	Channel        string
	Items          []Item
	Status         string
	Version        int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Filter narrows a purchase list.
type Filter struct {
	CustomerID     *uuid.UUID
	Channel        string
	Status         string
	OccurredAfter  *time.Time
	OccurredBefore *time.Time
}

// Errors.
var (
	ErrNotFound         = apperr.New(apperr.KindNotFound, "purchase not found")
	ErrCustomerNotFound = apperr.New(apperr.KindNotFound, "customer not found")
	ErrDuplicate        = errors.New("a purchase with this external_id exists")
	ErrConcurrentWrite  = apperr.New(apperr.KindConflict, "another request changed the purchase at the same moment; retry")
)

// Store is what the purchase service needs from storage.
type Store interface {
	event.Recorder
	Tx(ctx context.Context, fn func(Store) error) error

	// Insert stores a purchase, or answers ErrDuplicate when its external_id is taken.
	Insert(ctx context.Context, p Purchase) error
	// Refund records a purchase's refunded amount and status if its version is still prev, else
	// answers ErrConcurrentWrite.
	Refund(ctx context.Context, p Purchase, prev int64) error
	Get(ctx context.Context, orgID, id uuid.UUID) (Purchase, error)
	ByExternalID(ctx context.Context, orgID uuid.UUID, externalID string) (Purchase, error)
	List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Purchase], error)
	CustomerExists(ctx context.Context, orgID, customerID uuid.UUID) (bool, error)
	OrgCurrency(ctx context.Context, orgID uuid.UUID) (string, error)
	// RefreshCustomer recomputes the customer's purchase figures; total spent counts purchases
	// in currency, net of refunds.
	RefreshCustomer(ctx context.Context, orgID, customerID uuid.UUID, currency string) error
	// PromoteProspect moves a prospect to the customer stage and reports whether it did.
	PromoteProspect(ctx context.Context, orgID, customerID uuid.UUID, at time.Time) (bool, error)
}

// Service records purchases.
type Service struct{ store Store }

// NewService returns the purchase service.
func NewService(store Store) *Service { return &Service{store: store} }

// Get returns a purchase.
func (s *Service) Get(ctx context.Context, orgID, id uuid.UUID) (Purchase, error) {
	return s.store.Get(ctx, orgID, id)
}

// List returns a page of purchases; with a customer in the filter, that customer must exist.
func (s *Service) List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Purchase], error) {
	if f.CustomerID != nil {
		if ok, err := s.store.CustomerExists(ctx, orgID, *f.CustomerID); err != nil {
			return page.Result[Purchase]{}, err
		} else if !ok {
			return page.Result[Purchase]{}, ErrCustomerNotFound
		}
	}
	return s.store.List(ctx, orgID, f, p)
}

func (s *Service) check(ctx context.Context, st Store, p *Purchase, now time.Time) error {
	var bad apperr.Fields
	p.ExternalID, p.Channel = strings.TrimSpace(p.ExternalID), strings.TrimSpace(p.Channel)
	if p.Channel == "" {
		p.Channel = "other"
	}
	if !slices.Contains(Channels, p.Channel) {
		bad.Add("channel", "must be one of %s", strings.Join(Channels, ", "))
	}
	p.Amount.Normalize("amount", &bad)
	if p.OccurredAt.After(now.Add(ClockSkew)) {
		bad.Add("occurred_at", "must not be in the future")
	}
	for i, it := range p.Items {
		if it.Quantity < 1 {
			bad.Add(fmt.Sprintf("items[%d].quantity", i), "must be at least 1")
		}
		if it.UnitPrice.IsNegative() {
			bad.Add(fmt.Sprintf("items[%d].unit_price", i), "must not be negative")
		}
	}
	if ok, err := st.CustomerExists(ctx, p.OrgID, p.CustomerID); err != nil {
		return err
	} else if !ok {
		bad.Add("customer_id", "must be a customer of your organization that is not deleted")
	}
	return bad.Err()
}

// Create records a purchase. One whose external_id is already recorded is not recorded again:
// Create answers the existing purchase and created=false, so a shop may re-send its orders.
func (s *Service) Create(ctx context.Context, actor event.Actor, p Purchase) (Purchase, bool, error) {
	now := event.Now()
	p.ID, p.OrgID, p.Version, p.CreatedAt, p.UpdatedAt = uuid.Must(uuid.NewV7()), actor.OrgID, 1, now, now
	p.RefundedAmount, p.Status = decimal.Zero, "completed"
	if p.OccurredAt.IsZero() {
		p.OccurredAt = now
	}
	var result Purchase
	created := false
	err := s.store.Tx(ctx, func(tx Store) error {
		if p.ExternalID != "" {
			if existing, err := tx.ByExternalID(ctx, p.OrgID, p.ExternalID); err == nil {
				result = existing
				return nil
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		currency, err := tx.OrgCurrency(ctx, p.OrgID)
		if err != nil {
			return err
		}
		if p.Amount.Currency == "" {
			p.Amount.Currency = currency
		}
		if err := s.check(ctx, tx, &p, now); err != nil {
			return err
		}
		if err := tx.Insert(ctx, p); err != nil {
			if errors.Is(err, ErrDuplicate) { // a concurrent request recorded it first
				result, err = tx.ByExternalID(ctx, p.OrgID, p.ExternalID)
			}
			return err
		}
		if err := tx.RefreshCustomer(ctx, p.OrgID, p.CustomerID, currency); err != nil {
			return err
		}
		ev := s.event(actor, "purchase.created", p)
		ev.Data = map[string]any{"amount": p.Amount.String(), "currency": p.Amount.Currency, "channel": p.Channel, "external_id": p.ExternalID}
		if err := tx.RecordEvent(ctx, ev); err != nil {
			return err
		}
		promoted, err := tx.PromoteProspect(ctx, p.OrgID, p.CustomerID, now)
		if err != nil {
			return err
		}
		if promoted {
			stage := event.New(actor, "customer.lifecycle_stage_changed", "customer", p.CustomerID)
			stage.Data = map[string]any{"from": "prospect", "to": "customer", "reason": "first purchase"}
			if err := tx.RecordEvent(ctx, stage); err != nil {
				return err
			}
		}
		result, created = p, true
		return nil
	})
	if err != nil {
		return Purchase{}, false, fmt.Errorf("create purchase: %w", err)
	}
	return result, created, nil
}

// CreateForCustomer records a purchase of the customer a path names: a missing customer is not found.
func (s *Service) CreateForCustomer(ctx context.Context, actor event.Actor, customerID uuid.UUID, p Purchase) (Purchase, bool, error) {
	if ok, err := s.store.CustomerExists(ctx, actor.OrgID, customerID); err != nil {
		return Purchase{}, false, err
	} else if !ok {
		return Purchase{}, false, ErrCustomerNotFound
	}
	p.CustomerID = customerID
	return s.Create(ctx, actor, p)
}

func (s *Service) event(actor event.Actor, typ string, p Purchase) event.Event {
	ev := event.New(actor, typ, "purchase", p.ID)
	ev.CustomerID = &p.CustomerID
	return ev
}

// Refund refunds amount of a purchase, or all that is left when amount is nil. A purchase refunded
// in full has the status refunded.
func (s *Service) Refund(ctx context.Context, actor event.Actor, id uuid.UUID, amount *decimal.Decimal) (Purchase, error) {
	var refunded Purchase
	err := s.store.Tx(ctx, func(tx Store) error {
		p, err := tx.Get(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		left := p.Amount.Amount.Sub(p.RefundedAmount)
		r := left
		if amount != nil {
			r = *amount
		}
		var bad apperr.Fields
		refund := money.Money{Amount: r, Currency: p.Amount.Currency}
		switch scale := money.Scale(refund.Currency); {
		case !r.Equal(r.Round(scale)):
			bad.Add("amount", "must have at most %d decimal places for %s", scale, refund.Currency)
		case left.IsZero():
			bad.Add("amount", "the purchase is refunded in full already")
		case !r.IsPositive():
			bad.Add("amount", "must be positive")
		case r.GreaterThan(left):
			bad.Add("amount", "must be at most %s, what is left to refund", money.Money{Amount: left, Currency: p.Amount.Currency})
		}
		if err := bad.Err(); err != nil {
			return err
		}
		prev := p.Version
		p.RefundedAmount, p.Version, p.UpdatedAt = p.RefundedAmount.Add(r), p.Version+1, event.Now()
		if p.RefundedAmount.Equal(p.Amount.Amount) {
			p.Status = "refunded"
		}
		if err := tx.Refund(ctx, p, prev); err != nil {
			return err
		}
		currency, err := tx.OrgCurrency(ctx, p.OrgID)
		if err != nil {
			return err
		}
		if err := tx.RefreshCustomer(ctx, p.OrgID, p.CustomerID, currency); err != nil {
			return err
		}
		ev := s.event(actor, "purchase.refunded", p)
		ev.Data = map[string]any{"amount": refund.String(), "currency": p.Amount.Currency, "refunded_total": p.RefundedAmount.String(), "status": p.Status}
		refunded = p
		return tx.RecordEvent(ctx, ev)
	})
	if err != nil {
		return Purchase{}, fmt.Errorf("refund purchase: %w", err)
	}
	return refunded, nil
}

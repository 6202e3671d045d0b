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

// Service records purchases.
type Service struct {
	store     Store
	tx        Transactor
	customers Customers
	points    Points
}

// NewService returns the purchase service.
func NewService(store Store, tx Transactor, customers Customers, points Points) *Service {
	return &Service{store: store, tx: tx, customers: customers, points: points}
}

// Get returns a purchase.
func (s *Service) Get(ctx context.Context, orgID, id uuid.UUID) (Purchase, error) {
	return s.store.Get(ctx, orgID, id)
}

// List returns a page of purchases; with a customer in the filter, that customer must exist.
func (s *Service) List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Purchase], error) {
	if f.CustomerID != nil {
		if err := s.customers.CheckLive(ctx, orgID, *f.CustomerID); err != nil {
			return page.Result[Purchase]{}, err
		}
	}
	return s.store.List(ctx, orgID, f, p)
}

// check normalizes p and reports every field that breaks a rule; customerKnown tells whether p's
// customer is a live customer of the organization.
// Check reports every rule that p, as a new purchase, breaks, and writes nothing: a request whose
// shape was refused runs it, so that one answer names every bad field.
func (s *Service) Check(ctx context.Context, actor event.Actor, p Purchase) error {
	live, err := s.customers.Live(ctx, actor.OrgID, []uuid.UUID{p.CustomerID})
	if err != nil {
		return err
	}
	if strings.TrimSpace(p.Amount.Currency) == "" {
		if p.Amount.Currency, err = s.store.OrgCurrency(ctx, actor.OrgID); err != nil {
			return err
		}
	}
	return check(&p, live[p.CustomerID], event.Now())
}

func check(p *Purchase, customerKnown bool, now time.Time) error {
	var bad apperr.Fields
	p.ExternalID, p.Channel = strings.TrimSpace(p.ExternalID), strings.TrimSpace(p.Channel)
	if p.Channel == "" {
		p.Channel = "other"
	}
	if !slices.Contains(Channels, p.Channel) {
		bad.Add("channel", "must be one of %s", strings.Join(Channels, ", "))
	}
	p.Amount.Normalize("amount", "currency", &bad)
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
	if !customerKnown {
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
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if p.ExternalID != "" {
			if existing, err := s.store.ByExternalID(ctx, p.OrgID, p.ExternalID); err == nil {
				result = existing
				return nil
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		currency, err := s.store.OrgCurrency(ctx, p.OrgID)
		if err != nil {
			return err
		}
		if strings.TrimSpace(p.Amount.Currency) == "" {
			p.Amount.Currency = currency
		}
		live, err := s.customers.Live(ctx, p.OrgID, []uuid.UUID{p.CustomerID})
		if err != nil {
			return err
		}
		if err := check(&p, live[p.CustomerID], now); err != nil {
			return err
		}
		if err := s.store.Insert(ctx, p); err != nil {
			if errors.Is(err, ErrDuplicate) { // a concurrent request recorded it first
				result, err = s.store.ByExternalID(ctx, p.OrgID, p.ExternalID)
			}
			return err
		}
		if err := s.store.RecordEvent(ctx, s.createdEvent(actor, p)); err != nil {
			return err
		}
		recorded := []Purchase{p}
		if err := s.afterPurchases(ctx, actor, recorded, currency, now); err != nil {
			return err
		}
		result, created = recorded[0], true
		return nil
	})
	if err != nil {
		return Purchase{}, false, fmt.Errorf("create purchase: %w", err)
	}
	return result, created, nil
}

// CreateForCustomer records a purchase of the customer a path names: a missing customer is not found.
func (s *Service) CreateForCustomer(ctx context.Context, actor event.Actor, customerID uuid.UUID, p Purchase) (Purchase, bool, error) {
	if err := s.customers.CheckLive(ctx, actor.OrgID, customerID); err != nil {
		return Purchase{}, false, err
	}
	p.CustomerID = customerID
	return s.Create(ctx, actor, p)
}

func (s *Service) createdEvent(actor event.Actor, p Purchase) event.Event {
	ev := s.event(actor, "purchase.created", p)
	ev.Data = p.resource()
	return ev
}

// afterPurchases awards the new purchases' points (those in the organization's currency) and
// sets what each earned, keeps their customers' purchase figures, and moves prospects among them
// to the customer stage.
func (s *Service) afterPurchases(ctx context.Context, actor event.Actor, fresh []Purchase, currency string, now time.Time) error {
	seen := map[uuid.UUID]bool{}
	var customers []uuid.UUID
	var earnings []Earning
	var earning []int // the index in fresh of each earning
	for i, p := range fresh {
		if !seen[p.CustomerID] {
			seen[p.CustomerID] = true
			customers = append(customers, p.CustomerID)
		}
		fresh[i].Earned = &Earned{Reason: NoPointsOtherCurrency}
		if p.Amount.Currency == currency {
			earnings, earning = append(earnings, Earning{CustomerID: p.CustomerID, PurchaseID: p.ID, Amount: p.Amount.Amount}), append(earning, i)
		}
	}
	earned, err := s.points.EarnForPurchases(ctx, actor, earnings)
	if err != nil {
		return err
	}
	for k, e := range earned {
		fresh[earning[k]].Earned = &e
	}
	if err := s.store.AddToCustomers(ctx, actor.OrgID, fresh, currency); err != nil {
		return err
	}
	// A first purchase makes a prospect a customer; a churned customer who buys is won back.
	var events []event.Event
	for _, m := range []struct{ field, typ, from, to, reason string }{
		{"lifecycle_stage", "customer.lifecycle_stage_changed", "prospect", "customer", "first purchase"},
		{"status", "customer.status_changed", "churned", "won_back", "purchase"},
	} {
		moved, err := s.store.MoveCustomers(ctx, actor.OrgID, customers, m.field, m.from, m.to, now)
		if err != nil {
			return err
		}
		if len(moved) == 0 {
			continue
		}
		moves, err := s.customers.Resources(ctx, actor.OrgID, moved) // the customers as the move left them
		if err != nil {
			return err
		}
		for _, id := range moved {
			ev := event.New(actor, m.typ, "customer", id)
			ev.Data = moves[id]
			if ev.Data == nil {
				ev.Data = map[string]any{}
			}
			ev.Data["from"], ev.Data["to"], ev.Data["reason"] = m.from, m.to, m.reason
			events = append(events, ev)
		}
	}
	return s.store.RecordEvents(ctx, events)
}

func (s *Service) event(actor event.Actor, typ string, p Purchase) event.Event {
	ev := event.New(actor, typ, "purchase", p.ID)
	ev.CustomerID = &p.CustomerID
	return ev
}

// Refund refunds amount of a purchase, or all that is left when amount is nil; an amount without
// a currency is in the purchase's. A purchase refunded in full has the status refunded.
func (s *Service) Refund(ctx context.Context, actor event.Actor, id uuid.UUID, amount *money.Money) (Purchase, error) {
	var refunded Purchase
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		p, err := s.store.Get(ctx, actor.OrgID, id)
		if err != nil {
			return err
		}
		left := p.Amount.Amount.Sub(p.RefundedAmount)
		r := left
		if amount != nil {
			r = amount.Amount
		}
		var bad apperr.Fields
		refund := money.Money{Amount: r, Currency: p.Amount.Currency}
		switch scale := money.Scale(refund.Currency); {
		case amount != nil && amount.Currency != "" && !strings.EqualFold(amount.Currency, refund.Currency):
			bad.Add("amount", "must be in the purchase's currency, %s", refund.Currency)
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
		prev, before := p.Version, p.RefundedAmount
		p.RefundedAmount, p.Version, p.UpdatedAt = p.RefundedAmount.Add(r), p.Version+1, event.Now()
		if p.RefundedAmount.Equal(p.Amount.Amount) {
			p.Status = "refunded"
		}
		if err := s.store.Refund(ctx, p, prev); err != nil {
			return err
		}
		currency, err := s.store.OrgCurrency(ctx, p.OrgID)
		if err != nil {
			return err
		}
		if err := s.store.RefreshCustomers(ctx, p.OrgID, []uuid.UUID{p.CustomerID}, currency); err != nil {
			return err
		}
		if p.Amount.Currency == currency {
			if err := s.points.TakeBackForRefund(ctx, actor, p.CustomerID, p.ID, p.Amount.Amount, before, p.RefundedAmount); err != nil {
				return err
			}
		}
		ev := s.event(actor, "purchase.refunded", p)
		ev.Data = p.resource()
		ev.Data["refund"] = map[string]any{"amount": refund.String(), "currency": refund.Currency}
		refunded = p
		return s.store.RecordEvent(ctx, ev)
	})
	if err != nil {
		return Purchase{}, fmt.Errorf("refund purchase: %w", err)
	}
	return refunded, nil
}

// Batch records up to MaxBatch purchases, as a shop sends its order history: the recorded
// external ids and the customers are read once for the batch, the new purchases go in multi-row
// statements, and each customer's figures are recomputed once.
func (s *Service) Batch(ctx context.Context, actor event.Actor, items []BatchItem, atomic bool) ([]BatchResult, error) {
	results := make([]BatchResult, len(items))
	now := event.Now()
	failed := false
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		currency, err := s.store.OrgCurrency(ctx, actor.OrgID)
		if err != nil {
			return err
		}
		var externalIDs []string
		var customerIDs []uuid.UUID
		for _, it := range items {
			if it.Purchase.ExternalID != "" {
				externalIDs = append(externalIDs, strings.TrimSpace(it.Purchase.ExternalID))
			}
			customerIDs = append(customerIDs, it.Purchase.CustomerID)
		}
		recorded := map[string]uuid.UUID{}
		existing, err := s.store.ByExternalIDs(ctx, actor.OrgID, externalIDs)
		if err != nil {
			return err
		}
		for _, p := range existing {
			recorded[p.ExternalID] = p.ID
		}
		live, err := s.customers.Live(ctx, actor.OrgID, customerIDs)
		if err != nil {
			return err
		}
		var fresh []Purchase
		var events []event.Event
		for i, it := range items {
			if it.Err != nil {
				results[i], failed = BatchResult{Status: BatchError, Err: it.Err}, true
				continue
			}
			p := it.Purchase
			p.ExternalID = strings.TrimSpace(p.ExternalID)
			if id, ok := recorded[p.ExternalID]; ok && p.ExternalID != "" {
				results[i] = BatchResult{Status: BatchUnchanged, ID: id}
				continue
			}
			p.ID, p.OrgID, p.Version, p.CreatedAt, p.UpdatedAt = uuid.Must(uuid.NewV7()), actor.OrgID, 1, now, now
			p.RefundedAmount, p.Status = decimal.Zero, "completed"
			if p.OccurredAt.IsZero() {
				p.OccurredAt = now
			}
			if strings.TrimSpace(p.Amount.Currency) == "" {
				p.Amount.Currency = currency
			}
			if err := check(&p, live[p.CustomerID], now); err != nil {
				results[i], failed = BatchResult{Status: BatchError, Err: err}, true
				continue
			}
			if p.ExternalID != "" {
				recorded[p.ExternalID] = p.ID
			}
			fresh, events = append(fresh, p), append(events, s.createdEvent(actor, p))
			results[i] = BatchResult{Status: BatchCreated, ID: p.ID}
		}
		if atomic && failed {
			return ErrBatchFailed
		}
		if err := s.store.InsertMany(ctx, fresh, events); err != nil {
			if errors.Is(err, ErrDuplicate) {
				return ErrConcurrentWrite // another request recorded one of these orders meanwhile
			}
			return err
		}
		if err := s.afterPurchases(ctx, actor, fresh, currency, now); err != nil {
			return err
		}
		earned := make(map[uuid.UUID]*Earned, len(fresh))
		for _, p := range fresh {
			earned[p.ID] = p.Earned
		}
		for i := range results {
			if results[i].Status == BatchCreated {
				results[i].Earned = earned[results[i].ID]
			}
		}
		return nil
	})
	if errors.Is(err, ErrBatchFailed) {
		return results, err
	}
	if err != nil {
		return nil, fmt.Errorf("purchase batch: %w", err)
	}
	return results, nil
}

// resource is the purchase as the API answers it, less what only the request that recorded it
// learns (points_earned): what the events of a change carry in Data.
func (p Purchase) resource() map[string]any {
	items := make([]map[string]any, len(p.Items))
	for i, it := range p.Items {
		items[i] = map[string]any{"quantity": it.Quantity, "unit_price": it.UnitPrice.String()}
		if it.SKU != "" {
			items[i]["sku"] = it.SKU
		}
		if it.Name != "" {
			items[i]["name"] = it.Name
		}
	}
	m := map[string]any{
		"id": p.ID.String(), "customer_id": p.CustomerID.String(), "external_id": nil,
		"amount":          map[string]any{"amount": p.Amount.String(), "currency": p.Amount.Currency},
		"refunded_amount": map[string]any{"amount": money.Money{Amount: p.RefundedAmount, Currency: p.Amount.Currency}.String(), "currency": p.Amount.Currency},
		"occurred_at":     p.OccurredAt, "channel": p.Channel, "items": items, "status": p.Status,
		"version": p.Version, "created_at": p.CreatedAt, "updated_at": p.UpdatedAt,
	}
	if p.ExternalID != "" {
		m["external_id"] = p.ExternalID
	}
	return m
}

package purchaseapi

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/api/customerapi"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/money"
	"github.com/rapportcrm/rapport/pkg/purchase"
)

// Item is one line of a purchase.
type Item struct {
	SKU       string `json:"sku,omitempty" validate:"max=100" example:"LID-42"`
	Name      string `json:"name,omitempty" validate:"max=300" example:"Glass lid"`
	Quantity  int    `json:"quantity" example:"2"`
	UnitPrice string `json:"unit_price" validate:"required,numeric,max=24" example:"9.95"`
} // @name PurchaseItem

// PurchaseInput is a new purchase.
type PurchaseInput struct {
	// Required on POST /v1/purchases; taken from the path under /v1/customers/{id}.
	CustomerID string `json:"customer_id,omitempty" validate:"omitempty,uuid" format:"uuid"`
	// The shop's order id, unique in the organization: sending the same order again records
	// nothing and answers the existing purchase (200 instead of 201).
	ExternalID string `json:"external_id,omitempty" validate:"max=255" example:"order-10042"`
	// An exact decimal, such as "19.90"; the currency defaults to the organization's. The Money
	// object that answers carry, {"amount": "19.90", "currency": "EUR"}, is accepted too.
	Amount   web.Amount `json:"amount" swaggertype:"string" validate:"required,numeric,max=24" example:"19.90"`
	Currency string     `json:"currency,omitempty" validate:"omitempty,len=3" example:"EUR"`
	// When it was bought; defaults to now, and may not lie in the future.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
	// Absent: other.
	Channel string `json:"channel,omitempty" enums:"store,online,phone,partner,other"`
	Items   []Item `json:"items,omitempty" validate:"max=500,dive"`
} // @name PurchaseInput

// Purchase is one order of a customer.
type Purchase struct {
	ID             string            `json:"id" format:"uuid"`
	CustomerID     string            `json:"customer_id" format:"uuid"`
	ExternalID     *string           `json:"external_id" extensions:"x-nullable"`
	Amount         customerapi.Money `json:"amount"`
	RefundedAmount customerapi.Money `json:"refunded_amount"`
	OccurredAt     time.Time         `json:"occurred_at"`
	Channel        string            `json:"channel" enums:"store,online,phone,partner,other"`
	Items          []Item            `json:"items"`
	Status         string            `json:"status" enums:"completed,refunded"`
	Version        int64             `json:"version"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	// What the purchase earned; only in the answer of the request that recorded it.
	PointsEarned *PointsEarned `json:"points_earned,omitempty"`
} // @name Purchase

// PointsEarned is the loyalty points a new purchase earned, or with none, why.
type PointsEarned struct {
	Points int64 `json:"points"`
	// Why no points: the loyalty program is inactive, the purchase is in another currency than
	// the organization's, the amount earns less than a point, or the balance is at its limit;
	// null when the purchase earned points.
	Reason *string `json:"reason" enums:"program_inactive,other_currency,amount_too_small,balance_limit" extensions:"x-nullable"`
} // @name PointsEarned

func toPointsEarned(e *purchase.Earned) *PointsEarned {
	if e == nil {
		return nil
	}
	out := &PointsEarned{Points: e.Points}
	if e.Reason != "" {
		out.Reason = &e.Reason
	}
	return out
}

// BatchResult is the outcome of one item of a purchase batch, in the order sent: what
// web.BatchAnswer writes, with the statuses a purchase batch has (an external_id recorded before
// is unchanged, never updated).
type BatchResult struct {
	Index  int    `json:"index"`
	Status string `json:"status" enums:"created,unchanged,error"`
	// The purchase's id; absent on error.
	ID *string `json:"id,omitempty" format:"uuid"`
	// Why the item failed; absent unless it did.
	Error *web.Problem `json:"error,omitempty"`
	// What a created purchase earned; absent otherwise.
	PointsEarned *PointsEarned `json:"points_earned,omitempty"`
} // @name PurchaseBatchResult

// BatchResponse answers POST /v1/purchases/batch: one result per item.
type BatchResponse struct {
	Results []BatchResult `json:"results"`
} // @name PurchaseBatchResponse

// RefundRequest refunds part of a purchase, or what is left of it.
type RefundRequest struct {
	// Omitted: refund all that is left. A decimal string, or a Money object in the purchase's currency.
	Amount web.Amount `json:"amount,omitempty" swaggertype:"string" validate:"omitempty,numeric,max=24" example:"5.00"`
} // @name RefundRequest

func toPurchase(p purchase.Purchase) Purchase {
	out := Purchase{ID: p.ID.String(), CustomerID: p.CustomerID.String(), OccurredAt: p.OccurredAt, Channel: p.Channel,
		Amount:         customerapi.Money{Amount: p.Amount.String(), Currency: p.Amount.Currency},
		RefundedAmount: customerapi.Money{Amount: money.Money{Amount: p.RefundedAmount, Currency: p.Amount.Currency}.String(), Currency: p.Amount.Currency},
		Items:          make([]Item, len(p.Items)), Status: p.Status, Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if p.ExternalID != "" {
		out.ExternalID = &p.ExternalID
	}
	out.PointsEarned = toPointsEarned(p.Earned)
	for i, it := range p.Items {
		out.Items[i] = Item{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity, UnitPrice: it.UnitPrice.String()}
	}
	return out
}

func (in PurchaseInput) toDomain() (purchase.Purchase, error) {
	currency, err := in.Amount.CurrencyWith(in.Currency, "currency")
	if err != nil {
		return purchase.Purchase{}, err
	}
	amount, _ := decimal.NewFromString(in.Amount.Value) // validated
	p := purchase.Purchase{ExternalID: in.ExternalID, Amount: money.Money{Amount: amount, Currency: currency}, Channel: in.Channel,
		Items: make([]purchase.Item, len(in.Items))}
	if in.CustomerID != "" {
		p.CustomerID = web.ParseID(in.CustomerID)
	}
	if in.OccurredAt != nil {
		p.OccurredAt = in.OccurredAt.UTC().Truncate(time.Microsecond)
	}
	for i, it := range in.Items {
		price, _ := decimal.NewFromString(it.UnitPrice) // validated
		p.Items[i] = purchase.Item{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity, UnitPrice: price}
	}
	return p, nil
}

// Package purchaseapi serves /v1/purchases and /v1/customers/{id}/purchases: what customers bought.
package purchaseapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/api/customerapi"
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/customer"
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
	// An exact decimal; the currency defaults to the organization's.
	Amount   string `json:"amount" validate:"required,numeric,max=24" example:"19.90"`
	Currency string `json:"currency,omitempty" validate:"omitempty,len=3" example:"EUR"`
	// When it was bought; defaults to now, and may not lie in the future.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
	Channel    string     `json:"channel,omitempty" enums:"store,online,phone,partner,other" default:"other"`
	Items      []Item     `json:"items,omitempty" validate:"max=500,dive"`
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
} // @name Purchase

// RefundRequest refunds part of a purchase, or what is left of it.
type RefundRequest struct {
	// Omitted: refund all that is left.
	Amount string `json:"amount,omitempty" validate:"omitempty,numeric,max=24" example:"5.00"`
} // @name RefundRequest

func toPurchase(p purchase.Purchase) Purchase {
	out := Purchase{ID: p.ID.String(), CustomerID: p.CustomerID.String(), OccurredAt: p.OccurredAt, Channel: p.Channel,
		Amount:         customerapi.Money{Amount: p.Amount.String(), Currency: p.Amount.Currency},
		RefundedAmount: customerapi.Money{Amount: money.Money{Amount: p.RefundedAmount, Currency: p.Amount.Currency}.String(), Currency: p.Amount.Currency},
		Items:          make([]Item, len(p.Items)), Status: p.Status, Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if p.ExternalID != "" {
		out.ExternalID = &p.ExternalID
	}
	for i, it := range p.Items {
		out.Items[i] = Item{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity, UnitPrice: it.UnitPrice.String()}
	}
	return out
}

func (in PurchaseInput) toDomain() purchase.Purchase {
	amount, _ := decimal.NewFromString(in.Amount) // validated
	p := purchase.Purchase{ExternalID: in.ExternalID, Amount: money.Money{Amount: amount, Currency: in.Currency}, Channel: in.Channel,
		Items: make([]purchase.Item, len(in.Items))}
	if in.CustomerID != "" {
		p.CustomerID = uuid.MustParse(in.CustomerID) // validated
	}
	if in.OccurredAt != nil {
		p.OccurredAt = in.OccurredAt.UTC().Truncate(time.Microsecond)
	}
	for i, it := range in.Items {
		price, _ := decimal.NewFromString(it.UnitPrice) // validated
		p.Items[i] = purchase.Item{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity, UnitPrice: price}
	}
	return p
}

type handlers struct{ svc *purchase.Service }

// Register mounts the purchase routes.
func Register(g web.Routes, svc *purchase.Service) {
	h := handlers{svc: svc}
	g.GET("/purchases", h.list, mid.Require(auth.PurchasesRead))
	g.POST("/purchases", h.create, mid.Require(auth.PurchasesWrite))
	g.POST("/purchases/batch", h.batch, mid.Require(auth.PurchasesWrite))
	g.GET("/customers/:id/purchases", h.listForCustomer, mid.Require(auth.PurchasesRead))
	g.POST("/customers/:id/purchases", h.createForCustomer, mid.Require(auth.PurchasesWrite))
	g.GET("/purchases/:id", h.get, mid.Require(auth.PurchasesRead))
	g.POST("/purchases/:id/refund", h.refund, mid.Require(auth.PurchasesWrite))
}

func (h handlers) listWith(c echo.Context, nested bool) error {
	q, customerID, err := web.ScopedQuery(c, nested, customer.ErrNotFound, "channel", "status", "occurred_after", "occurred_before")
	if err != nil {
		return err
	}
	f := purchase.Filter{Channel: web.Enum(q, "channel", purchase.Channels), Status: web.Enum(q, "status", purchase.Statuses),
		OccurredAfter: q.Time("occurred_after"), OccurredBefore: q.Time("occurred_before"), CustomerID: customerID}
	req := q.Page(purchase.SortFields, "-occurred_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.List(c.Request().Context(), mid.Principal(c).OrgID, f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, toPurchase))
}

// list godoc
//
//	@Summary	List purchases
//	@Tags		purchases
//	@Produce	json
//	@Security	BearerAuth
//	@Param		limit			query		int		false	"Page size, 1 to 200"	default(50)
//	@Param		cursor			query		string	false	"next_cursor of the previous page"
//	@Param		sort			query		string	false	"Order"	Enums(occurred_at, -occurred_at, created_at, -created_at)	default(-occurred_at)
//	@Param		customer_id		query		string	false	"Customer"	format(uuid)
//	@Param		channel			query		string	false	"Channel"	Enums(store, online, phone, partner, other)
//	@Param		status			query		string	false	"Status"	Enums(completed, refunded)
//	@Param		occurred_after	query		string	false	"At or after (RFC 3339)"	format(date-time)
//	@Param		occurred_before	query		string	false	"Before (RFC 3339)"	format(date-time)
//	@Success	200				{object}	web.Page{data=[]Purchase}
//	@Failure	400,401,403,429,500,503	{object}	web.Problem
//	@Router		/purchases [get]
func (h handlers) list(c echo.Context) error { return h.listWith(c, false) }

// listForCustomer godoc
//
//	@Summary	List one customer's purchases
//	@Tags		purchases
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id				path		string	true	"Customer id"	format(uuid)
//	@Param		limit			query		int		false	"Page size, 1 to 200"	default(50)
//	@Param		cursor			query		string	false	"next_cursor of the previous page"
//	@Param		sort			query		string	false	"Order"	Enums(occurred_at, -occurred_at, created_at, -created_at)	default(-occurred_at)
//	@Param		channel			query		string	false	"Channel"	Enums(store, online, phone, partner, other)
//	@Param		status			query		string	false	"Status"	Enums(completed, refunded)
//	@Param		occurred_after	query		string	false	"At or after (RFC 3339)"	format(date-time)
//	@Param		occurred_before	query		string	false	"Before (RFC 3339)"	format(date-time)
//	@Success	200				{object}	web.Page{data=[]Purchase}
//	@Failure	400,401,403,404,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/purchases [get]
func (h handlers) listForCustomer(c echo.Context) error { return h.listWith(c, true) }

// create godoc
//
//	@Summary		Record a purchase
//	@Description	Updates the customer's first and last purchase, purchase count and total spent, moves a
//	@Description	prospect to the customer stage, and, while the loyalty program is active, earns points for a
//	@Description	purchase in the organization's currency (amount × points_per_unit, rounded as the program says),
//	@Description	in the same transaction. An external_id already recorded answers 200 with that purchase.
//	@Tags			purchases
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes a retry safe"
//	@Param			body			body		PurchaseInput	true	"The purchase"
//	@Success		201				{object}	Purchase
//	@Success		200				{object}	Purchase	"The purchase with this external_id, recorded before"
//	@Failure		400,401,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/purchases [post]
func (h handlers) create(c echo.Context) error {
	var in PurchaseInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	if in.CustomerID == "" {
		return apperr.Invalid(apperr.FieldError{Field: "customer_id", Message: "is required"})
	}
	p, created, err := h.svc.Create(c.Request().Context(), mid.Principal(c).Actor(), in.toDomain())
	return h.created(c, p, created, err)
}

// createForCustomer godoc
//
//	@Summary	Record a purchase of a customer
//	@Tags		purchases
//	@Accept		json
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id				path		string			true	"Customer id"	format(uuid)
//	@Param		Idempotency-Key	header		string			false	"Makes a retry safe"
//	@Param		body			body		PurchaseInput	true	"The purchase (customer_id comes from the path)"
//	@Success	201				{object}	Purchase
//	@Success	200				{object}	Purchase	"The purchase with this external_id, recorded before"
//	@Failure	400,401,403,404,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/purchases [post]
func (h handlers) createForCustomer(c echo.Context) error {
	id, err := web.PathID(c, customer.ErrNotFound)
	if err != nil {
		return err
	}
	var in PurchaseInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	if err := web.SameCustomer(in.CustomerID, id); err != nil {
		return err
	}
	p, created, err := h.svc.CreateForCustomer(c.Request().Context(), mid.Principal(c).Actor(), id, in.toDomain())
	return h.created(c, p, created, err)
}

func (h handlers) created(c echo.Context, p purchase.Purchase, created bool, err error) error {
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/purchases/"+p.ID.String())
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, toPurchase(p))
}

// get godoc
//
//	@Summary	Get a purchase
//	@Tags		purchases
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Purchase id"	format(uuid)
//	@Success	200	{object}	Purchase
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/purchases/{id} [get]
func (h handlers) get(c echo.Context) error {
	id, err := web.PathID(c, purchase.ErrNotFound)
	if err != nil {
		return err
	}
	p, err := h.svc.Get(c.Request().Context(), mid.Principal(c).OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPurchase(p))
}

// refund godoc
//
//	@Summary		Refund a purchase, in full or in part
//	@Description	Refunds the amount given, or all that is left. A purchase refunded in full has the status
//	@Description	refunded. The customer's total spent drops by the refund, and the points the purchase earned
//	@Description	are taken back in proportion (rounded down, adding up over partial refunds) as far as the
//	@Description	balance allows: points already spent are not taken below zero.
//	@Tags			purchases
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"Purchase id"	format(uuid)
//	@Param			Idempotency-Key	header		string			false	"Makes a retry safe: send one, or a retried partial refund is refunded twice"
//	@Param			body			body		RefundRequest	true	"The refund"
//	@Success		200				{object}	Purchase
//	@Failure		400,401,403,404,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/purchases/{id}/refund [post]
func (h handlers) refund(c echo.Context) error {
	id, err := web.PathID(c, purchase.ErrNotFound)
	if err != nil {
		return err
	}
	var req RefundRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	var amount *decimal.Decimal
	if req.Amount != "" {
		a, _ := decimal.NewFromString(req.Amount) // validated
		amount = &a
	}
	p, err := h.svc.Refund(c.Request().Context(), mid.Principal(c).Actor(), id, amount)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPurchase(p))
}

// batch godoc
//
//	@Summary		Record up to 1,000 purchases
//	@Description	Each item is a PurchaseInput with its customer_id, so a shop can send its order history. An
//	@Description	external_id recorded before (or earlier in the batch) answers unchanged with that purchase's id.
//	@Description	One result per item, in order: created, unchanged, or error with its problem. With atomic
//	@Description	true, one bad item fails the batch with 422 naming the bad items and nothing is written.
//	@Description	More than 1,000 items answer 413.
//	@Tags			purchases
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"Makes a retry safe"
//	@Param			body			body		web.BatchRequest	true	"The items"
//	@Success		200				{object}	web.BatchResponse
//	@Failure		400,401,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/purchases/batch [post]
func (h handlers) batch(c echo.Context) error {
	req, err := web.BindBatch(c, purchase.MaxBatch)
	if err != nil {
		return err
	}
	items := make([]purchase.BatchItem, len(req.Items))
	for i, raw := range req.Items {
		var in PurchaseInput
		if err := web.Decode(raw, &in); err != nil {
			items[i].Err = err
			continue
		}
		if in.CustomerID == "" {
			items[i].Err = apperr.Invalid(apperr.FieldError{Field: "customer_id", Message: "is required"})
			continue
		}
		items[i].Purchase = in.toDomain()
	}
	results, err := h.svc.Batch(c.Request().Context(), mid.Principal(c).Actor(), items, req.Atomic)
	if err != nil && !errors.Is(err, purchase.ErrBatchFailed) {
		return err
	}
	outcomes := make([]web.ItemOutcome, len(results))
	for i, r := range results {
		outcomes[i] = web.ItemOutcome{Status: r.Status, ID: r.ID, Err: r.Err}
	}
	return web.BatchAnswer(c, outcomes, err != nil)
}

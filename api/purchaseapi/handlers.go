package purchaseapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/money"
	"github.com/rapportcrm/rapport/pkg/purchase"
)

func (h handlers) listWith(c echo.Context, nested bool) error {
	q, customerID, err := web.ScopedQuery(c, nested, "channel", "status", "occurred_after", "occurred_before")
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
//	@ID			listPurchases
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
//	@Failure	400,401,403,404,429,500,503	{object}	web.Problem
//	@Router		/purchases [get]
func (h handlers) list(c echo.Context) error { return h.listWith(c, false) }

// listForCustomer godoc
//
//	@Summary	List one customer's purchases
//	@ID			listCustomerPurchases
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
//	@ID				createPurchase
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
//	@Header			201				{string}	Location	"The purchase's URL"
//	@Success		200				{object}	Purchase	"The purchase with this external_id, recorded before"
//	@Header			200				{string}	Location	"The purchase's URL"
//	@Failure		400,401,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/purchases [post]
func (h handlers) create(c echo.Context) error {
	var in PurchaseInput
	shape, err := web.BindShape(c, &in)
	if err != nil {
		return err
	}
	if in.CustomerID == "" {
		shape.Add("customer_id", "is required")
	}
	p, err := in.toDomain()
	if err != nil {
		return err
	}
	ctx, actor := c.Request().Context(), mid.Principal(c).Actor()
	if err := web.Checked(shape, func() error { return h.svc.Check(ctx, actor, p) }); err != nil {
		return err
	}
	p, created, err := h.svc.Create(ctx, actor, p)
	return h.created(c, p, created, err)
}

// createForCustomer godoc
//
//	@Summary	Record a purchase of a customer
//	@ID			createCustomerPurchase
//	@Tags		purchases
//	@Accept		json
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id				path		string			true	"Customer id"	format(uuid)
//	@Param		Idempotency-Key	header		string			false	"Makes a retry safe"
//	@Param		body			body		PurchaseInput	true	"The purchase (customer_id comes from the path)"
//	@Success	201				{object}	Purchase
//	@Header		201				{string}	Location	"The purchase's URL"
//	@Success	200				{object}	Purchase	"The purchase with this external_id, recorded before"
//	@Header		200				{string}	Location	"The purchase's URL"
//	@Failure	400,401,403,404,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/purchases [post]
func (h handlers) createForCustomer(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	var in PurchaseInput
	shape, err := web.BindShape(c, &in)
	if err != nil {
		return err
	}
	if err := web.SameCustomer(in.CustomerID, id); err != nil {
		return err
	}
	p, err := in.toDomain()
	if err != nil {
		return err
	}
	p.CustomerID = id
	ctx, actor := c.Request().Context(), mid.Principal(c).Actor()
	if err := web.Checked(shape, func() error { return h.svc.Check(ctx, actor, p) }); err != nil {
		return err
	}
	p, created, err := h.svc.CreateForCustomer(ctx, actor, id, p)
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
//	@ID			getPurchase
//	@Tags		purchases
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Purchase id"	format(uuid)
//	@Success	200	{object}	Purchase
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/purchases/{id} [get]
func (h handlers) get(c echo.Context) error {
	id, err := web.PathID(c)
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
//	@ID				refundPurchase
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
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	var req RefundRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	var amount *money.Money
	if req.Amount.Value != "" {
		a, _ := decimal.NewFromString(req.Amount.Value) // validated
		amount = &money.Money{Amount: a, Currency: req.Amount.Currency}
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
//	@ID				batchPurchases
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
//	@Param			body			body		web.BatchRequest{items=[]PurchaseInput}	true	"The items"
//	@Success		200				{object}	BatchResponse
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
		items[i].Purchase, items[i].Err = in.toDomain()
	}
	results, err := h.svc.Batch(c.Request().Context(), mid.Principal(c).Actor(), items, req.Atomic)
	if err != nil && !errors.Is(err, purchase.ErrBatchFailed) {
		return err
	}
	outcomes := make([]web.ItemOutcome, len(results))
	for i, r := range results {
		outcomes[i] = web.ItemOutcome{Status: r.Status, ID: r.ID, Err: r.Err}
	}
	return web.BatchAnswerWith(c, outcomes, err != nil, func(i int, r web.BatchResult) BatchResult {
		return BatchResult{Index: r.Index, Status: r.Status, ID: r.ID, Error: r.Error, PointsEarned: toPointsEarned(results[i].Earned)}
	})
}

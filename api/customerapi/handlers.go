package customerapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/customer"
)

func respond(c echo.Context, status int, cust customer.Customer) error {
	web.SetETag(c, cust.Version)
	return c.JSON(status, ToCustomer(cust))
}

// list godoc
//
//	@Summary		List customers
//	@ID				listCustomers
//	@Description	Keyset-paginated: pass next_cursor as cursor for the next page, with the same sort and filters.
//	@Description	q searches names, email, phone and company (case-insensitive substring). Every tag given must be present.
//	@Tags			customers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			limit			query		int			false	"Page size, 1 to 200"	default(50)
//	@Param			cursor			query		string		false	"next_cursor of the previous page"
//	@Param			sort			query		string		false	"Order; - for descending. clv lists only the customers scored by the latest lifetime-value fit"	Enums(created_at, -created_at, updated_at, -updated_at, last_name, -last_name, clv, -clv)	default(-created_at)
//	@Param			q				query		string		false	"Free-text search"
//	@Param			email			query		string		false	"Exact email, any case"
//	@Param			tag				query		[]string	false	"Tag; repeat for several (all must match)"	collectionFormat(multi)
//	@Param			lifecycle_stage	query		string		false	"Lifecycle stage"	Enums(prospect, customer, client, supporter, advocate, partner)
//	@Param			status			query		string		false	"Status"	Enums(active, churned, won_back)
//	@Param			rfm_segment		query		string		false	"RFM segment in the latest segmentation run"	Enums(champions, loyal_customers, potential_loyalists, new_customers, promising, need_attention, about_to_sleep, at_risk, cant_lose, hibernating)
//	@Param			churn_risk_above	query	number		false	"Churn risk (1 − P(alive)) in the latest lifetime-value fit above this, 0 to 1"
//	@Param			owner_id		query		string		false	"Owner (a user id)"	format(uuid)
//	@Param			source			query		string		false	"Acquisition source"
//	@Param			created_after	query		string		false	"Created at or after (RFC 3339)"	format(date-time)
//	@Param			created_before	query		string		false	"Created before (RFC 3339)"	format(date-time)
//	@Param			updated_after	query		string		false	"Updated at or after (RFC 3339)"	format(date-time)
//	@Success		200				{object}	web.Page{data=[]Customer}
//	@Failure		400,401,403,429,500,503	{object}	web.Problem
//	@Router			/customers [get]
func (h handlers) list(c echo.Context) error {
	q := web.NewQuery(c, "q", "email", "tag", "lifecycle_stage", "status", "owner_id", "source", "created_after", "created_before", "updated_after",
		"rfm_segment", "churn_risk_above")
	f := customer.Filter{
		Q: q.String("q"), Email: q.String("email"), Tags: q.Strings("tag"), Source: q.String("source"),
		LifecycleStage: web.Enum(q, "lifecycle_stage", customer.Stages), Status: web.Enum(q, "status", customer.Statuses),
		OwnerID: q.UUID("owner_id"), CreatedAfter: q.Time("created_after"), CreatedBefore: q.Time("created_before"), UpdatedAfter: q.Time("updated_after"),
		RFMSegment: web.Enum(q, "rfm_segment", analytics.SegmentNames), ChurnRiskAbove: q.Float("churn_risk_above", 0, 1),
	}
	req := q.Page(customer.SortFields, "-created_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.List(c.Request().Context(), mid.Principal(c).OrgID, f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, ToCustomer))
}

// create godoc
//
//	@Summary		Create a customer
//	@ID				createCustomer
//	@Description	A duplicate email or external_id answers 409 with the existing customer's id in existing_id.
//	@Tags			customers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes a retry safe: the same key and body answer the first response"
//	@Param			body			body		CustomerInput	true	"The customer"
//	@Success		201				{object}	Customer
//	@Header			201				{string}	ETag		"The version"
//	@Header			201				{string}	Location	"The new customer's URL"
//	@Failure		400,401,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/customers [post]
func (h handlers) create(c echo.Context) error {
	var in CustomerInput
	shape, err := web.BindShape(c, &in)
	if err != nil {
		return err
	}
	ctx, actor, cust := c.Request().Context(), mid.Principal(c).Actor(), in.toDomain(customer.New())
	if err := web.Checked(shape, func() error { return h.svc.Check(ctx, actor, cust) }); err != nil {
		return err
	}
	cust, err = h.svc.Create(ctx, actor, cust)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/customers/"+cust.ID.String())
	return respond(c, http.StatusCreated, cust)
}

// get godoc
//
//	@Summary	Get a customer
//	@ID			getCustomer
//	@Tags		customers
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Customer id"	format(uuid)
//	@Success	200	{object}	Customer
//	@Header		200	{string}	ETag	"The version, for If-Match"
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/customers/{id} [get]
func (h handlers) get(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	cust, err := h.svc.Get(c.Request().Context(), mid.Principal(c).OrgID, id)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, cust)
}

// patch godoc
//
//	@Summary		Update a customer (JSON merge patch)
//	@ID				updateCustomer
//	@Description	RFC 7396: fields present replace the stored ones, null clears a field, objects
//	@Description	(custom_fields, address) merge key by key, arrays are replaced. With If-Match, a customer
//	@Description	changed since that ETag answers 412 and nothing is written.
//	@Tags			customers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string			true	"Customer id"	format(uuid)
//	@Param			If-Match	header		string			false	"ETag from a previous read"
//	@Param			body		body		CustomerInput	true	"The fields to change"
//	@Success		200			{object}	Customer
//	@Header			200			{string}	ETag	"The new version"
//	@Failure		400,401,403,404,409,412,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/customers/{id} [patch]
func (h handlers) patch(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	ifMatch, err := web.IfMatch(c)
	if err != nil {
		return err
	}
	patch, err := web.ReadBody(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cust, err := h.svc.Update(ctx, mid.Principal(c).Actor(), id, ifMatch, func(cur customer.Customer) (customer.Customer, error) {
		next, shape, err := applyPatch(cur, patch)
		if err == nil {
			err = web.Checked(shape, func() error { return h.svc.CheckChange(ctx, cur, next) })
		}
		return next, err
	})
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, cust)
}

// applyPatch merges patch into the stored customer's writable fields, and answers the fields the
// merged input's shape refuses.
func applyPatch(cur customer.Customer, patch []byte) (customer.Customer, apperr.Fields, error) {
	var in CustomerInput
	shape, err := web.MergePatchShape(toInput(cur), patch, &in)
	if err != nil {
		return customer.Customer{}, nil, err
	}
	return in.toDomain(cur), shape, nil
}

// delete godoc
//
//	@Summary		Delete a customer (soft)
//	@ID				deleteCustomer
//	@Description	The customer leaves lists and answers 404 until an admin restores it.
//	@Tags			customers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path	string	true	"Customer id"	format(uuid)
//	@Param			If-Match	header	string	false	"ETag from a previous read"
//	@Success		204
//	@Failure		400,401,403,404,412,429,500,503	{object}	web.Problem
//	@Router			/customers/{id} [delete]
func (h handlers) delete(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	ifMatch, err := web.IfMatch(c)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.Request().Context(), mid.Principal(c).Actor(), id, ifMatch); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// restore godoc
//
//	@Summary		Restore a deleted customer (admins)
//	@ID				restoreCustomer
//	@Description	409 when the customer is not deleted, or its email or external_id now belongs to another customer.
//	@Tags			customers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string	true	"Customer id"	format(uuid)
//	@Param			Idempotency-Key	header		string	false	"Makes a retry safe"
//	@Success		200				{object}	Customer
//	@Header			200				{string}	ETag	"The new version"
//	@Failure		401,403,404,409,429,500,503	{object}	web.Problem
//	@Router			/customers/{id}/restore [post]
func (h handlers) restore(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	cust, err := h.svc.Restore(c.Request().Context(), mid.Principal(c).Actor(), id)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, cust)
}

// merge godoc
//
//	@Summary		Merge a duplicate into this customer
//	@ID				mergeCustomer
//	@Description	This customer keeps its values and gains the duplicate's where it has none: contact
//	@Description	details, address, owner, the higher lifecycle stage, the union of tags and interests, and
//	@Description	the custom fields it lacks. The duplicate is deleted; the merge is on both timelines.
//	@Tags			customers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"The surviving customer's id"	format(uuid)
//	@Param			Idempotency-Key	header		string			false	"Makes a retry safe"
//	@Param			body			body		MergeRequest	true	"The duplicate"
//	@Success		200				{object}	Customer
//	@Header			200				{string}	ETag	"The new version"
//	@Failure		400,401,403,404,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/customers/{id}/merge [post]
func (h handlers) merge(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	var req MergeRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	cust, err := h.svc.Merge(c.Request().Context(), mid.Principal(c).Actor(), id, web.ParseID(req.DuplicateID))
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, cust)
}

// batch godoc
//
//	@Summary		Create or update up to 1,000 customers
//	@ID				batchCustomers
//	@Description	Each item is a CustomerInput. An item with an external_id matches the customer with that
//	@Description	external_id; when none has it, the customer with its email (any case) if that one has no
//	@Description	external_id of its own. If the email belongs to a customer with another external_id, the item
//	@Description	fails with 409 naming it (existing_id): a match never changes a customer's external_id. An item
//	@Description	without external_id matches by email. A match is updated as by a merge patch (absent fields
//	@Description	stay, null clears), otherwise a customer is created. The answer has
//	@Description	one result per item, in order: created, updated, unchanged, or error with its problem. With
//	@Description	atomic true, one bad item fails the batch with 422 naming the bad items (errors[].field starts
//	@Description	with items[i]) and nothing is written. More than 1,000 items answer 413.
//	@Tags			customers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"Makes a retry safe"
//	@Param			body			body		web.BatchRequest{items=[]CustomerInput}	true	"The items"
//	@Success		200				{object}	BatchResponse
//	@Failure		400,401,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/customers/batch [post]
func (h handlers) batch(c echo.Context) error {
	req, err := web.BindBatch(c, customer.MaxBatch)
	if err != nil {
		return err
	}
	items := make([]customer.BatchItem, len(req.Items))
	for i, raw := range req.Items {
		var keys struct {
			ExternalID any `json:"external_id"`
			Email      any `json:"email"`
		}
		_ = json.Unmarshal(raw, &keys) // a malformed item fails in Build with the full reason
		items[i] = customer.BatchItem{ExternalID: keyString(keys.ExternalID), Email: keyString(keys.Email), Build: buildItem(raw)}
	}
	results, err := h.svc.Batch(c.Request().Context(), mid.Principal(c).Actor(), items, req.Atomic)
	if err != nil && !errors.Is(err, customer.ErrBatchFailed) {
		return err
	}
	outcomes := make([]web.ItemOutcome, len(results))
	for i, r := range results {
		outcomes[i] = web.ItemOutcome{Status: r.Status, ID: r.ID, Err: r.Err}
	}
	return web.BatchAnswer(c, outcomes, err != nil)
}

func keyString(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

func buildItem(raw json.RawMessage) func(*customer.Customer) (customer.Customer, error) {
	return func(existing *customer.Customer) (customer.Customer, error) {
		if existing != nil {
			next, shape, err := applyPatch(*existing, raw)
			if err == nil {
				err = shape.Err()
			}
			return next, err
		}
		var in CustomerInput
		if err := web.Decode(raw, &in); err != nil {
			return customer.Customer{}, err
		}
		return in.toDomain(customer.New()), nil
	}
}

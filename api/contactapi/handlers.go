package contactapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/contact"
)

func respond(c echo.Context, status int, ct contact.Contact) error {
	web.SetETag(c, ct.Version)
	return c.JSON(status, ToContact(ct))
}

func (h handlers) listWith(c echo.Context, nested bool) error {
	q, customerID, err := web.ScopedQuery(c, nested,
		"channel", "direction", "agent_id", "outcome", "occurred_after", "occurred_before", "follow_up_due", "q")
	if err != nil {
		return err
	}
	f := contact.Filter{
		Channel: web.Enum(q, "channel", contact.Channels), Direction: web.Enum(q, "direction", contact.Directions),
		Outcome: web.Enum(q, "outcome", contact.Outcomes), AgentID: q.UUID("agent_id"), OccurredAfter: q.Time("occurred_after"),
		OccurredBefore: q.Time("occurred_before"), FollowUpDue: q.Time("follow_up_due"), Q: q.String("q"), CustomerID: customerID,
	}
	req := q.Page(contact.SortFields, "-occurred_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.List(c.Request().Context(), mid.Principal(c).OrgID, f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, ToContact))
}

// list godoc
//
//	@Summary		List the contact history across customers
//	@ID				listContacts
//	@Description	Newest first by default. follow_up_due selects contacts whose follow-up is set and due at or
//	@Description	before the given time (open follow-ups: clear follow_up_at when done). q searches subject and notes.
//	@Tags			contact-history
//	@Produce		json
//	@Security		BearerAuth
//	@Param			limit			query		int		false	"Page size, 1 to 200"	default(50)
//	@Param			cursor			query		string	false	"next_cursor of the previous page"
//	@Param			sort			query		string	false	"Order"	Enums(occurred_at, -occurred_at, created_at, -created_at)	default(-occurred_at)
//	@Param			customer_id		query		string	false	"Customer"	format(uuid)
//	@Param			channel			query		string	false	"Channel"	Enums(phone, email, sms, chat, social, visit, video, web, other)
//	@Param			direction		query		string	false	"Direction"	Enums(inbound, outbound)
//	@Param			agent_id		query		string	false	"Agent (a user id)"	format(uuid)
//	@Param			outcome			query		string	false	"Outcome"	Enums(resolved, follow_up, no_answer, sale, other)
//	@Param			occurred_after	query		string	false	"At or after (RFC 3339)"	format(date-time)
//	@Param			occurred_before	query		string	false	"Before (RFC 3339)"	format(date-time)
//	@Param			follow_up_due	query		string	false	"Follow-ups due at or before (RFC 3339)"	format(date-time)
//	@Param			q				query		string	false	"Free-text search over subject and notes"
//	@Success		200				{object}	web.Page{data=[]Contact}
//	@Failure		400,401,403,404,429,500,503	{object}	web.Problem
//	@Router			/contact-history [get]
func (h handlers) list(c echo.Context) error { return h.listWith(c, false) }

// listForCustomer godoc
//
//	@Summary	List one customer's contact history
//	@ID			listCustomerContacts
//	@Tags		contact-history
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id				path		string	true	"Customer id"	format(uuid)
//	@Param		limit			query		int		false	"Page size, 1 to 200"	default(50)
//	@Param		cursor			query		string	false	"next_cursor of the previous page"
//	@Param		sort			query		string	false	"Order"	Enums(occurred_at, -occurred_at, created_at, -created_at)	default(-occurred_at)
//	@Param		channel			query		string	false	"Channel"	Enums(phone, email, sms, chat, social, visit, video, web, other)
//	@Param		direction		query		string	false	"Direction"	Enums(inbound, outbound)
//	@Param		agent_id		query		string	false	"Agent (a user id)"	format(uuid)
//	@Param		outcome			query		string	false	"Outcome"	Enums(resolved, follow_up, no_answer, sale, other)
//	@Param		occurred_after	query		string	false	"At or after (RFC 3339)"	format(date-time)
//	@Param		occurred_before	query		string	false	"Before (RFC 3339)"	format(date-time)
//	@Param		follow_up_due	query		string	false	"Follow-ups due at or before (RFC 3339)"	format(date-time)
//	@Param		q				query		string	false	"Free-text search over subject and notes"
//	@Success	200				{object}	web.Page{data=[]Contact}
//	@Failure	400,401,403,404,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/contact-history [get]
func (h handlers) listForCustomer(c echo.Context) error { return h.listWith(c, true) }

// create godoc
//
//	@Summary		Record a contact
//	@ID				createContact
//	@Description	customer_id must name a customer of your organization that is not deleted (else 422).
//	@Description	Updates the customer's last_contacted_at and contact_count.
//	@Tags			contact-history
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes a retry safe"
//	@Param			body			body		ContactInput	true	"The contact"
//	@Success		201				{object}	Contact
//	@Header			201				{string}	ETag		"The version, for If-Match"
//	@Header			201				{string}	Location	"The new contact's URL"
//	@Failure		400,401,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/contact-history [post]
func (h handlers) create(c echo.Context) error {
	var in ContactInput
	shape, err := web.BindShape(c, &in)
	if err != nil {
		return err
	}
	if in.CustomerID == "" {
		shape.Add("customer_id", "is required")
	}
	ctx, actor, ct := c.Request().Context(), mid.Principal(c).Actor(), in.toDomain(contact.Contact{})
	if err := web.Checked(shape, func() error { return h.svc.Check(ctx, actor, ct) }); err != nil {
		return err
	}
	created, err := h.svc.Create(ctx, actor, ct)
	return h.created(c, created, err)
}

// createForCustomer godoc
//
//	@Summary	Record a contact with a customer
//	@ID			createCustomerContact
//	@Tags		contact-history
//	@Accept		json
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id				path		string			true	"Customer id"	format(uuid)
//	@Param		Idempotency-Key	header		string			false	"Makes a retry safe"
//	@Param		body			body		ContactInput	true	"The contact (customer_id comes from the path)"
//	@Success	201				{object}	Contact
//	@Header		201				{string}	ETag		"The version, for If-Match"
//	@Header		201				{string}	Location	"The new contact's URL"
//	@Failure	400,401,403,404,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/contact-history [post]
func (h handlers) createForCustomer(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	var in ContactInput
	shape, err := web.BindShape(c, &in)
	if err != nil {
		return err
	}
	if err := web.SameCustomer(in.CustomerID, id); err != nil {
		return err
	}
	ctx, actor, ct := c.Request().Context(), mid.Principal(c).Actor(), in.toDomain(contact.Contact{CustomerID: id})
	if err := web.Checked(shape, func() error { return h.svc.Check(ctx, actor, ct) }); err != nil {
		return err
	}
	created, err := h.svc.CreateForCustomer(ctx, actor, id, ct)
	return h.created(c, created, err)
}

func (h handlers) created(c echo.Context, created contact.Contact, err error) error {
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/contact-history/"+created.ID.String())
	return respond(c, http.StatusCreated, created)
}

// get godoc
//
//	@Summary	Get a contact
//	@ID			getContact
//	@Tags		contact-history
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Contact id"	format(uuid)
//	@Success	200	{object}	Contact
//	@Header		200	{string}	ETag	"The version, for If-Match"
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/contact-history/{id} [get]
func (h handlers) get(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	ct, err := h.svc.Get(c.Request().Context(), mid.Principal(c).OrgID, id)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, ct)
}

// patch godoc
//
//	@Summary		Update a contact (JSON merge patch)
//	@ID				updateContact
//	@Description	Moving a contact to another customer updates both customers' contact figures.
//	@Tags			contact-history
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string			true	"Contact id"	format(uuid)
//	@Param			If-Match	header		string			false	"ETag from a previous read"
//	@Param			body		body		ContactInput	true	"The fields to change"
//	@Success		200			{object}	Contact
//	@Header			200			{string}	ETag	"The new version"
//	@Failure		400,401,403,404,409,412,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/contact-history/{id} [patch]
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
	ct, err := h.svc.Update(c.Request().Context(), mid.Principal(c).Actor(), id, ifMatch, func(cur contact.Contact) (contact.Contact, error) {
		var in ContactInput
		if err := web.MergePatch(toInput(cur), patch, &in); err != nil {
			return contact.Contact{}, err
		}
		return in.toDomain(cur), nil
	})
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, ct)
}

// delete godoc
//
//	@Summary	Delete a contact
//	@ID			deleteContact
//	@Tags		contact-history
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id			path	string	true	"Contact id"	format(uuid)
//	@Param		If-Match	header	string	false	"ETag from a previous read"
//	@Success	204
//	@Failure	400,401,403,404,412,429,500,503	{object}	web.Problem
//	@Router		/contact-history/{id} [delete]
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

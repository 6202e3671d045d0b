package timelineapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
	"github.com/rapportcrm/rapport/pkg/timeline"
)

// timeline godoc
//
//	@Summary		A customer's timeline
//	@ID				listCustomerTimeline
//	@Description	Everything that happened with the customer, newest first, in one list: profile changes,
//	@Description	lifecycle moves, contacts, merges (the merged duplicates' history included). Built on the change
//	@Description	log that every write appends to in its own transaction, so nothing is missing.
//	@Tags			customers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"Customer id"	format(uuid)
//	@Param			types	query		string	false	"Comma-separated event types to keep, e.g. contact.created,customer.lifecycle_stage_changed"
//	@Param			limit	query		int		false	"Page size, 1 to 200; a page ends early, with next_cursor, once its events pass about 1 MiB"	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Param			sort	query		string	false	"Order"	Enums(-occurred_at, occurred_at)	default(-occurred_at)
//	@Success		200		{object}	web.Page{data=[]Item}
//	@Failure		400,401,403,404,429,500,503	{object}	web.Problem
//	@Router			/customers/{id}/timeline [get]
func (h handlers) timeline(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	q := web.NewQuery(c, "types")
	types, err := event.Patterns(q.String("types"))
	req := q.Page(timeline.SortFields, "-occurred_at")
	if err := q.Err(); err != nil {
		return err
	}
	if err != nil {
		return web.BadRequest("types", "%v", err)
	}
	if types = mid.Principal(c).ReadableEvents(types); len(types) == 0 {
		return c.JSON(http.StatusOK, web.NewPage(page.Result[event.Event]{}, toItem))
	}
	res, err := h.svc.Timeline(c.Request().Context(), mid.Principal(c).OrgID, id, types, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, toItem))
}

package eventapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/feed"
)

// list godoc
//
//	@Summary		The events feed
//	@ID				listEvents
//	@Description	Every change in the organization, oldest first, in one order that never skips: a consumer that
//	@Description	follows next_cursor sees every event exactly once, even when transactions commit out of order
//	@Description	(an event is handed out only once every transaction that started writing before its own has
//	@Description	ended, so a write that stays open holds the feed back until it ends). Start without after (from the oldest
//	@Description	retained event) or with after=now (an empty page whose next_cursor is the current end), then keep
//	@Description	polling with next_cursor, which is never null; has_more says whether more is ready at once.
//	@Description	wait= long-polls: when nothing is ready it answers as soon as an event arrives, or empty when the
//	@Description	wait (at most 60 s, cut a second short of the server's request deadline, 30 s by default) is over.
//	@Description
//	@Description	Retention: a cursor stays valid while the event it points at is younger than the server's
//	@Description	RAPPORT_FEED_RETENTION (30 days by default) and an hour; an older one answers 410
//	@Description	(/problems/gone): resynchronise, then follow from after=now. Events are kept longer (timelines
//	@Description	show them), but the feed promises only the retention.
//	@Description
//	@Description	data is the record after the change, with the field names and values of its GET: for
//	@Description	customer.* the customer (id, its writable fields, marketing_consent_at, version, created_at,
//	@Description	updated_at), for contact.* the contact, for feedback.* the feedback, for purchase.* the purchase.
//	@Description	What the record computes or gathers from other records is left out: a customer's contact and
//	@Description	purchase figures and analytics scores, feedback's sla and next_statuses, a purchase's
//	@Description	points_earned. Moves add from and to (lifecycle_stage_changed and status_changed, with reason
//	@Description	when a purchase made the move; feedback.status_changed with the note), customer.merged adds
//	@Description	duplicate_id (re-point the duplicate's records to the survivor), purchase.refunded adds refund.
//	@Description	Deletes are tombstones: customer.deleted {id, external_id, email, version, updated_at, deleted_at,
//	@Description	merged_into_id} (merged_into_id names the survivor when a merge deleted it), contact.deleted and
//	@Description	feedback.deleted {id, customer_id, version, deleted_at} (contacts with external_ref). Loyalty
//	@Description	events carry the transaction (points, balance_after, reason). Events recorded before the feed
//	@Description	existed carry less.
//	@Description
//	@Description	Each event shows only if the caller may read its family (customers:read for customer.*,
//	@Description	contacts:read for contact.*, …), as in the timeline: an API key needs those scopes beside events:read.
//	@Tags			events
//	@Produce		json
//	@Security		BearerAuth
//	@Param			after	query		string	false	"next_cursor of the previous page, or now; absent: from the oldest retained event"
//	@Param			types	query		string	false	"Comma-separated event types to keep, each also as prefix.*, e.g. customer.*,feedback.created"
//	@Param			limit	query		int		false	"Page size, 1 to 200; a page ends early, with next_cursor, once its events pass about 1 MiB"	default(50)
//	@Param			wait	query		string	false	"When nothing is ready, wait up to this long for an event: a duration such as 30s, or whole seconds, up to 60 s"
//	@Success		200		{object}	Page
//	@Failure		400,401,403,410,429,500,503	{object}	web.Problem
//	@Router			/events [get]
func (h handlers) list(c echo.Context) error {
	q := web.NewQuery(c, "after", "types", "wait")
	for _, name := range []string{"cursor", "sort"} {
		if q.Strings(name) != nil {
			return web.BadRequest(name, "the feed has one order and pages with after=<next_cursor>; it takes no %s", name)
		}
	}
	types, typesErr := event.Patterns(q.String("types"))
	req := feed.Request{Limit: web.DefaultLimit, Wait: q.Duration("wait", feed.MaxWait), Idle: mid.Idle(c)}
	if n := q.Int("limit", 1, web.MaxLimit); n != nil {
		req.Limit = *n
	}
	after := q.String("after")
	if err := q.Err(); err != nil {
		return err
	}
	if typesErr != nil {
		return web.BadRequest("types", "%v", typesErr)
	}
	switch after {
	case "":
	case "now":
		req.FromNow = true
	default:
		cur, err := decodeCursor(after)
		if err != nil {
			return err
		}
		req.After = &cur
	}
	p := mid.Principal(c)
	req.Types = p.ReadableEvents(types)
	page, err := h.svc.Page(c.Request().Context(), p.OrgID, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPage(page))
}

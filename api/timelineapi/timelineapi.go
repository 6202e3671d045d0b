// Package timelineapi serves /v1/customers/{id}/timeline: everything that happened with a customer.
package timelineapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/timeline"
)

// Actor is who did it.
type Actor struct {
	Type string `json:"type" enums:"user,api_key,system"`
	ID   string `json:"id" format:"uuid"`
} // @name TimelineActor

// Change is one field's value before and after.
type Change struct {
	Old any `json:"old" extensions:"x-nullable"`
	New any `json:"new" extensions:"x-nullable"`
} // @name FieldChange

// Item is one thing that happened.
type Item struct {
	ID string `json:"id" format:"uuid"`
	// customer.created, customer.updated, customer.lifecycle_stage_changed, customer.status_changed,
	// customer.deleted, customer.restored, customer.merged, contact.created, contact.updated, contact.deleted, …
	Type        string    `json:"type" example:"contact.created"`
	OccurredAt  time.Time `json:"occurred_at"`
	Actor       Actor     `json:"actor"`
	SubjectType string    `json:"subject_type" example:"contact"`
	SubjectID   string    `json:"subject_id" format:"uuid"`
	// The fields that changed, with their old and new values.
	Changes map[string]Change `json:"changes,omitempty"`
	Data    map[string]any    `json:"data,omitempty"`
} // @name TimelineItem

func toItem(e event.Event) Item {
	it := Item{ID: e.ID.String(), Type: e.Type, OccurredAt: e.OccurredAt, Actor: Actor{Type: e.Actor.Kind, ID: e.Actor.ID.String()},
		SubjectType: e.SubjectType, SubjectID: e.SubjectID.String(), Data: e.Data}
	if len(e.Changes) > 0 {
		it.Changes = make(map[string]Change, len(e.Changes))
		for k, ch := range e.Changes {
			it.Changes[k] = Change{Old: ch.Old, New: ch.New}
		}
	}
	return it
}

type handlers struct{ svc *timeline.Service }

// Register mounts the timeline route.
func Register(g web.Routes, svc *timeline.Service) {
	g.GET("/customers/:id/timeline", handlers{svc}.timeline, mid.Require(auth.CustomersRead))
}

// timeline godoc
//
//	@Summary		A customer's timeline
//	@Description	Everything that happened with the customer, newest first, in one list: profile changes,
//	@Description	lifecycle moves, contacts, merges (the merged duplicates' history included). Built on the change
//	@Description	log that every write appends to in its own transaction, so nothing is missing.
//	@Tags			customers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"Customer id"	format(uuid)
//	@Param			types	query		string	false	"Comma-separated event types to keep, e.g. contact.created,customer.lifecycle_stage_changed"
//	@Param			limit	query		int		false	"Page size, 1 to 200"	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Param			sort	query		string	false	"Order"	Enums(-occurred_at, occurred_at)	default(-occurred_at)
//	@Success		200		{object}	web.Page{data=[]Item}
//	@Failure		400,401,403,404,429,500,503	{object}	web.Problem
//	@Router			/customers/{id}/timeline [get]
func (h handlers) timeline(c echo.Context) error {
	id, err := web.PathID(c, timeline.ErrCustomerNotFound)
	if err != nil {
		return err
	}
	q := web.NewQuery(c, "types")
	var types []string
	for _, t := range strings.Split(q.String("types"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			types = append(types, t)
		}
	}
	req := q.Page(timeline.SortFields, "-occurred_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.Timeline(c.Request().Context(), mid.Principal(c).OrgID, id, types, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, toItem))
}

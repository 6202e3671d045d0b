package timelineapi

import (
	"time"

	"github.com/rapportcrm/rapport/api/eventapi"
	"github.com/rapportcrm/rapport/pkg/event"
)

// Item is one thing that happened.
type Item struct {
	ID string `json:"id" format:"uuid"`
	// customer.created, customer.updated, customer.lifecycle_stage_changed, customer.status_changed,
	// customer.deleted, customer.restored, customer.merged, contact.created, contact.updated, contact.deleted, …
	Type        string         `json:"type" example:"contact.created"`
	OccurredAt  time.Time      `json:"occurred_at"`
	Actor       eventapi.Actor `json:"actor"`
	SubjectType string         `json:"subject_type" example:"contact"`
	SubjectID   string         `json:"subject_id" format:"uuid"`
	// The fields that changed, with their old and new values; {} when the event records none.
	Changes eventapi.RawChanges `json:"changes"`
	// The record after the change and what the event says beside it; {} when it carries nothing.
	Data eventapi.RawData `json:"data"`
} // @name TimelineItem

func toItem(e event.Event) Item {
	item := Item{ID: e.ID.String(), Type: e.Type, OccurredAt: e.OccurredAt, Actor: eventapi.ToActor(e.Actor),
		SubjectType: e.SubjectType, SubjectID: e.SubjectID.String()}
	item.Changes, item.Data = eventapi.Raw(e)
	return item
}

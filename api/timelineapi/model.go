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
	// The fields that changed, with their old and new values.
	Changes map[string]eventapi.Change `json:"changes,omitempty"`
	Data    map[string]any             `json:"data,omitempty"`
} // @name TimelineItem

func toItem(e event.Event) Item {
	return Item{ID: e.ID.String(), Type: e.Type, OccurredAt: e.OccurredAt, Actor: eventapi.ToActor(e.Actor),
		SubjectType: e.SubjectType, SubjectID: e.SubjectID.String(), Changes: eventapi.Changes(e), Data: e.Data}
}

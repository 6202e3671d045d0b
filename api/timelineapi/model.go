package timelineapi

import (
	"time"

	"github.com/rapportcrm/rapport/pkg/event"
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

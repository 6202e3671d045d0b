// Package event defines the append-only record of every change: who changed what in which
// organization, with the old and new values. Domains produce events; storage writes each one in
// the same transaction as the change it describes. It feeds timelines, the change feed and webhooks.
package event

import (
	"context"
	"reflect"
	"sort"
	"time"

	"github.com/google/uuid"
)

// Actor kinds.
const (
	ActorUser   = "user"
	ActorAPIKey = "api_key"
	ActorSystem = "system"
)

// Actor is who makes a change, and in which organization.
type Actor struct {
	OrgID uuid.UUID
	Kind  string
	ID    uuid.UUID
}

// Change is one field's value before and after.
type Change struct {
	Old any
	New any
}

// Event is one recorded change.
type Event struct {
	ID          uuid.UUID
	OrgID       uuid.UUID
	Type        string
	SubjectType string
	SubjectID   uuid.UUID
	// CustomerID is the customer whose timeline shows the event, if any.
	CustomerID *uuid.UUID
	Actor      Actor
	Changes    map[string]Change
	Data       map[string]any
	OccurredAt time.Time
	// Stored, on an event read back, is the JSON its changes ({field: {old, new}}) and data were
	// written as; Changes and Data stay nil. Readers hand it on undecoded: a timeline page of 200
	// events that carry their records took 39 MB decoded into maps and encoded again.
	Stored *Stored
}

// Stored is an event's changes and data as the JSON they were written as (nil: none).
type Stored struct {
	Changes, Data []byte
}

// New returns an event of the given type about a subject, with a UUIDv7 id so that ids sort by
// time. An event about a customer is on that customer's timeline.
func New(actor Actor, typ, subjectType string, subjectID uuid.UUID) Event {
	e := Event{
		ID:          uuid.Must(uuid.NewV7()),
		OrgID:       actor.OrgID,
		Type:        typ,
		SubjectType: subjectType,
		SubjectID:   subjectID,
		Actor:       actor,
		OccurredAt:  Now(),
	}
	if subjectType == "customer" {
		e.CustomerID = &subjectID
	}
	return e
}

// Diff compares two snapshots of the same fields and returns the changed ones.
func Diff(before, after map[string]any) map[string]Change {
	keys := make([]string, 0, len(after))
	for k := range after {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	changes := map[string]Change{}
	for _, k := range keys {
		if !reflect.DeepEqual(before[k], after[k]) {
			changes[k] = Change{Old: before[k], New: after[k]}
		}
	}
	return changes
}

// Recorder appends events; stores that write domain records implement it inside their transactions.
type Recorder interface {
	RecordEvent(ctx context.Context, e Event) error
}

// Now is the current time as it is stored: UTC, to the microsecond (PostgreSQL's precision), so
// that what a write answers equals what a later read returns.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

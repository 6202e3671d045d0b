package eventapi

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/feed"
)

// Actor is who made a change: the timeline, complaint transitions and the feed show it.
type Actor struct {
	Type string `json:"type" enums:"user,api_key,system"`
	ID   string `json:"id" format:"uuid"`
} // @name Actor

// ToActor is an event's actor as answers show it.
func ToActor(a event.Actor) Actor { return Actor{Type: a.Kind, ID: a.ID.String()} }

// Change is one field's value before and after.
type Change struct {
	Old any `json:"old" extensions:"x-nullable"`
	New any `json:"new" extensions:"x-nullable"`
} // @name FieldChange

// Event is one change, as the feed answers it and webhooks deliver it.
type Event struct {
	ID string `json:"id" format:"uuid"`
	// customer.created, customer.updated, customer.deleted, customer.merged, contact.created,
	// feedback.status_changed, purchase.refunded, loyalty.earn, … (the types= parameter lists them all).
	Type       string    `json:"type" example:"customer.updated"`
	OccurredAt time.Time `json:"occurred_at"`
	// What changed: customer, contact, feedback, purchase, loyalty_transaction, user, organization, …
	SubjectType string `json:"subject_type" example:"customer"`
	SubjectID   string `json:"subject_id" format:"uuid"`
	// The customer whose timeline shows the event; null when it is about no customer.
	CustomerID *string `json:"customer_id" format:"uuid" extensions:"x-nullable"`
	Actor      Actor   `json:"actor"`
	// The fields that changed, with their old and new values; {} when the event records none.
	Changes RawChanges `json:"changes"`
	// The record after the change, as the API names its fields (see the operation's description);
	// {} when the event carries nothing.
	Data RawData `json:"data"`
} // @name Event

// RawChanges is an event's changes, {field: {old, new}}, as JSON: a stored event's are handed on
// as they were written, without decoding them. The document shows it as Changes (swag.overrides).
type RawChanges json.RawMessage

// Changes documents RawChanges.
type Changes map[string]Change // @name EventChanges

// RawData is an event's data as JSON, handed on as it was written. The document shows it as
// Data (swag.overrides).
type RawData json.RawMessage

// Data documents RawData.
type Data map[string]any // @name EventData

// MarshalJSON writes the JSON, or {} when there is none.
func (r RawChanges) MarshalJSON() ([]byte, error) { return orEmptyObject(r), nil }

// MarshalJSON writes the JSON, or {} when there is none.
func (r RawData) MarshalJSON() ([]byte, error) { return orEmptyObject(r), nil }

func orEmptyObject(b []byte) []byte {
	if len(b) == 0 || string(b) == "null" {
		return []byte("{}")
	}
	return b
}

// Raw returns an event's changes and data as JSON: as stored for an event read back, else encoded
// from its Changes and Data.
func Raw(e event.Event) (RawChanges, RawData) {
	if e.Stored != nil {
		return e.Stored.Changes, e.Stored.Data
	}
	var changes []byte
	if len(e.Changes) > 0 {
		m := make(map[string]Change, len(e.Changes))
		for k, ch := range e.Changes {
			m[k] = Change{Old: ch.Old, New: ch.New}
		}
		changes, _ = json.Marshal(m) // values that came from JSON
	}
	var data []byte
	if len(e.Data) > 0 {
		data, _ = json.Marshal(e.Data)
	}
	return changes, data
}

// Page is one page of the feed.
type Page struct {
	Data []Event `json:"data"`
	// Opaque; pass it as after= for the next page. Never null: at the end of the feed it names
	// where the next events will appear, so keep polling with it.
	NextCursor string `json:"next_cursor" example:"eyJ2IjoxLCJ0eCI6MTA0ODU3NywiaWQiOiIwMTlhNGIyYy03YzFlLTdkNGYtOWE1MS0zZjZjMmI4ZTFkMjAiLCJhdCI6IjIwMjYtMDMtMDFUMDk6MDA6MDAuMTIzNDU2WiJ9"`
	// Whether more events are ready now; when false, poll again with next_cursor (wait= to long-poll).
	HasMore bool `json:"has_more"`
} // @name EventPage

// ToEvent is an event as the feed answers it and webhooks deliver it.
func ToEvent(e event.Event) Event {
	out := Event{ID: e.ID.String(), Type: e.Type, OccurredAt: e.OccurredAt, SubjectType: e.SubjectType, SubjectID: e.SubjectID.String(),
		Actor: ToActor(e.Actor)}
	out.Changes, out.Data = Raw(e)
	if e.CustomerID != nil {
		id := e.CustomerID.String()
		out.CustomerID = &id
	}
	return out
}

func toPage(p feed.Page) Page {
	out := Page{Data: make([]Event, len(p.Events)), NextCursor: encodeCursor(p.Next), HasMore: p.HasMore}
	for i, e := range p.Events {
		out.Data[i] = ToEvent(e)
	}
	return out
}

// cursorVersion is the cursor format: a later format may still read this one.
const cursorVersion = 1

// cursor is a feed.Cursor as a follower holds it: base64url of this JSON.
type cursor struct {
	V  int       `json:"v"`
	Tx uint64    `json:"tx"`
	ID uuid.UUID `json:"id"`
	At time.Time `json:"at"`
}

func encodeCursor(c feed.Cursor) string {
	b, _ := json.Marshal(cursor{V: cursorVersion, Tx: c.Tx, ID: c.ID, At: c.At.UTC()})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (feed.Cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.V != cursorVersion || c.At.IsZero() {
		return feed.Cursor{}, web.BadRequest("after", "is not a cursor this feed issued: pass a next_cursor as it came, or now")
	}
	return feed.Cursor{Position: feed.Position{Tx: c.Tx, ID: c.ID}, At: c.At}, nil
}

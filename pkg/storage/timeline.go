package storage

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
	"github.com/rapportcrm/rapport/pkg/timeline"
)

// TimelineStore reads customers' events.
type TimelineStore struct{ conn }

var _ timeline.Store = (*TimelineStore)(nil)

// TimelineStore returns the store over db.
func (db *DB) TimelineStore() *TimelineStore {
	return &TimelineStore{db.conn}
}

type eventRow struct {
	OrgID       uuid.UUID
	ID          uuid.UUID
	Type        string
	SubjectType string
	SubjectID   uuid.UUID
	CustomerID  *uuid.UUID
	ActorType   string
	ActorID     uuid.UUID
	Changes     rawJSON
	Data        rawJSON
	OccurredAt  time.Time
}

func scanEvent(rows *sql.Rows) (eventRow, error) {
	var r eventRow
	err := rows.Scan(&r.OrgID, &r.ID, &r.Type, &r.SubjectType, &r.SubjectID, &r.CustomerID, &r.ActorType, &r.ActorID,
		&r.Changes, &r.Data, &r.OccurredAt)
	return r, err
}

// size is about what the event takes in an answer.
func (r eventRow) size() int { return len(r.Changes) + len(r.Data) + 300 }

func (r eventRow) toEvent() event.Event {
	return event.Event{ID: r.ID, OrgID: r.OrgID, Type: r.Type, SubjectType: r.SubjectType, SubjectID: r.SubjectID,
		CustomerID: r.CustomerID, Actor: event.Actor{OrgID: r.OrgID, Kind: r.ActorType, ID: r.ActorID},
		OccurredAt: r.OccurredAt.UTC(), Stored: &event.Stored{Changes: r.Changes, Data: r.Data}}
}

var eventSortKeys = map[string]sortKey[eventRow]{
	"occurred_at": {column: "occurred_at", isTime: true, value: func(r eventRow) any { return r.OccurredAt }},
}

// Timeline reads the events of a customer and of the duplicates merged into it, through the
// (org_id, customer_id, occurred_at, id) index: no other customer's rows are read.
func (s *TimelineStore) Timeline(ctx context.Context, orgID, customerID uuid.UUID, types []string, p page.Request) (page.Result[event.Event], error) {
	ids, err := s.mergedInto(ctx, orgID, customerID)
	if err != nil {
		return page.Result[event.Event]{}, err
	}
	ids = append(ids, customerID)
	q := s.with(ctx).Table("events").Select(eventColumns).Where("org_id = ? AND customer_id IN ?", orgID, ids)
	if len(types) > 0 {
		q = q.Where("type IN ?", types)
	}
	return keysetPageOf(q, p, eventSortKeys, func(r eventRow) uuid.UUID { return r.ID }, scanEvent, eventRow.toEvent, eventRow.size)
}

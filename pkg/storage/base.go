package storage

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/rapportcrm/rapport/pkg/event"
)

// conn is what every store shares: a handle (the pool, or a transaction) and event writing.
type conn struct {
	db      *gorm.DB
	dialect string
}

// with returns the handle bound to ctx.
func (c conn) with(ctx context.Context) *gorm.DB { return c.db.WithContext(ctx) }

// inTx runs fn in a transaction (a savepoint when already inside one) on a store built by mk.
func inTx[S any](ctx context.Context, c conn, mk func(conn) S, fn func(S) error) error {
	return translate(c.with(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(mk(conn{db: tx, dialect: c.dialect}))
	}))
}

type eventRow struct {
	OrgID       uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	Type        string
	SubjectType string
	SubjectID   uuid.UUID
	ActorType   string
	ActorID     uuid.UUID
	Changes     jsonValue[map[string]map[string]any]
	Data        jsonValue[map[string]any]
	OccurredAt  time.Time
}

func (eventRow) TableName() string { return "events" }

// RecordEvent appends an event.
func (c conn) RecordEvent(ctx context.Context, e event.Event) error {
	row := eventRow{
		OrgID: e.OrgID, ID: e.ID, Type: e.Type, SubjectType: e.SubjectType, SubjectID: e.SubjectID,
		ActorType: e.Actor.Kind, ActorID: e.Actor.ID, Data: jsonValue[map[string]any]{V: e.Data}, OccurredAt: e.OccurredAt,
	}
	if len(e.Changes) > 0 {
		row.Changes.V = make(map[string]map[string]any, len(e.Changes))
		for k, ch := range e.Changes {
			row.Changes.V[k] = map[string]any{"old": ch.Old, "new": ch.New}
		}
	}
	if err := c.with(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("record event %s: %w", e.Type, translate(err))
	}
	return nil
}

// jsonValue stores a value as JSON text (jsonb on PostgreSQL); a nil map or slice is NULL.
type jsonValue[T any] struct{ V T }

func (j jsonValue[T]) Value() (driver.Value, error) {
	b, err := json.Marshal(j.V)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return nil, nil
	}
	return string(b), nil
}

func (j *jsonValue[T]) Scan(src any) error {
	var zero T
	j.V = zero
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(v), &j.V)
	case []byte:
		return json.Unmarshal(v, &j.V)
	default:
		return errors.New("jsonValue: unsupported source type")
	}
}

// GormDataType tells GORM that the column holds one JSON value, not the struct's fields.
func (jsonValue[T]) GormDataType() string { return "json" }

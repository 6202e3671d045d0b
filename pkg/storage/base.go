package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"gorm.io/gorm"

	"github.com/rapportcrm/rapport/pkg/event"
)

// conn is what every store shares: the pool, and the dialect. A store is a conn with the methods
// of its table family; what it needs of another family's tables is an unexported helper on conn
// in the file that owns those tables.
type conn struct {
	db      *gorm.DB
	dialect string
}

// txKey is the context key of the transaction that InTx opened.
type txKey struct{}

// with returns the handle for ctx: the transaction InTx put in it, else the pool.
func (c conn) with(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx.WithContext(ctx)
	}
	return c.db.WithContext(ctx)
}

// InTx runs fn in one transaction: every store call made with the context fn receives runs in
// it, and it commits when fn returns nil. Inside another InTx it is a savepoint, so that a failed
// fn leaves the outer transaction usable.
func (c conn) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return translate(c.with(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(context.WithValue(ctx, txKey{}, tx))
	}))
}

// SQLTx is the database/sql transaction that InTx opened for ctx, or nil outside InTx: River
// inserts its jobs in it, so that a job commits, or rolls back, with the rows it is about.
func (c conn) SQLTx(ctx context.Context) *sql.Tx {
	tx, ok := ctx.Value(txKey{}).(*gorm.DB)
	if !ok {
		return nil
	}
	sqlTx, _ := tx.Statement.ConnPool.(*sql.Tx)
	return sqlTx
}

// eventColumns are the columns eventValues gives, in its order.
const eventColumns = "org_id, id, type, subject_type, subject_id, customer_id, actor_type, actor_id, changes, data, occurred_at"

const eventColumnCount = 11

// eventChanges are an event's changes as stored: {field: {old, new}}.
func eventChanges(e event.Event) jsonValue[map[string]map[string]any] {
	var changes jsonValue[map[string]map[string]any]
	if len(e.Changes) > 0 {
		changes.V = make(map[string]map[string]any, len(e.Changes))
		for k, ch := range e.Changes {
			changes.V[k] = map[string]any{"old": ch.Old, "new": ch.New}
		}
	}
	return changes
}

// eventValues are an event's column values.
func eventValues(e event.Event) []any {
	return []any{e.OrgID, e.ID, e.Type, e.SubjectType, e.SubjectID, e.CustomerID, e.Actor.Kind, e.Actor.ID, eventChanges(e),
		jsonValue[map[string]any]{V: e.Data}, e.OccurredAt}
}

// RecordEvent appends an event.
func (c conn) RecordEvent(ctx context.Context, e event.Event) error {
	return c.RecordEvents(ctx, []event.Event{e})
}

// chunk is how many rows one multi-row statement takes. The SQLite driver binds parameters in
// time quadratic in their number, so its statements stay small.
func (c conn) chunk() int {
	if c.dialect == SQLite {
		return 40
	}
	return 500
}

// RecordEvents appends events: column-wise (see columnWise), else in multi-row statements.
func (c conn) RecordEvents(ctx context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	if c.columnWise(len(events)) {
		return c.recordEventColumns(ctx, events)
	}
	columns, row := eventColumns, placeholders(eventColumnCount)
	if c.dialect == SQLite { // PostgreSQL's txid defaults to the writing transaction's id
		columns, row = columns+", txid", strings.TrimSuffix(row, ")")+", "+sqliteTxid+")"
	}
	size := c.chunk()
	for start := 0; start < len(events); start += size {
		chunk := events[start:min(start+size, len(events))]
		values := make([]any, 0, len(chunk)*eventColumnCount)
		for _, e := range chunk {
			values = append(values, eventValues(e)...)
		}
		rows := strings.TrimSuffix(strings.Repeat(row+", ", len(chunk)), ", ")
		err := c.with(ctx).Exec("INSERT INTO events ("+columns+") VALUES "+rows, values...).Error
		if err != nil {
			return fmt.Errorf("record events: %w", translate(err))
		}
	}
	return nil
}

func (c conn) recordEventColumns(ctx context.Context, events []event.Event) error {
	n := len(events)
	orgs, ids, subjects, customers, actors := make([]pgtype.UUID, n), make([]pgtype.UUID, n), make([]pgtype.UUID, n), make([]pgtype.UUID, n), make([]pgtype.UUID, n)
	types, subjectTypes, actorTypes := make([]string, n), make([]string, n), make([]string, n)
	changes, data := make([]pgtype.Text, n), make([]pgtype.Text, n)
	at := make([]time.Time, n)
	for i, e := range events {
		orgs[i], ids[i], subjects[i], customers[i], actors[i] = pgUUID(e.OrgID), pgUUID(e.ID), pgUUID(e.SubjectID), pgNullUUID(e.CustomerID), pgUUID(e.Actor.ID)
		types[i], subjectTypes[i], actorTypes[i], at[i] = e.Type, e.SubjectType, e.Actor.Kind, e.OccurredAt
		var err error
		if changes[i], err = pgJSON(eventChanges(e)); err != nil {
			return err
		}
		if data[i], err = pgJSON(jsonValue[map[string]any]{V: e.Data}); err != nil {
			return err
		}
	}
	_, err := c.insertColumns(ctx, "events", []pgColumn{{"org_id", "uuid", orgs}, {"id", "uuid", ids}, {"type", "text", types},
		{"subject_type", "text", subjectTypes}, {"subject_id", "uuid", subjects}, {"customer_id", "uuid", customers},
		{"actor_type", "text", actorTypes}, {"actor_id", "uuid", actors}, {"changes", "jsonb", changes}, {"data", "jsonb", data},
		{"occurred_at", "timestamptz", at}}, "")
	if err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	return nil
}

// placeholders returns "(?, ?, …)" with n markers.
func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// rowPlaceholders returns rows groups of columns markers, for a multi-row VALUES.
func rowPlaceholders(columns, rows int) string {
	return strings.TrimSuffix(strings.Repeat(placeholders(columns)+", ", rows), ", ")
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

// rawJSON reads a JSON column as its text, undecoded (a copy: the driver reuses its buffer).
type rawJSON []byte

func (r *rawJSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*r = nil
	case string:
		*r = rawJSON(v)
	case []byte:
		*r = append(rawJSON(nil), v...)
	default:
		return errors.New("rawJSON: unsupported source type")
	}
	return nil
}

package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// On PostgreSQL, batches travel column-wise: one array parameter per column, expanded by
// unnest. The statement is the same whatever the number of rows, and pgx encodes the arrays'
// native elements directly. Bound one value at a time through gorm, every uuid, decimal and JSON
// value took pgx's driver.Valuer path (call Value, parse the text back, encode, often after a
// failed plan): a batch of 1,000 purchases spent more CPU there than the database spent on it.

// columnWise tells whether n rows go column-wise: on PostgreSQL, from two rows on. One row goes as
// plain values: the arrays' fixed costs (a dozen arrays to encode, an INSERT … SELECT to plan) buy
// nothing for it.
func (c conn) columnWise(n int) bool { return c.dialect == Postgres && n > 1 }

// pgColumn is one column of a column-wise statement.
type pgColumn struct {
	name string
	// typ is the column's type; jsonb and numeric travel as text and are cast.
	typ string
	// values is a slice of a type pgx encodes natively: []pgtype.UUID, []string, []pgtype.Text,
	// []time.Time, []pgtype.Timestamptz, []int64.
	values any
}

// unnest returns "SELECT <casts> FROM unnest($k::type[], …) AS u(<names>)" over the columns,
// numbering parameters from first, with the columns' names and the arguments.
func unnest(cols []pgColumn, first int) (selectSQL, names string, args []any) {
	quoted, selects, params := make([]string, len(cols)), make([]string, len(cols)), make([]string, len(cols))
	args = make([]any, len(cols))
	for i, c := range cols {
		wire := c.typ
		if wire == "jsonb" || wire == "numeric" {
			wire = "text"
		}
		quoted[i] = `"` + c.name + `"`
		selects[i] = "u." + quoted[i] + "::" + c.typ
		params[i] = fmt.Sprintf("$%d::%s[]", first+i, wire)
		args[i] = c.values
	}
	names = strings.Join(quoted, ", ")
	return "SELECT " + strings.Join(selects, ", ") + " FROM unnest(" + strings.Join(params, ", ") + ") AS u(" + names + ")", names, args
}

// insertColumns inserts the rows that cols hold into table, with suffix (an ON CONFLICT clause,
// say) after them, and answers how many were inserted.
func (c conn) insertColumns(ctx context.Context, table string, cols []pgColumn, suffix string) (int64, error) {
	selectSQL, names, args := unnest(cols, 1)
	res, err := c.with(ctx).Statement.ConnPool.ExecContext(ctx, "INSERT INTO "+table+" ("+names+") "+selectSQL+" "+suffix, args...)
	if err != nil {
		return 0, translate(err)
	}
	return res.RowsAffected()
}

func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

func pgUUIDs(ids []uuid.UUID) []pgtype.UUID {
	out := make([]pgtype.UUID, len(ids))
	for i, id := range ids {
		out[i] = pgUUID(id)
	}
	return out
}

func pgNullUUID(id *uuid.UUID) pgtype.UUID {
	if id == nil {
		return pgtype.UUID{}
	}
	return pgUUID(*id)
}

func pgText(s *string) pgtype.Text {
	if s == nil {
		return pgtype.Text{}
	}
	return pgtype.Text{String: *s, Valid: true}
}

func pgTime(t *time.Time) pgtype.Timestamptz {
	if t == nil {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: *t, Valid: true}
}

// pgJSON is a jsonValue's text, NULL for a nil map or slice.
func pgJSON[T any](j jsonValue[T]) (pgtype.Text, error) {
	v, err := j.Value()
	if err != nil || v == nil {
		return pgtype.Text{}, err
	}
	return pgtype.Text{String: v.(string), Valid: true}, nil
}

// queryIDs runs a query with $n placeholders that answers one uuid column, handing the arguments
// to pgx as they are.
func (c conn) queryIDs(ctx context.Context, query string, args ...any) ([]uuid.UUID, error) {
	rows, err := c.with(ctx).Statement.ConnPool.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err)
		}
		ids = append(ids, id)
	}
	return ids, translate(rows.Err())
}

// keyed is a PostgreSQL FROM item, named table, of table's rows in the organization, matching
// cond, whose key expression equals one of the keys: its parameters are the keys (a text[]) and
// the organization. Each key is one descent of the unique index on (org_id, key), whatever the
// statistics say. As "key IN (…)" the planner estimates: with statistics from before an import it
// counted almost no external ids and filtered every imported row per batch, and over an
// expression (lower(email)) with a thousand keys it estimated the whole table and scanned it
// (1.1 s per batch of 1,000 customers at 1M). The keys drive the join: as "id IN (subquery)" on a
// table without statistics yet, the subquery ran once per row.
func keyed(table, key, cond string) string {
	return "unnest(?::text[]) AS k(key) CROSS JOIN LATERAL (SELECT * FROM " + table +
		" WHERE org_id = ? AND " + cond + " AND " + key + " = k.key LIMIT 1) AS " + table
}

// pgArray is a PostgreSQL array parameter for gorm, which would expand a plain slice into a list.
func pgArray[T any](v []T) pgtype.Array[T] {
	return pgtype.Array[T]{Elements: v, Dims: []pgtype.ArrayDimension{{Length: int32(len(v)), LowerBound: 1}}, Valid: true}
}

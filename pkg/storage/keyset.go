package storage

import (
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/page"
)

// errBadCursor is answered for a cursor whose position cannot be read.
var errBadCursor = apperr.New(apperr.KindBadRequest, "the cursor is not valid for this list")

// sortKey is a column a list can be ordered by, and how to read a row's value of it.
type sortKey[R any] struct {
	column  string
	isTime  bool
	isFloat bool
	value   func(R) any
}

// keysetPage reads one page ordered by the requested key and the id as tie-breaker, starting
// after p.After. It asks for one row more than the limit to learn whether more follow; it never
// counts or skips rows, so a page costs the same at any depth.
func keysetPage[R any, T any](q *gorm.DB, p page.Request, keys map[string]sortKey[R], id func(R) uuid.UUID,
	scan func(*sql.Rows) (R, error), convert func(R) T) (page.Result[T], error) {
	key, ok := keys[p.Sort]
	if !ok {
		return page.Result[T]{}, fmt.Errorf("unknown sort %q", p.Sort)
	}
	op, dir := ">", "ASC"
	if p.Desc {
		op, dir = "<", "DESC"
	}
	if a := p.After; a != nil {
		var v any = a.Value
		if key.isTime {
			t, err := time.Parse(time.RFC3339Nano, a.Value)
			if err != nil {
				return page.Result[T]{}, errBadCursor
			}
			v = t
		}
		if key.isFloat {
			f, err := strconv.ParseFloat(a.Value, 64)
			if err != nil {
				return page.Result[T]{}, errBadCursor
			}
			v = f
		}
		q = q.Where(fmt.Sprintf("(%s, id) %s (?, ?)", key.column, op), v, a.ID)
	}
	cursor, err := q.Order(fmt.Sprintf("%s %s, id %s", key.column, dir, dir)).Limit(p.Limit + 1).Rows()
	if err != nil {
		return page.Result[T]{}, translate(err)
	}
	defer cursor.Close()
	var rows []R
	for cursor.Next() {
		r, err := scan(cursor)
		if err != nil {
			return page.Result[T]{}, translate(err)
		}
		rows = append(rows, r)
	}
	if err := cursor.Err(); err != nil {
		return page.Result[T]{}, translate(err)
	}
	res := page.Result[T]{Items: make([]T, 0, min(len(rows), p.Limit))}
	for i, r := range rows {
		if i == p.Limit {
			last := rows[i-1]
			next := &page.Key{Sort: p.Sort, Desc: p.Desc, ID: id(last)}
			switch v := key.value(last).(type) {
			case time.Time:
				next.Value = v.UTC().Format(time.RFC3339Nano)
			default:
				next.Value = fmt.Sprint(v)
			}
			res.Next = next
			break
		}
		res.Items = append(res.Items, convert(r))
	}
	return res, nil
}

// gormScan reads a row into R by its gorm tags; hot paths scan by hand instead.
func gormScan[R any](q *gorm.DB) func(*sql.Rows) (R, error) {
	return func(rows *sql.Rows) (R, error) {
		var r R
		err := q.ScanRows(rows, &r)
		return r, err
	}
}

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
	return keysetPageOf(q, p, keys, id, scan, convert, nil)
}

// maxPageBytes bounds a page of rows that carry large JSON (events with their records): past it
// the page ends early, with a cursor to the rest, whatever the limit.
const maxPageBytes = 1 << 20

// keysetPageOf is keysetPage for rows of very different sizes: with size, a page also ends once
// its rows reach maxPageBytes (always after its first row).
func keysetPageOf[R any, T any](q *gorm.DB, p page.Request, keys map[string]sortKey[R], id func(R) uuid.UUID,
	scan func(*sql.Rows) (R, error), convert func(R) T, size func(R) int) (page.Result[T], error) {
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
	// The page ends after p.Limit rows or at the row that takes it past maxPageBytes, which is
	// read (its presence means there is a next page) but not kept; later rows are never read.
	end, bytes := p.Limit, 0
	var rows []R
	for len(rows) <= end && cursor.Next() {
		r, err := scan(cursor)
		if err != nil {
			return page.Result[T]{}, translate(err)
		}
		if size != nil {
			if bytes += size(r); bytes > maxPageBytes && len(rows) > 0 {
				end = len(rows)
			}
		}
		rows = append(rows, r)
	}
	if err := cursor.Err(); err != nil {
		return page.Result[T]{}, translate(err)
	}
	res := page.Result[T]{Items: make([]T, 0, min(len(rows), end))}
	for i, r := range rows {
		if i == end {
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

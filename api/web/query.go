package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// Query reads a list's query parameters: it knows which are allowed, and parses each strictly.
type Query struct {
	values  url.Values
	allowed []string
	errs    []error
}

// MaxValues bounds how often one parameter may be repeated (tag=a&tag=b…).
const MaxValues = 50

// MaxValueBytes bounds one value of a parameter: a cursor or a search is far shorter, and SQLite
// refuses a LIKE pattern over 50,000 bytes.
const MaxValueBytes = 2000

// NewQuery starts reading c's query; filters are the parameters allowed beside limit, cursor and
// sort. A query that cannot be parsed (more than 10,000 parameters among others), a name or value
// that is not UTF-8 or holds a NUL character, a value longer than MaxValueBytes, or a parameter
// repeated more than MaxValues times is refused: echo's QueryParams would silently drop the whole
// query, or pass the bytes to SQL.
func NewQuery(c echo.Context, filters ...string) *Query {
	q := &Query{allowed: append([]string{"limit", "cursor", "sort"}, filters...)}
	values, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		q.errs = append(q.errs, apperr.New(apperr.KindBadRequest, "the query string cannot be read: %v", err))
		return q
	}
	for name, vs := range values {
		if !Printable(name) {
			q.errs = append(q.errs, apperr.New(apperr.KindBadRequest, "a query parameter name is not UTF-8 text without NUL characters"))
			return q
		}
		if len(vs) > MaxValues {
			q.fail(name, "may be given at most %d times", MaxValues)
		}
		for _, v := range vs {
			if !Printable(v) {
				q.fail(name, "must be UTF-8 text without NUL characters")
				break
			}
			if len(v) > MaxValueBytes {
				q.fail(name, "must be at most %d bytes", MaxValueBytes)
				break
			}
		}
	}
	q.values = values
	return q
}

// Printable tells whether s is UTF-8 without the NUL character: what a text column can store.
func Printable(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

func (q *Query) fail(field, format string, args ...any) {
	q.errs = append(q.errs, BadRequest(field, format, args...))
}

// String returns a single-valued parameter.
func (q *Query) String(name string) string {
	v := q.values[name]
	if len(v) > 1 {
		q.fail(name, "must be given once")
	}
	if len(v) == 0 {
		return ""
	}
	return strings.TrimSpace(v[0])
}

// Strings returns every value of a repeatable parameter.
func (q *Query) Strings(name string) []string { return q.values[name] }

// Enum returns a parameter that must be one of values.
func Enum[T ~string](q *Query, name string, values []T) T {
	v := T(q.String(name))
	if v != "" && !slices.Contains(values, v) {
		q.fail(name, "must be one of %s", strings.Join(toStrings(values), ", "))
	}
	return v
}

func toStrings[T ~string](values []T) []string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return s
}

// Time returns an RFC 3339 time parameter.
func (q *Query) Time(name string) *time.Time { return q.TimeSince(name, time.Time{}) }

// ReportEpoch is the earliest moment a report may be asked about: reports reach back months
// from it, and no database stores a year before 1.
var ReportEpoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// TimeSince returns an RFC 3339 time parameter at or after earliest.
func (q *Query) TimeSince(name string, earliest time.Time) *time.Time {
	v := q.String(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	switch {
	case err != nil || !Storable(t):
		q.fail(name, "must be an RFC 3339 time such as 2026-01-31T09:00:00Z, in the years 1 to 9999")
		return nil
	case t.Before(earliest):
		q.fail(name, "must not be before %s", earliest.Format(time.RFC3339))
		return nil
	}
	return &t
}

// Float returns a number parameter between lo and hi.
func (q *Query) Float(name string, lo, hi float64) *float64 {
	v := q.String(name)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < lo || f > hi || f != f {
		q.fail(name, "must be a number from %g to %g", lo, hi)
		return nil
	}
	return &f
}

// Int returns a whole-number parameter between lo and hi.
func (q *Query) Int(name string, lo, hi int) *int {
	v := q.String(name)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		q.fail(name, "must be a whole number from %d to %d", lo, hi)
		return nil
	}
	return &n
}

// Duration returns a duration parameter from 0 to max: a Go duration (30s, 1m) or whole seconds.
func (q *Query) Duration(name string, max time.Duration) time.Duration {
	v := q.String(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if n, nerr := strconv.Atoi(v); nerr == nil && n >= 0 && n <= int(max/time.Second) {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d < 0 || d > max {
		q.fail(name, "must be a duration from 0 to %s, such as 30s, or whole seconds", max)
		return 0
	}
	return d
}

// UUID returns a UUID parameter.
func (q *Query) UUID(name string) *uuid.UUID {
	v := q.String(name)
	if v == "" {
		return nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		q.fail(name, "must be a UUID")
		return nil
	}
	return &id
}

// Err reports the first bad or unknown parameter.
func (q *Query) Err() error {
	if len(q.errs) > 0 && q.values == nil {
		return q.errs[0] // the query could not be read at all
	}
	for name := range q.values {
		if !slices.Contains(q.allowed, name) {
			return BadRequest(name, "unknown query parameter %q; allowed: %s", name, strings.Join(q.allowed, ", "))
		}
	}
	if len(q.errs) > 0 {
		return q.errs[0]
	}
	return nil
}

// ScopedQuery starts reading the query of a collection that also hangs under a customer: nested
// (/customers/{id}/…), the customer is the path's, else the optional customer_id filter.
func ScopedQuery(c echo.Context, nested bool, filters ...string) (*Query, *uuid.UUID, error) {
	if nested {
		id, err := PathID(c)
		if err != nil {
			return nil, nil, err
		}
		return NewQuery(c, filters...), &id, nil
	}
	q := NewQuery(c, append(filters, "customer_id")...)
	return q, q.UUID("customer_id"), nil
}

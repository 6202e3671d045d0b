package web

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/page"
)

// Limits of a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Page is one page of a collection. Handlers document Data's type with swag's composition,
// e.g. web.Page{data=[]customerapi.Customer}.
type Page struct {
	Data any `json:"data"`
	// Opaque; pass as cursor= to get the next page. Null on the last page.
	NextCursor *string `json:"next_cursor" extensions:"x-nullable"`
	HasMore    bool    `json:"has_more"`
} // @name Page

// NewPage converts a domain page's items with conv.
func NewPage[D, T any](res page.Result[D], conv func(D) T) Page {
	data := make([]T, len(res.Items))
	for i, item := range res.Items {
		data[i] = conv(item)
	}
	p := Page{Data: data, HasMore: res.Next != nil}
	if res.Next != nil {
		c := encodeCursor(*res.Next)
		p.NextCursor = &c
	}
	return p
}

type cursor struct {
	Sort  string    `json:"s"`
	Desc  bool      `json:"d,omitempty"`
	Value string    `json:"v"`
	ID    uuid.UUID `json:"i"`
}

func encodeCursor(k page.Key) string {
	b, _ := json.Marshal(cursor{Sort: k.Sort, Desc: k.Desc, Value: k.Value, ID: k.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// Page reads limit, sort (one of sortFields, "-" for descending) and cursor.
func (q *Query) Page(sortFields []string, defaultSort string) page.Request {
	req := page.Request{Limit: DefaultLimit}
	if n := q.Int("limit", 1, MaxLimit); n != nil {
		req.Limit = *n
	}
	sort := q.String("sort")
	if sort == "" {
		sort = defaultSort
	}
	req.Sort, req.Desc = strings.TrimPrefix(sort, "-"), strings.HasPrefix(sort, "-")
	if !slices.Contains(sortFields, req.Sort) {
		q.fail("sort", "must be one of %s, each optionally prefixed with -", strings.Join(sortFields, ", "))
	}
	if v := q.String("cursor"); v != "" {
		var c cursor
		b, err := base64.RawURLEncoding.DecodeString(v)
		// A position's value is a row's, text a database holds: a forged NUL reached PostgreSQL (22021).
		if err != nil || json.Unmarshal(b, &c) != nil || c.ID == uuid.Nil || !Printable(c.Value) {
			q.fail("cursor", "is not a cursor this API issued")
		} else if c.Sort != req.Sort || c.Desc != req.Desc {
			q.fail("cursor", "belongs to another sort order; pass the same sort as the first page")
		} else {
			req.After = &page.Key{Sort: c.Sort, Desc: c.Desc, Value: c.Value, ID: c.ID}
		}
	}
	return req
}

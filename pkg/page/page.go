// Package page describes one keyset-paginated slice of a list: how many, in which order, after which row.
package page

import "github.com/google/uuid"

// Request asks for up to Limit rows ordered by Sort (descending when Desc), after the row at After.
type Request struct {
	Limit int
	Sort  string
	Desc  bool
	After *Key
}

// Key is the position of a row in a sorted list: its sort value (as text) and its id, the tie-breaker.
type Key struct {
	Sort  string
	Desc  bool
	Value string
	ID    uuid.UUID
}

// Result is a page of items and the key of the last one when more follow.
type Result[T any] struct {
	Items []T
	Next  *Key
}

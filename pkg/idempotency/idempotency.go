// Package idempotency keeps the first answer to a request sent with an Idempotency-Key, so that
// a client's retry gets the same answer instead of doing the work twice.
package idempotency

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// TTL is how long a key is remembered.
const TTL = 24 * time.Hour

// Record is a key's request and, once done, its response.
type Record struct {
	OrgID        uuid.UUID
	CredentialID uuid.UUID
	Key          string
	RequestHash  string
	Done         bool
	StatusCode   int
	Headers      map[string]string
	Body         []byte
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// Errors.
var (
	ErrInFlight = apperr.New(apperr.KindConflict, "a request with this Idempotency-Key is still being processed")
	ErrMismatch = apperr.New(apperr.KindInvalid, "this Idempotency-Key was used with a different request")
)

// Store keeps records.
type Store interface {
	// Claim stores r as in flight unless a live record holds its key; then it returns that record.
	Claim(ctx context.Context, r Record) (existing *Record, err error)
	// Complete stores the response of a claimed record.
	Complete(ctx context.Context, r Record) error
	// Release forgets a claimed record, so that a retry runs again.
	Release(ctx context.Context, r Record) error
	// Purge deletes records that expired before t.
	Purge(ctx context.Context, t time.Time) (int64, error)
}

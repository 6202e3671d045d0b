// Package timeline reads everything that happened with one customer, newest first, from the
// change log: profile changes, lifecycle moves, contacts, merges. Because every write records its
// event in the same transaction, nothing that happened can be missing from it.
package timeline

import (
	"context"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// SortFields: a timeline is ordered by time only.
var SortFields = []string{"occurred_at"}

// Store reads a customer's events.
type Store interface {
	// Timeline returns the events of the customer and of the duplicates merged into it, of the
	// given types (all when empty).
	Timeline(ctx context.Context, orgID, customerID uuid.UUID, types []string, p page.Request) (page.Result[event.Event], error)
}

// Customers checks the customer whose timeline is read.
type Customers interface {
	// CheckLive answers a not-found error unless the customer is live in the organization.
	CheckLive(ctx context.Context, orgID, id uuid.UUID) error
}

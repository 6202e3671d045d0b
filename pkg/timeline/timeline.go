// Package timeline reads everything that happened with one customer, newest first, from the
// change log: profile changes, lifecycle moves, contacts, merges. Because every write records its
// event in the same transaction, nothing that happened can be missing from it.
package timeline

import (
	"context"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// SortFields: a timeline is ordered by time only.
var SortFields = []string{"occurred_at"}

// ErrCustomerNotFound is answered for a customer that does not exist or is deleted.
var ErrCustomerNotFound = apperr.New(apperr.KindNotFound, "customer not found")

// Store reads a customer's events.
type Store interface {
	CustomerExists(ctx context.Context, orgID, customerID uuid.UUID) (bool, error)
	// Timeline returns the events of the customer and of the duplicates merged into it, of the
	// given types (all when empty).
	Timeline(ctx context.Context, orgID, customerID uuid.UUID, types []string, p page.Request) (page.Result[event.Event], error)
}

// Service reads timelines.
type Service struct{ store Store }

// NewService returns the timeline service.
func NewService(store Store) *Service { return &Service{store: store} }

// Timeline returns a page of a live customer's timeline.
func (s *Service) Timeline(ctx context.Context, orgID, customerID uuid.UUID, types []string, p page.Request) (page.Result[event.Event], error) {
	ok, err := s.store.CustomerExists(ctx, orgID, customerID)
	if err != nil {
		return page.Result[event.Event]{}, err
	}
	if !ok {
		return page.Result[event.Event]{}, ErrCustomerNotFound
	}
	return s.store.Timeline(ctx, orgID, customerID, types, p)
}

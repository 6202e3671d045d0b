package timeline

import (
	"context"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Service reads timelines.
type Service struct {
	store     Store
	customers Customers
}

// NewService returns the timeline service.
func NewService(store Store, customers Customers) *Service {
	return &Service{store: store, customers: customers}
}

// Timeline returns a page of a live customer's timeline.
func (s *Service) Timeline(ctx context.Context, orgID, customerID uuid.UUID, types []string, p page.Request) (page.Result[event.Event], error) {
	if err := s.customers.CheckLive(ctx, orgID, customerID); err != nil {
		return page.Result[event.Event]{}, err
	}
	return s.store.Timeline(ctx, orgID, customerID, types, p)
}

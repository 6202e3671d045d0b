// Package contact owns the contact history: every interaction with a customer over every
// channel, who handled it, how it ended and what follows up.
package contact

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Values of the enumerated fields.
var (
	Channels   = []string{"phone", "email", "sms", "chat", "social", "visit", "video", "web", "other"}
	Directions = []string{"inbound", "outbound"}
	Outcomes   = []string{"resolved", "follow_up", "no_answer", "sale", "other"}
	SortFields = []string{"occurred_at", "created_at"}
)

// ClockSkew is how far in the future occurred_at may lie, for clocks that run ahead.
const ClockSkew = 5 * time.Minute

// Contact is one interaction with a customer.
type Contact struct {
	ID              uuid.UUID
	OrgID           uuid.UUID
	CustomerID      uuid.UUID
	Channel         string
	Direction       string
	Subject         string
	Notes           string
	OccurredAt      time.Time
	DurationSeconds *int
	AgentID         *uuid.UUID
	Outcome         string
	FollowUpAt      *time.Time
	Tags            []string
	ExternalRef     string
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
	DeletedAt       *time.Time
}

// Filter narrows a contact list.
type Filter struct {
	CustomerID     *uuid.UUID
	Channel        string
	Direction      string
	AgentID        *uuid.UUID
	Outcome        string
	OccurredAfter  *time.Time
	OccurredBefore *time.Time
	// FollowUpDue selects contacts with a follow-up set at or before it.
	FollowUpDue *time.Time
	Q           string
}

// MaxDuration bounds a contact's duration_seconds: a week.
const MaxDuration = 7 * 24 * 60 * 60

// Errors.
var (
	ErrNotFound        = apperr.New(apperr.KindNotFound, "contact not found")
	ErrExternalRef     = apperr.New(apperr.KindConflict, "a contact with this external_ref already exists")
	ErrVersionConflict = apperr.New(apperr.KindPreconditionFailed, "the contact has changed since the version given in If-Match")
	ErrConcurrentWrite = apperr.New(apperr.KindConflict, "another request changed the contact at the same moment; retry")
)

// Store is what the contact service needs from storage.
type Store interface {
	event.Recorder
	Insert(ctx context.Context, c Contact) error
	// Update writes c if the stored version is still prev, else answers ErrConcurrentWrite.
	Update(ctx context.Context, c Contact, prev int64) error
	Get(ctx context.Context, orgID, id uuid.UUID) (Contact, error)
	ByExternalRef(ctx context.Context, orgID uuid.UUID, ref string) (Contact, error)
	List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Contact], error)
	// RefreshCustomer recomputes a customer's last_contacted_at and contact_count from its contacts.
	RefreshCustomer(ctx context.Context, orgID, customerID uuid.UUID) error
	// ChannelCounts counts a customer's contacts per channel.
	ChannelCounts(ctx context.Context, orgID, customerID uuid.UUID) (map[string]int, error)
}

// Transactor runs fn in one transaction: the store calls made with the context it gets commit
// together or not at all.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Users tells whether a user belongs to an organization; it checks agents.
type Users interface {
	ActiveUserExists(ctx context.Context, orgID, userID uuid.UUID) (bool, error)
}

// Customers checks the customer a contact names.
type Customers interface {
	// CheckLive answers a not-found error unless the customer is live in the organization.
	CheckLive(ctx context.Context, orgID, id uuid.UUID) error
}

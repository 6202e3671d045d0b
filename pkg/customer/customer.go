// Package customer owns the central customer record: who the customer is, how to reach them,
// where they stand on the loyalty ladder, and the rules for creating, changing, merging and
// deleting it.
package customer

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/money"
	"github.com/rapportcrm/rapport/pkg/page"
)

// LifecycleStage is the customer's rung on the loyalty ladder.
type LifecycleStage string

// The loyalty ladder, from first contact to partner.
const (
	StageProspect  LifecycleStage = "prospect"
	StageCustomer  LifecycleStage = "customer"
	StageClient    LifecycleStage = "client"
	StageSupporter LifecycleStage = "supporter"
	StageAdvocate  LifecycleStage = "advocate"
	StagePartner   LifecycleStage = "partner"
)

// Stages lists the ladder in order.
var Stages = []LifecycleStage{StageProspect, StageCustomer, StageClient, StageSupporter, StageAdvocate, StagePartner}

// Status tells whether the customer is still buying.
type Status string

const (
	StatusActive  Status = "active"
	StatusChurned Status = "churned"
	// StatusWonBack is a churned customer who bought again.
	StatusWonBack Status = "won_back"
)

// Statuses lists every status.
var Statuses = []Status{StatusActive, StatusChurned, StatusWonBack}

// Channels a customer can prefer to be reached through.
var Channels = []string{"phone", "email", "sms", "chat", "social", "visit", "video", "web", "mail", "other"}

// SortFields are the fields a customer list can be sorted by; clv lists only the customers that
// the latest lifetime-value fit scored.
var SortFields = []string{"created_at", "updated_at", "last_name", "clv"}

// Address is a postal address; Country is an ISO 3166-1 alpha-2 code.
type Address struct {
	Line1, Line2, City, Region, PostalCode, Country string
}

// Customer is one customer of an organization.
type Customer struct {
	ID           uuid.UUID
	OrgID        uuid.UUID
	ExternalID   string
	FirstName    string
	LastName     string
	Email        string
	Phone        string
	Company      string
	JobTitle     string
	Address      *Address
	Birthday     *time.Time
	Tags         []string
	CustomFields map[string]any
	OwnerID      *uuid.UUID
	// ReferredByID is the customer who referred this one.
	ReferredByID       *uuid.UUID
	LifecycleStage     LifecycleStage
	Status             Status
	Source             string
	AcquisitionCost    *money.Money
	MarketingConsent   bool
	MarketingConsentAt *time.Time
	PreferredChannel   string
	Interests          []string
	// Kept by the contact history: the latest contact's time and the number of contacts.
	LastContactedAt *time.Time
	ContactCount    int
	// Kept by the purchases: first and last purchase, how many, and the total spent net of refunds
	// in the organization's currency.
	FirstPurchaseAt *time.Time
	LastPurchaseAt  *time.Time
	PurchaseCount   int
	TotalSpent      *money.Money
	// Kept by the analytics runs: the latest segmentation's and lifetime-value fit's scores.
	RFM          *RFM
	Value        *Value
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DeletedAt    *time.Time
	MergedIntoID *uuid.UUID
}

// RFM is the customer's place in the latest segmentation: recency, frequency and monetary
// scores (1–5 by quintile), the R×F segment, and whether the customer is a key account (top
// fifth of trailing-12-month revenue).
type RFM struct {
	AsOf                    time.Time
	LastPurchaseAt          time.Time
	Frequency               int
	Monetary                float64
	Recency, FrequencyScore int
	MonetaryScore           int
	Segment                 string
	Revenue12M              float64
	KeyAccount              bool
}

// Value is the customer's result of the latest lifetime-value fit.
type Value struct {
	AsOf                 time.Time
	PAlive, ChurnRisk    float64
	ExpectedPurchases90  float64
	ExpectedPurchases365 float64
	ExpectedOrderValue   float64
	CLV                  float64
	Quadrant             string
}

// Filter narrows a customer list. Every tag in Tags must be present.
type Filter struct {
	Q              string
	Email          string
	Tags           []string
	LifecycleStage LifecycleStage
	Status         Status
	OwnerID        *uuid.UUID
	Source         string
	CreatedAfter   *time.Time
	CreatedBefore  *time.Time
	UpdatedAfter   *time.Time
	// From the analytics runs.
	RFMSegment     string
	ChurnRiskAbove *float64
}

// Errors.
var (
	ErrNotFound        = apperr.New(apperr.KindNotFound, "customer not found")
	ErrEmailTaken      = apperr.New(apperr.KindConflict, "a customer with this email already exists")
	ErrExternalIDTaken = apperr.New(apperr.KindConflict, "a customer with this external_id already exists")
	ErrEmailOfAnother  = apperr.New(apperr.KindConflict, "the email belongs to a customer with another external_id; nothing was matched or changed")
	ErrDuplicate       = apperr.New(apperr.KindConflict, "a customer with this email or external_id already exists")
	ErrVersionConflict = apperr.New(apperr.KindPreconditionFailed, "the customer has changed since the version given in If-Match")
	ErrConcurrentWrite = apperr.New(apperr.KindConflict, "another request changed the customer at the same moment; retry")
	ErrNotDeleted      = apperr.New(apperr.KindConflict, "the customer is not deleted")
)

// Store is what the customer service needs from storage. Reads leave out deleted customers
// unless they say otherwise.
type Store interface {
	event.Recorder

	// Insert stores a new customer and the event of its creation, both or neither. It answers
	// ErrDuplicate when the customer's email or external_id is taken.
	Insert(ctx context.Context, c Customer, created event.Event) error
	// InsertMany stores new customers and the events of their creation, skipping those whose
	// email or external_id is taken; it reports which it inserted.
	InsertMany(ctx context.Context, cs []Customer, created []event.Event) (map[uuid.UUID]bool, error)
	// Update writes c if the stored version is still prev, else answers ErrConcurrentWrite.
	Update(ctx context.Context, c Customer, prev int64) error
	Get(ctx context.Context, orgID, id uuid.UUID) (Customer, error)
	// GetMany returns the live customers among ids; their scores are left out.
	GetMany(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) ([]Customer, error)
	GetDeleted(ctx context.Context, orgID, id uuid.UUID) (Customer, error)
	ByExternalID(ctx context.Context, orgID uuid.UUID, externalID string) (Customer, error)
	ByEmail(ctx context.Context, orgID uuid.UUID, email string) (Customer, error)
	// Matching returns the live customers with any of the external ids or (lower-cased) emails.
	Matching(ctx context.Context, orgID uuid.UUID, externalIDs, emails []string) ([]Customer, error)
	List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Customer], error)
	// Live answers which of the ids are live customers of the organization.
	Live(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error)
	// MoveRecords re-points every record of the duplicate (contact history, feedback, purchases)
	// to the survivor.
	MoveRecords(ctx context.Context, orgID, fromID, toID uuid.UUID) error
}

// Transactor runs fn in one transaction: the store calls made with the context it gets commit
// together or not at all.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Users tells whether a user belongs to an organization; it checks owners.
type Users interface {
	ActiveUserExists(ctx context.Context, orgID, userID uuid.UUID) (bool, error)
}

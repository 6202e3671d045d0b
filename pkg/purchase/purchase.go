// Package purchase owns what customers bought: amounts, currencies, line items and refunds, and
// the purchase figures kept on the customer (first and last purchase, count, total spent).
package purchase

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/money"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Values of the enumerated fields.
var (
	Channels   = []string{"store", "online", "phone", "partner", "other"}
	Statuses   = []string{"completed", "refunded"}
	SortFields = []string{"occurred_at", "created_at"}
)

// ClockSkew is how far in the future occurred_at may lie.
const ClockSkew = 5 * time.Minute

// Item is one line of a purchase.
type Item struct {
	SKU, Name string
	Quantity  int
	UnitPrice decimal.Decimal
}

// Purchase is one order of a customer.
type Purchase struct {
	ID             uuid.UUID
	OrgID          uuid.UUID
	CustomerID     uuid.UUID
	ExternalID     string
	Amount         money.Money
	RefundedAmount decimal.Decimal
	OccurredAt     time.Time
	Channel        string
	Items          []Item
	Status         string
	Version        int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Earned is what the purchase earned when it was recorded; nil when read back later.
	Earned *Earned
}

// Earned is the loyalty points a new purchase earned, or with none, why: the program is inactive,
// the purchase is in another currency than the organization's, its amount earns less than a
// point, or the customer's balance is at its limit.
type Earned struct {
	Points int64
	Reason string
}

// NoPointsOtherCurrency is why a purchase in a currency other than the organization's earns none.
const NoPointsOtherCurrency = "other_currency"

// Filter narrows a purchase list.
type Filter struct {
	CustomerID     *uuid.UUID
	Channel        string
	Status         string
	OccurredAfter  *time.Time
	OccurredBefore *time.Time
}

// Errors.
var (
	ErrNotFound        = apperr.New(apperr.KindNotFound, "purchase not found")
	ErrDuplicate       = errors.New("a purchase with this external_id exists")
	ErrConcurrentWrite = apperr.New(apperr.KindConflict, "another request changed the purchase at the same moment; retry")
)

// Store is what the purchase service needs from storage.
type Store interface {
	event.Recorder
	// RecordEvents appends events in multi-row statements.
	RecordEvents(ctx context.Context, events []event.Event) error
	// Insert stores a purchase, or answers ErrDuplicate when its external_id is taken.
	Insert(ctx context.Context, p Purchase) error
	// InsertMany stores purchases and their events, all or none; a taken external_id is ErrDuplicate.
	InsertMany(ctx context.Context, ps []Purchase, created []event.Event) error
	// ByExternalIDs returns the purchases with any of the external ids.
	ByExternalIDs(ctx context.Context, orgID uuid.UUID, externalIDs []string) ([]Purchase, error)
	// Refund records a purchase's refunded amount and status if its version is still prev, else
	// answers ErrConcurrentWrite.
	Refund(ctx context.Context, p Purchase, prev int64) error
	Get(ctx context.Context, orgID, id uuid.UUID) (Purchase, error)
	ByExternalID(ctx context.Context, orgID uuid.UUID, externalID string) (Purchase, error)
	List(ctx context.Context, orgID uuid.UUID, f Filter, p page.Request) (page.Result[Purchase], error)
	OrgCurrency(ctx context.Context, orgID uuid.UUID) (string, error)
	// RefreshCustomers recomputes the customers' purchase figures; total spent counts purchases
	// in currency, net of refunds.
	RefreshCustomers(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, currency string) error
	// AddToCustomers adds new purchases to their customers' figures, as RefreshCustomers would
	// count them.
	AddToCustomers(ctx context.Context, orgID uuid.UUID, fresh []Purchase, currency string) error
	// MoveCustomers sets field (lifecycle_stage or status) from "from" to "to" on those of the
	// customers where it is "from", and returns them.
	MoveCustomers(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID, field, from, to string, at time.Time) ([]uuid.UUID, error)
}

// Transactor runs fn in one transaction: the store calls made with the context it gets commit
// together or not at all.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Earning is a new purchase that may earn points.
type Earning struct {
	CustomerID, PurchaseID uuid.UUID
	Amount                 decimal.Decimal
}

// Points awards loyalty points for purchases and takes them back on refunds. Called inside the
// purchase's transaction (InTx), it commits or rolls back with it. EarnForPurchases answers what
// each earning earned, in order.
type Points interface {
	EarnForPurchases(ctx context.Context, actor event.Actor, earnings []Earning) ([]Earned, error)
	TakeBackForRefund(ctx context.Context, actor event.Actor, customerID, purchaseID uuid.UUID, amount, refundedBefore, refundedAfter decimal.Decimal) error
}

// Customers checks the customers that purchases name.
type Customers interface {
	// CheckLive answers a not-found error unless the customer is live in the organization.
	CheckLive(ctx context.Context, orgID, id uuid.UUID) error
	// Live answers which of the ids are live customers of the organization.
	Live(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]bool, error)
	// Resources answers the live customers among ids as the events of a change carry them (the
	// events of the stage and status moves that purchases make).
	Resources(ctx context.Context, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]map[string]any, error)
}

// MaxBatch is the most purchases one batch may carry.
const MaxBatch = 1000

// Batch outcomes.
const (
	BatchCreated   = "created"
	BatchUnchanged = "unchanged"
	BatchError     = "error"
)

// BatchItem is one purchase of a batch, or the error its input already had.
type BatchItem struct {
	Purchase Purchase
	Err      error
}

// BatchResult is the outcome of one item: created, unchanged (its external_id was recorded
// before, in the database or earlier in the batch), or error.
type BatchResult struct {
	Status string
	ID     uuid.UUID
	Err    error
	// Earned is what a created purchase earned.
	Earned *Earned
}

// ErrBatchFailed is answered by an atomic batch in which some item failed; nothing was written.
var ErrBatchFailed = apperr.New(apperr.KindInvalid, "the batch is atomic and some items failed; nothing was written")

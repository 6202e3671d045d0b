// Package loyalty owns the loyalty program and its points ledger: an account per customer whose
// balance moves only together with an appended transaction, and never below zero.
package loyalty

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/page"
)

// Program is an organization's loyalty program.
type Program struct {
	OrgID         uuid.UUID
	Active        bool
	PointsPerUnit decimal.Decimal
	Rounding      string
	MinRedemption int64
	// Tiers, lowest first: a customer holds the highest whose threshold their qualifying points
	// (earned over the last TierWindowMonths) reach.
	Tiers            []Tier
	TierWindowMonths int
	// ExpiryMonths is how long earned points last; nil: they never expire.
	ExpiryMonths *int
	UpdatedAt    time.Time
}

// Tier is a level of the program.
type Tier struct {
	Name             string
	QualifyingPoints int64
	Multiplier       decimal.Decimal
	Benefits         string
}

// windowStart is when the qualifying window that ends at now began.
func (p Program) windowStart(now time.Time) time.Time { return now.AddDate(0, -p.TierWindowMonths, 0) }

// lotExpiry is when points earned at t expire; nil when they never do.
func (p Program) lotExpiry(t time.Time) *time.Time {
	if p.ExpiryMonths == nil {
		return nil
	}
	at := t.AddDate(0, *p.ExpiryMonths, 0)
	return &at
}

// TierFor is the tier that qualifying points reach ("" below the first), and the next one.
func (p Program) TierFor(qualifying int64) (current Tier, next *Tier) {
	for i, t := range p.Tiers {
		if qualifying < t.QualifyingPoints {
			return current, &p.Tiers[i]
		}
		current = t
	}
	return current, nil
}

// multiplier is the earn multiplier of a tier: 1 without one.
func (t Tier) multiplier() decimal.Decimal {
	if t.Multiplier.IsPositive() {
		return t.Multiplier
	}
	return decimal.NewFromInt(1)
}

// Roundings of earned points.
var Roundings = []string{"floor", "round", "ceil"}

// DefaultProgram is an organization's program until an admin sets one: inactive, 1 point per unit.
func DefaultProgram(orgID uuid.UUID) Program {
	return Program{OrgID: orgID, PointsPerUnit: decimal.NewFromInt(1), Rounding: "floor", Tiers: []Tier{}, TierWindowMonths: 12}
}

// Account is a customer's points.
type Account struct {
	CustomerID                                uuid.UUID
	Balance, LifetimeEarned, LifetimeRedeemed int64
	// Tier is the tier last recorded (tier changes are events); Status computes the current one.
	Tier      string
	UpdatedAt *time.Time
}

// Standing is where an account stands in the tiers now.
type Standing struct {
	Account
	QualifyingPoints int64
	Current          Tier
	Next             *Tier
	// Expiring is what expires within 30, 60 and 90 days.
	Expiring [3]int64
}

// Transaction types; expire is written by the expiry alone.
const (
	Earn    = "earn"
	Redeem  = "redeem"
	Adjust  = "adjust"
	Reverse = "reverse"
	Expire  = "expire"
)

// Types lists the types a client may post.
var Types = []string{Earn, Redeem, Adjust, Reverse}

// Transaction is one line of the ledger. Points are signed: what it did to the balance.
type Transaction struct {
	ID           uuid.UUID
	OrgID        uuid.UUID
	CustomerID   uuid.UUID
	Type         string
	Points       int64
	BalanceAfter int64
	Reason       string
	ExternalID   string
	ReversesID   *uuid.UUID
	Actor        event.Actor
	CreatedAt    time.Time
	// A line that adds points is a lot: what remains of it, and when that expires.
	Remaining int64
	ExpiresAt *time.Time
}

// Limits that keep every balance, lifetime total and sum of points well inside a 64-bit integer
// on both databases (SQLite turns an integer that overflows into a float).
const (
	// MaxPoints bounds one transaction.
	MaxPoints = 1_000_000_000_000
	// MaxBalance bounds one account's balance.
	MaxBalance = 1_000_000_000_000_000
	// MaxPointsPerUnit and MaxMultiplier bound the program, so that what a purchase earns
	// (amount × points per unit × multiplier) stays far from overflowing before it is capped.
	MaxPointsPerUnit = 1000
	MaxMultiplier    = 100
)

// Why a purchase earned no points.
const (
	NoPointsProgramInactive = "program_inactive"
	NoPointsTooSmall        = "amount_too_small"
	NoPointsBalanceLimit    = "balance_limit"
)

// Earned is what one purchase earned: points, or, with none, the reason.
type Earned struct {
	PurchaseID uuid.UUID
	Points     int64
	Reason     string
}

// Errors.
var (
	ErrNotFound        = apperr.New(apperr.KindNotFound, "loyalty transaction not found")
	ErrInsufficient    = errors.New("the balance does not cover the points")
	ErrBalanceLimit    = errors.New("the balance would pass MaxBalance")
	ErrAlreadyReversed = apperr.New(apperr.KindConflict, "the transaction is reversed already")
	ErrDuplicate       = errors.New("a transaction with this external_id exists")
)

// ProgramStore keeps the organizations' programs.
type ProgramStore interface {
	event.Recorder
	// Program answers the organization's program, or DefaultProgram when it has none.
	Program(ctx context.Context, orgID uuid.UUID) (Program, error)
	SaveProgram(ctx context.Context, p Program) error
	// TieredPrograms returns the programs that have tiers.
	TieredPrograms(ctx context.Context) ([]Program, error)
}

// LedgerStore keeps the customers' accounts and the points ledger, whose lines that add points
// are lots that expire.
type LedgerStore interface {
	event.Recorder
	// RecordEvents appends events in multi-row statements.
	RecordEvents(ctx context.Context, events []event.Event) error
	Account(ctx context.Context, orgID, customerID uuid.UUID) (Account, error)
	// Apply moves the balance by delta and the lifetime totals by earned and redeemed, creating
	// the account if needed; a delta that would take the balance below zero or above MaxBalance
	// changes nothing and answers ErrInsufficient or ErrBalanceLimit. It returns the balance after.
	Apply(ctx context.Context, orgID, customerID uuid.UUID, delta, earned, redeemed int64, at time.Time) (int64, error)
	SetTier(ctx context.Context, orgID, customerID uuid.UUID, tier string) error
	// Insert appends a transaction; ErrDuplicate for a taken external_id, ErrAlreadyReversed for
	// a second reversal of the same transaction.
	Insert(ctx context.Context, t Transaction) error
	Transaction(ctx context.Context, orgID, id uuid.UUID) (Transaction, error)
	ByExternalID(ctx context.Context, orgID uuid.UUID, externalID string) (Transaction, error)
	Transactions(ctx context.Context, orgID, customerID uuid.UUID, p page.Request) (page.Result[Transaction], error)
	// QualifyingPoints sums each customer's points earned since a time: earnings not reversed,
	// less the points refunds took back. Customers without any are left out.
	QualifyingPoints(ctx context.Context, orgID uuid.UUID, customerIDs []uuid.UUID, since time.Time) (map[uuid.UUID]int64, error)
	// LockAccounts creates the customers' accounts that do not exist yet and returns them all,
	// locked until the transaction ends.
	LockAccounts(ctx context.Context, orgID uuid.UUID, customerIDs []uuid.UUID, at time.Time) (map[uuid.UUID]Account, error)
	// AppendEarnings inserts earn lines and writes the accounts they moved (balance, lifetime
	// earned, tier), which the caller holds locked.
	AppendEarnings(ctx context.Context, orgID uuid.UUID, lines []Transaction, accounts []Account) error
	// ConsumeLots takes points from a customer's lots, the lot prefer first, then those expiring
	// soonest (never-expiring last), oldest first.
	ConsumeLots(ctx context.Context, orgID, customerID uuid.UUID, points int64, prefer *uuid.UUID) error
	// ExpiringBy sums a customer's points in lots that expire by each of the times.
	ExpiringBy(ctx context.Context, orgID, customerID uuid.UUID, by []time.Time) ([]int64, error)
	// ExpiredLots returns the lots with points left that expired by asOf, and empties them.
	ExpiredLots(ctx context.Context, orgID uuid.UUID, asOf time.Time) (map[uuid.UUID]int64, error)
	// OrgsWithExpiredLots lists the organizations that have points to expire by asOf.
	OrgsWithExpiredLots(ctx context.Context, asOf time.Time) ([]uuid.UUID, error)
	// EarnedBetween lists the customers of an organization with earnings made in [from, to).
	EarnedBetween(ctx context.Context, orgID uuid.UUID, from, to time.Time) ([]uuid.UUID, error)
}

// Transactor runs fn in one transaction: the store calls made with the context it gets commit
// together or not at all.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Customers checks the customer an account belongs to.
type Customers interface {
	// CheckLive answers a not-found error unless the customer is live in the organization.
	CheckLive(ctx context.Context, orgID, id uuid.UUID) error
}

// Entry is a transaction a client asks for. Points are positive for earn and redeem, signed for
// adjust, and ignored for reverse (it undoes ReversesID exactly).
type Entry struct {
	Type       string
	Points     int64
	Reason     string
	ExternalID string
	ReversesID *uuid.UUID
}

// Earning is a purchase that may earn points.
type Earning struct {
	CustomerID, PurchaseID uuid.UUID
	Amount                 decimal.Decimal
}

// Simulation is what a purchase would earn, written nowhere.
type Simulation struct {
	Points     int64
	Multiplier decimal.Decimal
	TierBefore string
	TierAfter  string
	Active     bool
}

// ExpireReport says what an expiry run did.
type ExpireReport struct {
	Customers int
	Points    int64
}

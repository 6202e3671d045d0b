package loyaltyapi

import (
	"time"

	"github.com/rapportcrm/rapport/pkg/loyalty"
)

// Program is the organization's loyalty program.
type Program struct {
	Active bool `json:"active" example:"true"`
	// Points per unit of the organization's currency, an exact decimal.
	PointsPerUnit string `json:"points_per_unit" validate:"required,numeric,max=24" example:"1"`
	// How fractional points are rounded.
	Rounding string `json:"rounding" validate:"required" enums:"floor,round,ceil" example:"floor"`
	// The fewest points one redemption may take.
	MinRedemption int64 `json:"min_redemption" example:"100"`
	// Lowest first, thresholds rising: a customer holds the highest tier whose qualifying points
	// (earned over the last tier_window_months, less reversals and refunds) it reaches.
	Tiers []Tier `json:"tiers" validate:"max=20,dive"`
	// The rolling window of qualifying points; default 12.
	TierWindowMonths int `json:"tier_window_months,omitempty" example:"12"`
	// Months after which earned points expire, first in first out; null: never.
	ExpiryMonths *int `json:"expiry_months" extensions:"x-nullable" example:"24"`
} // @name LoyaltyProgram

// Expiring is what expires soon.
type Expiring struct {
	In30Days int64 `json:"in_30_days"`
	In60Days int64 `json:"in_60_days"`
	In90Days int64 `json:"in_90_days"`
} // @name ExpiringPoints

// ExpireRequest runs the expiry now, or as of a time.
type ExpireRequest struct {
	AsOf *time.Time `json:"as_of,omitempty"`
} // @name ExpireRequest

// ExpireReport says what an expiry run did.
type ExpireReport struct {
	Customers int   `json:"customers"`
	Points    int64 `json:"points"`
} // @name ExpireReport

// Tier is a level of the program.
type Tier struct {
	Name             string `json:"name" validate:"required,max=100" example:"Gold"`
	QualifyingPoints int64  `json:"qualifying_points" example:"1000"`
	// Points earned are multiplied by it.
	Multiplier string `json:"multiplier" validate:"required,numeric,max=12" example:"1.5"`
	Benefits   string `json:"benefits,omitempty" validate:"max=2000"`
} // @name LoyaltyTier

// NextTier is the tier above the customer's and what it takes.
type NextTier struct {
	Name       string `json:"name"`
	PointsToGo int64  `json:"points_to_go"`
} // @name NextTier

// SimulateRequest asks what a purchase would earn.
type SimulateRequest struct {
	CustomerID string `json:"customer_id" validate:"required,uuid" format:"uuid"`
	// In the organization's currency.
	Amount string `json:"amount" validate:"required,numeric,max=24" example:"49.90"`
} // @name SimulateRequest

// Simulation is what a purchase would earn; nothing is written.
type Simulation struct {
	Active     bool   `json:"active"`
	Points     int64  `json:"points"`
	Multiplier string `json:"multiplier" example:"1.5"`
	TierBefore string `json:"tier_before"`
	TierAfter  string `json:"tier_after"`
} // @name LoyaltySimulation

// Account is a customer's points.
type Account struct {
	CustomerID       string `json:"customer_id" format:"uuid"`
	Balance          int64  `json:"balance"`
	LifetimeEarned   int64  `json:"lifetime_earned"`
	LifetimeRedeemed int64  `json:"lifetime_redeemed"`
	// The tier the qualifying points reach now ("" below the first tier).
	Tier             string    `json:"tier"`
	QualifyingPoints int64     `json:"qualifying_points"`
	NextTier         *NextTier `json:"next_tier" extensions:"x-nullable"`
	// Points in lots that expire within 30, 60 and 90 days (cumulative).
	Expiring  Expiring   `json:"expiring"`
	UpdatedAt *time.Time `json:"updated_at" extensions:"x-nullable"`
} // @name LoyaltyAccount

// TransactionInput is a ledger entry a client asks for.
type TransactionInput struct {
	// earn and redeem take positive points; adjust (admins) signed points and a reason; reverse
	// undoes reverses_id exactly, once.
	Type   string `json:"type" validate:"required" enums:"earn,redeem,adjust,reverse" example:"earn"`
	Points int64  `json:"points,omitempty" example:"100"`
	// Required for earn by hand and for adjust.
	Reason string `json:"reason,omitempty" validate:"max=500" example:"welcome"`
	// The integrator's id: an entry with one recorded before is not applied again (200 with it).
	ExternalID string `json:"external_id,omitempty" validate:"max=255"`
	ReversesID string `json:"reverses_id,omitempty" validate:"omitempty,uuid" format:"uuid"`
} // @name LoyaltyTransactionInput

// Transaction is one line of the ledger; points are signed.
type Transaction struct {
	ID           string    `json:"id" format:"uuid"`
	CustomerID   string    `json:"customer_id" format:"uuid"`
	Type         string    `json:"type" enums:"earn,redeem,adjust,reverse,expire"`
	Points       int64     `json:"points" example:"-100"`
	BalanceAfter int64     `json:"balance_after"`
	Reason       string    `json:"reason"`
	ExternalID   *string   `json:"external_id" extensions:"x-nullable"`
	ReversesID   *string   `json:"reverses_id" format:"uuid" extensions:"x-nullable"`
	ActorType    string    `json:"actor_type" enums:"user,api_key,system"`
	ActorID      string    `json:"actor_id" format:"uuid"`
	CreatedAt    time.Time `json:"created_at"`
} // @name LoyaltyTransaction

func toTransaction(t loyalty.Transaction) Transaction {
	out := Transaction{ID: t.ID.String(), CustomerID: t.CustomerID.String(), Type: t.Type, Points: t.Points, BalanceAfter: t.BalanceAfter,
		Reason: t.Reason, ActorType: t.Actor.Kind, ActorID: t.Actor.ID.String(), CreatedAt: t.CreatedAt}
	if t.ExternalID != "" {
		out.ExternalID = &t.ExternalID
	}
	if t.ReversesID != nil {
		id := t.ReversesID.String()
		out.ReversesID = &id
	}
	return out
}

func toProgram(p loyalty.Program) Program {
	out := Program{Active: p.Active, PointsPerUnit: p.PointsPerUnit.String(), Rounding: p.Rounding, MinRedemption: p.MinRedemption,
		Tiers: make([]Tier, len(p.Tiers)), TierWindowMonths: p.TierWindowMonths, ExpiryMonths: p.ExpiryMonths}
	for i, t := range p.Tiers {
		out.Tiers[i] = Tier{Name: t.Name, QualifyingPoints: t.QualifyingPoints, Multiplier: t.Multiplier.String(), Benefits: t.Benefits}
	}
	return out
}

// RewardInput is a reward's writable fields.
type RewardInput struct {
	Name        string `json:"name" validate:"required,max=200" example:"Free coffee"`
	Description string `json:"description,omitempty" validate:"max=5000"`
	CostPoints  int64  `json:"cost_points" example:"250"`
	// What is left to give; absent or null for unlimited.
	Stock *int64 `json:"stock,omitempty" example:"100"`
	// A tier of the program: the reward is for its customers and those above; empty for everyone.
	MinTier string `json:"min_tier,omitempty" validate:"max=100" example:"Gold"`
	// Whether customers can redeem it; absent: false.
	Active bool `json:"active,omitempty" example:"true"`
} // @name RewardInput

// Reward is an item of the catalogue.
type Reward struct {
	ID          string    `json:"id" format:"uuid"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CostPoints  int64     `json:"cost_points"`
	Stock       *int64    `json:"stock" extensions:"x-nullable"`
	MinTier     string    `json:"min_tier"`
	Active      bool      `json:"active"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
} // @name Reward

// RedeemRequest names the reward to redeem.
type RedeemRequest struct {
	RewardID string `json:"reward_id" validate:"required,uuid" format:"uuid"`
} // @name RedeemRequest

// Redemption is a reward a customer took.
type Redemption struct {
	ID         string `json:"id" format:"uuid"`
	CustomerID string `json:"customer_id" format:"uuid"`
	RewardID   string `json:"reward_id" format:"uuid"`
	// Hand this to the customer.
	Code                string     `json:"code" example:"K7QXM-2HD9P"`
	Points              int64      `json:"points"`
	Status              string     `json:"status" enums:"active,cancelled"`
	TransactionID       string     `json:"transaction_id" format:"uuid"`
	CancelTransactionID *string    `json:"cancel_transaction_id" format:"uuid" extensions:"x-nullable"`
	CreatedAt           time.Time  `json:"created_at"`
	CancelledAt         *time.Time `json:"cancelled_at" extensions:"x-nullable"`
} // @name Redemption

func toReward(r loyalty.Reward) Reward {
	return Reward{ID: r.ID.String(), Name: r.Name, Description: r.Description, CostPoints: r.CostPoints, Stock: r.Stock, MinTier: r.MinTier, Active: r.Active,
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func toRedemption(r loyalty.Redemption) Redemption {
	out := Redemption{ID: r.ID.String(), CustomerID: r.CustomerID.String(), RewardID: r.RewardID.String(), Code: r.Code, Points: r.Points,
		Status: r.Status, TransactionID: r.TransactionID.String(), CreatedAt: r.CreatedAt, CancelledAt: r.CancelledAt}
	if r.CancelTransactionID != nil {
		id := r.CancelTransactionID.String()
		out.CancelTransactionID = &id
	}
	return out
}

func (in RewardInput) toDomain() loyalty.RewardInput {
	return loyalty.RewardInput{Name: in.Name, Description: in.Description, CostPoints: in.CostPoints, Stock: in.Stock, MinTier: in.MinTier, Active: in.Active}
}

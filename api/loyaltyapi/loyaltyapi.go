// Package loyaltyapi serves the loyalty program and the points ledger.
package loyaltyapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/loyalty"
)

// Program is the organization's loyalty program.
type Program struct {
	Active bool `json:"active"`
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
	Type   string `json:"type" validate:"required" enums:"earn,redeem,adjust,reverse"`
	Points int64  `json:"points,omitempty" example:"100"`
	// Required for earn by hand and for adjust.
	Reason string `json:"reason,omitempty" validate:"max=500"`
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

type handlers struct{ svc *loyalty.Service }

// Register mounts the loyalty routes.
func Register(g web.Routes, svc *loyalty.Service) {
	h := handlers{svc: svc}
	g.GET("/loyalty/program", h.getProgram, mid.Require(auth.LoyaltyRead))
	g.PUT("/loyalty/program", h.putProgram, mid.Require(auth.LoyaltyAdmin))
	g.GET("/customers/:id/loyalty", h.account, mid.Require(auth.LoyaltyRead))
	g.POST("/loyalty/simulate", h.simulate, mid.Require(auth.LoyaltyRead))
	g.POST("/loyalty/expire", h.expire, mid.Require(auth.LoyaltyAdmin))
	g.GET("/customers/:id/loyalty/transactions", h.transactions, mid.Require(auth.LoyaltyRead))
	g.POST("/customers/:id/loyalty/transactions", h.record, mid.Require(auth.LoyaltyWrite))
	g.GET("/loyalty/rewards", h.listRewards, mid.Require(auth.LoyaltyRead))
	g.POST("/loyalty/rewards", h.createReward, mid.Require(auth.LoyaltyAdmin))
	g.GET("/loyalty/rewards/:id", h.getReward, mid.Require(auth.LoyaltyRead))
	g.PUT("/loyalty/rewards/:id", h.putReward, mid.Require(auth.LoyaltyAdmin))
	g.GET("/customers/:id/loyalty/redemptions", h.redemptions, mid.Require(auth.LoyaltyRead))
	g.POST("/customers/:id/loyalty/redemptions", h.redeem, mid.Require(auth.LoyaltyWrite))
	g.POST("/customers/:id/loyalty/redemptions/:rid/cancel", h.cancelRedemption, mid.Require(auth.LoyaltyWrite))
}

// getProgram godoc
//
//	@Summary	The loyalty program
//	@Tags		loyalty
//	@Produce	json
//	@Security	BearerAuth
//	@Success	200	{object}	Program
//	@Failure	401,403,429,500,503	{object}	web.Problem
//	@Router		/loyalty/program [get]
func (h handlers) getProgram(c echo.Context) error {
	p, err := h.svc.Program(c.Request().Context(), mid.Principal(c).OrgID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toProgram(p))
}

// putProgram godoc
//
//	@Summary		Set the loyalty program (admins)
//	@Description	Applies to later transactions only.
//	@Tags			loyalty
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		Program	true	"The program"
//	@Success		200		{object}	Program
//	@Failure		400,401,403,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/loyalty/program [put]
func (h handlers) putProgram(c echo.Context) error {
	var req Program
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	rate, _ := decimal.NewFromString(req.PointsPerUnit) // validated
	in := loyalty.Program{Active: req.Active, PointsPerUnit: rate, Rounding: req.Rounding, MinRedemption: req.MinRedemption,
		TierWindowMonths: req.TierWindowMonths, ExpiryMonths: req.ExpiryMonths, Tiers: make([]loyalty.Tier, len(req.Tiers))}
	if in.TierWindowMonths == 0 {
		in.TierWindowMonths = 12
	}
	for i, t := range req.Tiers {
		m, _ := decimal.NewFromString(t.Multiplier) // validated
		in.Tiers[i] = loyalty.Tier{Name: t.Name, QualifyingPoints: t.QualifyingPoints, Multiplier: m, Benefits: t.Benefits}
	}
	p, err := h.svc.SetProgram(c.Request().Context(), mid.Principal(c).Actor(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toProgram(p))
}

// account godoc
//
//	@Summary	A customer's loyalty account
//	@Tags		loyalty
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Customer id"	format(uuid)
//	@Success	200	{object}	Account
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/loyalty [get]
func (h handlers) account(c echo.Context) error {
	id, err := web.PathID(c, customer.ErrNotFound)
	if err != nil {
		return err
	}
	st, err := h.svc.Standing(c.Request().Context(), mid.Principal(c).OrgID, id)
	if err != nil {
		return err
	}
	out := Account{CustomerID: id.String(), Balance: st.Balance, LifetimeEarned: st.LifetimeEarned, LifetimeRedeemed: st.LifetimeRedeemed,
		Tier: st.Current.Name, QualifyingPoints: st.QualifyingPoints, UpdatedAt: st.UpdatedAt,
		Expiring: Expiring{In30Days: st.Expiring[0], In60Days: st.Expiring[1], In90Days: st.Expiring[2]}}
	if st.Next != nil {
		out.NextTier = &NextTier{Name: st.Next.Name, PointsToGo: st.Next.QualifyingPoints - st.QualifyingPoints}
	}
	return c.JSON(http.StatusOK, out)
}

// transactions godoc
//
//	@Summary	A customer's points ledger, newest first
//	@Tags		loyalty
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id		path		string	true	"Customer id"	format(uuid)
//	@Param		limit	query		int		false	"Page size, 1 to 200"	default(50)
//	@Param		cursor	query		string	false	"next_cursor of the previous page"
//	@Param		sort	query		string	false	"Order"	Enums(created_at, -created_at)	default(-created_at)
//	@Success	200		{object}	web.Page{data=[]Transaction}
//	@Failure	400,401,403,404,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/loyalty/transactions [get]
func (h handlers) transactions(c echo.Context) error {
	id, err := web.PathID(c, customer.ErrNotFound)
	if err != nil {
		return err
	}
	q := web.NewQuery(c)
	req := q.Page([]string{"created_at"}, "-created_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.Transactions(c.Request().Context(), mid.Principal(c).OrgID, id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, toTransaction))
}

// record godoc
//
//	@Summary		Append to a customer's points ledger
//	@Description	earn (by hand, with a reason), redeem, adjust (admins; signed points, a reason), or reverse an
//	@Description	earlier transaction (once). Lines that add points are lots that expire after the program's
//	@Description	expiry_months; lines that take points use the lots expiring soonest first.
//	@Description	The balance never goes below zero, however many requests race:
//	@Description	an entry that would take it there answers 422 and writes nothing. Transactions are never
//	@Description	edited or deleted. An external_id recorded before answers 200 with that transaction.
//	@Tags			loyalty
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string				true	"Customer id"	format(uuid)
//	@Param			Idempotency-Key	header		string				false	"Makes a retry safe"
//	@Param			body			body		TransactionInput	true	"The entry"
//	@Success		201				{object}	Transaction
//	@Success		200				{object}	Transaction	"The transaction with this external_id, recorded before"
//	@Failure		400,401,403,404,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/customers/{id}/loyalty/transactions [post]
func (h handlers) record(c echo.Context) error {
	id, err := web.PathID(c, customer.ErrNotFound)
	if err != nil {
		return err
	}
	var in TransactionInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	p := mid.Principal(c)
	if in.Type == loyalty.Adjust {
		if err := auth.Require(p, auth.LoyaltyAdmin); err != nil {
			return err
		}
	}
	e := loyalty.Entry{Type: in.Type, Points: in.Points, Reason: in.Reason, ExternalID: in.ExternalID}
	if in.ReversesID != "" {
		r := uuid.MustParse(in.ReversesID) // validated
		e.ReversesID = &r
	}
	t, created, err := h.svc.Record(c.Request().Context(), p.Actor(), id, e)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, toTransaction(t))
}

// simulate godoc
//
//	@Summary		What a purchase would earn a customer
//	@Description	The points (amount × points_per_unit × the tier's multiplier, rounded as the program says), the
//	@Description	multiplier, and the tier before and after. Nothing is written.
//	@Tags			loyalty
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		SimulateRequest	true	"The purchase"
//	@Success		200		{object}	Simulation
//	@Failure		400,401,403,404,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/loyalty/simulate [post]
func (h handlers) simulate(c echo.Context) error {
	var req SimulateRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	amount, _ := decimal.NewFromString(req.Amount) // validated
	sim, err := h.svc.Simulate(c.Request().Context(), mid.Principal(c).OrgID, uuid.MustParse(req.CustomerID), amount)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Simulation{Active: sim.Active, Points: sim.Points, Multiplier: sim.Multiplier.String(),
		TierBefore: sim.TierBefore, TierAfter: sim.TierAfter})
}

// expire godoc
//
//	@Summary		Expire points now (admins)
//	@Description	Expires what the organization's lots have left past their expiry, as of as_of (default now):
//	@Description	one expire line per customer. The service also runs this hourly for every organization, one
//	@Description	instance at a time. Running it again for the same moment expires nothing more.
//	@Tags			loyalty
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		ExpireRequest	true	"When"
//	@Success		200		{object}	ExpireReport
//	@Failure		400,401,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/loyalty/expire [post]
func (h handlers) expire(c echo.Context) error {
	var req ExpireRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	var asOf time.Time // now
	if req.AsOf != nil {
		asOf = *req.AsOf
	}
	r, err := h.svc.Expire(c.Request().Context(), mid.Principal(c).Actor(), asOf)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ExpireReport{Customers: r.Customers, Points: r.Points})
}

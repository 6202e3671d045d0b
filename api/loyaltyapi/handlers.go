package loyaltyapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/loyalty"
)

// getProgram godoc
//
//	@Summary	The loyalty program
//	@ID			getLoyaltyProgram
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
//	@ID				setLoyaltyProgram
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
//	@ID			getCustomerLoyaltyAccount
//	@Tags		loyalty
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Customer id"	format(uuid)
//	@Success	200	{object}	Account
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/loyalty [get]
func (h handlers) account(c echo.Context) error {
	id, err := web.PathID(c)
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
//	@ID			listCustomerLoyaltyTransactions
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
	id, err := web.PathID(c)
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
//	@ID				createCustomerLoyaltyTransaction
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
	id, err := web.PathID(c)
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
		r := web.ParseID(in.ReversesID)
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
//	@ID				simulateLoyaltyEarning
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
	sim, err := h.svc.Simulate(c.Request().Context(), mid.Principal(c).OrgID, web.ParseID(req.CustomerID), amount)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Simulation{Active: sim.Active, Points: sim.Points, Multiplier: sim.Multiplier.String(),
		TierBefore: sim.TierBefore, TierAfter: sim.TierAfter})
}

// expire godoc
//
//	@Summary		Expire points now (admins)
//	@ID				expireLoyaltyPoints
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

// listRewards godoc
//
//	@Summary	The rewards catalogue
//	@ID			listRewards
//	@Tags		loyalty
//	@Produce	json
//	@Security	BearerAuth
//	@Param		active	query		bool	false	"Only active rewards"
//	@Param		limit	query		int		false	"Page size, 1 to 200"	default(50)
//	@Param		cursor	query		string	false	"next_cursor of the previous page"
//	@Param		sort	query		string	false	"Order"	Enums(created_at, -created_at)	default(-created_at)
//	@Success	200		{object}	web.Page{data=[]Reward}
//	@Failure	400,401,403,429,500,503	{object}	web.Problem
//	@Router		/loyalty/rewards [get]
func (h handlers) listRewards(c echo.Context) error {
	q := web.NewQuery(c, "active")
	active := web.Enum(q, "active", []string{"true", "false"}) == "true"
	req := q.Page([]string{"created_at"}, "-created_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.Rewards(c.Request().Context(), mid.Principal(c).OrgID, active, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, toReward))
}

// createReward godoc
//
//	@Summary	Add a reward (admins)
//	@ID			createReward
//	@Tags		loyalty
//	@Accept		json
//	@Produce	json
//	@Security	BearerAuth
//	@Param		Idempotency-Key	header		string		false	"Makes a retry safe"
//	@Param		body			body		RewardInput	true	"The reward"
//	@Success	201				{object}	Reward
//	@Header		201				{string}	Location	"The new reward's URL"
//	@Failure	400,401,403,413,415,422,429,500,503	{object}	web.Problem
//	@Router		/loyalty/rewards [post]
func (h handlers) createReward(c echo.Context) error {
	var in RewardInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	r, err := h.svc.CreateReward(c.Request().Context(), mid.Principal(c).Actor(), in.toDomain())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/loyalty/rewards/"+r.ID.String())
	return c.JSON(http.StatusCreated, toReward(r))
}

// getReward godoc
//
//	@Summary	Get a reward
//	@ID			getReward
//	@Tags		loyalty
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Reward id"	format(uuid)
//	@Success	200	{object}	Reward
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/loyalty/rewards/{id} [get]
func (h handlers) getReward(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	r, err := h.svc.Reward(c.Request().Context(), mid.Principal(c).OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toReward(r))
}

// putReward godoc
//
//	@Summary	Replace a reward (admins)
//	@ID			replaceReward
//	@Tags		loyalty
//	@Accept		json
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id		path		string		true	"Reward id"	format(uuid)
//	@Param		body	body		RewardInput	true	"The reward"
//	@Success	200		{object}	Reward
//	@Failure	400,401,403,404,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router		/loyalty/rewards/{id} [put]
func (h handlers) putReward(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	var in RewardInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	r, err := h.svc.UpdateReward(c.Request().Context(), mid.Principal(c).Actor(), id, in.toDomain())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toReward(r))
}

// redeem godoc
//
//	@Summary		Redeem a reward for a customer
//	@ID				createCustomerRedemption
//	@Description	Atomically checks the reward is active, in stock and within the customer's tier (min_tier),
//	@Description	takes its cost from the balance, takes
//	@Description	one from its stock and issues a unique code. Out of stock or not enough points answers 422
//	@Description	and nothing changes.
//	@Tags			loyalty
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"Customer id"	format(uuid)
//	@Param			Idempotency-Key	header		string			false	"Makes a retry safe"
//	@Param			body			body		RedeemRequest	true	"The reward"
//	@Success		201				{object}	Redemption
//	@Failure		400,401,403,404,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/customers/{id}/loyalty/redemptions [post]
func (h handlers) redeem(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	var req RedeemRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	r, err := h.svc.Redeem(c.Request().Context(), mid.Principal(c).Actor(), id, web.ParseID(req.RewardID))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toRedemption(r))
}

// redemptions godoc
//
//	@Summary	A customer's redemptions, newest first
//	@ID			listCustomerRedemptions
//	@Tags		loyalty
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id		path		string	true	"Customer id"	format(uuid)
//	@Param		limit	query		int		false	"Page size, 1 to 200"	default(50)
//	@Param		cursor	query		string	false	"next_cursor of the previous page"
//	@Param		sort	query		string	false	"Order"	Enums(created_at, -created_at)	default(-created_at)
//	@Success	200		{object}	web.Page{data=[]Redemption}
//	@Failure	400,401,403,404,429,500,503	{object}	web.Problem
//	@Router		/customers/{id}/loyalty/redemptions [get]
func (h handlers) redemptions(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	q := web.NewQuery(c)
	req := q.Page([]string{"created_at"}, "-created_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.Redemptions(c.Request().Context(), mid.Principal(c).OrgID, id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, toRedemption))
}

// cancelRedemption godoc
//
//	@Summary		Cancel a redemption
//	@ID				cancelCustomerRedemption
//	@Description	Gives back the points (a reverse of the redemption's transaction) and the stock.
//	@Tags			loyalty
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"Customer id"	format(uuid)
//	@Param			rid		path		string	true	"Redemption id"	format(uuid)
//	@Success		200		{object}	Redemption
//	@Failure		401,403,404,409,429,500,503	{object}	web.Problem
//	@Router			/customers/{id}/loyalty/redemptions/{rid}/cancel [post]
func (h handlers) cancelRedemption(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	rid, err := web.PathUUID(c, "rid")
	if err != nil {
		return err
	}
	r, err := h.svc.CancelRedemption(c.Request().Context(), mid.Principal(c).Actor(), id, rid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toRedemption(r))
}

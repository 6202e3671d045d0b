package loyaltyapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/customer"
	"github.com/rapportcrm/rapport/pkg/loyalty"
)

// RewardInput is a reward's writable fields.
type RewardInput struct {
	Name        string `json:"name" validate:"required,max=200" example:"Free coffee"`
	Description string `json:"description,omitempty" validate:"max=5000"`
	CostPoints  int64  `json:"cost_points" example:"250"`
	// What is left to give; absent or null for unlimited.
	Stock *int64 `json:"stock,omitempty" example:"100"`
	// A tier of the program: the reward is for its customers and those above; empty for everyone.
	MinTier string `json:"min_tier,omitempty" validate:"max=100" example:"Gold"`
	Active  bool   `json:"active"`
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

// listRewards godoc
//
//	@Summary	The rewards catalogue
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
//	@Tags		loyalty
//	@Accept		json
//	@Produce	json
//	@Security	BearerAuth
//	@Param		Idempotency-Key	header		string		false	"Makes a retry safe"
//	@Param		body			body		RewardInput	true	"The reward"
//	@Success	201				{object}	Reward
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
//	@Tags		loyalty
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Reward id"	format(uuid)
//	@Success	200	{object}	Reward
//	@Failure	401,403,404,429,500,503	{object}	web.Problem
//	@Router		/loyalty/rewards/{id} [get]
func (h handlers) getReward(c echo.Context) error {
	id, err := web.PathID(c, loyalty.ErrRewardNotFound)
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
	id, err := web.PathID(c, loyalty.ErrRewardNotFound)
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
	id, err := web.PathID(c, customer.ErrNotFound)
	if err != nil {
		return err
	}
	var req RedeemRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	r, err := h.svc.Redeem(c.Request().Context(), mid.Principal(c).Actor(), id, uuid.MustParse(req.RewardID))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toRedemption(r))
}

// redemptions godoc
//
//	@Summary	A customer's redemptions, newest first
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
	id, err := web.PathID(c, customer.ErrNotFound)
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
	id, err := web.PathID(c, customer.ErrNotFound)
	if err != nil {
		return err
	}
	rid, err := uuid.Parse(c.Param("rid"))
	if err != nil {
		return loyalty.ErrRedemptionNotFound
	}
	r, err := h.svc.CancelRedemption(c.Request().Context(), mid.Principal(c).Actor(), id, rid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toRedemption(r))
}

package analyticsapi

import (
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/feedbackapi"
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/pkg/feedback"
)

// SourceCAC is the acquisition cost of one source's new customers.
type SourceCAC struct {
	NewCustomers int `json:"new_customers"`
	// Of them, those with an acquisition cost in the organization's currency.
	WithCost int      `json:"with_cost"`
	Cost     float64  `json:"cost"`
	CAC      *float64 `json:"cac" extensions:"x-nullable"`
} // @name SourceCAC

// KPIs answers GET /v1/analytics/kpis. Ratios are null when their denominator is 0.
type KPIs struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Currency string    `json:"currency"`
	// Live customers created before to.
	CustomersTotal int `json:"customers_total"`
	// Created in the period.
	NewCustomers int `json:"new_customers"`
	// Bought in the period.
	ActiveCustomers int `json:"active_customers"`
	// Status changes to churned and to won_back recorded in the period.
	Churned int `json:"churned"`
	WonBack int `json:"won_back"`
	// Of the customers who bought in the equally long period before, the share who bought in this one.
	RetentionRate *float64 `json:"retention_rate" extensions:"x-nullable"`
	ChurnRate     *float64 `json:"churn_rate" extensions:"x-nullable"`
	// Buyers of the period who bought 2+ times in it / buyers.
	RepeatPurchaseRate *float64 `json:"repeat_purchase_rate" extensions:"x-nullable"`
	Orders             int      `json:"orders"`
	// Net revenue of the period's purchases.
	Revenue           float64  `json:"revenue"`
	AverageOrderValue *float64 `json:"average_order_value" extensions:"x-nullable"`
	// Orders per buyer.
	PurchaseFrequency *float64 `json:"purchase_frequency" extensions:"x-nullable"`
	// Acquisition costs of the period's new customers / those of them with a cost.
	CAC         *float64             `json:"cac" extensions:"x-nullable"`
	CACBySource map[string]SourceCAC `json:"cac_by_source"`
	// The mean CLV of the latest fit / CAC; null without a fit or a CAC.
	CLVToCAC *float64 `json:"clv_to_cac" extensions:"x-nullable"`
	// Feedback created in the period: NPS, CSAT, CES and complaint handling (as /v1/feedback/stats).
	Feedback feedbackapi.FeedbackStats `json:"feedback"`
} // @name KPIs

// kpis godoc
//
//	@Summary		Key figures over a period
//	@Description	Over [from, to) (default: the 30 days before as_of, itself default now); nothing after to counts. Purchases count as for RFM (completed, in
//	@Description	the organization's currency, net of refunds, by live customers).
//	@Tags			analytics
//	@Produce		json
//	@Security		BearerAuth
//	@Param			from	query		string	false	"Start, inclusive (RFC 3339)"	format(date-time)
//	@Param			to		query		string	false	"End, exclusive (RFC 3339); default as_of, and not after it"	format(date-time)
//	@Param			as_of	query		string	false	"The moment of the figures (RFC 3339); default now"	format(date-time)
//	@Success		200		{object}	KPIs
//	@Failure		400,401,403,422,429,500,503	{object}	web.Problem
//	@Router			/analytics/kpis [get]
func (h handlers) kpis(c echo.Context) error {
	from, to, _, err := period(c)
	if err != nil {
		return err
	}
	ctx, actor := c.Request().Context(), mid.Principal(c).Actor()
	k, err := h.svc.KPIs(ctx, actor, from, to)
	if err != nil {
		return err
	}
	fb, err := h.feedback.Stats(ctx, actor.OrgID, feedback.StatsQuery{From: from, To: to})
	if err != nil {
		return err
	}
	f := k.Facts
	out := KPIs{From: k.From, To: k.To, Currency: k.Currency, CustomersTotal: f.TotalCustomers, NewCustomers: f.NewCustomers,
		ActiveCustomers: f.ActiveCustomers, Churned: f.Churned, WonBack: f.WonBack, RetentionRate: k.RetentionRate,
		ChurnRate: k.ChurnRate, RepeatPurchaseRate: k.RepeatPurchaseRate, Orders: f.Orders, Revenue: round2(f.Revenue),
		AverageOrderValue: k.AverageOrderValue, PurchaseFrequency: k.PurchaseFrequency, CAC: k.CAC,
		CACBySource: map[string]SourceCAC{}, CLVToCAC: k.CLVToCAC, Feedback: feedbackapi.ToStats(fb.Overall)}
	for src, s := range f.Sources {
		out.CACBySource[src] = SourceCAC{NewCustomers: s.Customers, WithCost: s.WithCost, Cost: round2(s.Cost), CAC: k.CACBySource[src]}
	}
	return c.JSON(http.StatusOK, out)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

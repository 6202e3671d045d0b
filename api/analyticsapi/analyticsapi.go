// Package analyticsapi serves /v1/analytics/* and /v1/jobs/{id}: the long analyses start as jobs
// (202 with a Location to poll) and store their results, which the GET endpoints read at once.
package analyticsapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/auth"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/job"
)

// Job is a background job.
type Job struct {
	ID     string `json:"id" format:"uuid"`
	Type   string `json:"type" enums:"analytics.segmentation,analytics.clv_fit"`
	Status string `json:"status" enums:"queued,running,succeeded,failed"`
	// From 0 to 1.
	Progress float64 `json:"progress"`
	// What the job answered once succeeded (the run's summary); null before.
	Result any `json:"result" extensions:"x-nullable"`
	// Why the job failed; null unless it did.
	Error      *string    `json:"error" extensions:"x-nullable"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at" extensions:"x-nullable"`
} // @name Job

func toJob(j job.Job) Job {
	out := Job{ID: j.ID.String(), Type: j.Type, Status: string(j.Status), Progress: j.Progress, CreatedAt: j.CreatedAt,
		FinishedAt: j.FinishedAt}
	if len(j.Result) > 0 && string(j.Result) != "null" {
		out.Result = json.RawMessage(j.Result)
	}
	if j.Error != "" {
		out.Error = &j.Error
	}
	return out
}

type handlers struct {
	svc      *analytics.Service
	jobs     *job.Runner
	feedback *feedback.Service
}

// Register mounts the analytics and job routes; the KPIs include the feedback figures.
func Register(g web.Routes, svc *analytics.Service, jobs *job.Runner, fb *feedback.Service) {
	h := handlers{svc: svc, jobs: jobs, feedback: fb}
	g.GET("/jobs/:id", h.getJob, mid.Require(auth.AnalyticsRead))
	g.POST("/analytics/rfm/run", h.runSegmentation, mid.Require(auth.AnalyticsAdmin))
	g.GET("/analytics/rfm", h.rfm, mid.Require(auth.AnalyticsRead))
	g.GET("/analytics/pareto", h.pareto, mid.Require(auth.AnalyticsRead))
	g.POST("/analytics/clv/fit", h.fitCLV, mid.Require(auth.AnalyticsAdmin))
	g.GET("/analytics/clv", h.clv, mid.Require(auth.AnalyticsRead))
	g.GET("/analytics/loyalty-matrix", h.matrix, mid.Require(auth.AnalyticsRead))
	g.GET("/analytics/churn", h.churn, mid.Require(auth.AnalyticsRead))
	g.POST("/analytics/churn/apply", h.applyChurn, mid.Require(auth.AnalyticsAdmin))
	g.GET("/analytics/ladder", h.ladder, mid.Require(auth.AnalyticsRead))
	g.POST("/analytics/ladder/apply", h.applyLadder, mid.Require(auth.AnalyticsAdmin))
	g.GET("/analytics/kpis", h.kpis, mid.Require(auth.AnalyticsRead))
}

// getJob godoc
//
//	@Summary	A background job: its status, progress and result
//	@Tags		jobs
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Job id"	format(uuid)
//	@Success	200	{object}	Job
//	@Failure	400,401,403,404,429,500,503	{object}	web.Problem
//	@Router		/jobs/{id} [get]
func (h handlers) getJob(c echo.Context) error {
	id, err := web.PathID(c, job.ErrNotFound)
	if err != nil {
		return err
	}
	j, err := h.jobs.Get(c.Request().Context(), mid.Principal(c).OrgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJob(j))
}

func accepted(c echo.Context, j job.Job, err error) error {
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/v1/jobs/"+j.ID.String())
	return c.JSON(http.StatusAccepted, toJob(j))
}

// asOfQuery reads the as_of parameter of a report, with the report's other parameters.
func asOfQuery(c echo.Context, more ...string) (*web.Query, *time.Time) {
	q := web.NewQuery(c, append([]string{"as_of"}, more...)...)
	return q, q.Time("as_of")
}

// RunRequest starts a segmentation run.
type RunRequest struct {
	// The moment the analysis looks from (RFC 3339); default now. Purchases after it are ignored.
	AsOf *time.Time `json:"as_of" extensions:"x-nullable"`
} // @name AnalyticsRunRequest

// runSegmentation godoc
//
//	@Summary		Start a segmentation run: RFM scores and value tiers (admins)
//	@Description	A job (202; poll Location). Over the organization's live customers with purchases
//	@Description	(completed, in the organization's currency, net of refunds, at or before as_of):
//	@Description	recency = days since the last purchase, frequency = number of purchases, monetary = net
//	@Description	spend. Each is scored 1–5 by quintile (ntile(5) over the customers ordered by the value, ties
//	@Description	broken by customer id; recency reversed, so the most recent score 5). The R×F grid names the
//	@Description	segment: R 5 F 4–5 champions; R 3–4 F 4–5 loyal_customers; R 4–5 F 2–3 potential_loyalists;
//	@Description	R 5 F 1 new_customers; R 4 F 1 promising; R 3 F 3 need_attention; R 3 F 1–2 about_to_sleep;
//	@Description	R 1–2 F 3–4 at_risk; R 1–2 F 5 cant_lose; R 1–2 F 1–2 hibernating. The top 20% of customers by
//	@Description	revenue in the 12 months before as_of become key accounts. Replaces the scores on the customers
//	@Description	(rfm on the customer, rfm_segment= in lists) and stores the report for GET /v1/analytics/rfm
//	@Description	and /v1/analytics/pareto.
//	@Tags			analytics
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		RunRequest	true	"As of when"
//	@Success		202		{object}	Job
//	@Header			202		{string}	Location	"The job's URL"
//	@Failure		400,401,403,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/analytics/rfm/run [post]
func (h handlers) runSegmentation(c echo.Context) error {
	var req RunRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	j, err := h.svc.StartSegmentation(c.Request().Context(), mid.Principal(c).Actor(), req.AsOf)
	return accepted(c, j, err)
}

// rfm godoc
//
//	@Summary		The RFM segmentation: segment counts, revenue shares and score cut-offs
//	@Description	The stored report of the segmentation run as of as_of, or of the latest run; 404 before the
//	@Description	first run (POST /v1/analytics/rfm/run). revenue_share = the segment's net spend / all
//	@Description	customers' net spend. cutoffs give the range of values that received each score.
//	@Tags			analytics
//	@Produce		json
//	@Security		BearerAuth
//	@Param			as_of	query		string	false	"The run's as_of (RFC 3339); default the latest run"	format(date-time)
//	@Success		200		{object}	analytics.Segmentation
//	@Failure		400,401,403,404,429,500,503	{object}	web.Problem
//	@Router			/analytics/rfm [get]
func (h handlers) rfm(c echo.Context) error {
	seg, err := stored(c, h.svc.Segmentation)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, seg)
}

// stored reads a stored run as of the as_of parameter (or the latest) with read.
func stored[T any](c echo.Context, read func(context.Context, event.Actor, *time.Time) (T, error)) (T, error) {
	q, asOf := asOfQuery(c)
	if err := q.Err(); err != nil {
		var zero T
		return zero, err
	}
	return read(c.Request().Context(), mid.Principal(c).Actor(), asOf)
}

// pareto godoc
//
//	@Summary		Value tiers: the 80/20 rule, the Lorenz curve and the Gini coefficient
//	@Description	From the segmentation run as of as_of (or the latest), over the customers with net revenue in the
//	@Description	12 months before as_of. The Lorenz curve orders them by that revenue, ascending: the point at
//	@Description	percentile k is the share of revenue of the poorest k% of customers. Gini =
//	@Description	2·Σ i·v_i / (n·Σ v) − (n+1)/n over the ascending ranks i (0: all equal; near 1: one customer
//	@Description	brings everything). top_20_percent_share = the share of revenue of the top ⌈n/5⌉ customers, who
//	@Description	are the key accounts.
//	@Tags			analytics
//	@Produce		json
//	@Security		BearerAuth
//	@Param			as_of	query		string	false	"The run's as_of (RFC 3339); default the latest run"	format(date-time)
//	@Success		200		{object}	analytics.Pareto
//	@Failure		400,401,403,404,429,500,503	{object}	web.Problem
//	@Router			/analytics/pareto [get]
func (h handlers) pareto(c echo.Context) error {
	seg, err := stored(c, h.svc.Segmentation)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, seg.Pareto)
}

// FitRequest starts a lifetime-value fit.
type FitRequest struct {
	// The moment the models look from (RFC 3339); default now.
	AsOf *time.Time `json:"as_of" extensions:"x-nullable"`
	// The CLV horizon in months, 1 to 120; default 12.
	HorizonMonths *int `json:"horizon_months" extensions:"x-nullable" example:"12"`
	// The monthly discount rate, from 0 to below 1; default 0.01.
	MonthlyDiscountRate *float64 `json:"monthly_discount_rate" extensions:"x-nullable" example:"0.01"`
	// Loyalty-matrix cut-offs: loyal means P(alive) ≥ loyal_p_alive (default 0.5) and a tenure of at
	// least loyal_min_tenure_weeks (default 26) since the first purchase.
	LoyalPAlive         *float64 `json:"loyal_p_alive" extensions:"x-nullable" example:"0.5"`
	LoyalMinTenureWeeks *float64 `json:"loyal_min_tenure_weeks" extensions:"x-nullable" example:"26"`
	// Profitable means a CLV of at least this; default the median CLV of the scored customers.
	ProfitableCLV *float64 `json:"profitable_clv" extensions:"x-nullable"`
} // @name CLVFitRequest

func orDefault[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// fitCLV godoc
//
//	@Summary		Fit the lifetime-value models and score every customer (admins)
//	@Description	A job (202; poll Location). Purchases as for RFM, merged by UTC day. Per customer: x = repeat
//	@Description	purchase days (distinct days − 1), t_x = weeks from the first to the last purchase day, T = weeks
//	@Description	from the first purchase day to as_of, m = mean net value of the repeat days.
//	@Description	BG/NBD (Fader, Hardie & Lee 2005): while alive a customer buys at Poisson rate λ ~ Gamma(r, α);
//	@Description	after each purchase drops out with probability p ~ Beta(a, b). Gamma-Gamma (Fader, Hardie & Lee
//	@Description	2005b) for spend, fitted on repeat buyers with m > 0. Both by maximum likelihood (log-space
//	@Description	likelihoods with log-gamma and log-sum-exp; Nelder-Mead over log-parameters, gonum/optimize);
//	@Description	verified against the published CDNOW estimates. Per customer: P(alive) = 1/(1 + [x>0]·a/(b+x−1)·
//	@Description	((α+T)/(α+t_x))^(r+x)); churn_risk = 1 − P(alive); E[Y(t)] = (a+b+x−1)/(a−1)·[1 −
//	@Description	((α+T)/(α+T+t))^(r+x)·₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]·P(alive) for the next 90 and 365 days;
//	@Description	E[M] = p(γ + x·m)/(px + q − 1); CLV = Σ_{k=1..H} E[M]·(E[Y(k months)] − E[Y(k−1 months)])/(1+d)^k.
//	@Description	The loyalty matrix (Reinartz & Kumar): loyal = P(alive) ≥ loyal_p_alive and tenure ≥
//	@Description	loyal_min_tenure_weeks; profitable = CLV ≥ profitable_clv; true_friend (both), butterfly
//	@Description	(profitable only), barnacle (loyal only), stranger (neither). Fails (job error) with fewer than 2
//	@Description	repeat buyers.
//	@Tags			analytics
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		FitRequest	true	"As of when, the horizon and the cut-offs"
//	@Success		202		{object}	Job
//	@Header			202		{string}	Location	"The job's URL"
//	@Failure		400,401,403,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/analytics/clv/fit [post]
func (h handlers) fitCLV(c echo.Context) error {
	var req FitRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	p := analytics.CLVParams{HorizonMonths: orDefault(req.HorizonMonths, analytics.DefaultHorizonMonths),
		MonthlyDiscountRate: orDefault(req.MonthlyDiscountRate, analytics.DefaultMonthlyDiscountRate),
		LoyalPAlive:         orDefault(req.LoyalPAlive, analytics.DefaultLoyalPAlive),
		LoyalMinTenureWeeks: orDefault(req.LoyalMinTenureWeeks, analytics.DefaultLoyalMinTenureWeeks), ProfitableCLV: req.ProfitableCLV}
	j, err := h.svc.StartCLVFit(c.Request().Context(), mid.Principal(c).Actor(), p, req.AsOf)
	return accepted(c, j, err)
}

// clv godoc
//
//	@Summary		The lifetime-value models: parameters, fit and the distribution of predictions
//	@Description	The stored fit as of as_of, or the latest; 404 before the first (POST /v1/analytics/clv/fit).
//	@Description	Distributions are over the scored customers (quantiles by linear interpolation).
//	@Tags			analytics
//	@Produce		json
//	@Security		BearerAuth
//	@Param			as_of	query		string	false	"The fit's as_of (RFC 3339); default the latest fit"	format(date-time)
//	@Success		200		{object}	analytics.CLVFit
//	@Failure		400,401,403,404,429,500,503	{object}	web.Problem
//	@Router			/analytics/clv [get]
func (h handlers) clv(c echo.Context) error {
	fit, err := stored(c, h.svc.CLVFit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fit)
}

// Matrix is the loyalty/profitability matrix of a fit.
type Matrix struct {
	AsOf                time.Time                   `json:"as_of"`
	LoyalPAlive         float64                     `json:"loyal_p_alive"`
	LoyalMinTenureWeeks float64                     `json:"loyal_min_tenure_weeks"`
	ProfitableCLV       float64                     `json:"profitable_clv"`
	Quadrants           []analytics.QuadrantFigures `json:"quadrants"`
} // @name LoyaltyMatrix

// matrix godoc
//
//	@Summary		Reinartz & Kumar's loyalty/profitability matrix
//	@Description	From the fit as of as_of (or the latest): per quadrant the customers, their past net revenue,
//	@Description	their CLV and the recommended action, with the cut-offs used (see POST /v1/analytics/clv/fit;
//	@Description	refit with other cut-offs to move them). Each customer's quadrant is value.loyalty_quadrant.
//	@Tags			analytics
//	@Produce		json
//	@Security		BearerAuth
//	@Param			as_of	query		string	false	"The fit's as_of (RFC 3339); default the latest fit"	format(date-time)
//	@Success		200		{object}	Matrix
//	@Failure		400,401,403,404,429,500,503	{object}	web.Problem
//	@Router			/analytics/loyalty-matrix [get]
func (h handlers) matrix(c echo.Context) error {
	fit, err := stored(c, h.svc.CLVFit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Matrix{AsOf: fit.AsOf, LoyalPAlive: fit.Params.LoyalPAlive, LoyalMinTenureWeeks: fit.Params.LoyalMinTenureWeeks,
		ProfitableCLV: fit.ProfitableCLV, Quadrants: fit.Quadrants})
}

// AtRisk is a customer worth winning back.
type AtRisk struct {
	CustomerID           string    `json:"customer_id" format:"uuid"`
	ChurnRisk            float64   `json:"churn_risk"`
	Revenue              float64   `json:"revenue"`
	CLV                  float64   `json:"clv"`
	LastPurchaseDay      time.Time `json:"last_purchase_day"`
	ExpectedPurchases365 float64   `json:"expected_purchases_365d"`
} // @name AtRiskCustomer

// ChurnReport answers GET /v1/analytics/churn.
type ChurnReport struct {
	AsOf      time.Time `json:"as_of"`
	ModelAsOf time.Time `json:"model_as_of"`
	// Customers with churn_risk ≥ min_risk and past net revenue ≥ min_revenue (the 80th percentile of
	// the scored customers'), the most recently lapsed first (at most limit).
	AtRisk      []AtRisk `json:"at_risk"`
	AtRiskTotal int      `json:"at_risk_total"`
	MinRevenue  float64  `json:"min_revenue"`
	// Per month: of the customers who bought in the month before, the share who bought again.
	Retention []analytics.PeriodRetention `json:"retention"`
	// Per first-purchase month: the share of its customers buying in each month since.
	Cohorts []analytics.Cohort `json:"cohorts"`
	// Active customers whose churn_risk ≥ churned_risk: the rule to mark them churned
	// (POST /v1/analytics/churn/apply). A churned customer who buys again becomes won_back.
	ShouldChurn      []string `json:"should_churn"`
	ShouldChurnTotal int      `json:"should_churn_total"`
} // @name ChurnReport

// churn godoc
//
//	@Summary		Churn: customers worth winning back, retention and cohorts
//	@Description	Churn risk = 1 − P(alive) from the latest lifetime-value fit. The retention figures come from the
//	@Description	segmentation run as of as_of (or the latest; 404 without one): retention for month m =
//	@Description	customers who bought in m−1 and in m / customers who bought in m−1; churn rate = 1 − that
//	@Description	(null without buyers in m−1); the cohort table holds the first-purchase months among the last
//	@Description	months months, each with the share of its customers buying in each month since.
//	@Tags			analytics
//	@Produce		json
//	@Security		BearerAuth
//	@Param			as_of			query		string	false	"The segmentation run's as_of (RFC 3339); default the latest run"	format(date-time)
//	@Param			min_risk		query		number	false	"At-risk threshold, 0 to 1"	default(0.5)
//	@Param			churned_risk	query		number	false	"Churn rule threshold, 0 to 1"	default(0.9)
//	@Param			months			query		int		false	"Months of retention, 1 to 24"	default(12)
//	@Param			limit			query		int		false	"Customers listed, 1 to 500"	default(50)
//	@Success		200				{object}	ChurnReport
//	@Failure		400,401,403,404,429,500,503	{object}	web.Problem
//	@Router			/analytics/churn [get]
func (h handlers) churn(c echo.Context) error {
	q, asOf := asOfQuery(c, "min_risk", "churned_risk", "months")
	cq := analytics.ChurnQuery{AsOf: asOf, MinRisk: orDefault(q.Float("min_risk", 0, 1), analytics.DefaultMinRisk),
		ChurnedRisk: orDefault(q.Float("churned_risk", 0, 1), analytics.DefaultChurnedRisk),
		Months:      orDefault(q.Int("months", 1, analytics.RetentionMonths), analytics.DefaultMonths), Limit: orDefault(q.Int("limit", 1, 500), 50)}
	if err := q.Err(); err != nil {
		return err
	}
	r, err := h.svc.Churn(c.Request().Context(), mid.Principal(c).Actor(), cq)
	if err != nil {
		return err
	}
	out := ChurnReport{AsOf: r.AsOf, ModelAsOf: r.ModelAsOf, AtRisk: []AtRisk{}, AtRiskTotal: r.AtRiskTotal, MinRevenue: r.MinRevenue,
		Retention: r.Retention, Cohorts: r.Cohorts, ShouldChurn: []string{}, ShouldChurnTotal: r.ChurnedTotal}
	if out.Cohorts == nil {
		out.Cohorts = []analytics.Cohort{}
	}
	for _, s := range r.AtRisk {
		out.AtRisk = append(out.AtRisk, AtRisk{CustomerID: s.CustomerID.String(), ChurnRisk: 1 - s.PAlive, Revenue: s.Revenue,
			CLV: s.CLV, LastPurchaseDay: s.LastPurchaseAt, ExpectedPurchases365: s.ExpectedPurchases365})
	}
	for _, id := range r.ShouldChurn {
		out.ShouldChurn = append(out.ShouldChurn, id.String())
	}
	return c.JSON(http.StatusOK, out)
}

// ApplyRequest applies the ladder or churn rules.
type ApplyRequest struct {
	// Only list what would change; default true.
	DryRun *bool `json:"dry_run" extensions:"x-nullable"`
	// Change at most this many customers (1 to 1000); default 1000.
	Limit *int `json:"limit" extensions:"x-nullable" validate:"omitempty,min=1,max=1000"`
	// Ladder: the moment the rules look from; default now.
	AsOf *time.Time `json:"as_of" extensions:"x-nullable"`
	// Churn: the churn-risk threshold, 0 to 1; default 0.9.
	MinRisk *float64 `json:"min_risk" extensions:"x-nullable" validate:"omitempty,min=0,max=1"`
} // @name RuleApplyRequest

// ApplyResult lists the changes made (or, in a dry run, that would be made).
type ApplyResult struct {
	DryRun  bool               `json:"dry_run"`
	Changes []analytics.Change `json:"changes"`
	// How many customers qualify in all (more than changes when limit cut the list).
	Total int `json:"total"`
} // @name RuleApplyResult

func (h handlers) applied(c echo.Context, dryRun bool, changes []analytics.Change, total int, err error) error {
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []analytics.Change{}
	}
	return c.JSON(http.StatusOK, ApplyResult{DryRun: dryRun, Changes: changes, Total: total})
}

// applyChurn godoc
//
//	@Summary		Mark the customers that the churn rule names as churned (admins; dry run by default)
//	@Description	The rule: an active customer whose churn risk in the latest fit is at least min_risk becomes
//	@Description	churned (each change records customer.updated and customer.status_changed). A churned customer
//	@Description	who buys again becomes won_back automatically.
//	@Tags			analytics
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		ApplyRequest	true	"dry_run, limit, min_risk"
//	@Success		200		{object}	ApplyResult
//	@Failure		400,401,403,404,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/analytics/churn/apply [post]
func (h handlers) applyChurn(c echo.Context) error {
	var req ApplyRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	dry := orDefault(req.DryRun, true)
	changes, total, err := h.svc.ApplyChurn(c.Request().Context(), mid.Principal(c).Actor(),
		orDefault(req.MinRisk, analytics.DefaultChurnedRisk), orDefault(req.Limit, 1000), dry)
	return h.applied(c, dry, changes, total, err)
}

// ladder godoc
//
//	@Summary		The loyalty ladder: customers per stage and the moves between stages
//	@Description	stages counts the live customers per lifecycle stage as of as_of (default now; a past as_of
//	@Description	counts the customers created by then, at the stage they left in their first move after it);
//	@Description	moves counts the stage changes recorded in [from, to) (customer.lifecycle_stage_changed events:
//	@Description	edits, promotions by purchases and by the ladder rules). Default period: the 30 days before as_of.
//	@Tags			analytics
//	@Produce		json
//	@Security		BearerAuth
//	@Param			from	query		string	false	"Start, inclusive (RFC 3339)"	format(date-time)
//	@Param			to		query		string	false	"End, exclusive (RFC 3339); default as_of, and not after it"	format(date-time)
//	@Param			as_of	query		string	false	"The moment of the figures (RFC 3339); default now"	format(date-time)
//	@Success		200		{object}	analytics.Ladder
//	@Failure		400,401,403,422,429,500,503	{object}	web.Problem
//	@Router			/analytics/ladder [get]
func (h handlers) ladder(c echo.Context) error {
	from, to, asOf, err := period(c)
	if err != nil {
		return err
	}
	l, err := h.svc.Ladder(c.Request().Context(), mid.Principal(c).Actor(), from, to, asOf)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

// period reads from and to; default the 30 days before now.
// period reads from, to and as_of: as_of defaults to now, to to as_of (and may not be after it),
// from to 30 days before to. It answers as_of as given (nil: now).
func period(c echo.Context) (from, to time.Time, asOf *time.Time, err error) {
	q := web.NewQuery(c, "from", "to", "as_of")
	f, t := q.Time("from"), q.Time("to")
	asOf = q.Time("as_of")
	if err := q.Err(); err != nil {
		return from, to, nil, err
	}
	end := orDefault(asOf, time.Now().UTC())
	to = orDefault(t, end).UTC()
	if to.After(end) {
		return from, to, nil, apperr.Invalid(apperr.FieldError{Field: "to", Message: "must not be after as_of"})
	}
	return orDefault(f, to.AddDate(0, 0, -30)).UTC(), to, asOf, nil
}

// applyLadder godoc
//
//	@Summary		Promote customers up the loyalty ladder by the suggested rules (admins; dry run by default)
//	@Description	Rules, one rung per call: first_purchase (prospect with a purchase → customer),
//	@Description	repeat_purchase (customer who bought on 2+ days → client), promoter (client whose latest NPS
//	@Description	answer is 9–10 → supporter), referral (supporter still a promoter who referred a customer, by
//	@Description	referred_by_id → advocate). Purchases count as for RFM, up to as_of. Customers only move up;
//	@Description	each change records customer.updated and customer.lifecycle_stage_changed.
//	@Tags			analytics
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		ApplyRequest	true	"dry_run, limit, as_of"
//	@Success		200		{object}	ApplyResult
//	@Failure		400,401,403,409,413,415,422,429,500,503	{object}	web.Problem
//	@Router			/analytics/ladder/apply [post]
func (h handlers) applyLadder(c echo.Context) error {
	var req ApplyRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	dry := orDefault(req.DryRun, true)
	changes, total, err := h.svc.ApplyLadder(c.Request().Context(), mid.Principal(c).Actor(), req.AsOf, orDefault(req.Limit, 1000), dry)
	return h.applied(c, dry, changes, total, err)
}

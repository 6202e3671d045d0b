package analyticsapi

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rapportcrm/rapport/api/feedbackapi"
	"github.com/rapportcrm/rapport/api/mid"
	"github.com/rapportcrm/rapport/api/web"
	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/chart"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/feedback"
	"github.com/rapportcrm/rapport/pkg/job"
)

// getJob godoc
//
//	@Summary	A background job: its status, progress and result
//	@ID			getJob
//	@Tags		jobs
//	@Produce	json
//	@Security	BearerAuth
//	@Param		id	path		string	true	"Job id"	format(uuid)
//	@Success	200	{object}	Job
//	@Failure	400,401,403,404,429,500,503	{object}	web.Problem
//	@Router		/jobs/{id} [get]
func (h handlers) getJob(c echo.Context) error {
	id, err := web.PathID(c)
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
	return q, q.TimeSince("as_of", web.ReportEpoch)
}

// runSegmentation godoc
//
//	@Summary		Start a segmentation run: RFM scores and value tiers (admins)
//	@ID				runRfmSegmentation
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
//	@Description	and /v1/analytics/pareto. A run identical to one still queued or running (the same as_of,
//	@Description	or neither gives one) answers that job.
//	@Tags			analytics
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		RunRequest	true	"As of when"
//	@Success		202		{object}	Job
//	@Header			202		{string}	Location	"The job's URL"
//	@Failure		400,401,403,413,415,422,500,503	{object}	web.Problem
//	@Failure		429		{object}	web.Problem	"Too many requests, or the organization already has 3 jobs queued or running (one of them must finish first)"
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
//	@ID				getRfmSegmentation
//	@Description	The stored report of the segmentation run as of as_of, or of the latest run; 404 before the
//	@Description	first run (POST /v1/analytics/rfm/run). revenue_share = the segment's net spend / all
//	@Description	customers' net spend. cutoffs give the range of values that received each score.
//	@Description	With Accept: image/svg+xml or image/png, the R×F grid as a heat map of the segments (800 px wide).
//	@Tags			analytics
//	@Produce		json,image/svg+xml,image/png
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
	return web.Report(c, seg, func() chart.Chart { return rfmChart(seg) })
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
//	@ID				getPareto
//	@Description	From the segmentation run as of as_of (or the latest), over the customers with net revenue in the
//	@Description	12 months before as_of. The Lorenz curve orders them by that revenue, ascending: the point at
//	@Description	percentile k is the share of revenue of the poorest k% of customers. Gini =
//	@Description	2·Σ i·v_i / (n·Σ v) − (n+1)/n over the ascending ranks i (0: all equal; near 1: one customer
//	@Description	brings everything). top_20_percent_share = the share of revenue of the top ⌈n/5⌉ customers, who
//	@Description	are the key accounts.
//	@Description	With Accept: image/svg+xml or image/png, the Lorenz curve with the 80/20 point marked (800 px wide).
//	@Tags			analytics
//	@Produce		json,image/svg+xml,image/png
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
	return web.Report(c, seg.Pareto, func() chart.Chart { return paretoChart(seg) })
}

func orDefault[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// fitCLV godoc
//
//	@Summary		Fit the lifetime-value models and score every customer (admins)
//	@ID				fitClv
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
//	@Description	repeat buyers. A fit identical to one still queued or running (the same parameters and as_of, or
//	@Description	neither gives one) answers that job.
//	@Tags			analytics
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		FitRequest	true	"As of when, the horizon and the cut-offs"
//	@Success		202		{object}	Job
//	@Header			202		{string}	Location	"The job's URL"
//	@Failure		400,401,403,413,415,422,500,503	{object}	web.Problem
//	@Failure		429		{object}	web.Problem	"Too many requests, or the organization already has 3 jobs queued or running (one of them must finish first)"
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
//	@ID				getClvFit
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

// startBacktest godoc
//
//	@Summary		Backtest the lifetime-value and churn models on the organization's own history (admins)
//	@ID				startClvBacktest
//	@Description	A job (202; poll Location) that fits the models of POST /v1/analytics/clv/fit on the purchases up
//	@Description	to calibration_end, exactly as a fit as of then would, and judges their predictions on what the
//	@Description	customers did until holdout_end (Fader, Hardie & Lee 2005 judge BG/NBD so on CDNOW). Customers
//	@Description	who first bought after calibration_end are left out. The result (GET
//	@Description	/v1/analytics/clv/backtests/{id}, the id being the job's) compares, beside naive baselines:
//	@Description	repeat purchases and spend in the holdout (totals and mean absolute error per customer; the
//	@Description	baseline: each customer buys on at the rate of their calibration period), the conditional
//	@Description	expectations (customers grouped by repeat purchases in calibration, 0 to 7+: mean actual against
//	@Description	expected holdout purchases), the cumulative and weekly repeat purchases against the model's
//	@Description	curve, and churn: P(alive) at calibration_end judged by who bought in the holdout (ROC AUC,
//	@Description	deciles, the share of customers flagged at risk who did not come back; the baseline ranks by
//	@Description	recency), with P(return), the model's probability of a holdout purchase, beside it. The
//	@Description	per-customer rows of the organization's latest backtest are at .../customers. A backtest
//	@Description	identical to one still queued or running answers that job. Fails (job error) with fewer than 2
//	@Description	repeat buyers in calibration.
//	@Tags			analytics
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		BacktestRequest	true	"The calibration and holdout ends"
//	@Success		202		{object}	Job
//	@Header			202		{string}	Location	"The job's URL"
//	@Failure		400,401,403,413,415,422,500,503	{object}	web.Problem
//	@Failure		429		{object}	web.Problem	"Too many requests, or the organization already has 3 jobs queued or running (one of them must finish first)"
//	@Router			/analytics/clv/backtest [post]
func (h handlers) startBacktest(c echo.Context) error {
	var req BacktestRequest
	shape, err := web.BindShape(c, &req)
	if err != nil {
		return err
	}
	p := analytics.BacktestParams{CalibrationEnd: req.CalibrationEnd, HoldoutEnd: req.HoldoutEnd,
		AtRiskPAlive: orDefault(req.AtRiskPAlive, analytics.DefaultAtRiskPAlive)}
	if err := web.Checked(shape, func() error { return h.svc.CheckBacktest(p) }); err != nil {
		return err
	}
	j, err := h.svc.StartBacktest(c.Request().Context(), mid.Principal(c).Actor(), p)
	return accepted(c, j, err)
}

// backtests godoc
//
//	@Summary		The organization's lifetime-value backtests
//	@ID				listClvBacktests
//	@Description	Every backtest stored, newest first by default, each as GET /v1/analytics/clv/backtests/{id}
//	@Description	answers it.
//	@Tags			analytics
//	@Produce		json
//	@Security		BearerAuth
//	@Param			limit	query		int		false	"Page size, 1 to 200"	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Param			sort	query		string	false	"Order"	Enums(-created_at, created_at)	default(-created_at)
//	@Success		200		{object}	web.Page{data=[]analytics.Backtest}
//	@Failure		400,401,403,429,500,503	{object}	web.Problem
//	@Router			/analytics/clv/backtests [get]
func (h handlers) backtests(c echo.Context) error {
	q := web.NewQuery(c)
	req := q.Page(analytics.BacktestSortFields, "-created_at")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.Backtests(c.Request().Context(), mid.Principal(c).Actor(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, func(b analytics.Backtest) analytics.Backtest { return b }))
}

// backtestCharts are the pictures of a backtest, by the chart parameter.
var backtestCharts = map[string]func(analytics.Backtest) chart.Chart{
	"tracking": backtestTrackingChart, "frequency": backtestFrequencyChart,
}

// backtest godoc
//
//	@Summary		A lifetime-value backtest: the models' predictions for the holdout against what happened
//	@ID				getClvBacktest
//	@Description	See POST /v1/analytics/clv/backtest; 404 while its job has not succeeded. With Accept:
//	@Description	image/svg+xml or image/png, a chart (800 px wide): chart=tracking (default) the repeat purchases
//	@Description	week by week, cumulative and per week, actual against the model, with the end of the
//	@Description	calibration marked; chart=frequency the conditional expectations, actual against the model, by
//	@Description	repeat purchases in calibration.
//	@Tags			analytics
//	@Produce		json,image/svg+xml,image/png
//	@Security		BearerAuth
//	@Param			id		path		string	true	"The backtest's id (its job's)"	format(uuid)
//	@Param			chart	query		string	false	"The picture, for an image Accept"	Enums(tracking, frequency)	default(tracking)
//	@Success		200		{object}	analytics.Backtest
//	@Failure		400,401,403,404,406,429,500,503	{object}	web.Problem
//	@Router			/analytics/clv/backtests/{id} [get]
func (h handlers) backtest(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	q := web.NewQuery(c, "chart")
	picture := web.Enum(q, "chart", []string{"tracking", "frequency"})
	if err := q.Err(); err != nil {
		return err
	}
	if picture == "" {
		picture = "tracking"
	}
	b, err := h.svc.Backtest(c.Request().Context(), mid.Principal(c).Actor(), id)
	if err != nil {
		return err
	}
	return web.Report(c, b, func() chart.Chart { return backtestCharts[picture](b) })
}

// backtestCustomers godoc
//
//	@Summary		A backtest's per-customer predictions beside what happened
//	@ID				listClvBacktestCustomers
//	@Description	Each customer of the backtest: repeat purchases in calibration, days since the last purchase and
//	@Description	P(alive) at calibration_end, P(return) (the model's probability of a purchase in the holdout),
//	@Description	and the holdout's repeat purchases and spend as the model and the baseline predicted them and as
//	@Description	they happened. Only the organization's latest backtest keeps these rows: an older one answers
//	@Description	410 (/problems/gone).
//	@Tags			analytics
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"The backtest's id (its job's)"	format(uuid)
//	@Param			limit	query		int		false	"Page size, 1 to 200"	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Param			sort	query		string	false	"Order"	Enums(customer_id, -customer_id)	default(customer_id)
//	@Success		200		{object}	web.Page{data=[]analytics.BacktestScore}
//	@Failure		400,401,403,404,410,429,500,503	{object}	web.Problem
//	@Router			/analytics/clv/backtests/{id}/customers [get]
func (h handlers) backtestCustomers(c echo.Context) error {
	id, err := web.PathID(c)
	if err != nil {
		return err
	}
	q := web.NewQuery(c)
	req := q.Page(analytics.BacktestCustomerSortFields, "customer_id")
	if err := q.Err(); err != nil {
		return err
	}
	res, err := h.svc.BacktestCustomers(c.Request().Context(), mid.Principal(c).Actor(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewPage(res, func(s analytics.BacktestScore) analytics.BacktestScore { return s }))
}

// matrix godoc
//
//	@Summary		Reinartz & Kumar's loyalty/profitability matrix
//	@ID				getLoyaltyMatrix
//	@Description	From the fit as of as_of (or the latest): per quadrant the customers, their past net revenue,
//	@Description	their CLV and the recommended action, with the cut-offs used (see POST /v1/analytics/clv/fit;
//	@Description	refit with other cut-offs to move them). Each customer's quadrant is value.loyalty_quadrant.
//	@Description	With Accept: image/svg+xml or image/png, the four quadrants as a chart (800 px wide).
//	@Tags			analytics
//	@Produce		json,image/svg+xml,image/png
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
	out := Matrix{AsOf: fit.AsOf, LoyalPAlive: fit.Params.LoyalPAlive, LoyalMinTenureWeeks: fit.Params.LoyalMinTenureWeeks,
		ProfitableCLV: fit.ProfitableCLV, Quadrants: fit.Quadrants}
	return web.Report(c, out, func() chart.Chart { return matrixChart(out, fit.Currency) })
}

// churn godoc
//
//	@Summary		Churn: customers worth winning back, retention and cohorts
//	@ID				getChurnReport
//	@Description	Churn risk = 1 − P(alive) from the latest lifetime-value fit. The retention figures come from the
//	@Description	segmentation run as of as_of (or the latest; 404 without one): retention for month m =
//	@Description	customers who bought in m−1 and in m / customers who bought in m−1; churn rate = 1 − that
//	@Description	(null without buyers in m−1); the cohort table holds the first-purchase months among the last
//	@Description	months months, each with the share of its customers buying in each month since.
//	@Description	With Accept: image/svg+xml or image/png, the cohort table as a heat map (800 px wide).
//	@Tags			analytics
//	@Produce		json,image/svg+xml,image/png
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
	return web.Report(c, out, func() chart.Chart { return churnChart(out) })
}

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
//	@ID				applyChurnRule
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
//	@ID				getLadder
//	@Description	stages counts the live customers per lifecycle stage as of as_of (default now; a past as_of
//	@Description	counts the customers created by then, at the stage they left in their first move after it);
//	@Description	moves counts the stage changes recorded in [from, to) (customer.lifecycle_stage_changed events:
//	@Description	edits, promotions by purchases and by the ladder rules). Default period: the 30 days before as_of.
//	@Description	With Accept: image/svg+xml or image/png, the stages as a funnel with the moves noted (800 px wide).
//	@Tags			analytics
//	@Produce		json,image/svg+xml,image/png
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
	return web.Report(c, l, func() chart.Chart { return ladderChart(l) })
}

// period reads from and to; default the 30 days before now.
// period reads from, to and as_of: as_of defaults to now, to to as_of (and may not be after it),
// from to 30 days before to. It answers as_of as given (nil: now).
func period(c echo.Context) (from, to time.Time, asOf *time.Time, err error) {
	q := web.NewQuery(c, "from", "to", "as_of")
	f, t := q.TimeSince("from", web.ReportEpoch), q.TimeSince("to", web.ReportEpoch)
	asOf = q.TimeSince("as_of", web.ReportEpoch)
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
//	@ID				applyLadderRules
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

// kpis godoc
//
//	@Summary		Key figures over a period
//	@ID				getKpis
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

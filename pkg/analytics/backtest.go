package analytics

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
	"gonum.org/v1/gonum/mathext"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/job"
	"github.com/rapportcrm/rapport/pkg/page"
)

// A backtest fits the lifetime-value models on the purchases up to a calibration end, exactly as
// a fit as of that date would, and compares what they predict for the holdout period that follows
// with what the customers did in it, beside naive baselines, as Fader, Hardie & Lee (2005) judge
// the BG/NBD model on CDNOW.

// DefaultAtRiskPAlive is the P(alive) below which a backtest counts a customer as flagged at risk.
const DefaultAtRiskPAlive = 0.5

// frequencyGroups is the number of groups of the conditional expectations: 0 to 6 repeat
// purchases in calibration, and 7 or more (the paper's figure).
const frequencyGroups = 8

// BacktestParams are a backtest's parameters. The calibration period holds every purchase up to
// CalibrationEnd; the holdout the purchases after it, up to HoldoutEnd. A customer flagged at
// risk has P(alive) below AtRiskPAlive at CalibrationEnd. The models count whole UTC days (as
// the lifetime-value fit does with its as-of time): the holdout lasts from the day after
// CalibrationEnd's to HoldoutEnd's, both ends best at the end of a day (23:59:59), or the
// purchases later on HoldoutEnd's day are predicted but not counted.
type BacktestParams struct {
	CalibrationEnd time.Time `json:"calibration_end"`
	HoldoutEnd     time.Time `json:"holdout_end"`
	AtRiskPAlive   float64   `json:"at_risk_p_alive"`
} // @name BacktestParams

// CheckBacktest checks a backtest's parameters at now and fills in the default. The holdout
// must end on a later UTC day than the calibration (the models count days), and have ended.
func CheckBacktest(p BacktestParams, now time.Time) (BacktestParams, error) {
	p.CalibrationEnd, p.HoldoutEnd = p.CalibrationEnd.UTC(), p.HoldoutEnd.UTC()
	if p.AtRiskPAlive == 0 {
		p.AtRiskPAlive = DefaultAtRiskPAlive
	}
	var bad apperr.Fields
	if p.CalibrationEnd.Before(Epoch) {
		bad.Add("calibration_end", "must not be before %s", Epoch.Format(time.RFC3339))
	}
	switch {
	case dayNumber(p.HoldoutEnd) <= dayNumber(p.CalibrationEnd):
		bad.Add("holdout_end", "must be on a later day (UTC) than calibration_end")
	case p.HoldoutEnd.After(now):
		bad.Add("holdout_end", "must not be in the future: the holdout is what already happened")
	}
	if p.AtRiskPAlive <= 0 || p.AtRiskPAlive >= 1 {
		bad.Add("at_risk_p_alive", "must be above 0 and below 1")
	}
	return p, bad.Err()
}

// StartBacktest checks the parameters and enqueues a backtest. Two backtests are the same when
// they ask for the same parameters.
func (s *Service) StartBacktest(ctx context.Context, actor event.Actor, p BacktestParams) (job.Job, error) {
	p, err := CheckBacktest(p, s.now())
	if err != nil {
		return job.Job{}, err
	}
	return s.jobs.Enqueue(ctx, job.Spec{OrgID: actor.OrgID, CreatedBy: actorUser(actor), Type: JobBacktest, Params: p, Identity: p})
}

// CheckBacktest checks a backtest's parameters now, writing nothing.
func (s *Service) CheckBacktest(p BacktestParams) error {
	_, err := CheckBacktest(p, s.now())
	return err
}

func (s *Service) runBacktest(ctx context.Context, j job.Job, progress func(float64)) (any, error) {
	p, currency, err := jobInput[BacktestParams](ctx, s, j)
	if err != nil {
		return nil, err
	}
	b, err := RunBacktest(ctx, s.store, j.OrgID, j.ID, currency, p, progress)
	if err != nil {
		return nil, err
	}
	b.CreatedAt = s.now().UTC().Truncate(time.Microsecond)
	if err := s.store.SaveBacktest(ctx, j.OrgID, b); err != nil {
		return nil, err
	}
	return b, nil
}

// BacktestSortFields are the fields the backtests can be listed by; BacktestCustomerSortFields
// those of a backtest's per-customer rows.
var (
	BacktestSortFields         = []string{"created_at"}
	BacktestCustomerSortFields = []string{"customer_id"}
)

// Backtests lists the organization's backtests.
func (s *Service) Backtests(ctx context.Context, actor event.Actor, p page.Request) (page.Result[Backtest], error) {
	return s.store.Backtests(ctx, actor.OrgID, p)
}

// Backtest answers one of the organization's backtests.
func (s *Service) Backtest(ctx context.Context, actor event.Actor, id uuid.UUID) (Backtest, error) {
	return s.store.Backtest(ctx, actor.OrgID, id)
}

// BacktestCustomers lists a backtest's per-customer rows, which only the organization's latest
// backtest keeps: an older one's answer ErrBacktestRowsGone.
func (s *Service) BacktestCustomers(ctx context.Context, actor event.Actor, id uuid.UUID, p page.Request) (page.Result[BacktestScore], error) {
	b, err := s.store.Backtest(ctx, actor.OrgID, id)
	if err != nil {
		return page.Result[BacktestScore]{}, err
	}
	res, err := s.store.BacktestScores(ctx, actor.OrgID, id, p)
	if err == nil && len(res.Items) == 0 && p.After == nil && b.Customers > 0 {
		return res, ErrBacktestRowsGone
	}
	return res, err
}

// PurchaseDays is one customer's purchases summed by UTC day (days since 1970-01-01), in day
// order: Days[:Calibration] at or before the calibration end, the rest after it. When the
// calibration end falls inside a day, that day can appear on both sides: its later purchases
// add to the holdout's spend but are not a new purchase day.
type PurchaseDays struct {
	CustomerID  uuid.UUID
	Days        []int
	Values      []float64
	Calibration int
}

// calibration is the customer's history up to the calibration end, as Histories answers it.
func (c PurchaseDays) calibration() CustomerHistory {
	n := c.Calibration
	h := CustomerHistory{CustomerID: c.CustomerID, FirstDay: c.Days[0], LastDay: c.Days[n-1], Days: n, FirstDayTotal: c.Values[0]}
	for _, v := range c.Values[:n] {
		h.Total += v
	}
	return h
}

// BacktestStore is what a backtest needs from storage.
type BacktestStore interface {
	// PurchaseDays answers, for every customer with a counted purchase at or before
	// calibrationEnd, the counted purchases up to holdoutEnd summed by UTC day and split at
	// calibrationEnd.
	PurchaseDays(ctx context.Context, orgID uuid.UUID, calibrationEnd, holdoutEnd time.Time, currency string) ([]PurchaseDays, error)
	// ReplaceBacktestScores replaces the organization's per-customer backtest rows with those of
	// the backtest id.
	ReplaceBacktestScores(ctx context.Context, orgID, id uuid.UUID, p BacktestParams, scores []BacktestScore) error
	SaveBacktest(ctx context.Context, orgID uuid.UUID, b Backtest) error
	// Backtests lists the organization's backtests by created_at.
	Backtests(ctx context.Context, orgID uuid.UUID, p page.Request) (page.Result[Backtest], error)
	Backtest(ctx context.Context, orgID, id uuid.UUID) (Backtest, error)
	// BacktestScores lists the per-customer rows of the backtest id by customer_id: none unless
	// it is the organization's latest.
	BacktestScores(ctx context.Context, orgID, id uuid.UUID, p page.Request) (page.Result[BacktestScore], error)
}

// Errors of the backtests.
var (
	ErrBacktestNotFound = apperr.New(apperr.KindNotFound, "backtest not found")
	ErrBacktestRowsGone = apperr.New(apperr.KindGone, "the per-customer rows are kept for the organization's latest backtest only; run this one again to see them")
)

// BacktestScore is one customer's predictions for the holdout beside what happened. Purchases
// are repeat purchases: distinct purchase days after the first.
type BacktestScore struct {
	CustomerID      uuid.UUID `json:"customer_id"`
	RepeatPurchases int       `json:"repeat_purchases"` // in the calibration period
	// DaysSinceLastPurchase at the calibration end: the churn baseline's risk score.
	DaysSinceLastPurchase int     `json:"days_since_last_purchase"`
	PAlive                float64 `json:"p_alive"` // at the calibration end
	// PReturn is the model's probability of at least one purchase in the holdout.
	PReturn            float64 `json:"p_return"`
	PredictedPurchases float64 `json:"predicted_purchases"`
	BaselinePurchases  float64 `json:"baseline_purchases"`
	ActualPurchases    int     `json:"actual_purchases"`
	PredictedSpend     float64 `json:"predicted_spend"`
	BaselineSpend      float64 `json:"baseline_spend"`
	ActualSpend        float64 `json:"actual_spend"`
} // @name BacktestCustomer

// Backtest is the stored summary of a backtest: the models fitted on the calibration period and
// how their predictions for the holdout compare with what happened, beside baselines.
type Backtest struct {
	// ID is the job's that ran it.
	ID             uuid.UUID      `json:"id" format:"uuid"`
	CreatedAt      time.Time      `json:"created_at"`
	CalibrationEnd time.Time      `json:"calibration_end"`
	HoldoutEnd     time.Time      `json:"holdout_end"`
	Currency       string         `json:"currency"`
	Params         BacktestParams `json:"params"`
	// HoldoutWeeks is the holdout's length, the horizon of the predictions.
	HoldoutWeeks       float64    `json:"holdout_weeks"`
	BGNBD              BGNBD      `json:"bgnbd"`
	BGNBDLogLikelihood float64    `json:"bgnbd_log_likelihood"`
	GammaGamma         GammaGamma `json:"gamma_gamma"`
	GammaLogLikelihood float64    `json:"gamma_gamma_log_likelihood"`
	// Customers are those with a purchase in the calibration period; the others are left out,
	// as the fit leaves them out.
	Customers    int `json:"customers"`
	RepeatBuyers int `json:"repeat_buyers"`
	// Purchases compares the repeat purchases in the holdout; Spend their net value (the model:
	// expected purchases × Gamma-Gamma's expected value per purchase).
	Purchases Accuracy `json:"purchases"`
	Spend     Accuracy `json:"spend"`
	// ByFrequency are the conditional expectations: the customers grouped by their repeat
	// purchases in calibration, 0 to 7 or more.
	ByFrequency []FrequencyGroup `json:"by_frequency"`
	// Weeks track the repeat purchases week by week over calibration and holdout. The weeks
	// end at the calibration end and every 7 days before and after it; the first week starts
	// at the first purchase and the last ends at the holdout end, either can be shorter.
	Weeks            []WeekFigures `json:"weeks"`
	CalibrationWeeks int           `json:"calibration_weeks"`
	Churn            ChurnFigures  `json:"churn"`
	// Seconds spent reading the purchases (SQL), fitting, predicting and comparing, and
	// writing the per-customer rows.
	LoadSeconds  float64 `json:"load_seconds"`
	FitSeconds   float64 `json:"fit_seconds"`
	ScoreSeconds float64 `json:"score_seconds"`
	WriteSeconds float64 `json:"write_seconds"`
} // @name Backtest

// Accuracy compares forecasts of a holdout figure with what happened, in total and per customer.
type Accuracy struct {
	Actual   float64  `json:"actual"`
	Model    Forecast `json:"model"`
	Baseline Forecast `json:"baseline"`
} // @name BacktestAccuracy

// Forecast is a forecast's total and its mean absolute error per customer.
type Forecast struct {
	Total float64 `json:"total"`
	MAE   float64 `json:"mae"`
} // @name BacktestForecast

// FrequencyGroup is the customers with RepeatPurchases repeat purchases in calibration (or more,
// when OrMore), and their mean repeat purchases in the holdout: actual, expected by the model,
// and by the baseline.
type FrequencyGroup struct {
	RepeatPurchases int     `json:"repeat_purchases"`
	OrMore          bool    `json:"or_more"`
	Customers       int     `json:"customers"`
	Actual          float64 `json:"actual"`
	Model           float64 `json:"model"`
	Baseline        float64 `json:"baseline"`
} // @name BacktestFrequencyGroup

// WeekFigures are one week's repeat purchases, actual and expected by the model, and their
// running totals. The model's are the population's: each customer's expected repeat purchases
// since their first purchase, E[X(t)], summed (lifetimes' expected_cumulative_transactions).
type WeekFigures struct {
	Week int `json:"week"`
	// End is the week's last day; Holdout tells whether it is in the holdout.
	End              time.Time `json:"end"`
	Holdout          bool      `json:"holdout"`
	Actual           int       `json:"actual"`
	Model            float64   `json:"model"`
	CumulativeActual int       `json:"cumulative_actual"`
	CumulativeModel  float64   `json:"cumulative_model"`
} // @name BacktestWeek

// ChurnFigures judge P(alive) at the calibration end by whether the customer bought in the
// holdout. An AUC is the probability that a customer who came back ranks above one who did not
// (0.5: no better than chance; a tie counts half); null without both kinds of customer.
type ChurnFigures struct {
	Customers int `json:"customers"`
	// Returned is how many bought again in the holdout.
	Returned int      `json:"returned"`
	AUC      *float64 `json:"auc" extensions:"x-nullable"`
	// PReturnAUC ranks by the model's probability of a purchase in the holdout, which tells
	// apart the customers without repeat purchases, all alive to P(alive).
	PReturnAUC *float64 `json:"p_return_auc" extensions:"x-nullable"`
	// BaselineAUC ranks by recency: the fewer days since the last purchase, the likelier back.
	BaselineAUC *float64 `json:"baseline_auc" extensions:"x-nullable"`
	// AtRisk customers have P(alive) below AtRiskPAlive; AtRiskLost is the share of them who did
	// not come back, BaselineAtRiskLost the same share among as many customers with the longest
	// recency (ties shared out evenly).
	AtRiskPAlive       float64  `json:"at_risk_p_alive"`
	AtRisk             int      `json:"at_risk"`
	AtRiskLost         *float64 `json:"at_risk_lost_share" extensions:"x-nullable"`
	BaselineAtRiskLost *float64 `json:"baseline_at_risk_lost_share" extensions:"x-nullable"`
	// Deciles of P(alive), the lowest first: the mean P(alive), the model's mean probability of
	// a purchase in the holdout, and the share who made one.
	Deciles []ChurnDecile `json:"deciles"`
} // @name BacktestChurn

// ChurnDecile is a tenth of the customers by P(alive).
type ChurnDecile struct {
	Decile        int     `json:"decile"`
	Customers     int     `json:"customers"`
	MinPAlive     float64 `json:"min_p_alive"`
	MaxPAlive     float64 `json:"max_p_alive"`
	MeanPAlive    float64 `json:"mean_p_alive"`
	MeanPReturn   float64 `json:"mean_p_return"`
	ReturnedShare float64 `json:"returned_share"`
} // @name BacktestChurnDecile

// RunBacktest reads the organization's purchases, runs the backtest (ComputeBacktest) and
// replaces the stored per-customer rows with its own; the job then saves the answer.
func RunBacktest(ctx context.Context, store BacktestStore, orgID, id uuid.UUID, currency string, p BacktestParams, progress func(float64)) (Backtest, error) {
	start := time.Now()
	customers, err := store.PurchaseDays(ctx, orgID, p.CalibrationEnd, p.HoldoutEnd, currency)
	if err != nil {
		return Backtest{}, err
	}
	loaded := time.Since(start).Seconds()
	progress(0.2)
	b, scores, err := ComputeBacktest(customers, p)
	if err != nil {
		return Backtest{}, err
	}
	b.ID, b.Currency, b.LoadSeconds = id, currency, loaded
	progress(0.7)
	start = time.Now()
	if err := store.ReplaceBacktestScores(ctx, orgID, id, p, scores); err != nil {
		return Backtest{}, err
	}
	b.WriteSeconds = time.Since(start).Seconds()
	return b, nil
}

// ComputeBacktest fits the models on the customers' calibration purchases and compares their
// predictions for the holdout with what happened. Customers without a calibration purchase are
// left out; the parameters must have been checked (CheckBacktest).
func ComputeBacktest(customers []PurchaseDays, p BacktestParams) (Backtest, []BacktestScore, error) {
	if none := func(c PurchaseDays) bool { return c.Calibration == 0 }; slices.ContainsFunc(customers, none) {
		customers = slices.DeleteFunc(slices.Clone(customers), none)
	}
	calDay, endDay := dayNumber(p.CalibrationEnd), dayNumber(p.HoldoutEnd)
	horizon := float64(endDay-calDay) / 7
	b := Backtest{CalibrationEnd: p.CalibrationEnd, HoldoutEnd: p.HoldoutEnd, Params: p, HoldoutWeeks: round4(horizon), Customers: len(customers)}
	hs := make([]History, len(customers))
	for i, c := range customers {
		hs[i] = toHistory(c.calibration(), calDay)
	}
	start := time.Now()
	var err error
	if b.BGNBD, b.BGNBDLogLikelihood, b.GammaGamma, b.GammaLogLikelihood, err = fitModels(hs); err != nil {
		return Backtest{}, nil, err
	}
	b.FitSeconds = time.Since(start).Seconds()
	start = time.Now()
	scores := make([]BacktestScore, len(customers))
	parallel(len(customers), func(i int) {
		scores[i] = predict(b.BGNBD, b.GammaGamma, customers[i], hs[i], calDay, horizon)
	})
	b.compare(scores)
	b.track(customers, calDay, endDay)
	b.ScoreSeconds = time.Since(start).Seconds()
	return b, scores, nil
}

// predict scores one customer: the models' predictions and the baselines' for the holdout of
// horizon weeks, and what happened in it.
func predict(model BGNBD, spend GammaGamma, c PurchaseDays, h History, calDay int, horizon float64) BacktestScore {
	last := c.Days[c.Calibration-1]
	s := BacktestScore{CustomerID: c.CustomerID, RepeatPurchases: h.X, DaysSinceLastPurchase: calDay - last,
		PAlive: model.PAlive(h), PReturn: model.PReturn(h, horizon), PredictedPurchases: model.ExpectedPurchases(h, horizon)}
	s.PredictedSpend = s.PredictedPurchases * spend.ExpectedValue(h)
	// The baseline: the customer buys at the rate of the calibration period, for the same value.
	if h.T > 0 {
		s.BaselinePurchases = float64(h.X) / h.T * horizon
		s.BaselineSpend = s.BaselinePurchases * h.MeanValue
	}
	for i := c.Calibration; i < len(c.Days); i++ {
		s.ActualSpend += c.Values[i]
		if c.Days[i] != last {
			s.ActualPurchases++
		}
	}
	return s
}

// compare fills in the totals, the errors, the conditional expectations and the churn figures.
func (b *Backtest) compare(scores []BacktestScore) {
	b.ByFrequency = make([]FrequencyGroup, frequencyGroups)
	for i := range b.ByFrequency {
		b.ByFrequency[i] = FrequencyGroup{RepeatPurchases: i, OrMore: i == frequencyGroups-1}
	}
	for _, s := range scores {
		if s.RepeatPurchases > 0 {
			b.RepeatBuyers++
		}
		actual := float64(s.ActualPurchases)
		b.Purchases.add(actual, s.PredictedPurchases, s.BaselinePurchases)
		b.Spend.add(s.ActualSpend, s.PredictedSpend, s.BaselineSpend)
		g := &b.ByFrequency[min(s.RepeatPurchases, frequencyGroups-1)]
		g.Customers++
		g.Actual += actual
		g.Model += s.PredictedPurchases
		g.Baseline += s.BaselinePurchases
	}
	b.Purchases.finish(len(scores))
	b.Spend.finish(len(scores))
	for i := range b.ByFrequency {
		g := &b.ByFrequency[i]
		if g.Customers > 0 {
			n := float64(g.Customers)
			g.Actual, g.Model, g.Baseline = round4(g.Actual/n), round4(g.Model/n), round4(g.Baseline/n)
		}
	}
	b.Churn = churnFigures(scores, b.Params.AtRiskPAlive)
}

// add counts one customer's actual figure and forecasts; MAE holds the sum of errors until finish.
func (a *Accuracy) add(actual, model, baseline float64) {
	a.Actual += actual
	a.Model.Total += model
	a.Model.MAE += math.Abs(model - actual)
	a.Baseline.Total += baseline
	a.Baseline.MAE += math.Abs(baseline - actual)
}

func (a *Accuracy) finish(n int) {
	a.Actual = round2(a.Actual)
	for _, f := range []*Forecast{&a.Model, &a.Baseline} {
		f.Total = round2(f.Total)
		if n > 0 {
			f.MAE = round4(f.MAE / float64(n))
		}
	}
}

// ranked is a customer's score for a ranking and whether they came back.
type ranked struct {
	score    float64
	returned bool
}

// rank answers the customers' scores sorted in ascending order.
func rank(scores []BacktestScore, score func(BacktestScore) float64) []ranked {
	out := make([]ranked, len(scores))
	for i, s := range scores {
		out[i] = ranked{score(s), s.ActualPurchases > 0}
	}
	slices.SortFunc(out, func(a, b ranked) int { return cmp.Compare(a.score, b.score) })
	return out
}

// ties calls fn for each run of equal scores in sorted, as the half-open range [i, j).
func ties(sorted []ranked, fn func(i, j int)) {
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j].score == sorted[i].score {
			j++
		}
		fn(i, j)
		i = j
	}
}

// auc is the area under the ROC curve of the sorted scores for telling the customers who came
// back: the Mann–Whitney U over mid-ranks (a run of ties shares its ranks' mean), divided by
// the number of pairs. Nil without both kinds of customer.
func auc(sorted []ranked) *float64 {
	var rankSum float64
	var returned int
	ties(sorted, func(i, j int) {
		mid := float64(i+1+j) / 2
		for _, r := range sorted[i:j] {
			if r.returned {
				rankSum += mid
				returned++
			}
		}
	})
	pos, neg := float64(returned), float64(len(sorted)-returned)
	if pos == 0 || neg == 0 {
		return nil
	}
	v := round4((rankSum - pos*(pos+1)/2) / (pos * neg))
	return &v
}

// lostShare is the share who did not come back among the first k of the sorted scores, a run of
// ties across the k-th shared out evenly (the expectation over the orders of the tied). Nil for
// k = 0.
func lostShare(sorted []ranked, k int) *float64 {
	if k == 0 {
		return nil
	}
	var lost float64
	ties(sorted, func(i, j int) {
		if i >= k {
			return
		}
		var n float64
		for _, r := range sorted[i:j] {
			if !r.returned {
				n++
			}
		}
		lost += n * float64(min(j, k)-i) / float64(j-i)
	})
	v := round4(lost / float64(k))
	return &v
}

func churnFigures(scores []BacktestScore, atRisk float64) ChurnFigures {
	c := ChurnFigures{Customers: len(scores), AtRiskPAlive: atRisk, Deciles: []ChurnDecile{}}
	byPAlive := rank(scores, func(s BacktestScore) float64 { return s.PAlive })
	c.AUC = auc(byPAlive)
	c.PReturnAUC = auc(rank(scores, func(s BacktestScore) float64 { return s.PReturn }))
	byRecency := rank(scores, func(s BacktestScore) float64 { return -float64(s.DaysSinceLastPurchase) })
	c.BaselineAUC = auc(byRecency)
	for _, s := range scores {
		if s.ActualPurchases > 0 {
			c.Returned++
		}
		if s.PAlive < atRisk {
			c.AtRisk++
		}
	}
	c.AtRiskLost, c.BaselineAtRiskLost = lostShare(byPAlive, c.AtRisk), lostShare(byRecency, c.AtRisk)
	// The deciles: P(alive) sorted (stably, so that equal ones keep the customers' order).
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(scores[i].PAlive, scores[j].PAlive) })
	n := len(order)
	for d := range 10 {
		part := order[d*n/10 : (d+1)*n/10]
		if len(part) == 0 {
			continue
		}
		dec := ChurnDecile{Decile: d + 1, Customers: len(part), MinPAlive: math.Inf(1)}
		var returned float64
		for _, i := range part {
			s := scores[i]
			dec.MinPAlive, dec.MaxPAlive = min(dec.MinPAlive, s.PAlive), max(dec.MaxPAlive, s.PAlive)
			dec.MeanPAlive += s.PAlive
			dec.MeanPReturn += s.PReturn
			if s.ActualPurchases > 0 {
				returned++
			}
		}
		k := float64(len(part))
		dec.MinPAlive, dec.MaxPAlive = round4(dec.MinPAlive), round4(dec.MaxPAlive)
		dec.MeanPAlive, dec.MeanPReturn, dec.ReturnedShare = round4(dec.MeanPAlive/k), round4(dec.MeanPReturn/k), round4(returned/k)
		c.Deciles = append(c.Deciles, dec)
	}
	return c
}

// track fills in the weekly repeat purchases from the first purchase to the holdout end, actual
// and expected. A repeat purchase on day d counts in the week that holds d; the expectation at a
// week's end e sums each customer's E[X((e − first day)/7)], the purchases on e included as in
// the fit (T counts whole days to the as-of day, whose purchases count).
func (b *Backtest) track(customers []PurchaseDays, calDay, endDay int) {
	b.Weeks = []WeekFigures{}
	if len(customers) == 0 {
		return
	}
	first := calDay
	for _, c := range customers {
		first = min(first, c.Days[0])
	}
	calWeeks, holdoutWeeks := (calDay-first)/7+1, (endDay-calDay+6)/7
	week := func(d int) int { // 0-based
		if d <= calDay {
			return calWeeks - 1 - (calDay-d)/7
		}
		return calWeeks - 1 + (d-calDay+6)/7
	}
	weeks := make([]WeekFigures, calWeeks+holdoutWeeks)
	births := make([]int, endDay-first+1) // customers by first purchase day, from first
	for _, c := range customers {
		births[c.Days[0]-first]++
		last := c.Days[c.Calibration-1]
		for i, d := range c.Days[1:] {
			if i+1 < c.Calibration || d != last {
				weeks[week(d)].Actual++
			}
		}
	}
	// E[X(t)] at every whole number of days t since a first purchase.
	expected := make([]float64, endDay-first+1)
	for t := range expected {
		expected[t] = b.BGNBD.ExpectedRepeatPurchases(float64(t) / 7)
	}
	var cumulative int
	for k := range weeks {
		w := &weeks[k]
		end := calDay + 7*(k+1-calWeeks)
		if k >= calWeeks {
			end = min(end, endDay)
		}
		for born, n := range births[:end-first+1] {
			if n > 0 {
				w.CumulativeModel += float64(n) * expected[end-first-born]
			}
		}
		cumulative += w.Actual
		w.Week, w.End, w.Holdout, w.CumulativeActual = k+1, time.Unix(int64(end)*86400, 0).UTC(), k >= calWeeks, cumulative
	}
	prev := 0.0
	for k := range weeks {
		w := &weeks[k]
		w.Model, prev = round2(w.CumulativeModel-prev), w.CumulativeModel
		w.CumulativeModel = round2(w.CumulativeModel)
	}
	b.Weeks, b.CalibrationWeeks = weeks, calWeeks
}

// ExpectedRepeatPurchases is the expected number of repeat purchases of a customer in the t
// weeks after their first purchase:
//
//	E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]
func (m BGNBD) ExpectedRepeatPurchases(t float64) float64 {
	if t <= 0 {
		return 0
	}
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	f := mathext.Hypergeo(r, b, a+b-1, t/(alpha+t))
	return (a + b - 1) / (a - 1) * (1 - math.Exp(r*(math.Log(alpha)-math.Log(alpha+t)))*f)
}

// PReturn is the probability that a customer with history h buys at least once in the next t
// weeks. Without a purchase a customer cannot drop out, so it takes being alive, and a purchase
// from the Poisson process whose rate, given the history and being alive, is Gamma(r+x, α+T):
//
//	P = P(alive) · [1 − ((α+T)/(α+T+t))^(r+x)]
func (m BGNBD) PReturn(h History, t float64) float64 {
	if t <= 0 {
		return 0
	}
	none := math.Exp((m.R + float64(h.X)) * (math.Log(m.Alpha+h.T) - math.Log(m.Alpha+h.T+t)))
	return m.PAlive(h) * (1 - none)
}

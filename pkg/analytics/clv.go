package analytics

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/rapportcrm/rapport/pkg/apperr"
	"github.com/rapportcrm/rapport/pkg/event"
	"github.com/rapportcrm/rapport/pkg/job"
)

// weeksPerMonth is an average month in weeks, the models' unit of time.
const weeksPerMonth = 365.25 / 12 / 7

// Quadrants of Reinartz & Kumar's loyalty/profitability matrix, and what to do with each.
const (
	QuadrantTrueFriend = "true_friend"
	QuadrantButterfly  = "butterfly"
	QuadrantBarnacle   = "barnacle"
	QuadrantStranger   = "stranger"
)

// Quadrants lists the quadrants with their recommended actions.
var Quadrants = []struct{ Name, Action string }{
	{QuadrantTrueFriend, "nurture: loyal and profitable; reward them, communicate consistently, do not over-solicit"},
	{QuadrantButterfly, "harvest: profitable but not loyal; make the most of their purchases while they buy, stop investing once they fade"},
	{QuadrantBarnacle, "grow share of wallet: loyal but not profitable; up-sell and cross-sell, or serve them more cheaply"},
	{QuadrantStranger, "do not invest: neither loyal nor profitable; make every transaction profitable"},
}

// CLVParams are a lifetime-value fit's parameters. Loyal means P(alive) ≥ LoyalPAlive and a
// tenure (weeks since the first purchase) of at least LoyalMinTenureWeeks; profitable means a CLV
// of at least ProfitableCLV (nil: the median CLV of the scored customers).
type CLVParams struct {
	AsOf                time.Time `json:"as_of"`
	HorizonMonths       int       `json:"horizon_months"`
	MonthlyDiscountRate float64   `json:"monthly_discount_rate"`
	LoyalPAlive         float64   `json:"loyal_p_alive"`
	LoyalMinTenureWeeks float64   `json:"loyal_min_tenure_weeks"`
	ProfitableCLV       *float64  `json:"profitable_clv" extensions:"x-nullable"`
} // @name CLVParams

// Defaults of the fit's parameters.
const (
	DefaultHorizonMonths       = 12
	DefaultMonthlyDiscountRate = 0.01
	DefaultLoyalPAlive         = 0.5
	DefaultLoyalMinTenureWeeks = 26
)

// Distribution summarizes a predicted value over the scored customers.
type Distribution struct {
	Mean float64 `json:"mean"`
	P10  float64 `json:"p10"`
	P25  float64 `json:"p25"`
	P50  float64 `json:"p50"`
	P75  float64 `json:"p75"`
	P90  float64 `json:"p90"`
} // @name Distribution

// QuadrantFigures are one quadrant's customers, past revenue and predicted value.
type QuadrantFigures struct {
	Quadrant  string  `json:"quadrant"`
	Action    string  `json:"action"`
	Customers int     `json:"customers"`
	Revenue   float64 `json:"revenue"`
	CLV       float64 `json:"clv"`
} // @name QuadrantFigures

// CLVFit is the stored summary of a lifetime-value fit.
type CLVFit struct {
	AsOf               time.Time  `json:"as_of"`
	Currency           string     `json:"currency"`
	Params             CLVParams  `json:"params"`
	BGNBD              BGNBD      `json:"bgnbd"`
	BGNBDLogLikelihood float64    `json:"bgnbd_log_likelihood"`
	GammaGamma         GammaGamma `json:"gamma_gamma"`
	GammaLogLikelihood float64    `json:"gamma_gamma_log_likelihood"`
	Customers          int        `json:"customers"`
	RepeatBuyers       int        `json:"repeat_buyers"`
	// Seconds spent reading the histories (SQL), fitting, scoring and writing the scores.
	LoadSeconds          float64           `json:"load_seconds"`
	FitSeconds           float64           `json:"fit_seconds"`
	ScoreSeconds         float64           `json:"score_seconds"`
	WriteSeconds         float64           `json:"write_seconds"`
	PAlive               Distribution      `json:"p_alive"`
	ExpectedPurchases365 Distribution      `json:"expected_purchases_365"`
	CLV                  Distribution      `json:"clv"`
	Revenue              Distribution      `json:"revenue"`
	TotalCLV             float64           `json:"total_clv"`
	ProfitableCLV        float64           `json:"profitable_clv"`
	WinBackRevenue       float64           `json:"win_back_revenue"`
	Quadrants            []QuadrantFigures `json:"quadrants"`
	JobID                string            `json:"job_id"`
} // @name CLVFit

// StartCLVFit checks the parameters, fills in the defaults and enqueues a fit. Two fits are the
// same when they ask for the same parameters and as-of time (or both for now).
func (s *Service) StartCLVFit(ctx context.Context, actor event.Actor, p CLVParams, asOf *time.Time) (job.Job, error) {
	var err error
	if p.AsOf, err = s.asOf(asOf); err != nil {
		return job.Job{}, err
	}
	if p.HorizonMonths == 0 {
		p.HorizonMonths = DefaultHorizonMonths
	}
	var bad apperr.Fields
	if p.HorizonMonths < 1 || p.HorizonMonths > 120 {
		bad.Add("horizon_months", "must be between 1 and 120")
	}
	if p.MonthlyDiscountRate < 0 || p.MonthlyDiscountRate >= 1 {
		bad.Add("monthly_discount_rate", "must be at least 0 and below 1")
	}
	if p.LoyalPAlive < 0 || p.LoyalPAlive > 1 {
		bad.Add("loyal_p_alive", "must be between 0 and 1")
	}
	if p.LoyalMinTenureWeeks < 0 {
		bad.Add("loyal_min_tenure_weeks", "must not be negative")
	}
	if p.ProfitableCLV != nil && *p.ProfitableCLV < 0 {
		bad.Add("profitable_clv", "must not be negative")
	}
	if err := bad.Err(); err != nil {
		return job.Job{}, err
	}
	identity := p
	if asOf == nil {
		identity.AsOf = time.Time{} // now, whenever it runs
	}
	return s.jobs.Enqueue(ctx, job.Spec{OrgID: actor.OrgID, CreatedBy: actorUser(actor), Type: JobCLV, Params: p, Identity: identity})
}

// toHistory puts a customer's purchase days in the models' terms as of a day.
func toHistory(c CustomerHistory, asOfDay int) History {
	h := History{X: c.Days - 1, Tx: float64(c.LastDay-c.FirstDay) / 7, T: float64(asOfDay-c.FirstDay) / 7, Weight: 1}
	if h.X > 0 {
		h.MeanValue = (c.Total - c.FirstDayTotal) / float64(h.X)
	}
	return h
}

// dayNumber is the UTC day of t counted from 1970-01-01.
func dayNumber(t time.Time) int { return int(t.UTC().Unix() / 86400) }

// grouped merges histories with the same frequency, recency and age into one weighted history:
// the BG/NBD likelihood needs nothing else, and days make many customers alike.
func grouped(hs []History) []History {
	type key struct {
		x     int
		tx, t float64
	}
	index := map[key]int{}
	var out []History
	for _, h := range hs {
		k := key{h.X, h.Tx, h.T}
		if i, ok := index[k]; ok {
			out[i].Weight++
			continue
		}
		index[k] = len(out)
		out = append(out, History{X: h.X, Tx: h.Tx, T: h.T, Weight: 1})
	}
	return out
}

func (s *Service) runCLV(ctx context.Context, j job.Job, progress func(float64)) (any, error) {
	p, currency, err := jobInput[CLVParams](ctx, s, j)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	customers, err := s.store.Histories(ctx, j.OrgID, p.AsOf, currency)
	if err != nil {
		return nil, err
	}
	loaded := time.Since(start).Seconds()
	progress(0.2)
	asOfDay := dayNumber(p.AsOf)
	hs := make([]History, len(customers))
	for i, c := range customers {
		hs[i] = toHistory(c, asOfDay)
	}
	start = time.Now()
	model, ll, spend, gll, err := fitModels(hs)
	if err != nil {
		return nil, err
	}
	fit := CLVFit{AsOf: p.AsOf, Currency: currency, Params: p, BGNBD: model, BGNBDLogLikelihood: ll, GammaGamma: spend,
		GammaLogLikelihood: gll, Customers: len(hs), LoadSeconds: loaded, FitSeconds: time.Since(start).Seconds(), JobID: j.ID.String()}
	progress(0.4)
	start = time.Now()
	scores := score(model, spend, p, customers, hs)
	fit.ScoreSeconds = time.Since(start).Seconds()
	fit.summarize(scores)
	progress(0.6)
	start = time.Now()
	if err := s.store.ReplaceCLVScores(ctx, j.OrgID, p.AsOf, scores); err != nil {
		return nil, err
	}
	fit.WriteSeconds = time.Since(start).Seconds()
	if err := s.saveRun(ctx, j, KindCLV, p.AsOf, fit); err != nil {
		return nil, err
	}
	return fit, nil
}

// fitModels fits both models to the customers' histories, as the lifetime-value fit and the
// backtest do: BG/NBD over the histories grouped, Gamma-Gamma over the repeat buyers. A spend
// model without a finite mean is refused, and so is data that cannot identify the parameters.
func fitModels(hs []History) (model BGNBD, ll float64, spend GammaGamma, gll float64, err error) {
	if model, ll, err = FitBGNBD(grouped(hs)); err != nil {
		return model, ll, spend, gll, fitErr(err)
	}
	if spend, gll, err = FitGammaGamma(hs); err != nil {
		return model, ll, spend, gll, fitErr(err)
	}
	if spend.Q <= 1 {
		err = apperr.New(apperr.KindInvalid, "the fitted spend model has no finite mean (q ≤ 1): the purchase values are too irregular")
	}
	return model, ll, spend, gll, err
}

func fitErr(err error) error {
	if errors.Is(err, ErrTooFewCustomers) {
		return apperr.New(apperr.KindInvalid, "%s", err.Error())
	}
	return err
}

// parallel calls fn for every index below n, spread over every core.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// score predicts every customer's future in parallel and places them in the loyalty matrix.
func score(model BGNBD, spend GammaGamma, p CLVParams, customers []CustomerHistory, hs []History) []CLVScore {
	scores := make([]CLVScore, len(hs))
	parallel(len(hs), func(i int) {
		h, c := hs[i], customers[i]
		scores[i] = CLVScore{CustomerID: c.CustomerID, RepeatPurchases: h.X, TenureWeeks: h.T, PAlive: model.PAlive(h),
			ExpectedPurchases90: model.ExpectedPurchases(h, 90.0/7), ExpectedPurchases365: model.ExpectedPurchases(h, 365.0/7),
			ExpectedOrderValue: spend.ExpectedValue(h), CLV: model.CLV(spend, h, p.HorizonMonths, p.MonthlyDiscountRate),
			Revenue: c.Total, LastPurchaseAt: c.LastPurchaseAt}
	})
	return scores
}

// CLV is the value of the purchases expected over the next months, each month's purchases at
// the expected order value and discounted at the monthly rate:
//
//	CLV = Σ_{k=1..H} E[M] · (E[Y(k months)] − E[Y(k−1 months)]) / (1+d)^k
func (m BGNBD) CLV(spend GammaGamma, h History, months int, discount float64) float64 {
	value := spend.ExpectedValue(h)
	var clv, prev float64
	for k := 1; k <= months; k++ {
		e := m.ExpectedPurchases(h, float64(k)*weeksPerMonth)
		clv += value * (e - prev) / math.Pow(1+discount, float64(k))
		prev = e
	}
	return clv
}

// summarize fills in the distributions and the quadrants, placing each score in its quadrant.
func (f *CLVFit) summarize(scores []CLVScore) {
	n := len(scores)
	values := func(get func(CLVScore) float64) []float64 {
		v := make([]float64, n)
		for i, s := range scores {
			v[i] = get(s)
		}
		slices.Sort(v)
		return v
	}
	clvs := values(func(s CLVScore) float64 { return s.CLV })
	f.PAlive = distribution(values(func(s CLVScore) float64 { return s.PAlive }))
	f.ExpectedPurchases365 = distribution(values(func(s CLVScore) float64 { return s.ExpectedPurchases365 }))
	f.CLV = distribution(clvs)
	revenues := values(func(s CLVScore) float64 { return s.Revenue })
	f.Revenue = distribution(revenues)
	f.WinBackRevenue = round2(quantile(revenues, 0.8))
	f.ProfitableCLV = quantile(clvs, 0.5)
	if f.Params.ProfitableCLV != nil {
		f.ProfitableCLV = *f.Params.ProfitableCLV
	}
	figures := map[string]*QuadrantFigures{}
	for _, q := range Quadrants {
		f.Quadrants = append(f.Quadrants, QuadrantFigures{Quadrant: q.Name, Action: q.Action})
	}
	for i := range f.Quadrants {
		figures[f.Quadrants[i].Quadrant] = &f.Quadrants[i]
	}
	for i := range scores {
		s := &scores[i]
		if s.RepeatPurchases > 0 {
			f.RepeatBuyers++
		}
		f.TotalCLV += s.CLV
		loyal := s.PAlive >= f.Params.LoyalPAlive && s.TenureWeeks >= f.Params.LoyalMinTenureWeeks
		profitable := s.CLV >= f.ProfitableCLV
		switch {
		case loyal && profitable:
			s.Quadrant = QuadrantTrueFriend
		case profitable:
			s.Quadrant = QuadrantButterfly
		case loyal:
			s.Quadrant = QuadrantBarnacle
		default:
			s.Quadrant = QuadrantStranger
		}
		q := figures[s.Quadrant]
		q.Customers++
		q.Revenue += s.Revenue
		q.CLV += s.CLV
	}
	for i := range f.Quadrants {
		f.Quadrants[i].Revenue, f.Quadrants[i].CLV = round2(f.Quadrants[i].Revenue), round2(f.Quadrants[i].CLV)
	}
	f.TotalCLV = round2(f.TotalCLV)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func round4(v float64) float64 { return math.Round(v*10000) / 10000 }

// quantile is the q-quantile of sorted values by linear interpolation; 0 when there are none.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[lo]
	}
	return sorted[lo] + (pos-float64(lo))*(sorted[lo+1]-sorted[lo])
}

func distribution(sorted []float64) Distribution {
	var sum float64
	for _, v := range sorted {
		sum += v
	}
	d := Distribution{P10: quantile(sorted, 0.1), P25: quantile(sorted, 0.25), P50: quantile(sorted, 0.5),
		P75: quantile(sorted, 0.75), P90: quantile(sorted, 0.9)}
	if len(sorted) > 0 {
		d.Mean = sum / float64(len(sorted))
	}
	for _, v := range []*float64{&d.Mean, &d.P10, &d.P25, &d.P50, &d.P75, &d.P90} {
		*v = round4(*v)
	}
	return d
}

// CLVFit answers the stored fit as of asOf, or the latest.
func (s *Service) CLVFit(ctx context.Context, actor event.Actor, asOf *time.Time) (CLVFit, error) {
	var fit CLVFit
	return fit, s.latest(ctx, actor.OrgID, KindCLV, asOf, &fit)
}

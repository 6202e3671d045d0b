package analytics

import (
	"bufio"
	"cmp"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/pkg/apperr"
)

// The paper's split of the CDNOW sample: 39 weeks of calibration, 39 of holdout.
var (
	cdnowCalibrationEnd = time.Date(1997, 9, 30, 23, 59, 59, 0, time.UTC)
	cdnowHoldoutEnd     = time.Date(1998, 6, 30, 23, 59, 59, 0, time.UTC)
)

// cdnowPurchase is a line of the raw CDNOW sample.
type cdnowPurchase struct {
	customer string
	day      time.Time
	dollars  float64
}

func readCDNOW(t testing.TB) []cdnowPurchase {
	t.Helper()
	f, err := os.Open("../../testdata/cdnow/CDNOW_sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []cdnowPurchase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 {
			continue
		}
		day, err := time.Parse("20060102", fs[2])
		if err != nil {
			t.Fatal(err)
		}
		dollars, err := strconv.ParseFloat(fs[4], 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cdnowPurchase{fs[1], day, dollars})
	}
	return out
}

// purchaseDays sums the purchases by customer and day, as storage answers them.
func purchaseDays(ps []cdnowPurchase, calibrationEnd time.Time) []PurchaseDays {
	byCustomer := map[string]map[int]float64{}
	var order []string
	for _, p := range ps {
		if byCustomer[p.customer] == nil {
			byCustomer[p.customer] = map[int]float64{}
			order = append(order, p.customer)
		}
		byCustomer[p.customer][dayNumber(p.day)] += p.dollars
	}
	out := make([]PurchaseDays, len(order))
	for i, id := range order {
		n, _ := strconv.Atoi(id)
		c := PurchaseDays{CustomerID: uuid.UUID{15: byte(n), 14: byte(n >> 8)}}
		for _, d := range slices.Sorted(func(yield func(int) bool) {
			for d := range byCustomer[id] {
				if !yield(d) {
					return
				}
			}
		}) {
			c.Days, c.Values = append(c.Days, d), append(c.Values, byCustomer[id][d])
			if d <= dayNumber(calibrationEnd) {
				c.Calibration++
			}
		}
		out[i] = c
	}
	return out
}

// hyp2f1 is the Gauss hypergeometric series ₂F₁(a, b; c; z), summed until its terms vanish.
func hyp2f1(a, b, c, z float64) float64 {
	sum, term := 1.0, 1.0
	for k := 0.0; k < 100_000; k++ {
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
		sum += term
		if math.Abs(term) < 1e-16*math.Abs(sum) {
			break
		}
	}
	return sum
}

// cdnowCustomer is one customer's figures computed straight from the raw lines.
type cdnowCustomer struct {
	x            int
	first, last  time.Time // the first purchase, the last in calibration
	tx, T        float64   // weeks
	holdout      int       // repeat purchases in the holdout: distinct purchase days
	holdoutSpend float64
	pAlive, eY   float64 // at the published parameters
}

// The CDNOW backtest against an independent computation: a direct loop over the raw file for
// what happened, and the paper's closed forms at its published estimates for the predictions.
func TestBacktestCDNOW(t *testing.T) {
	raw := readCDNOW(t)
	p, err := CheckBacktest(BacktestParams{CalibrationEnd: cdnowCalibrationEnd, HoldoutEnd: cdnowHoldoutEnd}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, scores, err := ComputeBacktest(purchaseDays(raw, p.CalibrationEnd), p)
	if err != nil {
		t.Fatal(err)
	}

	// The fit: the published estimates to four digits.
	t.Logf("BG/NBD %+v (log-likelihood %.2f); Gamma-Gamma %+v (%.2f)", b.BGNBD, b.BGNBDLogLikelihood, b.GammaGamma, b.GammaLogLikelihood)
	within(t, "r", b.BGNBD.R, 0.2426, 0.0005)
	within(t, "alpha", b.BGNBD.Alpha, 4.4136, 0.0005)
	within(t, "a", b.BGNBD.A, 0.7929, 0.0005)
	within(t, "b", b.BGNBD.B, 2.4259, 0.0005)
	within(t, "log-likelihood", b.BGNBDLogLikelihood, -9582.43, 0.00001)
	within(t, "p", b.GammaGamma.P, 6.25, 0.005)
	within(t, "q", b.GammaGamma.Q, 3.74, 0.005)
	within(t, "gamma", b.GammaGamma.Gamma, 15.44, 0.005)

	// The independent computation, straight from the lines of the file.
	const (
		r, alpha, a, bb = 0.2426, 4.4136, 0.7929, 2.4259 // Fader, Hardie & Lee (2005)
		gp, gq, gg      = 6.25, 3.74, 15.44              // Fader, Hardie & Lee (2005b)
		horizon         = 39.0
	)
	calEnd := time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)
	holdEnd := time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC)
	weeks := func(d time.Duration) float64 { return d.Hours() / 24 / 7 }
	custs := map[string]*cdnowCustomer{}
	calDays, holdDays := map[string]map[time.Time]float64{}, map[string]map[time.Time]bool{}
	var ids []string
	for _, l := range raw {
		c := custs[l.customer]
		if c == nil {
			c = &cdnowCustomer{first: l.day}
			custs[l.customer], calDays[l.customer], holdDays[l.customer] = c, map[time.Time]float64{}, map[time.Time]bool{}
			ids = append(ids, l.customer)
		}
		if l.day.Before(c.first) {
			c.first = l.day
		}
		switch {
		case !l.day.After(calEnd):
			calDays[l.customer][l.day] += l.dollars
		case !l.day.After(holdEnd):
			holdDays[l.customer][l.day] = true
			c.holdoutSpend += l.dollars
		}
	}
	var actualTotal, predictedTotal, baselineTotal, actualSpend, predictedSpend, mae, baselineMAE float64
	type group struct{ n, actual, model float64 }
	groups := make([]group, 8)
	for _, id := range ids {
		c := custs[id]
		c.x = len(calDays[id]) - 1
		var calSpend float64
		for d, v := range calDays[id] {
			calSpend += v
			if d.After(c.last) {
				c.last = d
			}
		}
		c.tx, c.T = weeks(c.last.Sub(c.first)), weeks(calEnd.Sub(c.first))
		c.holdout = len(holdDays[id])
		x := float64(c.x)
		c.pAlive = 1
		if c.x > 0 {
			c.pAlive = 1 / (1 + a/(bb+x-1)*math.Pow((alpha+c.T)/(alpha+c.tx), r+x))
		}
		c.eY = (a + bb + x - 1) / (a - 1) * (1 - math.Pow((alpha+c.T)/(alpha+c.T+horizon), r+x)*
			hyp2f1(r+x, bb+x, a+bb+x-1, horizon/(alpha+c.T+horizon))) * c.pAlive
		// Gamma-Gamma's expected value per purchase, from the mean of the repeat purchases.
		var zbar float64
		if c.x > 0 {
			zbar = (calSpend - calDays[id][c.first]) / x
		}
		value := gp * (gg + x*zbar) / (gp*x + gq - 1)
		baseline := x / c.T * horizon
		actualTotal += float64(c.holdout)
		predictedTotal += c.eY
		baselineTotal += baseline
		actualSpend += c.holdoutSpend
		predictedSpend += c.eY * value
		mae += math.Abs(c.eY - float64(c.holdout))
		baselineMAE += math.Abs(baseline - float64(c.holdout))
		g := &groups[min(c.x, 7)]
		g.n++
		g.actual += float64(c.holdout)
		g.model += c.eY
	}
	n := float64(len(ids))
	if len(ids) != 2357 || b.Customers != 2357 || b.RepeatBuyers != 946 {
		t.Fatalf("%d customers in the file; the backtest has %d customers, %d repeat buyers", len(ids), b.Customers, b.RepeatBuyers)
	}

	// Per customer: what happened exactly, the predictions to the fit's precision.
	for _, s := range scores {
		id := strconv.Itoa(int(s.CustomerID[14])<<8 | int(s.CustomerID[15]))
		c := custs[strings.Repeat("0", 4-len(id))+id]
		if s.ActualPurchases != c.holdout || s.RepeatPurchases != c.x || math.Abs(s.ActualSpend-c.holdoutSpend) > 1e-9 {
			t.Fatalf("customer %s: actual %d (want %d), x %d (want %d), spend %v (want %v)", id, s.ActualPurchases, c.holdout, s.RepeatPurchases, c.x,
				s.ActualSpend, c.holdoutSpend)
		}
		if math.Abs(s.PredictedPurchases-c.eY) > 1e-3*max(c.eY, 0.1) || math.Abs(s.PAlive-c.pAlive) > 1e-3 {
			t.Fatalf("customer %s: E[Y(39)] %v (want %v), P(alive) %v (want %v)", id, s.PredictedPurchases, c.eY, s.PAlive, c.pAlive)
		}
		if want := float64(c.x) / c.T * horizon; math.Abs(s.BaselinePurchases-want) > 1e-9 {
			t.Fatalf("customer %s: baseline %v, want %v", id, s.BaselinePurchases, want)
		}
	}
	// Customer 0001 (x = 2, t_x = 30.43, T = 38.86): E[Y(39)] = 1.226 in the paper's note.
	within(t, "E[Y(39)] of customer 0001", scores[0].PredictedPurchases, 1.226, 0.001)

	t.Logf("holdout repeat purchases: actual %v, model %v, baseline %v; MAE model %v, baseline %v", b.Purchases.Actual, b.Purchases.Model.Total,
		b.Purchases.Baseline.Total, b.Purchases.Model.MAE, b.Purchases.Baseline.MAE)
	t.Logf("holdout spend: actual %v, model %v, baseline %v; MAE model %v, baseline %v", b.Spend.Actual, b.Spend.Model.Total,
		b.Spend.Baseline.Total, b.Spend.Model.MAE, b.Spend.Baseline.MAE)
	if b.Purchases.Actual != actualTotal {
		t.Errorf("actual repeat purchases %v, the file has %v", b.Purchases.Actual, actualTotal)
	}
	within(t, "actual spend", b.Spend.Actual, actualSpend, 1e-9)
	within(t, "predicted repeat purchases", b.Purchases.Model.Total, predictedTotal, 0.001)
	within(t, "baseline repeat purchases", b.Purchases.Baseline.Total, baselineTotal, 1e-6)
	within(t, "MAE", b.Purchases.Model.MAE, mae/n, 0.001)
	within(t, "baseline MAE", b.Purchases.Baseline.MAE, baselineMAE/n, 1e-4)
	within(t, "predicted spend", b.Spend.Model.Total, predictedSpend, 0.005)

	// The conditional expectations.
	for i, g := range b.ByFrequency {
		w := groups[i]
		t.Logf("x=%d%s: %4d customers, actual %.3f, model %.3f, baseline %.3f", g.RepeatPurchases, map[bool]string{true: "+"}[g.OrMore],
			g.Customers, g.Actual, g.Model, g.Baseline)
		if g.RepeatPurchases != i || g.OrMore != (i == 7) || float64(g.Customers) != w.n {
			t.Fatalf("group %d: %+v, want %v customers", i, g, w.n)
		}
		if math.Abs(g.Actual-w.actual/w.n) > 1e-4 || math.Abs(g.Model-w.model/w.n) > 1e-3*max(1, g.Model) {
			t.Errorf("group %d: actual %v model %v, want %v and %v", i, g.Actual, g.Model, w.actual/w.n, w.model/w.n)
		}
	}

	// Tracking: the weeks from 1997-01-01, 39 of calibration and 39 of holdout; the expected
	// cumulative repeat purchases sum E[X(t)] from each customer's first purchase.
	if len(b.Weeks) != 78 || b.CalibrationWeeks != 39 || !b.Weeks[38].End.Equal(calEnd) || !b.Weeks[77].End.Equal(holdEnd) || b.Weeks[39].Holdout != true {
		t.Fatalf("%d weeks, %d of calibration, the 39th ends %v, the 78th %v", len(b.Weeks), b.CalibrationWeeks, b.Weeks[38].End, b.Weeks[77].End)
	}
	start := time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC)
	eX := func(t float64) float64 {
		return (a + bb - 1) / (a - 1) * (1 - math.Pow(alpha/(alpha+t), r)*hyp2f1(r, bb, a+bb-1, t/(alpha+t)))
	}
	for k, w := range b.Weeks {
		end := start.AddDate(0, 0, 7*k+6)
		var actual int
		var model float64
		for _, id := range ids {
			c := custs[id]
			for d := range calDays[id] {
				if d.After(c.first) && !d.After(end) {
					actual++
				}
			}
			for d := range holdDays[id] {
				if !d.After(end) {
					actual++
				}
			}
			if !c.first.After(end) {
				model += eX(weeks(end.Sub(c.first)))
			}
		}
		if w.CumulativeActual != actual || math.Abs(w.CumulativeModel-model) > 0.001*model+0.01 {
			t.Fatalf("week %d to %s: cumulative actual %d model %v, want %d and %v", w.Week, end.Format(time.DateOnly), w.CumulativeActual,
				w.CumulativeModel, actual, model)
		}
	}
	t.Logf("cumulative repeat purchases at week 39: actual %d, model %.1f; at week 78: actual %d, model %.1f",
		b.Weeks[38].CumulativeActual, b.Weeks[38].CumulativeModel, b.Weeks[77].CumulativeActual, b.Weeks[77].CumulativeModel)

	// Churn: the AUC pair by pair, P(alive) at the published estimates and recency.
	all := make([]*cdnowCustomer, len(ids))
	for i, id := range ids {
		all[i] = custs[id]
	}
	pairAUC := func(score func(c *cdnowCustomer) float64) float64 {
		var wins, pairs float64
		for _, ci := range all {
			for _, cj := range all {
				if ci.holdout == 0 || cj.holdout > 0 {
					continue
				}
				pairs++
				switch si, sj := score(ci), score(cj); {
				case si > sj:
					wins++
				case si == sj:
					wins += 0.5
				}
			}
		}
		return wins / pairs
	}
	wantAUC := pairAUC(func(c *cdnowCustomer) float64 { return c.pAlive })
	wantRecency := pairAUC(func(c *cdnowCustomer) float64 { return -weeks(calEnd.Sub(c.last)) })
	t.Logf("churn: %d of %d came back; AUC of P(alive) %v (pairwise %.4f), of P(return) %v, of recency %v (pairwise %.4f); "+
		"%d at risk, %v of them lost (recency: %v)", b.Churn.Returned, b.Churn.Customers, *b.Churn.AUC, wantAUC, *b.Churn.PReturnAUC,
		*b.Churn.BaselineAUC, wantRecency, b.Churn.AtRisk, *b.Churn.AtRiskLost, *b.Churn.BaselineAtRiskLost)
	if math.Abs(*b.Churn.AUC-wantAUC) > 0.001 || math.Abs(*b.Churn.BaselineAUC-wantRecency) > 0.0001 {
		t.Errorf("AUC %v and baseline %v, want %v and %v", *b.Churn.AUC, *b.Churn.BaselineAUC, wantAUC, wantRecency)
	}
	var atRisk, lost, customers int
	for _, c := range all {
		if c.pAlive < 0.5 {
			atRisk++
			if c.holdout == 0 {
				lost++
			}
		}
	}
	if b.Churn.AtRisk != atRisk || math.Abs(*b.Churn.AtRiskLost-float64(lost)/float64(atRisk)) > 1e-4 {
		t.Errorf("at risk %d, lost %v; want %d, %v", b.Churn.AtRisk, *b.Churn.AtRiskLost, atRisk, float64(lost)/float64(atRisk))
	}
	for _, d := range b.Churn.Deciles {
		t.Logf("decile %2d: %d customers, P(alive) %.3f–%.3f mean %.3f, P(return) %.3f, returned %.3f", d.Decile, d.Customers, d.MinPAlive,
			d.MaxPAlive, d.MeanPAlive, d.MeanPReturn, d.ReturnedShare)
		customers += d.Customers
	}
	if len(b.Churn.Deciles) != 10 || customers != 2357 || b.Churn.Deciles[0].MaxPAlive > b.Churn.Deciles[9].MinPAlive {
		t.Errorf("deciles %+v", b.Churn.Deciles)
	}
}

// On customers drawn from the model itself, with known parameters, the fit finds them again and
// the predictions beat the baselines.
func TestBacktestSynthetic(t *testing.T) {
	truth, spend := BGNBD{R: 0.5, Alpha: 6, A: 0.9, B: 3}, GammaGamma{P: 6, Q: 4, Gamma: 15}
	first := dayNumber(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	calEnd, holdEnd := time.Unix(int64(first+364)*86400, 0).UTC(), time.Unix(int64(first+364+182)*86400, 0).UTC()
	customers, alive := simulateDays(20_000, truth, spend, 7, first, 91, first+364, first+364+182)
	b, scores, err := ComputeBacktest(customers, BacktestParams{CalibrationEnd: calEnd, HoldoutEnd: holdEnd, AtRiskPAlive: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if len(scores) != len(customers) { // all first bought in the first quarter
		t.Fatalf("%d scores of %d customers", len(scores), len(customers))
	}
	t.Logf("fitted %+v %+v", b.BGNBD, b.GammaGamma)
	within(t, "r", b.BGNBD.R, truth.R, 0.1)
	within(t, "alpha", b.BGNBD.Alpha, truth.Alpha, 0.1)
	within(t, "a", b.BGNBD.A, truth.A, 0.2)
	within(t, "b", b.BGNBD.B, truth.B, 0.2)
	within(t, "p", b.GammaGamma.P, spend.P, 0.1)
	within(t, "q", b.GammaGamma.Q, spend.Q, 0.1)
	within(t, "gamma", b.GammaGamma.Gamma, spend.Gamma, 0.15)
	t.Logf("purchases: %+v; spend: %+v", b.Purchases, b.Spend)
	t.Logf("churn: AUC %v, P(return) %v, baseline %v; at risk %d, lost %v (baseline %v)", *b.Churn.AUC, *b.Churn.PReturnAUC, *b.Churn.BaselineAUC,
		b.Churn.AtRisk, *b.Churn.AtRiskLost, *b.Churn.BaselineAtRiskLost)
	within(t, "predicted repeat purchases", b.Purchases.Model.Total, b.Purchases.Actual, 0.05)
	if b.Purchases.Model.MAE >= b.Purchases.Baseline.MAE || b.Spend.Model.MAE >= b.Spend.Baseline.MAE {
		t.Errorf("MAE of purchases %v (baseline %v), of spend %v (baseline %v)", b.Purchases.Model.MAE, b.Purchases.Baseline.MAE,
			b.Spend.Model.MAE, b.Spend.Baseline.MAE)
	}
	if *b.Churn.PReturnAUC <= *b.Churn.BaselineAUC || *b.Churn.AUC <= 0.5 {
		t.Errorf("AUC of P(return) %v, of P(alive) %v, of recency %v", *b.Churn.PReturnAUC, *b.Churn.AUC, *b.Churn.BaselineAUC)
	}
	// The model's probabilities come true: in every decile of P(alive), the mean probability of a
	// purchase in the holdout is the share who made one, and the mean P(alive) the share who were
	// alive. P(alive) ranks the living well; it ranks the buyers poorly (above) because everyone
	// without a repeat purchase is alive to it, and many of them buy too rarely to show.
	isAlive := make([]ranked, len(scores))
	for i, s := range scores {
		isAlive[i] = ranked{s.PAlive, alive[i]}
	}
	slices.SortStableFunc(isAlive, func(a, b ranked) int { return cmp.Compare(a.score, b.score) }) // the deciles' order
	aliveAUC := auc(isAlive)
	t.Logf("AUC of P(alive) for being alive at the calibration end: %v", *aliveAUC)
	if *aliveAUC < 0.85 {
		t.Errorf("AUC of P(alive) for being alive: %v", *aliveAUC)
	}
	for k, d := range b.Churn.Deciles {
		var living float64
		for _, r := range isAlive[k*len(isAlive)/10 : (k+1)*len(isAlive)/10] {
			if r.returned {
				living++
			}
		}
		living /= float64(d.Customers)
		t.Logf("decile %2d: P(alive) %.3f, alive %.3f; P(return) %.3f, returned %.3f", d.Decile, d.MeanPAlive, living, d.MeanPReturn, d.ReturnedShare)
		if math.Abs(d.MeanPReturn-d.ReturnedShare) > 0.03 || math.Abs(d.MeanPAlive-living) > 0.03 {
			t.Errorf("decile %d: P(return) %v, returned %v; P(alive) %v, alive %v", d.Decile, d.MeanPReturn, d.ReturnedShare, d.MeanPAlive, living)
		}
	}
	for _, g := range b.ByFrequency {
		if math.Abs(g.Model-g.Actual) > 0.1*max(g.Actual, 0.5) {
			t.Errorf("%d repeat purchases: model %v, actual %v", g.RepeatPurchases, g.Model, g.Actual)
		}
	}
}

func TestBacktestEdges(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	t.Run("the holdout must end on a later day, in the past", func(t *testing.T) {
		for _, c := range []struct {
			name           string
			cal, hold      time.Time
			field, message string
		}{
			{"same instant", now.AddDate(0, -1, 0), now.AddDate(0, -1, 0), "holdout_end", "later day"},
			{"before", now.AddDate(0, -1, 0), now.AddDate(0, -2, 0), "holdout_end", "later day"},
			{"later the same UTC day", now.AddDate(0, -1, 0).Truncate(24 * time.Hour), now.AddDate(0, -1, 0).Truncate(24 * time.Hour).Add(23 * time.Hour), "holdout_end", "later day"},
			{"in the future", now.AddDate(0, -1, 0), now.Add(time.Hour), "holdout_end", "future"},
			{"before the epoch", Epoch.Add(-time.Hour), now, "calibration_end", "before"},
		} {
			_, err := CheckBacktest(BacktestParams{CalibrationEnd: c.cal, HoldoutEnd: c.hold}, now)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != c.field || !strings.Contains(e.Fields[0].Message, c.message) {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		p, err := CheckBacktest(BacktestParams{CalibrationEnd: now.AddDate(0, -2, 0), HoldoutEnd: now.AddDate(0, -1, 0)}, now)
		if err != nil || p.AtRiskPAlive != DefaultAtRiskPAlive {
			t.Errorf("a valid backtest: %v, %+v", err, p)
		}
		if _, err := CheckBacktest(BacktestParams{CalibrationEnd: now.AddDate(0, -2, 0), HoldoutEnd: now.AddDate(0, -1, 0), AtRiskPAlive: 1}, now); err == nil {
			t.Error("at_risk_p_alive 1 accepted")
		}
	})

	day := func(s string) int {
		d, _ := time.Parse(time.DateOnly, s)
		return dayNumber(d)
	}
	cal, hold := time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC), time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	p := BacktestParams{CalibrationEnd: cal, HoldoutEnd: hold, AtRiskPAlive: 0.5}
	customer := func(i byte, cal int, days ...string) PurchaseDays {
		c := PurchaseDays{CustomerID: uuid.UUID{i}, Calibration: cal}
		for _, d := range days {
			c.Days, c.Values = append(c.Days, day(d)), append(c.Values, 10)
		}
		return c
	}
	t.Run("customers without a calibration purchase are left out; a day split by the calibration end is one purchase", func(t *testing.T) {
		cs := []PurchaseDays{
			customer(1, 3, "2025-01-02", "2025-02-01", "2025-03-01", "2025-04-15"),
			customer(2, 2, "2025-01-10", "2025-03-31", "2025-03-31", "2025-05-01"), // bought again on the day after the calibration end
			customer(3, 3, "2025-01-20", "2025-02-20", "2025-03-20"),
			customer(4, 0, "2025-04-02", "2025-05-02"), // first bought in the holdout
		}
		// Beside them, enough customers for a fit, who first bought in the fourth quarter of 2024.
		others, _ := simulateDays(2000, BGNBD{R: 0.5, Alpha: 6, A: 0.9, B: 3}, GammaGamma{P: 6, Q: 4, Gamma: 15}, 3, day("2024-10-01"), 92,
			dayNumber(cal), dayNumber(hold))
		b, scores, err := ComputeBacktest(append(slices.Clone(cs), others...), p)
		if err != nil {
			t.Fatal(err)
		}
		if b.Customers != 2003 || len(scores) != 2003 || slices.ContainsFunc(scores, func(s BacktestScore) bool { return s.CustomerID == cs[3].CustomerID }) {
			t.Fatalf("%d customers, %d scores", b.Customers, len(scores))
		}
		split := scores[1]
		if split.CustomerID != cs[1].CustomerID || split.RepeatPurchases != 1 || split.ActualPurchases != 1 || split.ActualSpend != 20 ||
			split.DaysSinceLastPurchase != 0 {
			t.Errorf("the customer whose day the calibration end splits: %+v", split)
		}
		if scores[0].ActualPurchases != 1 || scores[2].ActualPurchases != 0 {
			t.Errorf("scores %+v", scores[:3])
		}
		mine, err := (func() (Backtest, error) { b, _, err := ComputeBacktest(cs, p); return b, err })()
		if err != nil {
			t.Fatal(err)
		}
		if mine.Purchases.Actual != 2 || mine.Weeks[len(mine.Weeks)-1].CumulativeActual != 2+1+2+1+1 {
			t.Errorf("actual %v, cumulative %+v", mine.Purchases.Actual, mine.Weeks[len(mine.Weeks)-1])
		}
		if w := b.Weeks[b.CalibrationWeeks-1]; !w.End.Equal(time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)) || w.Holdout || !b.Weeks[b.CalibrationWeeks].Holdout {
			t.Errorf("the last calibration week: %+v", w)
		}
		if last := b.Weeks[len(b.Weeks)-1]; !last.End.Equal(time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("the last week ends %v", last.End)
		}
	})
	t.Run("too few repeat buyers: the fit fails with its reason", func(t *testing.T) {
		_, _, err := ComputeBacktest([]PurchaseDays{customer(1, 2, "2025-01-02", "2025-02-01"), customer(2, 1, "2025-01-05", "2025-05-01")}, p)
		if apperr.KindOf(err) != apperr.KindInvalid || !strings.Contains(err.Error(), ErrTooFewCustomers.Error()) {
			t.Errorf("one repeat buyer: %v", err)
		}
		_, _, err = ComputeBacktest(nil, p)
		if apperr.KindOf(err) != apperr.KindInvalid || !strings.Contains(err.Error(), ErrTooFewCustomers.Error()) {
			t.Errorf("no customers: %v", err)
		}
	})
}

// The ranking figures on small cases worked by hand.
func TestAUCAndLostShare(t *testing.T) {
	sorted := func(rs ...ranked) []ranked {
		slices.SortFunc(rs, func(a, b ranked) int { return cmp.Compare(a.score, b.score) })
		return rs
	}
	for _, c := range []struct {
		name string
		rs   []ranked
		want float64
	}{
		{"perfect", sorted(ranked{1, false}, ranked{2, false}, ranked{3, true}), 1},
		{"reversed", sorted(ranked{1, true}, ranked{2, false}), 0},
		{"all tied", sorted(ranked{1, true}, ranked{1, false}, ranked{1, false}), 0.5},
		// Pairs (returned, not): (2,1) win, (2,2) half, (2,3) loss, (4,1), (4,2), (4,3) wins: 4.5 of 6.
		{"a tie", sorted(ranked{1, false}, ranked{2, false}, ranked{2, true}, ranked{3, false}, ranked{4, true}), 0.75},
	} {
		if got := auc(c.rs); got == nil || *got != c.want {
			t.Errorf("%s: AUC %v, want %v", c.name, got, c.want)
		}
	}
	if auc([]ranked{{1, true}, {2, true}}) != nil {
		t.Error("an AUC without a customer who did not come back")
	}
	// The first 2 of lost, (tie: lost, returned), returned: 1 + 1/2 lost of 2.
	rs := []ranked{{1, false}, {2, false}, {2, true}, {3, true}}
	if got := lostShare(rs, 2); *got != 0.75 {
		t.Errorf("lost share %v, want 0.75", *got)
	}
	if lostShare(rs, 0) != nil {
		t.Error("a lost share of none")
	}
	// At risk means P(alive) below the threshold.
	c := churnFigures([]BacktestScore{{PAlive: 0.5}, {PAlive: 0.25, ActualPurchases: 1}, {PAlive: 0.125}}, 0.5)
	if c.AtRisk != 2 || *c.AtRiskLost != 0.5 || c.Returned != 1 || len(c.Deciles) != 3 {
		t.Errorf("churn figures %+v", c)
	}
}

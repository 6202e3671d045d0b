package analyticsapi_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/api/analyticsapi"
	"github.com/rapportcrm/rapport/api/apitest"
	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/chart"
	"github.com/rapportcrm/rapport/pkg/chart/charttest"
)

// The CDNOW backtest on the raw transactions loaded through the API, read back by the store's
// SQL: the same figures as the direct loop over the file in pkg/analytics (TestBacktestCDNOW),
// and its charts. The job and the endpoints are not wired yet; this runs what the job will.
func TestBacktestCDNOWCharts(t *testing.T) {
	env := apitest.New(t)
	s := env.Signup(t, "CDNOW backtest")
	customers, purchases := cdnow(t)
	load(t, env, s.Access, customers, purchases)
	ctx, store, org := context.Background(), env.DB.AnalyticsStore(), uuid.MustParse(s.OrgID)
	currency, err := store.OrgCurrency(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	p, err := analytics.CheckBacktest(analytics.BacktestParams{CalibrationEnd: time.Date(1997, 9, 30, 23, 59, 59, 0, time.UTC),
		HoldoutEnd: time.Date(1998, 6, 30, 23, 59, 59, 0, time.UTC)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var progress []float64
	b, err := analytics.RunBacktest(ctx, store, org, uuid.New(), currency, p, func(f float64) { progress = append(progress, f) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load %.3fs, fit %.3fs, score %.3fs, write %.3fs", b.LoadSeconds, b.FitSeconds, b.ScoreSeconds, b.WriteSeconds)
	// The counts of the raw file (pkg/analytics TestBacktestCDNOW checks them line by line).
	if b.Customers != 2357 || b.RepeatBuyers != 946 || b.Purchases.Actual != 1882 || math.Abs(b.Spend.Actual-70976.39) > 0.005 ||
		b.Weeks[38].CumulativeActual != 2457 || b.Weeks[77].CumulativeActual != 4339 || len(progress) != 2 {
		t.Fatalf("customers %d, repeat buyers %d, holdout purchases %v, spend %v, cumulative %d and %d; progress %v", b.Customers, b.RepeatBuyers,
			b.Purchases.Actual, b.Spend.Actual, b.Weeks[38].CumulativeActual, b.Weeks[77].CumulativeActual, progress)
	}
	for name, got := range map[string][2]float64{"r": {b.BGNBD.R, 0.2426}, "alpha": {b.BGNBD.Alpha, 4.4136}, "a": {b.BGNBD.A, 0.7929},
		"b": {b.BGNBD.B, 2.4259}, "predicted holdout purchases": {b.Purchases.Model.Total, 1653.41}} {
		near(t, name, got[0], got[1], 0.0005)
	}

	texts := charttest.Render(t, "backtest-tracking", analyticsapi.BacktestTrackingChart(b))
	charttest.Contains(t, "tracking", texts, "Repeat purchases: the model's forecast against what happened", "2357 customers who bought by 1997-09-30",
		"judged on the 39 weeks", "calibration ends 1997-09-30", "Cumulative", "Per week", "Week, from the customers' first purchase",
		"Repeat purchases (cumulative)", "Actual", "Model (BG/NBD)", "repeat purchases in the holdout: 1882 actual",
		fmt.Sprintf("%s expected", chart.Number(b.Weeks[77].CumulativeModel-b.Weeks[38].CumulativeModel)), "week 39 (the calibration's last) 1997-09-30")
	texts = charttest.Render(t, "backtest-frequency", analyticsapi.BacktestFrequencyChart(b))
	charttest.Contains(t, "frequency", texts, "Holdout purchases by calibration frequency (conditional expectations)", "0 (1411)", "7+ (64)",
		fmt.Sprintf("7+: %.2f", b.ByFrequency[7].Baseline), "Mean repeat purchases per customer in the holdout", "1882 repeat purchases in the holdout",
		fmt.Sprintf("the model expected %s", chart.Number(b.Purchases.Model.Total)), fmt.Sprintf("%.2f", b.ByFrequency[7].Actual),
		fmt.Sprintf("%.2f", b.ByFrequency[0].Model), "70976.39 "+currency)
	// A backtest without customers cannot be stored (the fit refuses it), but its charts still draw.
	empty := analytics.Backtest{CalibrationEnd: p.CalibrationEnd, HoldoutEnd: p.HoldoutEnd, HoldoutWeeks: 39}
	charttest.Contains(t, "empty tracking", charttest.Render(t, "backtest-tracking-empty", analyticsapi.BacktestTrackingChart(empty)), "no purchases to track")
	charttest.Contains(t, "empty frequency", charttest.Render(t, "backtest-frequency-empty", analyticsapi.BacktestFrequencyChart(empty)), "no groups to draw",
		"0 customers who bought by 1997-09-30")
}

package analytics

import (
	"os"
	"testing"
	"time"
)

// BenchmarkFit fits both models to a million simulated customers with CDNOW-like parameters.
func BenchmarkFit(b *testing.B) {
	truth, spend := BGNBD{R: 0.2426, Alpha: 4.4136, A: 0.7929, B: 2.4259}, GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	hs := simulate(1_000_000, truth, spend, 1)
	for b.Loop() {
		m, _, err := FitBGNBD(grouped(hs))
		if err != nil {
			b.Fatal(err)
		}
		g, _, err := FitGammaGamma(hs)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(m.R, "r")
		b.ReportMetric(m.A, "a")
		b.ReportMetric(g.P, "p")
	}
}

// BenchmarkBacktest runs the backtest's computation on a million simulated customers with
// CDNOW-like parameters, acquired over a year, with 78 weeks of calibration and 26 of holdout.
// Drawing them takes a while and a few GB: it runs only when RAPPORT_BENCH_BACKTEST is set.
func BenchmarkBacktest(b *testing.B) {
	if os.Getenv("RAPPORT_BENCH_BACKTEST") == "" {
		b.Skip("set RAPPORT_BENCH_BACKTEST=1 to backtest a million simulated customers")
	}
	truth, spend := BGNBD{R: 0.2426, Alpha: 4.4136, A: 0.7929, B: 2.4259}, GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	first := dayNumber(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	calDay, endDay := first+7*78-1, first+7*(78+26)-1
	customers, _ := simulateDays(1_000_000, truth, spend, 1, first, 365, calDay, endDay)
	p := BacktestParams{CalibrationEnd: time.Unix(int64(calDay)*86400, 0).UTC(), HoldoutEnd: time.Unix(int64(endDay)*86400, 0).UTC(), AtRiskPAlive: 0.5}
	b.ReportAllocs()
	for b.Loop() {
		bt, scores, err := ComputeBacktest(customers, p)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(bt.FitSeconds, "fit-s")
		b.ReportMetric(bt.ScoreSeconds, "score-s")
		b.ReportMetric(float64(len(scores)), "customers")
		b.ReportMetric(bt.Purchases.Model.Total/bt.Purchases.Actual, "predicted/actual")
	}
}

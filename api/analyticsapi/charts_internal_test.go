package analyticsapi

import (
	"fmt"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/chart/charttest"
)

// The loyalty matrix of a fit without customers and of a fit with one: the API cannot answer
// either (a fit needs two repeat buyers), but a chart of them must still draw.
func TestMatrixChartEmptyAndSingle(t *testing.T) {
	asOf := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	m := Matrix{AsOf: asOf, LoyalPAlive: 0.5, LoyalMinTenureWeeks: 26, ProfitableCLV: 10}
	for _, q := range analytics.Quadrants {
		m.Quadrants = append(m.Quadrants, analytics.QuadrantFigures{Quadrant: q.Name, Action: q.Action})
	}
	texts := charttest.Render(t, "loyalty-matrix-empty", matrixChart(m, "EUR"))
	charttest.Contains(t, "empty matrix", texts, "Loyalty and profitability", "CLV ≥ 10.00 EUR", "scored no customers")
	m.Quadrants[0].Customers, m.Quadrants[0].Revenue, m.Quadrants[0].CLV = 1, 42.5, 17.25
	texts = charttest.Render(t, "loyalty-matrix-one", matrixChart(m, "EUR"))
	charttest.Contains(t, "one-customer matrix", texts, "true friends", "1 customer", "revenue 42.50 EUR", "CLV 17.25 EUR", "action: nurture", "barnacles", "0 customers")
}

// Two years of cohorts stay legible at 800 px: whole percentages in every cell.
func TestChurnChartTwoYears(t *testing.T) {
	r := ChurnReport{AsOf: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Retention: make([]analytics.PeriodRetention, 24)}
	for c := range 24 {
		co := analytics.Cohort{Month: fmt.Sprintf("%d-%02d", 2025+c/12, c%12+1), Customers: 1000 + c}
		for m := range 24 - c {
			co.Retention = append(co.Retention, 1/(1+float64(m)/2))
		}
		r.Cohorts = append(r.Cohorts, co)
	}
	charttest.Contains(t, "two years of cohorts", charttest.Render(t, "churn-two-years", churnChart(r)),
		"2025-01 (1000)", "2026-12 (1023)", "\n100\n", "\n67\n", "whole percentages")
}

// A backtest without customers cannot be stored (the fit refuses it), but its charts still draw.
func TestBacktestChartsEmpty(t *testing.T) {
	empty := analytics.Backtest{CalibrationEnd: time.Date(1997, 9, 30, 23, 59, 59, 0, time.UTC), HoldoutEnd: time.Date(1998, 6, 30, 23, 59, 59, 0, time.UTC), HoldoutWeeks: 39}
	charttest.Contains(t, "empty tracking", charttest.Render(t, "backtest-tracking-empty", backtestTrackingChart(empty)), "no purchases to track")
	charttest.Contains(t, "empty frequency", charttest.Render(t, "backtest-frequency-empty", backtestFrequencyChart(empty)), "no groups to draw",
		"0 customers who bought by 1997-09-30")
}

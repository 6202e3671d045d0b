package analyticsapi

import (
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/chart"
)

// The charts of a lifetime-value backtest (analytics.Backtest), for its GET answer as a picture.

// backtestSubject says which customers and periods a backtest covers.
func backtestSubject(b analytics.Backtest) string {
	return fmt.Sprintf("%s who bought by %s; the model fitted on their purchases to that day, its forecast judged on the %s weeks to %s",
		chart.Count(b.Customers, "customer"), day(b.CalibrationEnd), chart.Number(b.HoldoutWeeks), day(b.HoldoutEnd))
}

// offBy writes how far a forecast is from what happened, as a signed percentage.
func offBy(forecast, actual float64) string {
	if actual == 0 {
		return "nothing happened"
	}
	return fmt.Sprintf("%+.1f%%", (forecast/actual-1)*100)
}

// backtestTrackingChart draws the repeat purchases week by week, cumulative above and per week
// below, actual against the model's expectation, with a rule where the calibration ends.
func backtestTrackingChart(b analytics.Backtest) chart.Chart {
	p := chart.Panels{Frame: chart.Frame{
		Title:    "Repeat purchases: the model's forecast against what happened",
		Subtitle: backtestSubject(b),
		NoData:   "The backtest has no customers: there are no purchases to track.",
	}}
	if len(b.Weeks) == 0 {
		return p
	}
	m := b.BGNBD
	last := b.Weeks[len(b.Weeks)-1]
	calibration := b.Weeks[b.CalibrationWeeks-1]
	p.Subtitle += fmt.Sprintf(" · repeat purchases in the holdout: %s actual, %s expected (%s)", chart.Number(float64(last.CumulativeActual-calibration.CumulativeActual)),
		chart.Number(last.CumulativeModel-calibration.CumulativeModel), offBy(last.CumulativeModel-calibration.CumulativeModel, float64(last.CumulativeActual-calibration.CumulativeActual)))
	p.Notes = []string{
		"Repeat purchases: distinct purchase days after a customer's first. The model's line sums each customer's expected repeat purchases " +
			"since their first purchase, E[X(t)], under the BG/NBD fitted on the calibration period alone " +
			fmt.Sprintf("(r = %.4g, α = %.4g, a = %.4g, b = %.4g).", m.R, m.Alpha, m.A, m.B),
		fmt.Sprintf("Week 1 ends %s, week %d (the calibration's last) %s, week %d %s. The curve counts from the customers' first purchases alone; "+
			"forecast from each customer's own calibration purchases, the model expected %s repeat purchases in the holdout.",
			day(b.Weeks[0].End), b.CalibrationWeeks, day(calibration.End), last.Week, day(last.End), chart.Number(b.Purchases.Model.Total)),
	}
	cumActual, cumModel := chart.Series{Name: "Actual"}, chart.Series{Name: "Model (BG/NBD)", Dashed: true}
	weekActual, weekModel := chart.Series{Name: "Actual"}, chart.Series{Name: "Model (BG/NBD)", Dashed: true}
	for _, w := range b.Weeks {
		x := float64(w.Week)
		cumActual.Points = append(cumActual.Points, chart.Point{X: x, Y: float64(w.CumulativeActual)})
		cumModel.Points = append(cumModel.Points, chart.Point{X: x, Y: w.CumulativeModel})
		weekActual.Points = append(weekActual.Points, chart.Point{X: x, Y: float64(w.Actual)})
		weekModel.Points = append(weekModel.Points, chart.Point{X: x, Y: w.Model})
	}
	rule := []chart.Rule{{X: float64(b.CalibrationWeeks), Label: "calibration ends " + day(calibration.End)}}
	p.Panels = []chart.Lines{
		{Frame: chart.Frame{Title: "Cumulative"}, YLabel: "Repeat purchases (cumulative)", Series: []chart.Series{cumActual, cumModel}, Rules: rule, Height: 330},
		{Frame: chart.Frame{Title: "Per week"}, XLabel: "Week, from the customers' first purchase", YLabel: "Repeat purchases per week",
			Series: []chart.Series{weekActual, weekModel}, Rules: rule, Height: 230},
	}
	return p
}

// backtestFrequencyChart draws the conditional expectations: per number of repeat purchases in
// calibration, the mean repeat purchases in the holdout, actual and expected by the model. The
// baseline's means go in a note: as bars, they dwarf the two that the chart compares.
func backtestFrequencyChart(b analytics.Backtest) chart.Chart {
	bars := chart.Bars{
		Frame: chart.Frame{
			Title:    "Holdout purchases by calibration frequency (conditional expectations)",
			Subtitle: backtestSubject(b),
			NoData:   "The backtest has no customers: there are no groups to draw.",
		},
		CategoryLabel: "Repeat purchases in the calibration period (customers in the group)",
		ValueLabel:    "Mean repeat purchases per customer in the holdout",
		Height:        420,
	}
	if b.Customers == 0 {
		return bars
	}
	actual, model := chart.BarSeries{Name: "Actual"}, chart.BarSeries{Name: "Model (BG/NBD)"}
	var baseline []string
	for _, g := range b.ByFrequency {
		name := fmt.Sprint(g.RepeatPurchases)
		if g.OrMore {
			name += "+"
		}
		bars.Categories = append(bars.Categories, fmt.Sprintf("%s (%d)", name, g.Customers))
		actual.Values, model.Values = append(actual.Values, g.Actual), append(model.Values, g.Model)
		actual.Labels, model.Labels = append(actual.Labels, fmt.Sprintf("%.2f", g.Actual)), append(model.Labels, fmt.Sprintf("%.2f", g.Model))
		baseline = append(baseline, fmt.Sprintf("%s: %.2f", name, g.Baseline))
	}
	bars.Series = []chart.BarSeries{actual, model}
	pu, sp := b.Purchases, b.Spend
	bars.Notes = []string{
		fmt.Sprintf("Over all %s: %s repeat purchases in the holdout; the model expected %s (%s), the baseline %s (%s). "+
			"Mean absolute error per customer: model %s, baseline %s.", chart.Count(b.Customers, "customer"), chart.Number(pu.Actual),
			chart.Number(pu.Model.Total), offBy(pu.Model.Total, pu.Actual), chart.Number(pu.Baseline.Total), offBy(pu.Baseline.Total, pu.Actual),
			chart.Number(pu.Model.MAE), chart.Number(pu.Baseline.MAE)),
		fmt.Sprintf("Spend in the holdout: %s actual; model %s (%s), baseline %s (%s).", money(sp.Actual, b.Currency),
			money(sp.Model.Total, b.Currency), offBy(sp.Model.Total, sp.Actual), money(sp.Baseline.Total, b.Currency), offBy(sp.Baseline.Total, sp.Actual)),
		"Baseline: each customer buys on at the rate of the calibration period (repeat purchases ÷ weeks since the first purchase) for the holdout's weeks; " +
			"its means by group: " + strings.Join(baseline, " · ") + ". Repeat purchases: distinct purchase days after a customer's first.",
	}
	return bars
}

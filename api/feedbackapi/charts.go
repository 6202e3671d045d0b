package feedbackapi

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/pkg/chart"
)

// statsChart draws NPS, CSAT and CES per group of the report, one panel each: over time, with
// gaps where a month or week had no answers, when grouped by month or week; per channel, survey
// or stage otherwise; the overall figures alone without a grouping.
func statsChart(r StatsReport) chart.Chart {
	groups, xLabel := r.Groups, groupLabels[r.GroupBy]
	if r.GroupBy == "" {
		groups, xLabel = []FeedbackStats{r.Overall}, ""
		groups[0].Key = "all feedback"
	}
	at, ticks := positions(groups, r.GroupBy)
	o := r.Overall
	title := "Customer satisfaction"
	if r.GroupBy != "" {
		title += " by " + xLabel
	}
	ps := chart.Panels{Frame: chart.Frame{
		Title: title,
		Subtitle: fmt.Sprintf("Feedback created from %s to %s · overall NPS %s (%s) · CSAT %s (%s) · CES %s (%s)",
			r.From.Format("2006-01-02"), r.To.Format("2006-01-02"), score(o.NPS.Score, ""), chart.Count(o.NPS.Responses, "answer"),
			score(o.CSAT.Score, "%"), chart.Count(o.CSAT.Responses, "answer"), score(o.CES.Mean, ""), chart.Count(o.CES.Responses, "answer")),
		NoData: "No NPS, CSAT or CES answers in the period: nothing to draw.",
	}}
	joined := r.GroupBy == "month" || r.GroupBy == "week"
	labelled := len(ticks) <= 16
	panel := func(name, short, yLabel string, y chart.Range, value func(FeedbackStats) *float64) chart.Lines {
		s := chart.Series{Name: name, Dots: true, Unjoined: !joined}
		for i, g := range groups {
			if i > 0 && at[i]-at[i-1] > 1 { // months or weeks without answers between
				s.Points = append(s.Points, chart.Point{X: at[i] - 1, Y: math.NaN()})
			}
			p := chart.Point{X: at[i], Y: math.NaN()}
			if v := value(g); v != nil {
				p.Y = *v
				if labelled {
					p.Label = chart.Number(*v)
				}
			}
			s.Points = append(s.Points, p)
		}
		return chart.Lines{Frame: chart.Frame{Title: name, NoData: "No " + short + " answers in the period."}, YLabel: yLabel, Series: []chart.Series{s}, XTicks: ticks, Y: y,
			X: chart.Range{Min: -0.5, Max: float64(len(ticks)) - 0.5}, Height: 190}
	}
	ps.Panels = []chart.Lines{
		panel("Net Promoter Score", "NPS", "NPS (−100 to 100)", chart.Range{Min: -100, Max: 110}, func(g FeedbackStats) *float64 { return g.NPS.Score }),
		panel("Customer satisfaction", "CSAT", "CSAT (% satisfied)", chart.Range{Min: 0, Max: 110}, func(g FeedbackStats) *float64 { return g.CSAT.Score }),
		panel("Customer effort", "CES", "CES (mean, 1 to 7)", chart.Range{Min: 1, Max: 7.6}, func(g FeedbackStats) *float64 { return g.CES.Mean }),
	}
	if xLabel != "" {
		ps.Panels[len(ps.Panels)-1].XLabel = strings.ToUpper(xLabel[:1]) + xLabel[1:]
	}
	return ps
}

var groupLabels = map[string]string{"month": "month", "week": "week (from Monday)", "channel": "channel", "survey": "survey",
	"lifecycle_stage": "lifecycle stage"}

func score(v *float64, unit string) string {
	if v == nil {
		return "none"
	}
	return chart.Number(*v) + unit
}

// positions places the groups on the x axis: months and weeks on a calendar with a tick for
// every month or week from the first to the last (those without answers stay empty), other
// groupings one after another.
func positions(groups []FeedbackStats, groupBy string) ([]float64, []chart.Tick) {
	layout, step := "", func(t time.Time) time.Time { return t }
	switch groupBy {
	case "month":
		layout, step = "2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	case "week":
		layout, step = "2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	}
	at := make([]float64, len(groups))
	var ticks []chart.Tick
	if layout != "" && len(groups) > 0 {
		first, err1 := time.Parse(layout, groups[0].Key)
		last, err2 := time.Parse(layout, groups[len(groups)-1].Key)
		if err1 == nil && err2 == nil && !last.Before(first) {
			index := map[string]float64{}
			for t := first; !t.After(last); t = step(t) {
				index[t.Format(layout)] = float64(len(ticks))
				ticks = append(ticks, chart.Tick{At: float64(len(ticks)), Label: t.Format(layout)})
			}
			ok := true
			for i, g := range groups {
				var found bool
				if at[i], found = index[g.Key]; !found {
					ok = false
				}
			}
			if ok {
				return at, ticks
			}
		}
	}
	ticks = ticks[:0]
	for i, g := range groups {
		at[i] = float64(i)
		label := g.Key
		if label == "" {
			label = "(none)"
		}
		ticks = append(ticks, chart.Tick{At: float64(i), Label: label})
	}
	return at, ticks
}

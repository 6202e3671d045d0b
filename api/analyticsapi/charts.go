package analyticsapi

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/pkg/analytics"
	"github.com/rapportcrm/rapport/pkg/chart"
	"github.com/rapportcrm/rapport/pkg/customer"
)

// The charts of the reports: each converts the value the JSON answer is made of, and draws
// nothing that the answer does not say.

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// humanize writes a segment's name for people: loyal_customers as loyal customers.
func humanize(name string) string {
	if name == analytics.SegCantLose {
		return "can't lose"
	}
	return strings.ReplaceAll(name, "_", " ")
}

func money(v float64, currency string) string { return fmt.Sprintf("%.2f %s", v, currency) }

// paretoChart draws the Lorenz curve of a segmentation run, with the 80/20 point marked.
func paretoChart(seg analytics.Segmentation) chart.Chart {
	p := seg.Pareto
	l := chart.Lines{
		Frame: chart.Frame{
			Title: "Revenue concentration: the Lorenz curve",
			Subtitle: fmt.Sprintf("%s with net revenue from %s to %s, %s %s in all · Gini coefficient %.4g",
				chart.Count(p.Customers, "customer"), day(p.WindowStartAt), day(seg.AsOf), p.Revenue.StringFixed(2), seg.Currency, p.Gini),
			Notes: []string{"A point (x, y): the x% of customers who spent least brought y% of the revenue. " +
				"The further the curve sags below the diagonal (everyone spending alike), the more revenue depends on a few customers."},
			NoData: "No customer has net revenue in the 12 months before " + day(seg.AsOf) + ": there is no curve to draw.",
		},
		XLabel: "Customers, from the smallest to the largest spender (%)",
		YLabel: "Cumulative share of revenue (%)",
		X:      chart.Range{Max: 100}, Y: chart.Range{Max: 100},
	}
	if p.Customers == 0 || len(p.Lorenz) == 0 {
		return l
	}
	curve := chart.Series{Name: "Lorenz curve"}
	for _, pt := range p.Lorenz {
		curve.Points = append(curve.Points, chart.Point{X: float64(pt.Percentile), Y: pt.RevenueShare * 100})
	}
	l.Series = []chart.Series{curve, {Name: "Equality", Dashed: true, Points: []chart.Point{{X: 0, Y: 0}, {X: 100, Y: 100}}}}
	// The top ⌈n/5⌉ customers are the key accounts: the rest bring 1 − top_20_percent_share.
	rest := float64(p.Customers-min(max(p.KeyAccounts, 0), p.Customers)) / float64(p.Customers)
	l.Marks = []chart.Mark{{X: 100 * rest, Y: 100 * (1 - p.TopShare),
		Label: fmt.Sprintf("Top 20%% (%s): %s of revenue", chart.Count(p.KeyAccounts, "key account"), chart.Percent(p.TopShare))}}
	return l
}

// rfmChart draws the R×F grid: each segment is the block of scores it covers, shaded by its
// customers and labelled with its customers and revenue.
func rfmChart(seg analytics.Segmentation) chart.Chart {
	g := chart.Grid{
		Frame: chart.Frame{
			Title:    "RFM segments: recency × frequency",
			Subtitle: fmt.Sprintf("As of %s · %s with purchases · net revenue %s %s", day(seg.AsOf), chart.Count(seg.Customers, "customer"), seg.Revenue.StringFixed(2), seg.Currency),
			Notes:    []string{cutoffs("Recency score by days since the last purchase", seg.Cutoffs.Recency), cutoffs("Frequency score by purchases", seg.Cutoffs.Frequency)},
			NoData:   "No customer had bought by " + day(seg.AsOf) + ": there are no segments to draw.",
		},
		XLabel:  "Frequency score (5: the most purchases)",
		YLabel:  "Recency score (5: bought most recently)",
		Columns: []string{"1", "2", "3", "4", "5"},
		Rows:    []string{"5", "4", "3", "2", "1"},
		Shade:   "customers",
		Height:  380,
	}
	if seg.Customers == 0 {
		return g
	}
	for _, b := range segmentBlocks() {
		i := slices.IndexFunc(seg.Segments, func(s analytics.SegmentFigures) bool { return s.Segment == b.name })
		var s analytics.SegmentFigures
		if i >= 0 {
			s = seg.Segments[i]
		}
		g.Cells = append(g.Cells, chart.Cell{Col: b.f0 - 1, Row: 5 - b.r1, Cols: b.f1 - b.f0 + 1, Rows: b.r1 - b.r0 + 1, Value: float64(s.Customers),
			Text: []string{humanize(b.name), chart.Count(s.Customers, "customer"), s.Revenue.StringFixed(2) + " " + seg.Currency,
				chart.Percent(s.RevenueShare) + " of revenue"}})
	}
	return g
}

// block is the scores a segment covers: recency r0–r1, frequency f0–f1.
type block struct {
	name           string
	r0, r1, f0, f1 int
}

// segmentBlocks answers each segment's block of the grid, as analytics.Segment places them.
func segmentBlocks() []block {
	var out []block
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			name := analytics.Segment(r, f)
			i := slices.IndexFunc(out, func(b block) bool { return b.name == name })
			if i < 0 {
				out = append(out, block{name: name, r0: r, r1: r, f0: f, f1: f})
				continue
			}
			b := &out[i]
			b.r0, b.r1, b.f0, b.f1 = min(b.r0, r), max(b.r1, r), min(b.f0, f), max(b.f1, f)
		}
	}
	return out
}

func cutoffs(what string, rs []analytics.ScoreRange) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%d: %s–%s", r.Score, chart.Number(r.Min), chart.Number(r.Max))
	}
	if len(parts) == 0 {
		return what + ": none yet."
	}
	return what + ": " + strings.Join(parts, " · ") + "."
}

// matrixChart draws the loyalty matrix's four quadrants with their customers, revenue and CLV.
func matrixChart(m Matrix, currency string) chart.Chart {
	g := chart.Grid{
		Frame: chart.Frame{
			Title: "Loyalty and profitability (Reinartz & Kumar)",
			Subtitle: fmt.Sprintf("Fit as of %s · loyal: P(alive) ≥ %s and ≥ %s weeks since the first purchase · profitable: CLV ≥ %s",
				day(m.AsOf), chart.Number(m.LoyalPAlive), chart.Number(m.LoyalMinTenureWeeks), money(m.ProfitableCLV, currency)),
			Notes:  []string{"Revenue: the customers' past net revenue; CLV: their predicted lifetime value, summed over the quadrant."},
			NoData: "The fit as of " + day(m.AsOf) + " scored no customers: there is no matrix to draw.",
		},
		XLabel:  "Loyalty",
		YLabel:  "Profitability",
		Columns: []string{"not loyal", "loyal"},
		Rows:    []string{"profitable", "not profitable"},
		Shade:   "customers",
		Height:  360,
	}
	total := 0
	for _, q := range m.Quadrants {
		total += q.Customers
	}
	if total == 0 {
		return g
	}
	for _, q := range m.Quadrants {
		at, ok := quadrants[q.Quadrant]
		if !ok {
			continue
		}
		action, _, _ := strings.Cut(q.Action, ":")
		g.Cells = append(g.Cells, chart.Cell{Col: at.col, Row: at.row, Value: float64(q.Customers), Text: []string{
			at.name, chart.Count(q.Customers, "customer"), "revenue " + money(q.Revenue, currency),
			"CLV " + money(q.CLV, currency), "action: " + action}})
	}
	return g
}

// quadrants place the quadrants on the matrix: loyal on the right, profitable on top.
var quadrants = map[string]struct {
	name     string
	col, row int
}{
	analytics.QuadrantButterfly: {"butterflies", 0, 0}, analytics.QuadrantTrueFriend: {"true friends", 1, 0},
	analytics.QuadrantStranger: {"strangers", 0, 1}, analytics.QuadrantBarnacle: {"barnacles", 1, 1},
}

// churnChart draws the cohort table: per first-purchase month, the share of its customers who
// bought in each month since.
func churnChart(r ChurnReport) chart.Chart {
	g := chart.Grid{
		Frame: chart.Frame{
			Title:    "Retention by first-purchase cohort",
			Subtitle: fmt.Sprintf("Cohorts of the %d months to %s (segmentation as of %s)", len(r.Retention), r.AsOf.UTC().Format("2006-01"), day(r.AsOf)),
			Notes: []string{"A cell: the share of the cohort's customers who bought in that month since their first purchase. " +
				"Month 0, each cohort's first, is 100% and left unshaded."},
			NoData: "No customer made a first purchase in these months: there are no cohorts to draw.",
		},
		XLabel: "Months since the first purchase",
		YLabel: "First-purchase month (customers)",
		Shade:  "% of the cohort buying",
	}
	width := 0
	for _, c := range r.Cohorts {
		width = max(width, len(c.Retention))
	}
	for m := range width {
		g.Columns = append(g.Columns, fmt.Sprint(m))
	}
	format := chart.Percent
	if width > 12 { // whole percentages without the sign, for the narrow cells
		format = func(s float64) string { return fmt.Sprintf("%.0f", s*100) }
		g.Notes[0] += " Cells give whole percentages."
	}
	for i, c := range r.Cohorts {
		g.Rows = append(g.Rows, fmt.Sprintf("%s (%d)", c.Month, c.Customers))
		for m, share := range c.Retention {
			v := share * 100
			if m == 0 {
				v = math.NaN()
			}
			g.Cells = append(g.Cells, chart.Cell{Col: m, Row: i, Value: v, Text: []string{format(share)}})
		}
	}
	return g
}

// ladderChart draws the loyalty ladder as a funnel: the customers on each rung, top down, and the
// moves of the period in the notes.
func ladderChart(l analytics.Ladder) chart.Chart {
	b := chart.Bars{
		Frame: chart.Frame{
			Title:    "The loyalty ladder",
			Subtitle: fmt.Sprintf("Live customers per lifecycle stage; moves between stages recorded from %s to %s", day(l.From), day(l.To)),
			NoData:   "No customers: the ladder is empty.",
		},
		Horizontal:    true,
		CategoryLabel: "Lifecycle stage",
		ValueLabel:    "Customers",
		Height:        340,
	}
	stages := make([]string, 0, len(customer.Stages))
	for _, s := range customer.Stages {
		stages = append(stages, string(s))
	}
	for _, s := range slices.Sorted(func(yield func(string) bool) {
		for k := range l.Stages {
			if !slices.Contains(stages, k) && !yield(k) {
				return
			}
		}
	}) {
		stages = append(stages, s)
	}
	total := 0
	for _, n := range l.Stages {
		total += n
	}
	series := chart.BarSeries{Name: "Customers"}
	for _, s := range stages {
		n := l.Stages[s]
		b.Categories = append(b.Categories, s)
		series.Values = append(series.Values, float64(n))
		label := fmt.Sprint(n)
		if total > 0 {
			label += " (" + chart.Percent(float64(n)/float64(total)) + ")"
		}
		series.Labels = append(series.Labels, label)
	}
	b.Series = []chart.BarSeries{series}
	moves := make([]string, len(l.Moves))
	for i, m := range l.Moves {
		moves[i] = fmt.Sprintf("%s → %s: %d", m.From, m.To, m.Count)
	}
	if len(moves) == 0 {
		b.Notes = []string{"No stage changes were recorded in the period."}
	} else {
		b.Notes = []string{"Moves in the period: " + strings.Join(moves, " · ") + "."}
	}
	return b
}

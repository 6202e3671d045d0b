package chart_test

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/pkg/chart"
	"github.com/rapportcrm/rapport/pkg/chart/charttest"
)

func TestLines(t *testing.T) {
	curve := chart.Series{Name: "Actual"}
	model := chart.Series{Name: "Model", Dashed: true}
	var months []chart.Tick
	for m := range 36 {
		y := 10 * math.Sqrt(float64(m))
		if m == 7 {
			y = math.NaN() // a gap
		}
		curve.Points = append(curve.Points, chart.Point{X: float64(m), Y: y})
		model.Points = append(model.Points, chart.Point{X: float64(m), Y: 9.5 * math.Sqrt(float64(m))})
		months = append(months, chart.Tick{At: float64(m), Label: fmt.Sprintf("%d-%02d", 2024+m/12, m%12+1)})
	}
	texts := charttest.Render(t, "test-lines", chart.Lines{
		Frame:  chart.Frame{Title: "Cumulative purchases", Subtitle: "Calibration and holdout", Notes: []string{"A note."}},
		XLabel: "Month", YLabel: "Purchases", Series: []chart.Series{curve, model}, XTicks: months,
		Marks: []chart.Mark{{X: 30, Y: 10 * math.Sqrt(30), Label: "the mark"}}, Rules: []chart.Rule{{X: 24, Label: "holdout starts"}},
	})
	charttest.Contains(t, "lines", texts, "Cumulative purchases", "Calibration and holdout", "A note.", "Month", "Purchases", "Actual", "Model",
		"the mark", "holdout starts", "2024-01")
	if strings.Contains(texts, "2024-02") {
		t.Errorf("36 month labels are not thinned out at 800 px:\n%s", texts)
	}
}

// Axes are labelled at round steps, as precisely as the step needs.
func TestTicks(t *testing.T) {
	texts := charttest.Render(t, "test-ticks", chart.Lines{Frame: chart.Frame{Title: "Ticks"}, Y: chart.Range{Min: -0.5, Max: 2.5},
		Series: []chart.Series{{Points: []chart.Point{{X: 0, Y: 0.1}, {X: 3, Y: 2.2}}}}})
	charttest.Contains(t, "ticks", texts, "\n-0.5\n", "\n0.0\n", "\n2.5", "\n0\n", "\n3\n")
}

func TestPanelsSayWhichIsEmpty(t *testing.T) {
	texts := charttest.Render(t, "test-panels", chart.Panels{Frame: chart.Frame{Title: "Two panels"}, Panels: []chart.Lines{
		{Frame: chart.Frame{Title: "First"}, Series: []chart.Series{{Dots: true, Points: []chart.Point{{X: 0, Y: 1, Label: "one"}}}}},
		{Frame: chart.Frame{Title: "Second", NoData: "Nothing in the second."}, Series: []chart.Series{{Points: []chart.Point{{X: 0, Y: math.NaN()}}}}},
	}})
	charttest.Contains(t, "panels", texts, "Two panels", "First", "one", "Second", "Nothing in the second.")
}

func TestBars(t *testing.T) {
	texts := charttest.Render(t, "test-bars", chart.Bars{Frame: chart.Frame{Title: "Predicted against actual"},
		Categories: []string{"0", "1", "2", "3", "4", "5", "6", "7+"}, CategoryLabel: "Repeat purchases in calibration", ValueLabel: "Mean purchases in holdout",
		Series: []chart.BarSeries{{Name: "Actual", Values: []float64{0.2, 0.7, 1.2, 1.7, 2.4, 2.9, 3.5, 4.8}},
			{Name: "Model", Values: []float64{0.23, 0.69, 1.3, 1.8, 2.3, 3.0, 3.4, 4.6}, Labels: []string{"0.23"}}}})
	charttest.Contains(t, "bars", texts, "Predicted against actual", "7+", "Actual", "Model", "0.23", "Mean purchases in holdout")
	texts = charttest.Render(t, "test-funnel", chart.Bars{Frame: chart.Frame{Title: "Funnel"}, Horizontal: true,
		Categories: []string{"prospect", "customer", "client"}, Series: []chart.BarSeries{{Values: []float64{10, 7, 2}, Labels: []string{"10", "7", "2"}}}})
	charttest.Contains(t, "funnel", texts, "prospect", "client", "10")
}

func TestGrid(t *testing.T) {
	g := chart.Grid{Frame: chart.Frame{Title: "Cohorts"}, XLabel: "Months since", YLabel: "Cohort", Shade: "% buying"}
	for m := range 24 {
		g.Columns = append(g.Columns, fmt.Sprint(m))
	}
	for c := range 24 {
		g.Rows = append(g.Rows, fmt.Sprintf("2024-%02d (1234)", c+1))
		for m := range 24 - c {
			v := 100 / (1 + float64(m))
			if m == 0 {
				v = math.NaN()
			}
			g.Cells = append(g.Cells, chart.Cell{Col: m, Row: c, Value: v, Text: []string{fmt.Sprintf("%.0f%%", 100/(1+float64(m)))}})
		}
	}
	texts := charttest.Render(t, "test-grid", g)
	charttest.Contains(t, "grid", texts, "Cohorts", "2024-24 (1234)", "100%", "4%", "Shade: % buying, from 0 (palest) to 50 (darkest).")
	texts = charttest.Render(t, "test-blocks", chart.Grid{Frame: chart.Frame{Title: "Blocks"}, Columns: []string{"1", "2", "3"}, Rows: []string{"a", "b"},
		Cells: []chart.Cell{{Col: 0, Row: 0, Cols: 2, Value: 5, Text: []string{"wide", "5"}}, {Col: 2, Row: 0, Rows: 2, Value: 1, Text: []string{"tall", "1"}}}})
	charttest.Contains(t, "blocks", texts, "wide", "tall")
}

// Every kind of chart without data draws its frame and says why there is nothing else.
func TestEmptyStates(t *testing.T) {
	for name, ch := range map[string]chart.Chart{
		"lines":  chart.Lines{Frame: chart.Frame{Title: "T", NoData: "Nothing yet."}, Series: []chart.Series{{Points: []chart.Point{{X: 1, Y: math.NaN()}}}}},
		"panels": chart.Panels{Frame: chart.Frame{Title: "T", NoData: "Nothing yet."}, Panels: []chart.Lines{{}, {}}},
		"bars":   chart.Bars{Frame: chart.Frame{Title: "T", NoData: "Nothing yet."}, Categories: []string{"a"}, Series: []chart.BarSeries{{Values: []float64{0}}}},
		"grid":   chart.Grid{Frame: chart.Frame{Title: "T", NoData: "Nothing yet."}, Columns: []string{"a"}, Rows: []string{"b"}},
	} {
		charttest.Contains(t, name, charttest.Render(t, "test-empty-"+name, ch), "T", "Nothing yet.")
	}
	charttest.Contains(t, "default", charttest.Render(t, "test-empty", chart.Lines{Frame: chart.Frame{Title: "T"}}), "No data to draw.")
}

func TestSVGNamesFallbackFonts(t *testing.T) {
	var b bytes.Buffer
	if err := chart.Render(&b, chart.Lines{Frame: chart.Frame{Title: "T"}}, chart.SVG); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;") {
		t.Errorf("no fallback fonts: %.600s", b.String())
	}
	if err := chart.Render(&b, chart.Lines{}, chart.Format(9)); err == nil {
		t.Error("an unknown format rendered")
	}
}

func TestFormats(t *testing.T) {
	for got, want := range map[string]string{
		chart.Percent(0.6321): "63.2%", chart.Percent(1): "100.0%", chart.Number(12.5): "12.5", chart.Number(3): "3", chart.Number(-0.25): "-0.25",
		chart.Number(-0.001): "0", chart.Count(1, "customer"): "1 customer", chart.Count(0, "answer"): "0 answers",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

package chart

import (
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bars draws a value per category as bars, the series of a category side by side.
type Bars struct {
	Frame
	Categories []string
	Series     []BarSeries
	// Horizontal lays the categories down the left side, the first at the top (a funnel);
	// otherwise along the bottom, the first on the left.
	Horizontal                bool
	CategoryLabel, ValueLabel string
	// Height of the drawing; zero: 3/4 of the width.
	Height vg.Length
}

// BarSeries is a value per category; Labels, when set, are written at the bars' ends.
type BarSeries struct {
	Name   string
	Values []float64
	Labels []string
}

func (b Bars) frame() Frame { return b.Frame }

func (b Bars) empty() bool {
	for _, s := range b.Series {
		for _, v := range s.Values {
			if v != 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

func (b Bars) height() vg.Length {
	if b.Height > 0 {
		return b.Height
	}
	return width * 3 / 4
}

func (b Bars) draw(c draw.Canvas) {
	p := newPlot()
	n := len(b.Categories)
	pos := func(i int) float64 { return float64(i) }
	names := b.Categories
	along := c.Max.X - c.Min.X - 80 // the category axis's length, roughly
	if b.Horizontal {
		pos = func(i int) float64 { return float64(n - 1 - i) }
		names = make([]string, n)
		for i, name := range b.Categories {
			names[n-1-i] = name
		}
		p.NominalY(names...)
		p.X.Label.Text, p.Y.Label.Text = b.ValueLabel, b.CategoryLabel
		along = c.Max.Y - c.Min.Y - 40
	} else {
		p.NominalX(names...)
		p.X.Label.Text, p.Y.Label.Text = b.CategoryLabel, b.ValueLabel
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = faint, faint
	if b.Horizontal {
		grid.Horizontal.Color = nil
	} else {
		grid.Vertical.Color = nil
	}
	p.Add(grid)
	k := len(b.Series)
	band := along / vg.Length(max(n, 1)) * 0.75
	barW := band / vg.Length(max(k, 1))
	top := 0.0
	for j, s := range b.Series {
		vals := make(plotter.Values, n)
		for i := range n {
			if i < len(s.Values) && !math.IsNaN(s.Values[i]) {
				vals[int(pos(i))] = s.Values[i]
				top = max(top, s.Values[i])
			}
		}
		bc, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			panic(err)
		}
		bc.Horizontal = b.Horizontal
		bc.Color = seriesColor(j)
		bc.LineStyle.Width = 0
		bc.Offset = barW * (vg.Length(j) - vg.Length(k-1)/2)
		if b.Horizontal {
			bc.Offset = -bc.Offset // the first series on top
		}
		p.Add(bc)
		if k > 1 && s.Name != "" {
			p.Legend.Add(s.Name, bc)
		}
		var xys plotter.XYs
		var texts []string
		for i, t := range s.Labels {
			if t == "" || i >= n || i >= len(s.Values) {
				continue
			}
			xys, texts = append(xys, plotter.XY{X: pos(i), Y: s.Values[i]}), append(texts, t)
		}
		if len(texts) == 0 {
			continue
		}
		off := bc.Offset
		if b.Horizontal {
			for i := range xys {
				xys[i].X, xys[i].Y = xys[i].Y, xys[i].X
			}
			labels(p, xys, texts, textStyle(9.5, false, ink), draw.XLeft, draw.YCenter, vg.Point{X: 4, Y: off})
		} else {
			labels(p, xys, texts, textStyle(9.5, false, ink), draw.XCenter, draw.YBottom, vg.Point{X: off, Y: 3})
		}
	}
	value := &p.Y
	if b.Horizontal {
		value = &p.X
	}
	value.Min = 0
	value.Tick.Marker = roundTicks(b.whole())
	if top > 0 {
		value.Max = top * 1.22 // room for the labels at the ends
	}
	p.Draw(c)
}

// whole reports whether every value is a whole number.
func (b Bars) whole() bool {
	for _, s := range b.Series {
		for _, v := range s.Values {
			if v != math.Trunc(v) {
				return false
			}
		}
	}
	return true
}

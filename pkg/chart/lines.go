package chart

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Lines draws series of points joined by lines (or not), over numbers or named positions.
type Lines struct {
	Frame
	XLabel, YLabel string
	Series         []Series
	// Marks are points singled out, each with guides to the axes and a label.
	Marks []Mark
	// Rules are vertical lines at an x (the end of a calibration period, say), with a label.
	Rules []Rule
	// XTicks name positions on the x axis (months, say); nil: numbers. Labels that would overlap
	// are thinned out.
	XTicks []Tick
	// X and Y fix the axes' ranges; zero: fitted to the data.
	X, Y Range
	// Height of the drawing; zero: 3/4 of the width.
	Height vg.Length
}

// Series is a named sequence of points.
type Series struct {
	Name   string
	Points []Point
	// Dashed draws a reference line (equality, a model's expectation) thin and dashed.
	Dashed bool
	// Dots draws a dot at each point; Unjoined leaves out the lines between them (for points
	// that are categories, not a sequence).
	Dots, Unjoined bool
}

// Point is a point of a series; a NaN Y is a gap. Label, when set, is written beside it.
type Point struct {
	X, Y  float64
	Label string
}

// Mark is a point singled out, with its label.
type Mark struct {
	X, Y  float64
	Label string
}

// Rule is a vertical line at X with its label.
type Rule struct {
	X     float64
	Label string
}

// Tick names a position on an axis.
type Tick struct {
	At    float64
	Label string
}

// Range is an axis's range; the zero Range fits the data.
type Range struct{ Min, Max float64 }

func (l Lines) frame() Frame { return l.Frame }

func (l Lines) empty() bool {
	for _, s := range l.Series {
		for _, p := range s.Points {
			if !math.IsNaN(p.Y) && !math.IsInf(p.Y, 0) {
				return false
			}
		}
	}
	return true
}

func (l Lines) height() vg.Length {
	if l.Height > 0 {
		return l.Height
	}
	return width * 3 / 4
}

func (l Lines) draw(c draw.Canvas) { l.plot(c.Max.X-c.Min.X, 0).Draw(c) }

// plot builds the plot for a drawing w wide, its series in the colours from the first'th on.
func (l Lines) plot(w vg.Length, first int) *plot.Plot {
	p := newPlot()
	p.Title.Text = ""
	p.X.Label.Text, p.Y.Label.Text = l.XLabel, l.YLabel
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = faint, faint
	p.Add(grid)
	for i, s := range l.Series {
		clr := seriesColor(first + i)
		style := draw.LineStyle{Color: clr, Width: 2}
		if s.Dashed {
			style = draw.LineStyle{Color: muted, Width: 1, Dashes: []vg.Length{5, 4}}
		}
		var thumbs []plot.Thumbnailer
		for _, run := range runs(s.Points) {
			if !s.Unjoined && len(run) > 1 {
				ln, err := plotter.NewLine(run)
				if err != nil {
					panic(err)
				}
				ln.LineStyle = style
				p.Add(ln)
				thumbs = []plot.Thumbnailer{ln}
			}
			if s.Dots || len(run) == 1 {
				sc, err := plotter.NewScatter(run)
				if err != nil {
					panic(err)
				}
				sc.GlyphStyle = draw.GlyphStyle{Color: clr, Radius: 3, Shape: draw.CircleGlyph{}}
				p.Add(sc)
				thumbs = append(thumbs, sc)
			}
		}
		pointLabels(p, s.Points)
		if s.Name != "" && len(l.Series) > 1 && len(thumbs) > 0 {
			p.Legend.Add(s.Name, thumbs...)
		}
	}
	for _, m := range l.Marks {
		p.Add(marker{m})
	}
	for _, r := range l.Rules {
		p.Add(ruler{r})
	}
	fix(&p.X, l.X)
	fix(&p.Y, l.Y)
	p.X.Tick.Marker, p.Y.Tick.Marker = roundTicks(l.whole(func(p Point) float64 { return p.X })), roundTicks(l.whole(func(p Point) float64 { return p.Y }))
	if l.XTicks != nil {
		p.X.Tick.Marker = plot.ConstantTicks(thin(l.XTicks, p.X.Tick.Label, w*0.85))
	}
	return p
}

// whole reports whether every coordinate that at picks is a whole number.
func (l Lines) whole(at func(Point) float64) bool {
	for _, s := range l.Series {
		for _, p := range s.Points {
			if v := at(p); v != math.Trunc(v) && !math.IsNaN(v) {
				return false
			}
		}
	}
	return true
}

// roundTicks labels an axis at about six round steps (1, 2, 2.5 or 5 times a power of ten); at
// whole steps only when the data are whole numbers (counts).
func roundTicks(whole bool) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		if !(hi > lo) {
			return []plot.Tick{{Value: lo, Label: Number(lo)}}
		}
		raw := (hi - lo) / 6
		mag := math.Pow(10, math.Floor(math.Log10(raw)))
		steps := []float64{1, 2, 2.5, 5, 10}
		if whole {
			steps = []float64{1, 2, 5, 10}
		}
		step := 10 * mag
		for _, m := range steps {
			if m*mag >= raw {
				step = m * mag
				break
			}
		}
		if whole {
			step = max(step, 1)
		}
		prec := 0 // the decimals the step needs: 0.25 two, 5 none
		for k := step; math.Abs(k-math.Round(k)) > 1e-9 && prec < 9; k *= 10 {
			prec++
		}
		var out []plot.Tick
		for i := math.Ceil(lo/step - 1e-9); i*step <= hi+step*1e-9; i++ {
			v := i * step
			if math.Abs(v) < step*1e-9 {
				v = 0 // not -0
			}
			out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', prec, 64)})
		}
		return out
	})
}

// runs splits points at their gaps (NaN Ys).
func runs(pts []Point) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for _, p := range pts {
		if math.IsNaN(p.Y) || math.IsInf(p.Y, 0) {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, plotter.XY{X: p.X, Y: p.Y})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// pointLabels writes the points' labels above them.
func pointLabels(p *plot.Plot, pts []Point) {
	var xys plotter.XYs
	var texts []string
	for _, pt := range pts {
		if pt.Label != "" && !math.IsNaN(pt.Y) {
			xys, texts = append(xys, plotter.XY{X: pt.X, Y: pt.Y}), append(texts, pt.Label)
		}
	}
	if len(texts) == 0 {
		return
	}
	labels(p, xys, texts, textStyle(9, false, ink), draw.XCenter, draw.YBottom, vg.Point{Y: 5})
}

// labels adds texts at the points, aligned and offset.
func labels(p *plot.Plot, xys plotter.XYs, texts []string, sty text.Style, xa draw.XAlignment, ya draw.YAlignment, off vg.Point) {
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		panic(err)
	}
	sty.XAlign, sty.YAlign = xa, ya
	for i := range lb.TextStyle {
		lb.TextStyle[i] = sty
	}
	lb.Offset = off
	p.Add(lb)
}

// marker draws a mark: a ring, dotted guides to both axes, and the label to its upper left.
type marker struct{ Mark }

func (m marker) Plot(c draw.Canvas, p *plot.Plot) {
	x, y := c.X(p.X.Norm(m.X)), c.Y(p.Y.Norm(m.Y))
	clr := seriesColor(1)
	guide := draw.LineStyle{Color: clr, Width: 1, Dashes: []vg.Length{2, 2}}
	c.StrokeLines(guide, []vg.Point{{X: x, Y: c.Min.Y}, {X: x, Y: y}, {X: c.Min.X, Y: y}})
	c.DrawGlyph(draw.GlyphStyle{Color: clr, Radius: 5, Shape: draw.RingGlyph{}}, vg.Point{X: x, Y: y})
	// The label goes above the point, on the side with more room, on a white ground.
	sty := textStyle(10, true, clr)
	w, h := sty.Width(m.Label), sty.Font.Size
	at := vg.Point{X: x - 8 - w, Y: y + 8}
	if x < c.Center().X {
		at.X = x + 8
	}
	if at.Y+h > c.Max.Y {
		at.Y = y - 8 - h
	}
	c.FillPolygon(color.NRGBA{R: 255, G: 255, B: 255, A: 230}, corners(vg.Rectangle{Min: vg.Point{X: at.X - 2, Y: at.Y - 2}, Max: vg.Point{X: at.X + w + 2, Y: at.Y + h + 1}}))
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
	c.FillText(sty, at, m.Label)
}

// ruler draws a rule across the data with its label at the top.
type ruler struct{ Rule }

func (r ruler) Plot(c draw.Canvas, p *plot.Plot) {
	x := c.X(p.X.Norm(r.X))
	c.StrokeLine2(draw.LineStyle{Color: muted, Width: 1, Dashes: []vg.Length{4, 3}}, x, c.Min.Y, x, c.Max.Y)
	sty := textStyle(9, false, muted)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
	c.FillText(sty, vg.Point{X: x + 4, Y: c.Max.Y - 2}, r.Label)
}

// fix sets an axis's range when r gives one.
func fix(a *plot.Axis, r Range) {
	if r.Min != r.Max {
		a.Min, a.Max = r.Min, r.Max
	}
}

// thin keeps every k-th tick label (and every tick mark) so that the labels fit in w.
func thin(ts []Tick, sty text.Style, w vg.Length) []plot.Tick {
	var widest vg.Length
	for _, t := range ts {
		widest = max(widest, sty.Width(t.Label))
	}
	k := 1
	if widest > 0 && len(ts) > 0 {
		fit := int(w / (widest + 8))
		k = max(1, int(math.Ceil(float64(len(ts))/float64(max(fit, 1)))))
	}
	out := make([]plot.Tick, len(ts))
	for i, t := range ts {
		out[i] = plot.Tick{Value: t.At}
		if i%k == 0 {
			out[i].Label = t.Label
		}
	}
	return out
}

// Panels stacks line charts that share their x axis, one above the other, each in its own colours;
// each panel's Title is drawn above it, and its NoData in it when it has nothing to draw.
type Panels struct {
	Frame
	Panels []Lines
}

func (ps Panels) frame() Frame { return ps.Frame }

func (ps Panels) empty() bool {
	for _, l := range ps.Panels {
		if !l.empty() {
			return false
		}
	}
	return true
}

func (ps Panels) height() vg.Length {
	var h vg.Length
	for _, l := range ps.Panels {
		h += l.Height
		if l.Height == 0 {
			h += 200
		}
	}
	return h
}

func (ps Panels) draw(c draw.Canvas) {
	rows := make([][]*plot.Plot, len(ps.Panels))
	first := 0
	for i, l := range ps.Panels {
		p := l.plot(c.Max.X-c.Min.X, first)
		first += len(l.Series)
		p.Title.Text = l.Title
		rows[i] = []*plot.Plot{p}
	}
	tiles := plot.Align(rows, draw.Tiles{Rows: len(rows), Cols: 1, PadY: 10}, c)
	for i, row := range rows {
		row[0].Draw(tiles[i][0])
		if l := ps.Panels[i]; l.empty() { // an empty panel among others says so in its plot
			dc := row[0].DataCanvas(tiles[i][0])
			sty := textStyle(10, false, muted)
			sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
			dc.FillText(sty, dc.Center(), orDefault(l.NoData, "No data to draw."))
		}
	}
}

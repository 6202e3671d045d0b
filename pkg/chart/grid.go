package chart

import (
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Grid is a heat map of labelled cells over named columns and rows: each cell spans one or more
// columns and rows, is shaded by its Value and shows its Text.
type Grid struct {
	Frame
	XLabel, YLabel string
	Columns        []string
	// Rows are named top to bottom.
	Rows  []string
	Cells []Cell
	// Shade names what the Values measure, for the note that explains the shading.
	Shade string
	// Height of the drawing; zero: enough for the rows.
	Height vg.Length
}

// Cell is a block of the grid from column Col and row Row (the top left), Cols wide and Rows
// high (zero: 1). A NaN Value leaves it unshaded (grey). The first of several lines of Text is
// bold.
type Cell struct {
	Col, Row   int
	Cols, Rows int
	Value      float64
	Text       []string
}

func (g Grid) frame() Frame {
	f := g.Frame
	if hi := g.max(); g.Shade != "" && hi > 0 {
		f.Notes = append(slices.Clone(f.Notes), "Shade: "+g.Shade+", from 0 (palest) to "+Number(hi)+" (darkest).")
	}
	return f
}

func (g Grid) max() float64 {
	hi := 0.0
	for _, c := range g.Cells {
		if !math.IsNaN(c.Value) {
			hi = max(hi, c.Value)
		}
	}
	return hi
}

func (g Grid) empty() bool { return len(g.Cells) == 0 || len(g.Columns) == 0 || len(g.Rows) == 0 }

func (g Grid) height() vg.Length {
	if g.Height > 0 {
		return g.Height
	}
	return max(240, 20*vg.Length(len(g.Rows))+70)
}

func (g Grid) draw(c draw.Canvas) {
	p := newPlot()
	rows := slices.Clone(g.Rows)
	slices.Reverse(rows)
	p.NominalX(g.Columns...)
	p.NominalY(rows...)
	p.X.Min, p.X.Max = -0.5, float64(len(g.Columns))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(g.Rows))-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Label.Text, p.Y.Label.Text = g.XLabel, g.YLabel
	p.Add(cells{g: g, hi: g.max()})
	p.Draw(c)
}

// cells draws the grid's cells.
type cells struct {
	g  Grid
	hi float64
}

// The shades run from the palest to a dark blue (ColorBrewer's Blues); unshaded cells are grey.
var (
	unshaded = color.RGBA{0xf0, 0xf0, 0xf0, 0xff}
	shades   = []color.RGBA{{0xf7, 0xfb, 0xff, 0xff}, {0xde, 0xeb, 0xf7, 0xff}, {0x9e, 0xca, 0xe1, 0xff}, {0x42, 0x92, 0xc6, 0xff}, {0x08, 0x45, 0x94, 0xff}}
)

func shade(t float64) color.RGBA {
	if math.IsNaN(t) {
		return unshaded
	}
	t = min(max(t, 0), 1) * float64(len(shades)-1)
	i := min(int(t), len(shades)-2)
	f := t - float64(i)
	a, b := shades[i], shades[i+1]
	mix := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*f + 0.5) }
	return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 0xff}
}

func (cs cells) Plot(c draw.Canvas, p *plot.Plot) {
	n := len(cs.g.Rows)
	rects := make([]vg.Rectangle, len(cs.g.Cells))
	size := maxText
	for i, cell := range cs.g.Cells {
		w, h := max(cell.Cols, 1), max(cell.Rows, 1)
		rects[i] = vg.Rectangle{
			Min: vg.Point{X: c.X(p.X.Norm(float64(cell.Col) - 0.5)), Y: c.Y(p.Y.Norm(float64(n-cell.Row-h) - 0.5))},
			Max: vg.Point{X: c.X(p.X.Norm(float64(cell.Col+w) - 0.5)), Y: c.Y(p.Y.Norm(float64(n-1-cell.Row) + 0.5))},
		}
		size = min(size, fitting(rects[i], cell.Text))
	}
	for i, cell := range cs.g.Cells {
		t := math.NaN()
		if cs.hi > 0 {
			t = cell.Value / cs.hi
		}
		bg := shade(t)
		c.FillPolygon(bg, corners(rects[i]))
		c.StrokeLines(draw.LineStyle{Color: color.White, Width: 2}, append(corners(rects[i]), rects[i].Min))
		fg := ink
		if lum := 0.2126*float64(bg.R) + 0.7152*float64(bg.G) + 0.0722*float64(bg.B); lum < 140 {
			fg = color.White
		}
		cellText(c, rects[i], cell.Text, size, fg)
	}
}

// Cell text is at most maxText and at least minText points; every cell's text is the same size.
const maxText, minText = vg.Length(10), vg.Length(6.5)

// room is the space for text in a cell.
func room(r vg.Rectangle) vg.Point {
	return vg.Point{X: r.Max.X - r.Min.X - 4, Y: r.Max.Y - r.Min.Y - 4}
}

// fits reports whether the lines fit in room at the size.
func fits(room vg.Point, lines []string, size vg.Length) bool {
	if vg.Length(len(lines))*size*1.2 > room.Y {
		return false
	}
	for i, l := range lines {
		if textStyle(size, i == 0 && len(lines) > 1, ink).Width(l) > room.X {
			return false
		}
	}
	return true
}

// fitting answers the largest size from minText to maxText at which the lines fit in r.
func fitting(r vg.Rectangle, lines []string) vg.Length {
	size := maxText
	for size > minText && !fits(room(r), lines, size) {
		size -= 0.5
	}
	return size
}

// cellText writes the lines centred in r at the size; lines that do not fit are left out from
// the last (the first stays).
func cellText(c draw.Canvas, r vg.Rectangle, lines []string, size vg.Length, fg color.Color) {
	for len(lines) > 1 && !fits(room(r), lines, size) {
		lines = lines[:len(lines)-1]
	}
	lh := size * 1.2
	y := (r.Min.Y+r.Max.Y)/2 + lh*vg.Length(len(lines))/2
	for i, l := range lines {
		sty := textStyle(size, i == 0 && len(lines) > 1, fg)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		c.FillText(sty, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: y}, l)
		y -= lh
	}
}

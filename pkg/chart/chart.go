// Package chart draws the reports as pictures, SVG or PNG, 800 px wide, with gonum/plot. It draws
// from plain numbers and labels: callers convert their report into a Lines, Panels, Bars or Grid
// and call Render. Every chart has a Frame (title, subtitle, notes) and says so when it has
// nothing to draw, instead of drawing empty axes.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Format is an image format a chart renders to.
type Format int

// The formats.
const (
	SVG Format = iota
	PNG
)

// WidthPx is the width of every chart in pixels: the PNG's, and the SVG's in a browser (its width
// is given in points, 3/4 of a CSS pixel).
const WidthPx = 800

const (
	dpi   = 96
	width = vg.Length(WidthPx * 72 / dpi) // in points
	// margin surrounds the frame; gap separates its parts.
	margin = vg.Length(14)
	gap    = vg.Length(6)
)

// pngCanvas draws text a character at a time, each where gonum's measure puts it. x/image's
// opentype faces scale kerning for a 32-pixel em whatever the size (golang/go#46727), which at
// 96 dpi jams pairs such as "11" into one another; gonum's measure kerns at the right scale.
type pngCanvas struct{ vgimg.PngCanvas }

func (c pngCanvas) FillString(f font.Face, pt vg.Point, s string) {
	for i, r := range s {
		one := string(r)
		c.PngCanvas.FillString(f, vg.Point{X: pt.X + f.Width(s[:i+len(one)]) - f.Width(one), Y: pt.Y}, one)
	}
}

// Frame is what surrounds every chart's drawing.
type Frame struct {
	Title string
	// Subtitle says what the figures cover (the period, the totals); wrapped to the width.
	Subtitle string
	// Notes are lines under the drawing: cut-offs, definitions, figures that have no place in it.
	Notes []string
	// NoData is what the chart says in place of the drawing when it has nothing to draw.
	NoData string
}

// Chart is a drawing in a frame: a Lines, Panels, Bars or Grid.
type Chart interface {
	frame() Frame
	// empty reports whether there is nothing to draw.
	empty() bool
	// height is the height the drawing needs, without the frame.
	height() vg.Length
	// draw draws into c, the area inside the frame.
	draw(c draw.Canvas)
}

// Render writes ch in format f to w.
func Render(w io.Writer, ch Chart, f Format) (err error) {
	defer func() { // gonum/plot panics on what it cannot draw; a request must not
		if r := recover(); r != nil {
			err = fmt.Errorf("chart %q: %v", ch.frame().Title, r)
		}
	}()
	fr := ch.frame()
	header, footer := fr.header(), fr.footer()
	h := ch.height()
	if ch.empty() {
		h = 220
	}
	h += blockHeight(header) + blockHeight(footer) + 2*margin
	var cw vg.CanvasWriterTo
	switch f {
	case SVG:
		cw = vgsvg.New(width, h)
	case PNG:
		cw = pngCanvas{vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, h), vgimg.UseDPI(dpi))}}
	default:
		return fmt.Errorf("chart: unknown format %d", f)
	}
	dc := draw.New(cw)
	dc.FillPolygon(color.White, corners(dc.Rectangle)) // SVG is transparent otherwise
	area := draw.Crop(dc, margin, -margin, margin, -margin)
	inner := area
	inner.Max.Y = drawBlock(area, header, area.Max.Y) - gap
	inner.Min.Y += blockHeight(footer)
	drawBlock(area, footer, inner.Min.Y-gap)
	if ch.empty() {
		drawEmpty(inner, orDefault(fr.NoData, "No data to draw."))
	} else {
		ch.draw(inner)
	}
	if f != SVG {
		_, err = cw.WriteTo(w)
		return err
	}
	var buf bytes.Buffer
	if _, err := cw.WriteTo(&buf); err != nil {
		return err
	}
	_, err = fontFallback.WriteString(w, buf.String())
	return err
}

// fontFallback names, after Liberation Sans (which the layout was measured with), the fonts with
// the same metrics that most systems have; the SVG does not embed the font.
var fontFallback = strings.NewReplacer("font-family:Liberation Sans;", "font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;")

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func corners(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
}

// Colors: the series (Okabe and Ito's palette, safe for colour-blind readers), the text.
var (
	seriesColors = []color.Color{rgb(0x0072B2), rgb(0xD55E00), rgb(0x009E73), rgb(0xE69F00), rgb(0xCC79A7), rgb(0x56B4E9)}
	ink          = rgb(0x222222)
	muted        = rgb(0x555555)
	faint        = rgb(0xDDDDDD)
)

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

func seriesColor(i int) color.Color { return seriesColors[i%len(seriesColors)] }

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// textStyle is Liberation Sans of the size, bold or not, in the colour.
func textStyle(size vg.Length, bold bool, clr color.Color) text.Style {
	f := sans
	if bold {
		f.Weight = xfont.WeightBold
	}
	return text.Style{Color: clr, Font: font.From(f, size), Handler: plot.DefaultTextHandler}
}

// line is one line of text in a block.
type line struct {
	text  string
	style text.Style
}

func (fr Frame) header() []line {
	out := []line{{fr.Title, textStyle(15, true, ink)}}
	for _, l := range wrap(fr.Subtitle, textStyle(10, false, muted), width-2*margin) {
		out = append(out, line{l, textStyle(10, false, muted)})
	}
	return out
}

func (fr Frame) footer() []line {
	var out []line
	for _, n := range fr.Notes {
		for _, l := range wrap(n, textStyle(9, false, muted), width-2*margin) {
			out = append(out, line{l, textStyle(9, false, muted)})
		}
	}
	return out
}

func lineHeight(s text.Style) vg.Length { return s.Font.Size * 1.3 }

func blockHeight(ls []line) vg.Length {
	var h vg.Length
	for _, l := range ls {
		h += lineHeight(l.style)
	}
	if len(ls) > 0 {
		h += gap
	}
	return h
}

// drawBlock draws the lines left-aligned from top down, and answers where they end.
func drawBlock(c draw.Canvas, ls []line, top vg.Length) vg.Length {
	y := top
	for _, l := range ls {
		y -= lineHeight(l.style)
		sty := l.style
		sty.YAlign = draw.YBottom
		c.FillText(sty, vg.Point{X: c.Min.X, Y: y + l.style.Font.Size*0.25}, l.text)
	}
	return y
}

// wrap breaks s into lines no wider than w.
func wrap(s string, sty text.Style, w vg.Length) []string {
	var out []string
	cur := ""
	for _, word := range strings.Fields(s) {
		next := strings.TrimSpace(cur + " " + word)
		if cur != "" && sty.Width(next) > w {
			out = append(out, cur)
			next = word
		}
		cur = next
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// drawEmpty draws the empty state: a box that says there is nothing to draw, and why.
func drawEmpty(c draw.Canvas, msg string) {
	c.StrokeLines(draw.LineStyle{Color: faint, Width: 1, Dashes: []vg.Length{4, 3}}, append(corners(c.Rectangle), c.Min))
	sty := textStyle(12, false, muted)
	lines := wrap(msg, sty, c.Max.X-c.Min.X-4*margin)
	y := c.Center().Y + vg.Length(len(lines))*lineHeight(sty)/2
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	for _, l := range lines {
		c.FillText(sty, vg.Point{X: c.Center().X, Y: y}, l)
		y -= lineHeight(sty)
	}
}

// newPlot is a plot in the charts' fonts, without a title.
func newPlot() *plot.Plot {
	p := plot.New()
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 11)
		a.Label.TextStyle.Color = ink
		a.Tick.Label.Font = font.From(sans, 9.5)
		a.Tick.Label.Color = ink
		a.Label.Padding = 4
	}
	p.Title.TextStyle.Font = font.From(sans, 11)
	p.Title.TextStyle.Font.Weight = xfont.WeightBold
	p.Legend.TextStyle.Font = font.From(sans, 9.5)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = 8, -4
	p.Legend.Padding, p.Legend.ThumbnailWidth = 3, 24
	return p
}

// Percent formats a share (0.632) as a percentage with one decimal (63.2%).
func Percent(share float64) string { return fmt.Sprintf("%.1f%%", share*100) }

// Number formats a figure with at most two decimals and no trailing zeros (12.5, 3, -0.25).
func Number(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// Count writes n with its noun, plural unless n is 1 (1 customer, 0 customers).
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

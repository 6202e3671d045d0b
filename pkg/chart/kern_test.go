package chart

import (
	"image/color"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// In a PNG, the second "1" of "11" sits where the font's kerning puts it. x/image scales kerning
// for a 32-pixel em (golang/go#46727), which jammed it 1.4 px into the first at 96 dpi; pngCanvas
// places each character itself. The offset is measured from the ink: drawn at the same point,
// "11"'s centre of ink lies half the second character's offset right of "1"'s.
func TestPNGKerning(t *testing.T) {
	sty := textStyle(9.5, false, color.Black)
	inkCentre := func(s string) float64 {
		c := vgimg.NewWith(vgimg.UseWH(40, 20), vgimg.UseDPI(dpi))
		dc := draw.New(pngCanvas{vgimg.PngCanvas{Canvas: c}})
		dc.FillPolygon(color.White, corners(dc.Rectangle))
		dc.FillText(sty, vg.Point{X: 4, Y: 6}, s)
		img := c.Image()
		var sum, weight float64
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
				r, _, _, _ := img.At(x, y).RGBA()
				sum, weight = sum+float64(x)*float64(0xffff-r), weight+float64(0xffff-r)
			}
		}
		return sum / weight
	}
	got := 2 * (inkCentre("11") - inkCentre("1"))
	want := float64(sty.Width("11")-sty.Width("1")) * dpi / 72
	if math.Abs(got-want) > 0.3 {
		t.Errorf("the second \"1\" is %.2f px right of the first, want %.2f", got, want)
	}
}
